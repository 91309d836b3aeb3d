"""The cell values of an .xlsx workbook, exactly as openpyxl's full load gives them, read fast."""

from __future__ import annotations

import io
import warnings
import zipfile
from itertools import chain, product
from string import ascii_uppercase
from typing import Any

from lxml import etree
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments.comment_sheet import CommentSheet
from openpyxl.formula.translate import Translator
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import RelationshipList, get_dependents, get_rels_path
from openpyxl.packaging.workbook import WorkbookPackage
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.workbook.child import INVALID_TITLE_REGEX
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.hyperlink import HyperlinkList
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    ARC_STYLE,
    COMMENTS_NS,
    SHARED_STRINGS,
    SHEET_MAIN_NS,
)
from openpyxl.xml.functions import fromstring

from alumni.sheet.workbook import Cell, RawSheet, trim_blank_tail

_NS = f"{{{SHEET_MAIN_NS}}}"
_ROW, _V, _F, _IS = _NS + "row", _NS + "v", _NS + "f", _NS + "is"
_SI, _MERGES, _LINKS, _T = _NS + "si", _NS + "mergeCells", _NS + "hyperlinks", _NS + "t"
# A..Z, AA..ZZ, AAA..ZZZ: the 18,278 columns a workbook can have, in order (as openpyxl's cache),
# made without a function call per column since every command pays for it when it starts.
_COLUMNS = {
    "".join(letters): number
    for number, letters in enumerate(
        chain.from_iterable(product(ascii_uppercase, repeat=n) for n in (1, 2, 3)), start=1
    )
}
_MAX_ROW = 1048576  # openpyxl's Worksheet._get_cell refuses rows beyond this

# The parts are parsed without entities, DTDs or the network; a part that declares a DTD is
# left to openpyxl (whose expat parser would expand its entities) so the values still agree.
_PARSE = dict(
    events=("end",),
    remove_comments=True,  # expat's tree builder drops comments and PIs too
    remove_pis=True,
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=True,  # expat has no limit on text size or depth, so lxml must not either
)


class _Fallback(Exception):
    """Something rare enough to leave to openpyxl itself."""


Merges = dict[str, list[CellRange]]
"""Each worksheet's merged cells by title."""


def read_cells(data: bytes) -> dict[str, RawSheet]:
    """Each worksheet's RawSheet by title, in workbook order, as openpyxl would read them."""
    return read_sheets(data)[0]


def read_sheets(data: bytes) -> tuple[dict[str, RawSheet], Merges]:
    """The cells of `read_cells`, and each worksheet's merged cells as openpyxl reads them."""
    try:
        return _read(data)
    except _Fallback:
        book = load_workbook(io.BytesIO(data), rich_text=False)
        sheets = {
            ws.title: RawSheet(
                ws.title, trim_blank_tail([list(r) for r in ws.iter_rows(values_only=True)])
            )
            for ws in book.worksheets
        }
        return sheets, {ws.title: list(ws.merged_cells.ranges) for ws in book.worksheets}


def number_from_text(text: str) -> int | float:
    """A number cell's value as openpyxl reads it: a float when written with a point or an
    exponent, else a whole number."""
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _xml(archive: zipfile.ZipFile, name: str) -> bytes:
    raw = archive.read(name)
    if b"<!DOCTYPE" in raw:
        raise _Fallback
    return raw


def _read(data: bytes) -> tuple[dict[str, RawSheet], Merges]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    valid = set(archive.namelist())
    # The small parts go through openpyxl's own classes, so names, order, epoch and styles
    # are found exactly as its reader finds them; only the big parts are parsed here.
    package = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    strings: list[str] = []
    sst = package.find(SHARED_STRINGS)
    if sst is not None:
        strings = _shared_strings(_xml(archive, sst.PartName[1:]))
    wb_part = _find_workbook_part(package).PartName[1:]
    book = WorkbookPackage.from_tree(fromstring(archive.read(wb_part)))
    epoch = CALENDAR_MAC_1904 if book.properties.date1904 else WINDOWS_EPOCH
    rels = get_dependents(archive, get_rels_path(wb_part)).to_dict()
    styles = _styles(archive)

    result: dict[str, RawSheet] = {}
    merges: Merges = {}
    names: list[str] = []
    for sheet in book.sheets:
        if not sheet.id:
            continue  # openpyxl drops such sheets with a warning
        rel = rels[sheet.id]
        if rel.target not in valid:
            continue
        title = sheet.name
        # openpyxl renames a doubled title and refuses a bad one: leave both to it.
        if not title or INVALID_TITLE_REGEX.search(title):
            raise _Fallback
        if any(n.lower() == title.lower() for n in names):
            raise _Fallback
        names.append(title)
        if "chartsheet" in rel.Type:
            continue
        rels_path = get_rels_path(rel.target)
        sheet_rels = RelationshipList()
        if rels_path in valid:
            sheet_rels = get_dependents(archive, rels_path)
        grid = _Sheet(strings, styles, epoch).parse(_xml(archive, rel.target), sheet_rels)
        for r in sheet_rels.find(COMMENTS_NS):
            comments = CommentSheet.from_tree(fromstring(archive.read(r.target)))
            for ref, _comment in comments.comments:
                grid.touch(ref)
        result[title] = RawSheet(title, trim_blank_tail(grid.rows()))
        merges[title] = grid.merges
    return result, merges


