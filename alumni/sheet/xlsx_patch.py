"""Writes a plan into an .xlsx by rewriting only the sheet parts it touches, copying the rest."""

from __future__ import annotations

import posixpath
import re
import zipfile
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from lxml import etree
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter

from alumni.sheet.plan import Plan
from alumni.sheet.workbook import Value

Element = Any
"""An lxml element (lxml ships no type information mypy reads here)."""

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"

# Excel's grid; openpyxl refuses cells beyond it too.
_MAX_ROW = 1_048_576
_MAX_COL = 16_384

# A formula anywhere in a sheet part; an `xm:f` in an extension matches too, which only
# costs a recalculation Excel would not have needed.
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f[\s/>]")

# CT_Workbook children that come after calcPr: a new calcPr goes before the first of them.
_AFTER_CALC_PR = {
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
}


class CannotPatch(Exception):
    """The plan asks for something this writer will not do; openpyxl's path has to write it."""


@dataclass(frozen=True)
class _Area:
    """A rectangle of cells, 1-based and inclusive, that writes must not enter."""

    top: int
    left: int
    bottom: int
    right: int
    what: str
    top_left_ok: bool = False

    def holds(self, row: int, col: int) -> bool:
        if not (self.top <= row <= self.bottom and self.left <= col <= self.right):
            return False
        return not (self.top_left_ok and row == self.top and col == self.left)


def patch_workbook(src: Path | IO[bytes], dst: Path, plan: Plan) -> None:
    """Write `plan` into the workbook at `src` (a path, or its bytes as a binary file),
    giving the new workbook at `dst`.

    Only the worksheet parts the plan writes in are parsed and rewritten; every other zip
    entry keeps its bytes, name, order and compression. Two small exceptions, both to keep
    Excel from showing or reading something wrong: a formula the plan overwrites leaves
    xl/calcChain.xml (and when that empties the chain, the part goes), and a workbook with
    formulas gets `fullCalcOnLoad` so that results depending on the written cells are fresh.
    Raises CannotPatch, before writing anything, where the plan needs openpyxl's path.
    """
    if plan.new_sheets:
        raise CannotPatch(f"the plan creates tabs ({', '.join(plan.new_sheets)})")
    deleting = [title for title, rows in plan.deletions.items() if rows]
    if deleting:
        raise CannotPatch(f"the plan deletes rows in {', '.join(deleting)}")
    targets = _targets(plan)
    with zipfile.ZipFile(src) as zin:
        infos = zin.infolist()
        contents = {info.filename: zin.read(info) for info in infos}
        comment = zin.comment
    package = _Package(contents)
    book = _Book(package)
    replaced: dict[str, bytes] = {}
    removed: set[str] = set()
    cleared: set[tuple[str, str]] = set()
    for title, rows in targets.items():
        part, sheet_id = book.worksheet(title)
        sheet = _Sheet(title, package.get(part), _table_headers(package, part))
        for ref in sheet.write(rows):
            cleared.add((sheet_id, ref))
        if sheet.changed:
            replaced[part] = sheet.to_bytes()
    if cleared and book.calc_chain is not None:
        chain = _drop_from_calc_chain(package.get(book.calc_chain), cleared)
        if chain is None:
            removed.add(book.calc_chain)
            replaced.update(book.without_calc_chain())
        else:
            replaced[book.calc_chain] = chain
    if replaced and book.needs_recalculation():
        replaced[book.part] = book.with_full_calc_on_load()
    try:
        with zipfile.ZipFile(dst, "w") as zout:
            zout.comment = comment
            for info in infos:
                if info.filename not in removed:
                    data = replaced.get(info.filename, contents[info.filename])
                    zout.writestr(_same_entry(info), data)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise


def _targets(plan: Plan) -> dict[str, dict[int, dict[int, Value]]]:
    """Tab → 1-based row → 1-based column → value, in the order openpyxl's path writes them:
    writes, then appends; a later value for the same cell replaces an earlier one."""
    targets: dict[str, dict[int, dict[int, Value]]] = {}

    def put(title: str, row: int, col: int, value: Value) -> None:
        if not (0 <= row < _MAX_ROW and 0 <= col < _MAX_COL):
            raise ValueError(f"tab '{title}': row {row}, column {col} lies outside the grid")
        if isinstance(value, bool) or not isinstance(value, str | int | float | None):
            where = _cell_name(row + 1, col + 1)
            raise TypeError(f"tab '{title}', cell {where}: {value!r} is not a Value")
        targets.setdefault(title, {}).setdefault(row + 1, {})[col + 1] = value

    for w in plan.writes:
        put(w.title, w.row, w.col, w.value)
    for title, rows in plan.appends.items():
        start = plan.first_row[title]
        for offset, values in enumerate(rows):
            for col, value in enumerate(values):
                if value is not None:
                    put(title, start + offset, col, value)
    return targets


