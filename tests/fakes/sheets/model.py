"""The spreadsheets the fake keeps in memory: books of tabs of cells, and edits that move them."""

from __future__ import annotations

import copy
import functools
import random
from dataclasses import dataclass, field, replace
from typing import Any

from tests.fakes.sheets.cells import DATE_FORMATS, Cell, from_python, sort_key
from tests.fakes.sheets.responses import ApiError

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26


@dataclass
class Sheet:
    """One tab: its grid size, freezes, cells by (row, column), 0-based, and format rules."""

    sheet_id: int
    title: str
    row_count: int = DEFAULT_ROWS
    col_count: int = DEFAULT_COLS
    frozen_rows: int = 0
    frozen_cols: int = 0
    hidden: bool = False
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    # Set on cells whether or not they hold a value, as Google keeps them: a cell's data
    # validation rule, its userEnteredFormat.numberFormat, and columns' widths in pixels.
    validations: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    formats: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    col_widths: dict[int, int] = field(default_factory=dict)
    # Merged blocks as (first row, end row, first column, end column): 0-based, ends exclusive.
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def last_data_row(self) -> int:
        """Number of rows up to and including the last row holding any value."""
        return max((r for r, _ in self.cells), default=-1) + 1

    def put(self, r: int, c: int, cell: Cell | None) -> None:
        if cell is None:
            self.cells.pop((r, c), None)
            return
        # A number typed into a cell formatted as a date is a date, as in Google Sheets.
        kind = self.formats.get((r, c), {}).get("type")
        if cell.kind == "number" and cell.number_format is None and kind in DATE_FORMATS:
            cell = Cell(cell.kind, cell.value, kind)
        self.cells[(r, c)] = cell