def _shared_strings(xml: bytes) -> list[str]:
    out: list[str] = []
    for _, node in etree.iterparse(io.BytesIO(xml), tag=_SI, **_PARSE):  # type: ignore[call-overload]
        # openpyxl's read_string_table strips this escape remnant from shared strings only
        out.append(_text(node).replace("x005F_", ""))
        node.clear()
    return out


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


def _text(node: Any) -> str:
    """Text.from_tree(node).content: the last <t> first, then each run's last <t>, in order;
    children are matched by local name whatever their namespace, as openpyxl does."""
    if len(node) == 1 and node[0].tag == _T:  # the usual lone <t>, without the general walk
        return node[0].text or ""
    plain = None
    runs: list[str] = []
    for el in node:
        name = _local(el.tag)
        if name == "t":
            plain = el.text
        elif name == "r":
            t = None
            for sub in el:
                if _local(sub.tag) == "t":
                    t = sub.text
            if t is not None:
                runs.append(t)
    return "".join(([plain] if plain is not None else []) + runs)


class _Styles:
    """Which `s` attribute means a date (or duration) format, from openpyxl's own stylesheet."""

    def __init__(self, count: int, dates: set[int], durations: set[int]) -> None:
        self.kind: dict[str | None, int] = {None: 0}
        for i in range(count):
            self.kind[str(i)] = 2 if i in durations else 1 if i in dates else 0
        self.kind[None] = self.kind["0"]


def _styles(archive: zipfile.ZipFile) -> _Styles:
    try:
        src = archive.read(ARC_STYLE)
    except KeyError:
        return _Styles(1, set(), set())
    sheet = Stylesheet.from_tree(fromstring(src))
    if not sheet.cell_styles:  # apply_stylesheet then keeps the new workbook's defaults
        return _Styles(1, set(), set())
    return _Styles(len(sheet.cell_styles), sheet.date_formats, sheet.timedelta_formats)