# -- the package ---------------------------------------------------------------------------


class _Package:
    """The zip's parts by name, found the way OPC names them (case-blind, %-escaped)."""

    def __init__(self, contents: dict[str, bytes]) -> None:
        self.contents = contents
        self._folded = {name.casefold(): name for name in contents}

    def find(self, part: str) -> str | None:
        for name in (part, unquote(part)):
            found = self._folded.get(name.casefold())
            if found is not None:
                return found
        return None

    def get(self, part: str) -> bytes:
        return self.contents[part]

    def relationships(self, part: str) -> tuple[str | None, list[Element]]:
        """The rels part of `part` and its Relationship elements (none if it has no rels)."""
        folder, name = posixpath.split(part)
        rels = self.find(posixpath.join(folder, "_rels", name + ".rels"))
        if rels is None:
            return None, []
        root = _parse(self.get(rels))
        return rels, list(root.iterchildren(f"{{{_PACKAGE_RELS}}}Relationship"))

    def target(self, source: str, rel: Element) -> str | None:
        """The zip entry a relationship of `source` points at, if it is in the package."""
        if rel.get("TargetMode") == "External":
            return None
        target = rel.get("Target", "")
        if target.startswith("/"):
            name = target[1:]
        else:
            name = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        return self.find(name)


def _kind(rel: Element) -> str:
    """The last word of a relationship type, the same in transitional and strict OOXML."""
    return str(rel.get("Type", "")).rsplit("/", 1)[-1]


class _Book:
    """The workbook part: which sheet part each tab is, and where the calculation chain is."""

    def __init__(self, package: _Package) -> None:
        self.package = package
        _, top = package.relationships("")
        main = next((package.target("", r) for r in top if _kind(r) == "officeDocument"), None)
        part = main or package.find("xl/workbook.xml")
        if part is None:
            raise CannotPatch("the file has no workbook part")
        self.part = part
        self.root = _parse(package.get(part))
        self.ns = etree.QName(self.root).namespace
        self.rels_part, self.rels = package.relationships(part)
        by_id = {r.get("Id"): r for r in self.rels}
        self.sheets: dict[str, tuple[Element, Element | None]] = {}
        found = self.root.find(f"{{{self.ns}}}sheets")
        for sheet in found.iterchildren(f"{{{self.ns}}}sheet") if found is not None else ():
            rid = next(
                (v for k, v in sheet.attrib.items() if etree.QName(k).localname == "id"), None
            )
            self.sheets[sheet.get("name", "")] = (sheet, by_id.get(rid))
        chain = next((r for r in self.rels if _kind(r) == "calcChain"), None)
        self.calc_chain_rel = chain
        self.calc_chain = package.target(part, chain) if chain is not None else None

    def worksheet(self, title: str) -> tuple[str, str]:
        """The part and sheetId of the tab `title`."""
        if title not in self.sheets:
            raise CannotPatch(f"the workbook has no tab named '{title}'")
        sheet, rel = self.sheets[title]
        if rel is None or _kind(rel) != "worksheet":
            raise CannotPatch(f"the tab '{title}' is not a worksheet")
        part = self.package.target(self.part, rel)
        if part is None:
            raise CannotPatch(f"the tab '{title}' has no sheet part in the file")
        return part, sheet.get("sheetId", "")

    def needs_recalculation(self) -> bool:
        # Excel trusts cached formula results in a file it saved itself: without this flag a
        # formula reading a written cell would show its old result until something recalcs.
        calc = self.root.find(f"{{{self.ns}}}calcPr")
        if calc is not None and calc.get("fullCalcOnLoad") in ("1", "true"):
            return False
        if self.calc_chain is not None:
            return True
        parts = (
            self.package.target(self.part, rel)
            for _, rel in self.sheets.values()
            if rel is not None
        )
        return any(_FORMULA.search(self.package.get(p)) for p in parts if p is not None)

    def with_full_calc_on_load(self) -> bytes:
        calc = self.root.find(f"{{{self.ns}}}calcPr")
        if calc is None:
            calc = self.root.makeelement(f"{{{self.ns}}}calcPr")
            after = next(
                (c for c in self.root if _local(c) in _AFTER_CALC_PR),
                None,
            )
            if after is None:
                self.root.append(calc)
            else:
                after.addprevious(calc)
        calc.set("fullCalcOnLoad", "1")
        return _serialise(self.root, self.package.get(self.part))

    def without_calc_chain(self) -> dict[str, bytes]:
        """The workbook's rels and the content types with the calculation chain left out."""
        assert self.calc_chain_rel is not None and self.calc_chain is not None
        changed: dict[str, bytes] = {}
        if self.rels_part is not None:
            rels_root = self.calc_chain_rel.getparent()
            rels_root.remove(self.calc_chain_rel)
            changed[self.rels_part] = _serialise(rels_root, self.package.get(self.rels_part))
        types_part = self.package.find("[Content_Types].xml")
        if types_part is not None:
            types = _parse(self.package.get(types_part))
            name = "/" + self.calc_chain.casefold()
            for override in types.iterchildren(f"{{{_CONTENT_TYPES}}}Override"):
                if unquote(override.get("PartName", "")).casefold() == name:
                    types.remove(override)
            changed[types_part] = _serialise(types, self.package.get(types_part))
        return changed