@dataclass
class Book:
    """One spreadsheet: its tabs in order, its locale, and the format requests it received."""

    key: str
    title: str
    locale: str
    time_zone: str
    sheets: list[Sheet]
    rng: random.Random
    format_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def by_title(self, title: str) -> Sheet | None:
        for s in self.sheets:
            if s.title == title:
                return s
        # Sheet names are unique case-insensitively and A1 references match that way too.
        for s in self.sheets:
            if s.title.casefold() == title.casefold():
                return s
        return None

    def by_id(self, sheet_id: int, where: str) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise ApiError(400, f"Invalid {where}: No grid with id: {sheet_id}")

    def snapshot(self) -> Book:
        """A copy to apply a write to, committed only if the whole write succeeds."""
        # Cells are immutable, so copying the dicts is enough and keeps big sheets fast.
        sheets = [
            replace(
                s,
                cells=dict(s.cells),
                conditional_formats=copy.deepcopy(s.conditional_formats),
                validations=dict(s.validations),
                formats=dict(s.formats),
                col_widths=dict(s.col_widths),
                merges=list(s.merges),
            )
            for s in self.sheets
        ]
        rng = random.Random()
        rng.setstate(self.rng.getstate())
        return replace(self, sheets=sheets, rng=rng, format_requests=list(self.format_requests))

    def new_sheet_id(self) -> int:
        taken = {s.sheet_id for s in self.sheets}
        while True:
            candidate = self.rng.randrange(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

    def check_title_free(self, title: str, where: str, ignore: Sheet | None = None) -> None:
        for s in self.sheets:
            if s is not ignore and s.title.casefold() == title.casefold():
                raise ApiError(
                    400,
                    f'Invalid {where}: A sheet with the name "{title}" already exists. '
                    "Please enter another name.",
                )


# ----------------------------------------------------------------------------- the Python side


def find_book(books: dict[str, Book], key: str) -> Book:
    """The spreadsheet with ``key``, for the fake's Python helpers (a KeyError, not an HTTP 404)."""
    try:
        return books[key]
    except KeyError:
        raise KeyError(f"no fake spreadsheet with key {key!r}") from None


def find_sheet(books: dict[str, Book], key: str, title: str) -> Sheet:
    """The tab titled exactly ``title``, for the fake's Python helpers."""
    for s in find_book(books, key).sheets:
        if s.title == title:
            return s
    raise KeyError(f"no tab {title!r} in fake spreadsheet {key!r}")


def add_python_sheet(
    book: Book,
    title: str,
    rows: list[list[Any]],
    row_count: int | None,
    col_count: int | None,
    index: int | None,
) -> Sheet:
    """Add a tab holding rows of Python values; the first tab of a book gets sheetId 0."""
    sheet_id = 0 if not book.sheets else book.new_sheet_id()
    width = max((len(r) for r in rows), default=0)
    sheet = Sheet(
        sheet_id,
        title,
        row_count or max(DEFAULT_ROWS, len(rows)),
        col_count or max(DEFAULT_COLS, width),
    )
    write_python(sheet, 0, rows)
    book.sheets.insert(len(book.sheets) if index is None else index, sheet)
    return sheet


def write_python(sheet: Sheet, r0: int, rows: list[list[Any]]) -> None:
    """Write rows of Python values from row ``r0`` (0-based), growing the grid to fit."""
    sheet.row_count = max(sheet.row_count, r0 + len(rows))
    sheet.col_count = max(sheet.col_count, max((len(r) for r in rows), default=0))
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.put(r0 + i, c, from_python(value))


# ----------------------------------------------------------------------------- structure edits


def _shifted(cells: dict[tuple[int, int], Any], axis: int, at: int, n: int) -> dict[Any, Any]:
    """Cells at or after index `at` of `axis` moved by n (n < 0: those before at - n dropped)."""
    out: dict[tuple[int, int], Any] = {}
    for k, v in cells.items():
        if k[axis] >= at:
            if n < 0 and k[axis] < at - n:
                continue
            k = (k[0] + n, k[1]) if axis == 0 else (k[0], k[1] + n)
        out[k] = v
    return out


def _shift_settings(sheet: Sheet, axis: int, at: int, n: int) -> None:
    sheet.validations = _shifted(sheet.validations, axis, at, n)
    sheet.formats = _shifted(sheet.formats, axis, at, n)
    if axis == 1:
        widths = _shifted({(0, c): w for c, w in sheet.col_widths.items()}, 1, at, n)
        sheet.col_widths = {c: w for (_, c), w in widths.items()}


def _merges_moved(sheet: Sheet, axis: int, moved: Any) -> None:
    """Each merge's span along `axis` through `moved` (start, end) -> (start, end); a block left
    with one cell or none is no longer merged."""
    kept = []
    for r0, r1, c0, c1 in sheet.merges:
        if axis == 0:
            r0, r1 = moved(r0, r1)
        else:
            c0, c1 = moved(c0, c1)
        if r1 > r0 and c1 > c0 and (r1 - r0) * (c1 - c0) > 1:
            kept.append((r0, r1, c0, c1))
    sheet.merges = kept


def insert_dim(sheet: Sheet, dim: str, at: int, n: int) -> None:
    axis = 0 if dim == "ROWS" else 1
    sheet.cells = {
        ((k[0] + n, k[1]) if axis == 0 else (k[0], k[1] + n)) if k[axis] >= at else k: v
        for k, v in sheet.cells.items()
    }
    _shift_settings(sheet, axis, at, n)
    # As in Google Sheets: rows inserted inside a merged block widen it; at or above, move it.
    _merges_moved(
        sheet, axis, lambda a, b: (a + n, b + n) if at <= a else (a, b + n) if at < b else (a, b)
    )
    if axis == 0:
        sheet.row_count += n
    else:
        sheet.col_count += n


def delete_dim(sheet: Sheet, dim: str, start: int, end: int) -> None:
    axis = 0 if dim == "ROWS" else 1
    n = end - start
    moved: dict[tuple[int, int], Cell] = {}
    for k, v in sheet.cells.items():
        if start <= k[axis] < end:
            continue
        if k[axis] >= end:
            k = (k[0] - n, k[1]) if axis == 0 else (k[0], k[1] - n)
        moved[k] = v
    sheet.cells = moved
    _shift_settings(sheet, axis, start, -n)

    def after(x: int) -> int:  # an index's place once [start, end) is gone
        return x if x <= start else start if x <= end else x - n

    _merges_moved(sheet, axis, lambda a, b: (after(a), after(b)))
    if axis == 0:
        sheet.row_count -= n
        sheet.frozen_rows = min(sheet.frozen_rows, max(sheet.row_count - 1, 0))
    else:
        sheet.col_count -= n
        sheet.frozen_cols = min(sheet.frozen_cols, max(sheet.col_count - 1, 0))


def truncate(sheet: Sheet) -> None:
    """Drop the cells a smaller grid no longer holds."""

    def inside(k: tuple[int, int]) -> bool:
        return k[0] < sheet.row_count and k[1] < sheet.col_count

    sheet.cells = {k: v for k, v in sheet.cells.items() if inside(k)}
    sheet.validations = {k: v for k, v in sheet.validations.items() if inside(k)}
    sheet.formats = {k: v for k, v in sheet.formats.items() if inside(k)}
    sheet.col_widths = {c: w for c, w in sheet.col_widths.items() if c < sheet.col_count}
    sheet.merges = [m for m in sheet.merges if m[1] <= sheet.row_count and m[3] <= sheet.col_count]


def _merged_across(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> list[tuple[int, ...]]:
    """The merged blocks that share a cell with rows [r0, r1) and columns [c0, c1)."""
    return [m for m in sheet.merges if m[0] < r1 and r0 < m[1] and m[2] < c1 and c0 < m[3]]


def _part_of_a_merge(where: str) -> ApiError:
    return ApiError(
        400,
        f"Invalid {where}: You must select all cells in a merged range to merge or unmerge them.",
    )


def merge(sheet: Sheet, r0: int, r1: int, c0: int, c1: int, where: str) -> None:
    """Merge a block as Google Sheets does: the top-left cell keeps its value, the others lose
    theirs (the UI warns "Merging cells will only preserve the top-leftmost value")."""
    if (r1 - r0) * (c1 - c0) < 2:
        return
    if _merged_across(sheet, r0, r1, c0, c1):
        raise _part_of_a_merge(where)
    for r in range(r0, r1):
        for c in range(c0, c1):
            if (r, c) != (r0, c0):
                sheet.cells.pop((r, c), None)
    sheet.merges.append((r0, r1, c0, c1))


def unmerge(sheet: Sheet, r0: int, r1: int, c0: int, c1: int, where: str) -> None:
    """Unmerge every block inside the range; one that sticks out of it is refused."""
    across = _merged_across(sheet, r0, r1, c0, c1)
    if any(not (r0 <= m[0] and m[1] <= r1 and c0 <= m[2] and m[3] <= c1) for m in across):
        raise _part_of_a_merge(where)
    sheet.merges = [m for m in sheet.merges if m not in across]


def sort_rows(
    sheet: Sheet, r0: int, r1: int, c0: int, c1: int, specs: list[tuple[int, bool]]
) -> None:
    """Sort rows [r0, r1) by (column, descending) specs; blanks go last either way."""
    if _merged_across(sheet, r0, r1, c0, c1):
        # What Google does then is not modelled: a test must not rely on a guess.
        raise ApiError(400, "the fake does not model sorting a range with merged cells")
    rows = [{c: sheet.cells.get((r, c)) for c in range(c0, c1)} for r in range(r0, r1)]

    def compare(a: dict[int, Cell | None], b: dict[int, Cell | None]) -> int:
        for col, descending in specs:
            ka, kb = sort_key(a.get(col)), sort_key(b.get(col))
            if ka is None or kb is None:
                if ka is None and kb is None:
                    continue
                return 1 if ka is None else -1
            if ka != kb:
                result = -1 if ka < kb else 1
                return -result if descending else result
        return 0

    rows.sort(key=functools.cmp_to_key(compare))
    for offset, row in enumerate(rows):
        for c in range(c0, c1):
            sheet.put(r0 + offset, c, row.get(c))
