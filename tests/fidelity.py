"""Whether a run kept everything people put in a workbook, compared part by part.

The rule: after a run, every zip entry of the .xlsx is byte for byte what it was, except the
worksheet parts of the tool's tabs that the run wrote. In those, everything outside
`<sheetData>` is unchanged (canonical XML, lxml's c14n; only `<dimension>`, a hint readers
recompute, may change), every row keeps its attributes (height, hidden, style), and only cells
in the tool's columns of the tool's tabs changed: a column the tool owns (`Owner.SCRIPT`) in
any row below the header, a column it fills (`Owner.FILL`) where the cell was empty. Every
other cell keeps its value, formula, cached value and style. Rows the tool added below a table
hold values in those columns only.

Two changes are the tool's business and allowed where documented:
- `purge --apply` removes whole rows of the tool's tabs. Rows below move up as in a spreadsheet
  program: cells, row attributes, and the references outside `<sheetData>` (merged cells,
  conditional formats, dropdowns, hyperlinks), which must be moved along (a range reaching past
  the removed rows may keep its old end, as nothing is lost by that). That tab's comments and
  drawings may then change only by moving with their rows. Every removed row must be one the
  run named by ID.
- `xl/workbook.xml` may gain `fullCalcOnLoad` on `<calcPr>`, so that formulas over the written
  cells are recalculated when the file is opened (their cached values stay as they were in the
  file: a reader shows them until it recalculates).

`compare` returns what was lost or changed, worded for people: "xl/charts/chart1.xml missing",
"Sammanställning!B4: cached value dropped (was 6)".
"""

from __future__ import annotations

import difflib
import hashlib
import posixpath
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree
from openpyxl.descriptors.serialisable import Serialisable
from openpyxl.styles.colors import Color
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from alumni.contract import Owner, match_column, match_tab

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"
VML_EXCEL = "urn:schemas-microsoft-com:office:excel"
WORKBOOK = "xl/workbook.xml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_VML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
_EXAMPLES = 6
"""How many cells a message names before it says how many more."""


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


def c14n(element: Any) -> bytes:
    return etree.tostring(element, method="c14n")


def local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


# ---------------------------------------------------------------------------------------------
# One workbook, read as parts
# ---------------------------------------------------------------------------------------------


class Cell(NamedTuple):
    """A cell as people see it: its value (kind and text), formula, the formula's cached
    result, and its style resolved through styles.xml (so that two files numbering their
    styles differently still compare)."""

    value: tuple[str, str] | None
    formula: str | None
    cached: tuple[str, str] | None
    style: tuple[str, ...]

    @property
    def blank(self) -> bool:
        return self.formula is None and (self.value is None or not self.value[1].strip())


@dataclass
class Row:
    attrs: dict[str, str]
    cells: dict[int, Cell] = field(default_factory=dict)