def _table_headers(package: _Package, part: str) -> list[_Area]:
    """The header rows of the tables on a sheet: Excel repairs a file whose table column
    names differ from the header cells, and the patch writes no table parts."""
    areas: list[_Area] = []
    _, rels = package.relationships(part)
    for rel in rels:
        if _kind(rel) != "table":
            continue
        target = package.target(part, rel)
        if target is None:
            continue
        table = _parse(package.get(target))
        if table.get("headerRowCount", "1") == "0":
            continue
        box = _range(table.get("ref", ""))
        if box is None:
            continue
        top, left, _, right = box
        name = table.get("displayName") or table.get("name") or "?"
        areas.append(_Area(top, left, top, right, f"is a header of the table '{name}'"))
    return areas


# -- a sheet part --------------------------------------------------------------------------


class _Sheet:
    """One worksheet part, parsed, with its rows found by number."""

    def __init__(self, title: str, data: bytes, tables: list[_Area]) -> None:
        self.title = title
        self.data = data
        self.root = _parse(data)
        self.ns = ns = etree.QName(self.root).namespace
        self.q_row, self.q_c, self.q_f = f"{{{ns}}}row", f"{{{ns}}}c", f"{{{ns}}}f"
        self.q_v, self.q_is, self.q_t = f"{{{ns}}}v", f"{{{ns}}}is", f"{{{ns}}}t"
        sheet_data = self.root.find(f"{{{ns}}}sheetData")
        if sheet_data is None:
            raise CannotPatch(f"the tab '{title}' has no sheetData")
        self.sheet_data = sheet_data
        self.had_cells = next(sheet_data.iter(self.q_c), None) is not None
        self.rows: dict[int, Element] = {}
        previous = 0
        for row in sheet_data.iterchildren(self.q_row):
            # `r` may be left out, meaning "the next row": spelt out, a row inserted before
            # this one cannot renumber it.
            given = row.get("r")
            number = int(given) if given else previous + 1
            if not given:
                row.set("r", str(number))
            self.rows[number] = row
            previous = number
        self.numbers = sorted(self.rows)
        self.areas = [*tables, *self._merged(), *self._formula_areas()]
        self.bounds: list[int] | None = None
        self.changed = False
        self._column_styles: dict[int, str | None] = {}
        self._cols: list[tuple[int, int, str]] | None = None

    def _merged(self) -> Iterator[_Area]:
        merges = self.root.find(f"{{{self.ns}}}mergeCells")
        for merge in merges.iterchildren(f"{{{self.ns}}}mergeCell") if merges is not None else ():
            box = _range(merge.get("ref", ""))
            if box is not None:
                what = f"lies inside the merged range {merge.get('ref')}"
                yield _Area(*box, what, top_left_ok=True)

    def _formula_areas(self) -> Iterator[_Area]:
        # One pass over the formulas of the part, not one per written cell.
        for f in self.sheet_data.iter(self.q_f):
            kind = f.get("t")
            if kind in ("array", "dataTable"):
                box = _range(f.get("ref", ""))
                if box is not None:
                    name = "an array formula" if kind == "array" else "a data table"
                    yield _Area(*box, f"is part of {name} ({f.get('ref')})")

    def write(self, rows: dict[int, dict[int, Value]]) -> list[str]:
        """Write the values; the references of the cells whose formula was replaced."""
        cleared: list[str] = []
        low = min((a.top for a in self.areas), default=0)
        high = max((a.bottom for a in self.areas), default=-1)
        for number in sorted(rows):
            if low <= number <= high:
                areas = [a for a in self.areas if a.top <= number <= a.bottom]
                for col in rows[number]:
                    for area in areas:
                        if area.holds(number, col):
                            self._refuse(number, col, area.what)
            cleared.extend(self._write_row(number, rows[number]))
        return cleared

    def _refuse(self, row: int, col: int, why: str) -> None:
        raise CannotPatch(f"tab '{self.title}', cell {_cell_name(row, col)}: {why}")

    def _write_row(self, number: int, values: dict[int, Value]) -> list[str]:
        row = self.rows.get(number)
        if row is None:
            if all(v is None for v in values.values()):
                return []  # nothing there to clear
            row = self._new_row(number)
        columns: list[int] = []
        cells: list[Element] = []
        previous = 0
        for cell in row.iterchildren(self.q_c):
            given = cell.get("r")
            col = _column(given) if given else previous + 1
            if not given:
                cell.set("r", _cell_name(number, col))
            columns.append(col)
            cells.append(cell)
            previous = col
        cleared: list[str] = []
        for col in sorted(values):
            value = values[col]
            at = bisect_left(columns, col)
            if at < len(columns) and columns[at] == col:
                cell = cells[at]
                if self._put(cell, value, number, col):
                    cleared.append(_cell_name(number, col))
            elif value is not None:
                cell = self._new_cell(row, number, col)
                if at < len(cells):
                    cells[at].addprevious(cell)
                else:
                    tail = row.find(f"{{{self.ns}}}extLst")
                    if tail is None:
                        row.append(cell)
                    else:
                        tail.addprevious(cell)
                columns.insert(at, col)
                cells.insert(at, cell)
                self._widen_spans(row, col)
                self._put(cell, value, number, col)
            else:
                continue
            self.changed = True
            self._grow(number, col)
        return cleared

    def _new_row(self, number: int) -> Element:
        row = self.sheet_data.makeelement(self.q_row, {"r": str(number)})
        at = bisect_left(self.numbers, number)
        if at < len(self.numbers):
            self.rows[self.numbers[at]].addprevious(row)
        else:
            self.sheet_data.append(row)
        self.numbers.insert(at, number)
        self.rows[number] = row
        return row

    def _new_cell(self, row: Element, number: int, col: int) -> Element:
        cell = row.makeelement(self.q_c, {"r": _cell_name(number, col)})
        # What Excel gives a cell typed into a formatted row, else a formatted column.
        style = row.get("s") if row.get("customFormat") in ("1", "true") else None
        if style is None:
            style = self._column_style(col)
        if style not in (None, "", "0"):
            cell.set("s", style)
        return cell

    def _column_style(self, col: int) -> str | None:
        if col not in self._column_styles:
            if self._cols is None:
                self._cols = [
                    (int(c.get("min", "0")), int(c.get("max", "0")), c.get("style", ""))
                    for cols in self.root.iterchildren(f"{{{self.ns}}}cols")
                    for c in cols.iterchildren(f"{{{self.ns}}}col")
                ]
            self._column_styles[col] = next(
                (style for low, high, style in self._cols if low <= col <= high and style),
                None,
            )
        return self._column_styles[col]

    def _widen_spans(self, row: Element, col: int) -> None:
        # `spans` is only a hint, but one that leaves out a cell may mislead a reader.
        spans = row.get("spans")
        if not spans:
            return
        try:
            pairs = [(int(low), int(high)) for low, _, high in map(_split_span, spans.split())]
        except ValueError:
            return  # not ours to repair
        if pairs and not any(low <= col <= high for low, high in pairs):
            low = min(col, *(p[0] for p in pairs))
            high = max(col, *(p[1] for p in pairs))
            row.set("spans", f"{low}:{high}")

    def _put(self, cell: Element, value: Value, row: int, col: int) -> bool:
        """Give `cell` the value, keeping its style; whether it held a formula."""
        formula = cell.find(self.q_f)
        if formula is not None and formula.get("t") == "shared" and formula.get("ref"):
            self._refuse(row, col, f"is the master of a shared formula ({formula.get('ref')})")
        for child in list(cell):
            if child.tag in (self.q_f, self.q_v, self.q_is):
                cell.remove(child)
        # cm and vm describe the value or formula being replaced (dynamic arrays, rich data).
        for name in ("t", "cm", "vm"):
            cell.attrib.pop(name, None)
        if isinstance(value, str):
            text = ILLEGAL_CHARACTERS_RE.sub("", value)
            if text:
                # An inline string leaves sharedStrings.xml alone and is what openpyxl writes;
                # Excel turns it into a shared string on its next save.
                cell.set("t", "inlineStr")
                inline = cell.makeelement(self.q_is)
                t = inline.makeelement(self.q_t, {_XML_SPACE: "preserve"})
                t.text = text
                inline.append(t)
                cell.insert(0, inline)
        elif value is not None:
            # openpyxl's own digits (16 significant), so both paths read back alike.
            number = safe_string(value)
            if number:
                v = cell.makeelement(self.q_v)
                v.text = number
                cell.insert(0, v)
        return formula is not None

    def _grow(self, row: int, col: int) -> None:
        if self.bounds is None:
            self.bounds = [row, col, row, col]
        else:
            b = self.bounds
            b[0], b[1], b[2], b[3] = min(b[0], row), min(b[1], col), max(b[2], row), max(b[3], col)

    def to_bytes(self) -> bytes:
        dimension = self.root.find(f"{{{self.ns}}}dimension")
        if dimension is not None and self.bounds is not None:
            self._grow_dimension(dimension, self.bounds)
        return _serialise(self.root, self.data)

    def _grow_dimension(self, dimension: Element, bounds: list[int]) -> None:
        top, left, bottom, right = bounds
        if self.had_cells:
            # An empty sheet says A1, which is no used cell; a reference not understood stays.
            old = _range(dimension.get("ref", ""))
            if old is None:
                return
            top, left = min(top, old[0]), min(left, old[1])
            bottom, right = max(bottom, old[2]), max(right, old[3])
            if (top, left, bottom, right) == old:
                return
        dimension.set("ref", f"{_cell_name(top, left)}:{_cell_name(bottom, right)}")