class _Sheet:
    """One worksheet's cells by (row, column), filled as openpyxl's WorksheetReader fills them."""

    def __init__(self, strings: list[str], styles: _Styles, epoch: Any) -> None:
        self.strings, self.styles, self.epoch = strings, styles, epoch
        self.cells: dict[int, dict[int, Any]] = {}
        self.shared: dict[str | None, Translator] = {}
        self.merges: list[CellRange] = []
        self.merged: set[tuple[int, int]] = set()

    def parse(self, xml: bytes, rels: RelationshipList) -> _Sheet:
        merges: list[str] | None = None
        links: Any = None
        row_counter = 0
        for _, el in etree.iterparse(  # type: ignore[call-overload]
            io.BytesIO(xml), tag=(_ROW, _MERGES, _LINKS), **_PARSE
        ):
            tag = el.tag
            if tag == _ROW:
                row_counter = self._row(el, row_counter)
                el.clear()
                # drop the rows already read so the tree stays small
                parent = el.getparent()
                while el.getprevious() is not None:
                    del parent[0]
            elif tag == _MERGES:  # the last such element wins, as in openpyxl
                merges = [m.get("ref") for m in el if _local(m.tag) == "mergeCell"]
                el.clear()
            else:
                links = HyperlinkList.from_tree(el)
                el.clear()
        # bind_all's order: cells, then merged ranges, then hyperlinks (comments come later)
        for ref in merges or ():
            rng = CellRange(ref)
            self.merges.append(rng)
            first = True
            for cell in rng.cells:
                if first:
                    self.touch_cell(*cell)  # the range's top-left cell stays as it was
                    first = False
                else:
                    self.set(cell[0], cell[1], None)  # a MergedCell: no value, ever
                    self.merged.add(cell)
        if links is not None:
            for link in links.hyperlink:
                if link.id:
                    link.target = rels.get(link.id).Target  # KeyError when unknown, as there
                self._link(link.ref, link.target or link.location)
        return self

    def _row(self, row: Any, row_counter: int) -> int:
        r = row.get("r")
        if r is not None:
            try:
                row_counter = int(r)
            except ValueError:
                val = float(r)
                if not val.is_integer():
                    raise ValueError(f"{r} is not a valid row number") from None
                row_counter = int(val)
        else:
            row_counter += 1
        col_counter = 0
        cells = self.cells
        kinds = self.styles.kind
        strings = self.strings
        line: dict[int, Any] | None = None
        line_no = None
        columns = _COLUMNS
        digits = str(row_counter) if row_counter > 0 else "\x00"  # "A-1" must fail as there
        width = len(digits)
        for el in row:  # every child element counts as a cell, as in openpyxl's parse_row
            t = el.get("t", "n")
            coord = el.get("r")
            try:
                kind = kinds[el.get("s")]
            except KeyError:
                raise _Fallback from None  # a style index openpyxl would fail on or coerce
            v = f = inline = None
            for ch in el:
                ctag = ch.tag
                if ctag == _V:
                    if v is None:
                        v = ch
                elif ctag == _F:
                    if f is None:
                        f = ch
                elif ctag == _IS and inline is None:
                    inline = ch
            value: Any = None if t == "inlineStr" or v is None else (v.text or None)
            if coord:
                # Letters then this row's number, the usual case, give what coordinate_to_tuple
                # gives (it splits at the first digit); anything else goes through it.
                known = columns.get(coord[:-width]) if coord.endswith(digits) else None
                if known is not None:
                    rno, col = row_counter, known
                else:
                    rno, col = coordinate_to_tuple(coord)
                col_counter = col
            else:
                col_counter += 1
                rno, col = row_counter, col_counter
            if f is not None:
                value = self._formula(f, coord)
            elif value is not None:
                if t == "n":
                    value = number_from_text(value)
                    if kind:
                        try:
                            value = from_excel(value, self.epoch, timedelta=kind == 2)
                        except (OverflowError, ValueError):
                            warnings.warn(
                                f"Cell {coord} is marked as a date but the serial value {value} "
                                "is outside the limits for dates. The cell will be treated as "
                                "an error.",
                                stacklevel=2,
                            )
                            value = "#VALUE!"
                elif t == "s":
                    value = strings[int(value)]
                elif t == "b":
                    value = bool(int(value))
                elif t == "d":
                    value = from_ISO8601(value)
                # "str", "e" and unknown types keep the text as it stands
            elif t == "inlineStr" and inline is not None:
                value = _text(inline)
            if rno != line_no:
                line_no = rno
                line = cells.get(rno)
                if line is None:
                    line = cells[rno] = {}
            assert line is not None
            line[col] = value
        return row_counter

    def _formula(self, f: Any, coord: str | None) -> Any:
        # WorkSheetParser.parse_formula, per sheet: shared formulas are translated from the
        # first cell of their group that has text
        kind = f.get("t")
        value: Any = "=" + f.text if f.text is not None else "="
        if kind == "array":
            return ArrayFormula(ref=f.get("ref"), text=value)
        if kind == "shared":
            idx = f.get("si")
            shared = self.shared
            if idx in shared:
                return shared[idx].translate_formula(coord)
            if value != "=":
                shared[idx] = Translator(value, coord)
            return value
        if kind == "dataTable":
            return DataTableFormula(**dict(f.attrib))
        return value

    def _link(self, ref: Any, text: str | None) -> None:
        # bind_hyperlinks: Cell.hyperlink's setter gives an empty cell the link's target (or
        # its location) as value; a MergedCell takes none, and a single ref on one is moved
        # to its range's top-left cell.
        if not isinstance(ref, str):
            raise _Fallback
        self.touch(ref)
        if ":" in ref:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            spots = [
                (r, c) for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)
            ]
            spots = [spot for spot in spots if spot not in self.merged]
        else:
            spot = coordinate_to_tuple(ref)
            if spot in self.merged:
                owners = [m for m in self.merges if spot in m]
                if len(owners) != 1 or (owners[0].min_row, owners[0].min_col) in self.merged:
                    raise _Fallback  # openpyxl's pick among overlapping ranges is a set's order
                spot = (owners[0].min_row, owners[0].min_col)
            spots = [spot]
        for r, c in spots:
            line = self.cells[r]
            if line[c] is None and text is not None:
                value = str(text)[:32767]
                if ILLEGAL_CHARACTERS_RE.search(value):
                    raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
                line[c] = value

    def set(self, row: int, col: int, value: Any) -> None:
        self.cells.setdefault(row, {})[col] = value

    def touch_cell(self, row: int, col: int) -> None:
        # Worksheet.cell(): creates an empty cell where there is none
        if row < 1 or col < 1:
            raise ValueError("Row or column values must be at least 1")
        if not 0 < row <= _MAX_ROW:
            raise ValueError(
                f"Row numbers must be between 1 and 1048576. Row number supplied was {row}"
            )
        self.cells.setdefault(row, {}).setdefault(col, None)

    def touch(self, ref: Any) -> None:
        """What `ws[ref]` creates; whole rows or columns are left to openpyxl."""
        if not isinstance(ref, str):
            raise _Fallback
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_col is None or min_row is None or max_col is None or max_row is None:
            raise _Fallback
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                self.touch_cell(row, col)

    def rows(self) -> list[list[Cell]]:
        # iter_rows over 1..max_row and 1..max_column of every cell held, whatever its row
        cells = self.cells
        used = [r for r, line in cells.items() if line]
        if not used:
            return []
        max_row = max(used)
        max_col = max(max(line) for line in cells.values() if line)
        if max_row > _MAX_ROW:
            raise ValueError(
                f"Row numbers must be between 1 and 1048576. Row number supplied was {_MAX_ROW + 1}"
            )
        out: list[list[Cell]] = []
        empty: dict[int, Any] = {}
        for r in range(1, max_row + 1):
            line = cells.get(r, empty)
            if not line:
                out.append([None] * max_col)
                continue
            row: list[Cell] = [None] * max_col
            for c, v in line.items():
                if c >= 1:
                    row[c - 1] = v
            out.append(row)
        return out