class Package:
    """An .xlsx: its entries, relationships, tabs, shared strings and styles."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with zipfile.ZipFile(path) as archive:
            self.entries = {info.filename: archive.read(info) for info in archive.infolist()}
        self._xml: dict[str, Any] = {}

    def xml(self, name: str, parser: Any = _PARSER) -> Any:
        if name not in self._xml:
            self._xml[name] = etree.fromstring(self.entries[name], parser)
        return self._xml[name]

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """id → (type's last word, target part) of `part`'s internal relationships."""
        folder, file = posixpath.split(part)
        name = posixpath.join(folder, "_rels", file + ".rels")
        if name not in self.entries:
            return {}
        found = {}
        for rel in self.xml(name).iter(q("Relationship", PACKAGE_RELS)):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[rel.get("Id", "")] = (
                rel.get("Type", "").rsplit("/", 1)[-1],
                posixpath.normpath(path),
            )
        return found

    def related(self, part: str, kind: str) -> list[str]:
        return [t for k, t in self.rels(part).values() if k == kind and t in self.entries]

    @cached_property
    def tabs(self) -> dict[str, str]:
        """Each tab's title → its worksheet part, in the workbook's order."""
        targets = self.rels(WORKBOOK)
        tabs = {}
        for sheet in self.xml(WORKBOOK).iter(q("sheet")):
            found = targets.get(sheet.get(q("id", REL), ""))
            if found is not None:
                tabs[sheet.get("name", "")] = found[1]
        return tabs

    @cached_property
    def tab_states(self) -> dict[str, str]:
        return {
            s.get("name", ""): s.get("state", "visible")
            for s in self.xml(WORKBOOK).iter(q("sheet"))
        }

    @cached_property
    def defined_names(self) -> dict[str, str]:
        return {
            f"{d.get('name')}"
            + (f" (tab {d.get('localSheetId')})" if d.get("localSheetId") else ""): d.text or ""
            for d in self.xml(WORKBOOK).iter(q("definedName"))
        }

    @cached_property
    def shared(self) -> list[str]:
        name = next((t for k, t in self.rels(WORKBOOK).values() if k == "sharedStrings"), None)
        if name is None or name not in self.entries:
            return []
        return [_text(si) for si in self.xml(name).iterfind(q("si"))]

    @cached_property
    def styles(self) -> list[tuple[str, ...]]:
        name = next((t for k, t in self.rels(WORKBOOK).values() if k == "styles"), None)
        if name is None or name not in self.entries:
            return []
        sheet = Stylesheet.from_tree(self.xml(name))
        custom = {164 + i: code for i, code in enumerate(sheet.number_formats)}
        resolved = []
        for array in sheet.cell_styles:
            number = BUILTIN_FORMATS.get(array.numFmtId) or custom.get(array.numFmtId, "?")
            resolved.append(
                (
                    f"number format {number}",
                    f"font {_params(sheet.fonts[array.fontId])}",
                    f"fill {_params(sheet.fills[array.fillId])}",
                    f"border {_params(sheet.borders[array.borderId])}",
                    f"alignment {_params(sheet.alignments[array.alignmentId])}",
                    f"protection {_params(sheet.protections[array.protectionId])}",
                    f"quote prefix {array.quotePrefix}",
                )
            )
        return resolved

    def rows(self, part: str) -> dict[int, Row]:
        """The rows of a worksheet part by number, each with its cells by column (1-based)."""
        rows: dict[int, Row] = {}
        data = self.xml(part).find(q("sheetData"))
        if data is None:
            return rows
        last = 0
        for element in data.iterfind(q("row")):
            number = int(element.get("r") or last + 1)
            last = number
            row = rows.setdefault(number, Row(_row_attrs(element)))
            col = 0
            for c in element.iterfind(q("c")):
                ref = c.get("r")
                col = column_index_from_string(re.sub(r"\d", "", ref)) if ref else col + 1
                row.cells[col] = self._cell(c)
        return rows

    def _cell(self, c: Any) -> Cell:
        kind = c.get("t", "n")
        f, v, inline = c.find(q("f")), c.find(q("v")), c.find(q("is"))
        text: str | None = None
        if kind == "s" and v is not None and v.text is not None:
            index = int(v.text)
            text = self.shared[index] if index < len(self.shared) else f"<string {index}?>"
        elif kind == "inlineStr" and inline is not None:
            text = _text(inline)
        elif v is not None:
            text = v.text or ""
        kind = {"s": "text", "inlineStr": "text", "str": "text", "n": "number"}.get(kind, kind)
        value = None if text is None else (kind, text)
        style = int(c.get("s") or 0)
        resolved = self.styles[style] if style < len(self.styles) else (f"style {style}?",)
        if f is None:
            return Cell(value, None, None, resolved)
        attrs = " ".join(f"{k}={v}" for k, v in sorted(_norm(f.attrib).items()))
        if value is not None and value[1] == "":
            value = None  # an empty <v/> holds no result
        return Cell(None, f"={f.text or ''}" + (f" [{attrs}]" if attrs else ""), value, resolved)


def _text(element: Any) -> str:
    """A shared or inline string: its text, or its runs' canonical XML when it has formatting."""
    runs = element.findall(q("r"))
    if not runs:
        return "".join(t.text or "" for t in element.iterfind(q("t")))
    return "".join(c14n(r).decode() for r in runs)


_UNSET = (None, False, 0, 0.0, "", "general", "bottom", "none")
"""Values that mean "not set" in a style: a writer may spell them out or leave them away."""


def _params(obj: object) -> str:
    """A style object (font, fill, border, alignment, protection) as text, without the
    values that only spell out a default."""
    if isinstance(obj, Color):
        return f"{obj.type}:{obj.value}" + (f" tint {obj.tint}" if obj.tint else "")
    if isinstance(obj, Serialisable):
        names = dict.fromkeys((*obj.__attrs__, *obj.__elements__))
        shown = []
        for name in names:
            value = getattr(obj, name, None)
            text = _params(value)
            if value in _UNSET or text in ("", "()"):
                continue
            shown.append(f"{name}={text}")
        return "(" + ", ".join(shown) + ")"
    if isinstance(obj, list | tuple):
        return "[" + ", ".join(_params(o) for o in obj) + "]"
    return repr(obj)


_DEFAULTS = {"false", "0"}


def _norm(attrs: Mapping[str, str]) -> dict[str, str]:
    """Attributes as a reader understands them: without those at their default ("false",
    "0"), booleans as 1, and without relationship ids (what they point to is compared in the
    .rels parts)."""
    return {
        local(k): ("1" if v == "true" else v)
        for k, v in attrs.items()
        if v not in _DEFAULTS and k != q("id", REL)
    }


def _row_attrs(element: Any) -> dict[str, str]:
    attrs = _norm(element.attrib)
    attrs.pop("r", None)
    attrs.pop("spans", None)  # a hint for readers, recomputed by any writer
    attrs.pop("dyDescent", None)
    if "customHeight" not in attrs:
        attrs.pop("ht", None)  # the height a reader measured, not one a person set
    if "customFormat" not in attrs:
        attrs.pop("s", None)
    return attrs


# ---------------------------------------------------------------------------------------------
# Moving references past removed rows
# ---------------------------------------------------------------------------------------------


_REF = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def rows_after(low: int, high: int, removed: list[int]) -> tuple[int, int] | None:
    """Where rows low..high stand once `removed` (1-based, sorted) are gone; None if all went."""
    gone = [r for r in removed if low <= r <= high]
    if len(gone) == high - low + 1:
        return None
    above = sum(1 for r in removed if r < low)
    return low - above, high - above - len(gone)


def shift_ref(text: str, removed: list[int]) -> tuple[str, bool]:
    """A ref or sqref ("A2:L5000 D4") with its rows moved past `removed`, and whether leaving
    it as it was keeps everything too (no range starts below a removed row)."""
    if not removed:
        return text, True
    out, unchanged_ok = [], True
    for part in text.split():
        cells = _REF.findall(part)
        if not cells:
            out.append(part)
            continue
        rows = [int(c[3]) for c in cells]
        low, high = min(rows), max(rows)
        unchanged_ok &= low < removed[0]
        moved = rows_after(low, high, removed)
        if moved is None:
            continue
        rows_now = iter([moved[0], moved[1]] if len(cells) == 2 else [moved[0]])
        out.append(_REF.sub(lambda m, it=rows_now: f"{m[1]}{m[2]}{m[3]}{next(it)}", part))
    return " ".join(out), unchanged_ok


def _shifted_copy(element: Any, removed: list[int]) -> tuple[Any, bool]:
    copy = etree.fromstring(etree.tostring(element))
    unchanged_ok = True
    for node in copy.iter():
        for name in ("ref", "sqref"):
            value = node.get(name)
            if value:
                new, ok = shift_ref(value, removed)
                unchanged_ok &= ok
                node.set(name, new)
    return copy, unchanged_ok


# ---------------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    """What a run did to a workbook: the losses (empty when everything was kept), the tabs
    whose worksheet part it rewrote, the cells it wrote, and the rows it removed."""

    losses: list[str] = field(default_factory=list)
    written_tabs: list[str] = field(default_factory=list)
    written_cells: dict[str, list[str]] = field(default_factory=dict)
    removed_rows: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tabs: list[str] = field(default_factory=list)

    def message(self, what: str, limit: int = 80) -> str:
        """The losses for people, the worst first: what is gone, then what changed; a
        difference found alike in several tabs is said once, naming the tabs."""
        alike: dict[str, list[str]] = defaultdict(list)
        for loss in self.losses:
            tab = next(
                (t for t in self.tabs if loss.startswith(f"{t}: ") or loss.startswith(f"{t} ")),
                None,
            )
            key = loss[len(tab) :] if tab else loss
            alike[key].append(tab or "")
        said = []
        for rest, tabs in alike.items():
            if len(tabs) == 1:
                said.append(f"{tabs[0]}{rest}")
            else:
                said.append(f"{len(tabs)} tabs ({', '.join(tabs)}){rest}")
        ordered = sorted(said, key=_weight)
        lines = [f"{what} lost or changed what people put in the workbook:"]
        lines += [f"  {loss}" for loss in ordered[:limit]]
        if len(ordered) > limit:
            lines.append(f"  ... and {len(ordered) - limit} more differences")
        if self.notes:
            lines += ["(Allowed: " + "; ".join(self.notes) + ")"]
        return "\n".join(lines)


_WORST = (
    "missing",
    "lost:",
    "lost",
    "dropped",
    "removed",
    "value changed",
    "written by the tool",
    "fixed",
    "changed",
    "appeared:",
    "added",
    "rewritten",
)


def _weight(line: str) -> int:
    """How bad a difference is, for ordering: the first word of _WORST the line holds."""
    return next((i for i, word in enumerate(_WORST) if word in line), len(_WORST))


@dataclass
class _Grouped:
    """Losses of one kind in one tab, named by cell or row, said in one line with the first
    one's details."""

    found: dict[tuple[str, str], list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, tab: str, what: str, where: str, detail: str = "") -> None:
        self.found[(tab, what)].append((where, detail))

    def lines(self) -> Iterator[str]:
        for (tab, what), places in self.found.items():
            first, detail = places[0]
            detail = f" ({detail})" if detail else ""
            if len(places) == 1:
                yield f"{tab}!{first}: {what}{detail}"
                continue
            shown = ", ".join(where for where, _ in places[:_EXAMPLES])
            more = f" and {len(places) - _EXAMPLES} more" if len(places) > _EXAMPLES else ""
            kind = "rows" if first.startswith("row ") else "cells"
            example = f"; {first}{detail}" if detail else ""
            yield f"{tab}: {what} in {len(places)} {kind}: {shown}{more}{example}"


def compare(
    before: Path, after: Path, *, may_remove_rows: bool = False, named: Iterable[str] = ()
) -> Result:
    """Everything the run that turned `before` into `after` lost or changed beyond its
    business; `may_remove_rows` for `purge --apply`, whose removed rows must carry an ID in
    `named` (the IDs its output listed)."""
    b, a = Package(before), Package(after)
    result = Result(tabs=sorted(b.tabs, key=len, reverse=True))
    grouped = _Grouped()
    exempt: set[str] = set()
    moved: dict[str, list[int]] = {}

    for title, part in b.tabs.items():
        if title not in a.tabs:
            result.losses.append(f"tab {title} missing ({part})")
            continue
        same = b.entries.get(part) == a.entries.get(a.tabs[title])
        exempt.add(part)
        if same:
            continue
        tab = match_tab(title)
        if tab is not None:
            result.written_tabs.append(title)
        removed = _compare_sheet(b, a, title, grouped, result, may_remove_rows, set(named))
        if tab is None:
            result.losses.insert(0, f"{part} (tab {title}, not the tool's) changed")
        if removed:
            moved[title] = removed
            result.removed_rows[title] = removed
            # That tab's comments and drawings move with its rows: checked below by content.
            for kind in ("comments", "vmlDrawing", "drawing"):
                exempt.update(b.related(part, kind))
    for title in a.tabs:
        if title not in b.tabs:
            result.losses.append(f"tab {title} added")
    exempt.update(a.tabs.values())

    for name, data in b.entries.items():
        if name in exempt:
            continue
        if name not in a.entries:
            result.losses.append(f"{name} missing")
        elif a.entries[name] != data:
            result.losses.extend(_changed_part(b, a, name, result))
    for name in a.entries:
        if name not in b.entries and name not in exempt:
            result.losses.append(f"{name} added")

    result.losses.extend(grouped.lines())
    result.losses.extend(_people_things(b, a, moved))
    return result


def _changed_part(b: Package, a: Package, name: str, result: Result) -> list[str]:
    if name == WORKBOOK:
        old, new = b.xml(name), etree.fromstring(a.entries[name], _PARSER)
        calc = new.find(q("calcPr"))
        if calc is not None and calc.get("fullCalcOnLoad") in ("1", "true"):
            del calc.attrib["fullCalcOnLoad"]
            if not calc.attrib and old.find(q("calcPr")) is None:
                new.remove(calc)
            if c14n(old) == c14n(new):
                result.notes.append("xl/workbook.xml gained calcPr fullCalcOnLoad")
                return []
        return [f"{name} changed", *_element_diff(old, new, "workbook")]
    lines = [f"{name} changed"]
    if name.endswith(".xml") or name.endswith(".rels"):
        try:
            old, new = b.xml(name), a.xml(name)
        except etree.XMLSyntaxError:
            return lines
        if c14n(old) == c14n(new):
            lines[0] += " (same XML, other bytes)"
        elif name.endswith(".rels"):
            folder = posixpath.dirname(posixpath.dirname(name))
            was, now = _relations(old, folder), _relations(new, folder)
            lines += [f"{name}: relationship {r} lost" for r in sorted(was - now)]
            lines += [f"{name}: relationship {r} added" for r in sorted(now - was)]
    return lines


def _relations(root: Any, folder: str) -> set[str]:
    found = set()
    for rel in root.iter(q("Relationship", PACKAGE_RELS)):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            target = posixpath.normpath(target)
        found.add(f"{rel.get('Type', '').rsplit('/', 1)[-1]} → {target}")
    return found


def _describe(element: Any) -> str:
    keys = (
        "ref",
        "sqref",
        "name",
        "Id",
        "Target",
        "type",
        "state",
        "topLeftCell",
        "min",
        "max",
        "width",
    )
    attrs = " ".join(f'{local(k)}="{v}"' for k, v in element.attrib.items() if local(k) in keys)
    text = (element.text or "").strip()
    shown = f"<{local(element.tag)}{' ' + attrs if attrs else ''}>" + (f"{text}" if text else "")
    return shown[:160]


_SKIP = ("sheetData", "dimension")


def _element_diff(old: Any, new: Any, where: str) -> list[str]:
    """The children of two elements that differ, named by tag and key attributes: lost,
    changed (paired by tag) or added."""
    olds = [c for c in old if isinstance(c.tag, str) and local(c.tag) not in _SKIP]
    news = [c for c in new if isinstance(c.tag, str) and local(c.tag) not in _SKIP]
    remaining = Counter(c14n(c) for c in news)
    lost = []
    for child in olds:
        key = c14n(child)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            lost.append(child)
    gained = []
    for child in news:
        key = c14n(child)
        if remaining[key] > 0:
            remaining[key] -= 1
            gained.append(child)
    lines, same_meaning = [], []
    for child in lost:
        # The same element changed: the one with the same tag and key (a col's min and max,
        # a range's ref), else the first with the same tag when neither has a key.
        partner = next((g for g in gained if _key(g) == _key(child)), None)
        if partner is None:
            lines.append(f"{where}: {_describe(child)} lost")
            continue
        gained.remove(partner)
        if _meaning(child) == _meaning(partner):
            same_meaning.append(local(child.tag))
            continue
        changes = _attr_changes(child, partner)
        inner = _element_diff(child, partner, f"{where} {local(child.tag)}")
        if changes or not inner:
            lines.append(
                f"{where}: {_describe(child)} changed" + (f": {changes}" if changes else "")
            )
        lines += inner
    lines += [f"{where}: {_describe(child)} added" for child in gained]
    if same_meaning:
        lines.append(f"{where}: rewritten with the same meaning: {', '.join(same_meaning)}")
    return lines


def _meaning(element: Any) -> tuple[Any, ...]:
    """An element as a reader understands it: default values ("false", "0") as if absent,
    "true" as "1", attributes in any order."""
    return (
        local(element.tag),
        tuple(sorted(_norm(element.attrib).items())),
        (element.text or "").strip(),
        tuple(_meaning(c) for c in element if isinstance(c.tag, str)),
    )


_KEYS = ("ref", "sqref", "name", "min", "max", "r", "Id")


def _key(element: Any) -> tuple[str, ...]:
    return (local(element.tag), *(f"{k}={element.get(k)}" for k in _KEYS if element.get(k)))


def _attr_changes(old: Any, new: Any) -> str:
    """The attributes that differ in meaning (see _norm), as "name old→new"."""
    was, now = _norm(old.attrib), _norm(new.attrib)
    changes = [
        f"{k} {was.get(k, '-')}→{now.get(k, '-')}"
        for k in sorted(set(was) | set(now))
        if was.get(k) != now.get(k)
    ]
    if (old.text or "").strip() != (new.text or "").strip():
        changes.append(f"text {(old.text or '').strip()[:60]!r}→{(new.text or '').strip()[:60]!r}")
    return ", ".join(changes)[:300]


# ---------------------------------------------------------------------------------------------
# One tab
# ---------------------------------------------------------------------------------------------


def _owned_columns(title: str, header: Mapping[int, Cell]) -> dict[int, Owner]:
    """The columns of a tab the tool may write, by 1-based index: SCRIPT and FILL ones."""
    tab = match_tab(title)
    if tab is None:
        return {}
    owned = {}
    for col, cell in header.items():
        text = cell.value[1] if cell.value else ""
        column = match_column(tab, text) if text else None
        if column is not None and column.owner is not Owner.HUMAN:
            owned[col] = column.owner
    return owned


def _signature(row: Row | None, owned: Mapping[int, Owner]) -> tuple[Any, ...]:
    if row is None:
        return ()
    return tuple(
        (col, cell.value, cell.formula)
        for col, cell in sorted(row.cells.items())
        if col not in owned and not cell.blank
    )


def _align(
    old: dict[int, Row], new: dict[int, Row], owned: Mapping[int, Owner]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs (old row, new row), old rows gone, new rows added: matched by people's cells
    (the cells of columns the tool does not write), so rows removed above others show."""
    top = max([*old, *new, 1])
    old_sig = [_signature(old.get(r), owned) for r in range(1, top + 1)]
    new_sig = [_signature(new.get(r), owned) for r in range(1, top + 1)]
    matcher = difflib.SequenceMatcher(None, old_sig, new_sig, autojunk=False)
    pairs, gone, added = [], [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        n = min(i2 - i1, j2 - j1) if op in ("equal", "replace") else 0
        pairs += [(i1 + k + 1, j1 + k + 1) for k in range(n)]
        gone += list(range(i1 + n + 1, i2 + 1))
        added += list(range(j1 + n + 1, j2 + 1))
    return pairs, gone, added


def _compare_sheet(
    b: Package,
    a: Package,
    title: str,
    grouped: _Grouped,
    result: Result,
    may_remove_rows: bool,
    named: set[str],
) -> list[int]:
    """Compare one tab's worksheet part; returns the rows the run removed from it."""
    old_part, new_part = b.tabs[title], a.tabs[title]
    old_rows, new_rows = b.rows(old_part), a.rows(new_part)
    header = old_rows.get(1, Row({})).cells
    owned = _owned_columns(title, header)
    key_col = next(
        (c for c, cell in header.items() if cell.value and cell.value[1] in ("ID", "Nyckeltal")),
        None,
    )
    pairs, gone, added = _align(old_rows, new_rows, owned)
    removed = []
    for r in gone:
        row = old_rows.get(r)
        if row is None or (not row.attrs and all(c.blank for c in row.cells.values())):
            # An empty row with nothing set: nothing to lose.
            pairs.append((r, 0))
            continue
        key = row.cells.get(key_col) if key_col else None
        label = key.value[1] if key and key.value else ""
        if may_remove_rows and owned and r > 1 and label in named:
            removed.append(r)
            continue
        why = "removed" + (f" ({label})" if label else "")
        if may_remove_rows and owned and label and label not in named:
            why += ", a row the run did not name"
        grouped.add(title, why, f"row {r}")
    if removed:
        result.notes.append(f"{title}: rows {', '.join(map(str, removed))} removed by the run")
    written = result.written_cells.setdefault(title, [])
    for r, n in pairs:
        old = old_rows.get(r, Row({}))
        new = new_rows.get(n, Row({})) if n else Row({})
        if old.attrs != new.attrs and (n or old.attrs):
            for what in _row_changes(old.attrs, new.attrs):
                grouped.add(title, what, f"row {r}")
        for col in sorted(set(old.cells) | set(new.cells)):
            was = old.cells.get(col)
            now = new.cells.get(col)
            if was == now:
                continue
            ref = f"{get_column_letter(col)}{r}"
            if r > 1 and _tool_wrote(owned.get(col), was, now):
                written.append(ref)
                continue
            for what, detail in _cell_changes(was, now):
                grouped.add(title, what, ref, detail)
    for n in added:
        row = new_rows.get(n, Row({}))
        for col, cell in sorted(row.cells.items()):
            ref = f"{get_column_letter(col)}{n}"
            if col in owned and n > 1:
                written.append(f"{ref} (new row)")
            elif not cell.blank:
                grouped.add(title, "written by the tool outside its columns (new row)", ref)
    _compare_outside(b, a, title, sorted(removed), result)
    return sorted(removed)


def _tool_wrote(owner: Owner | None, was: Cell | None, now: Cell | None) -> bool:
    """Whether a cell's change is the tool's writing: a new value in a column it owns, or in
    an empty cell of a column it fills. A cell whose value stayed and whose format changed
    was not written by the tool, whoever owns its column."""
    old_value = None if was is None else (was.value, was.formula)
    new_value = None if now is None else (now.value, now.formula)
    if old_value == new_value or now is None or now.blank:
        return False
    if owner is Owner.SCRIPT:
        return True
    return owner is Owner.FILL and (was is None or was.blank)


def _row_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    changes = []
    old, new = dict(old), dict(new)
    if "customHeight" in new and "customHeight" not in old:
        changes.append(f"row height fixed at {new.get('ht')} (was automatic)")
        for name in ("customHeight", "ht"):
            old.pop(name, None)
            new.pop(name, None)
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            label = {"ht": "height", "hidden": "hidden", "s": "style"}.get(name, name)
            changes.append(f"row {label} {old.get(name, '-')} → {new.get(name, '-')}")
    return changes


def _show(value: tuple[str, str] | None) -> str:
    if value is None:
        return "nothing"
    text = value[1] if len(value[1]) < 40 else value[1][:37] + "..."
    return repr(text)


def _cell_changes(was: Cell | None, now: Cell | None) -> list[tuple[str, str]]:
    """What changed in a cell: (kind of change, the values before and after)."""
    if was is None:
        assert now is not None
        if now.blank:
            return [("empty cell with a format added", "")]
        return [("written by the tool outside its columns", _show(now.value or now.cached))]
    if now is None:
        if was.blank:
            return [("format of an empty cell lost", "")]
        return [("cell lost", f"was {was.formula or _show(was.value)}")]
    changes = []
    if was.formula != now.formula:
        what = "formula lost" if now.formula is None else "formula changed"
        changes.append((what, f"{was.formula} → {now.formula or _show(now.value)}"))
    elif was.cached != now.cached:
        what = "cached value dropped" if now.cached is None else "cached value changed"
        changes.append((what, f"was {_show(was.cached)}"))
    if was.value != now.value and was.formula == now.formula:
        changes.append(("value changed", f"{_show(was.value)} → {_show(now.value)}"))
    if was.style != now.style:
        parts = [
            f"{o} → {n.split(' ', 1)[-1]}"
            for o, n in zip(was.style, now.style, strict=False)
            if o != n
        ]
        kinds = ", ".join(
            o.split(" ", 1)[0] for o, n in zip(was.style, now.style, strict=False) if o != n
        )
        changes.append((f"style changed ({kinds or 'all'})", "; ".join(parts)[:200]))
    return changes


_OUTSIDE_LINES = 8
"""How many differences outside the cells a message shows per tab."""


def _compare_outside(
    b: Package, a: Package, title: str, removed: list[int], result: Result
) -> None:
    """Everything of a worksheet part outside sheetData, as canonical XML; with rows removed,
    the references moved past them first. A column's style is compared as what it stands
    for in each file's styles.xml."""
    old, new = b.xml(b.tabs[title]), a.xml(a.tabs[title])
    b_styles, a_styles = b.styles, a.styles
    if removed:
        moved = etree.Element("x")
        for child in old:
            if not isinstance(child.tag, str) or local(child.tag) in _SKIP:
                continue
            shifted, unchanged_ok = _shifted_copy(child, removed)
            partner = [c for c in new if isinstance(c.tag, str) and c14n(c) == c14n(child)]
            # A range reaching past the removed rows may keep its old end.
            keep = child if partner and unchanged_ok else shifted
            moved.append(etree.fromstring(etree.tostring(keep)))
        old = moved
    old, new = _named_styles(old, b_styles), _named_styles(new, a_styles)
    lines = []
    if (
        _rules(old) == _rules(new)
        and _rules(old)
        and [c14n(c) for c in _formats(old)] != [c14n(c) for c in _formats(new)]
    ):
        # The same rules on the same ranges, grouped or numbered otherwise.
        lines.append(f"{title}: conditional formats rewritten with the same rules (regrouped)")
        old, new = _without_formats(old), _without_formats(new)
    lines += _element_diff(old, new, title)
    if len(lines) > _OUTSIDE_LINES:
        rest = len(lines) - _OUTSIDE_LINES
        lines = [*lines[:_OUTSIDE_LINES], f"{title}: {rest} more differences outside the cells"]
    result.losses.extend(lines)


def _named_styles(root: Any, styles: list[tuple[str, ...]]) -> Any:
    """A copy of a worksheet root whose columns name their style by what it stands for."""
    copy = etree.fromstring(etree.tostring(root))
    for col in copy.iter(q("col")):
        index = int(col.get("style") or 0)
        if index < len(styles):
            resolved = "|".join(styles[index]).encode()
            col.set("style", "style " + hashlib.sha256(resolved).hexdigest()[:8])
    return copy


def _formats(root: Any) -> list[Any]:
    return [c for c in root if isinstance(c.tag, str) and local(c.tag) == "conditionalFormatting"]


def _rules(root: Any) -> Counter[tuple[Any, ...]]:
    """Each conditional-format rule with the range it colours, its priority aside."""
    found: Counter[tuple[Any, ...]] = Counter()
    for element in _formats(root):
        for rule in element:
            meaning = _meaning(rule)
            attrs = tuple(kv for kv in meaning[1] if kv[0] != "priority")
            found[(element.get("sqref"), meaning[0], attrs, meaning[2], meaning[3])] += 1
    return found


def _without_formats(root: Any) -> Any:
    copy = etree.fromstring(etree.tostring(root))
    for element in _formats(copy):
        copy.remove(element)
    return copy


# ---------------------------------------------------------------------------------------------
# What people see: charts, pictures, comments, names, hidden tabs
# ---------------------------------------------------------------------------------------------


def _inventory(pkg: Package, moved: Mapping[str, list[int]]) -> Counter[str]:
    """Everything people placed around the cells, one line each, rows moved past removed ones."""
    found: Counter[str] = Counter()
    for title, state in pkg.tab_states.items():
        if state != "visible":
            found[f"tab {title} {state}"] += 1
    for name, value in pkg.defined_names.items():
        found[f"defined name {name} = {value}"] += 1
    for title, part in pkg.tabs.items():
        if part not in pkg.entries:
            continue
        removed = moved.get(title, [])
        for comments in pkg.related(part, "comments"):
            root = pkg.xml(comments)
            authors = [a.text or "" for a in root.iter(q("author"))]
            for comment in root.iter(q("comment")):
                ref, _ = shift_ref(comment.get("ref", ""), removed)
                if not ref:
                    continue  # removed with its row
                author = int(comment.get("authorId") or 0)
                text = "".join(t.text or "" for t in comment.iter(q("t")))
                who = authors[author] if author < len(authors) else "?"
                found[f"{title}!{ref}: comment by {who}: {text!r}"] += 1
        for vml in pkg.related(part, "vmlDrawing"):
            root = pkg.xml(vml, _VML_PARSER)
            for data in root.iter(q("ClientData", VML_EXCEL)):
                row, col = data.findtext(q("Row", VML_EXCEL)), data.findtext(q("Column", VML_EXCEL))
                if row is not None and col is not None:
                    moved_row = rows_after(int(row) + 1, int(row) + 1, removed)
                    if moved_row is None:
                        continue  # removed with its row
                    where = f"{get_column_letter(int(col) + 1)}{moved_row[0]}"
                    found[f"{title}!{where}: comment box (VML)"] += 1
        for drawing in pkg.related(part, "drawing"):
            targets = pkg.rels(drawing)
            for anchor in pkg.xml(drawing):
                found[f"{title}: {_anchored(pkg, anchor, targets, removed)}"] += 1
    return found


def _anchored(
    pkg: Package, anchor: Any, targets: Mapping[str, tuple[str, str]], removed: list[int]
) -> str:
    places = []
    for end in ("from", "to"):
        point = anchor.find(q(end, DRAWING))
        if point is not None:
            col = int(point.findtext(q("col", DRAWING)) or 0)
            row = int(point.findtext(q("row", DRAWING)) or 0) + 1
            moved = rows_after(row, row, removed)
            places.append(f"{get_column_letter(col + 1)}{moved[0] if moved else '?'}")
    where = ":".join(places) or "absolute"
    for blip in anchor.iter(q("blip", DRAWING_MAIN)):
        media = targets.get(blip.get(q("embed", REL), ""), ("", ""))[1]
        digest = hashlib.sha256(pkg.entries.get(media, b"")).hexdigest()[:12]
        return f"picture at {where} ({media}, sha256 {digest})"
    for chart in anchor.iter(q("chart", CHART)):
        part = targets.get(chart.get(q("id", REL), ""), ("", ""))[1]
        if part not in pkg.entries:
            return f"chart at {where} (part {part} missing)"
        root = pkg.xml(part)
        title = "".join(t.text or "" for t in root.iter(q("t", DRAWING_MAIN)))
        series = ", ".join(f.text or "" for f in root.iter(q("f", CHART)))
        return f"chart {title!r} at {where} over {series}"
    return f"{local(anchor.tag)} at {where}"


def _people_things(b: Package, a: Package, moved: Mapping[str, list[int]]) -> list[str]:
    old, new = _inventory(b, moved), _inventory(a, {})
    lines = [f"lost: {thing}" for thing in sorted((old - new).elements())]
    lines += [f"appeared: {thing}" for thing in sorted((new - old).elements())]
    return lines


def feature_parts(path: Path) -> dict[str, list[str]]:
    """What a workbook holds of each feature the suite checks, found in its zip parts, so
    that a test can show the workbook really has them."""
    pkg = Package(path)
    sheets = {title: pkg.entries[part].decode("utf-8") for title, part in pkg.tabs.items()}
    names = list(pkg.entries)

    def tabs_with(pattern: str) -> list[str]:
        return [t for t, xml in sheets.items() if re.search(pattern, xml)]

    return {
        "picture (xl/media/*)": [n for n in names if n.startswith("xl/media/")],
        "chart (xl/charts/*)": [n for n in names if n.startswith("xl/charts/chart")],
        "comments (xl/comments*.xml)": [n for n in names if re.match(r"xl/comments\d*\.xml$", n)],
        "merged cells": tabs_with(r"<mergeCell "),
        "conditional formats": tabs_with(r"<conditionalFormatting"),
        "dropdowns (data validation)": tabs_with(r"<dataValidation "),
        "defined names": list(pkg.defined_names),
        "hidden rows": tabs_with(r'<row [^>]*hidden="(1|true)"'),
        "hidden columns": tabs_with(r'<col [^>]*hidden="(1|true)"'),
        "hidden tab": [t for t, s in pkg.tab_states.items() if s != "visible"],
        "custom row heights": tabs_with(r'<row [^>]*customHeight="(1|true)"'),
        "frozen panes": tabs_with(r'<pane [^>]*state="frozen"'),
        "formulas with cached values": tabs_with(r"<f[ >][^<]*</f><v>[^<]+</v>"),
        "date cells": tabs_with(r'<c r="[A-Z]+\d+" s="\d+" t="n"><v>4\d{4}\.\d+</v>'),
    }