# -- the calculation chain -----------------------------------------------------------------


def _drop_from_calc_chain(data: bytes, cleared: set[tuple[str, str]]) -> bytes | None:
    """The chain without the cells in `cleared` (sheetId, reference), or None if it empties.

    Excel reports a damaged file when the chain names a cell without a formula. An entry
    without `i` belongs to the sheet of the entry before it, so a removed entry hands its
    `i` on (as Apache POI's CalculationChain.removeItem does).
    """
    root = _parse(data)
    q_c = f"{{{etree.QName(root).namespace}}}c"
    entries = list(root.iterchildren(q_c))
    sheet: str | None = None
    for at, entry in enumerate(entries):
        given = entry.get("i")
        if given is not None:
            sheet = given
        if sheet is not None and (sheet, entry.get("r")) in cleared:
            following = entries[at + 1] if at + 1 < len(entries) else None
            if given is not None and following is not None and following.get("i") is None:
                following.set("i", given)
            root.remove(entry)
    if next(root.iterchildren(q_c), None) is None:
        return None  # an empty calcChain is invalid: the part goes instead
    return _serialise(root, data)


# -- small helpers -------------------------------------------------------------------------


def _split_span(span: str) -> tuple[str, str, str]:
    return span.partition(":")


def _parse(data: bytes) -> Element:
    # Entities stay unexpanded and nothing is fetched: a workbook is untrusted input. A parser
    # per document, as lxml parsers must not be shared between threads.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _serialise(root: Element, original: bytes) -> bytes:
    """The document of `root` with its doctype and top-level comments, declared in UTF-8 if
    `original`, the bytes it was parsed from, had a declaration."""
    tree = root.getroottree()
    body = etree.tostring(tree, encoding="UTF-8", xml_declaration=False)
    if not original.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        return bytes(body)
    info = tree.docinfo
    standalone = ""
    if info.standalone is not None:
        standalone = ' standalone="yes"' if info.standalone else ' standalone="no"'
    head = f'<?xml version="{info.xml_version or "1.0"}" encoding="UTF-8"{standalone}?>\r\n'
    return head.encode() + body


def _local(element: Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _same_entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh entry header like `info`: same name, time, compression and attributes (the
    sizes, checksum and any zip64 extra are the writer's to compute)."""
    entry = zipfile.ZipInfo(info.filename, info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    entry.comment = info.comment
    return entry


def _column(ref: str) -> int:
    """The 1-based column of a cell reference such as 'AB12'."""
    number = 0
    for ch in ref:
        code = ord(ch) | 0x20  # lower case
        if 97 <= code <= 122:
            number = number * 26 + code - 96
        elif ch != "$":
            break
    return number


def _row(ref: str) -> int:
    digits = ref.lstrip("$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz").lstrip("$")
    return int(digits) if digits.isdigit() else 0


def _range(ref: str) -> tuple[int, int, int, int] | None:
    """Top, left, bottom, right of 'B2:D9' or 'B2' (1-based), None if it is not one."""
    first, _, last = ref.strip().partition(":")
    last = last or first
    top, left, bottom, right = _row(first), _column(first), _row(last), _column(last)
    if not (top and left and bottom and right):
        return None
    return min(top, bottom), min(left, right), max(top, bottom), max(left, right)


def _cell_name(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"
