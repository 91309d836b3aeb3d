"""Merged cells in either backend: which cells they hide, and which writes they refuse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from alumni.findings import Finding, a1
from alumni.sheet.plan import Plan
from alumni.sheet.workbook import RawWorkbook, Value


class MergedRange(Protocol):
    """Merged cells as openpyxl's CellRange gives them: 1-based rows and columns, inclusive."""

    @property
    def min_row(self) -> int: ...
    @property
    def min_col(self) -> int: ...
    @property
    def max_row(self) -> int: ...
    @property
    def max_col(self) -> int: ...
    @property
    def coord(self) -> str: ...


class Merge(NamedTuple):
    """One block of merged cells, 1-based and inclusive, as a MergedRange."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @property
    def coord(self) -> str:
        return f"{a1(self.min_row, self.min_col - 1)}:{a1(self.max_row, self.max_col - 1)}"

    @classmethod
    def from_grid_range(cls, grid: Mapping[str, Any], rows: int, columns: int) -> Merge:
        """A Google GridRange (0-based, end exclusive, a side left out reaching the edge of the
        sheet's `rows` × `columns` grid)."""
        return cls(
            grid.get("startRowIndex", 0) + 1,
            grid.get("startColumnIndex", 0) + 1,
            grid.get("endRowIndex", rows),
            grid.get("endColumnIndex", columns),
        )


def covered_cells(
    ranges: Sequence[MergedRange], height: int, width: int
) -> dict[tuple[int, int], str]:
    """Every cell under a merged range but its top-left one, by (row, column) from 0, within
    the `height` rows and `width` columns that hold cells (a range may span the whole sheet)."""
    covered: dict[tuple[int, int], str] = {}
    for r in ranges:
        for row in range(r.min_row, min(r.max_row, height) + 1):
            for col in range(r.min_col, min(r.max_col, width) + 1):
                if (row, col) != (r.min_row, r.min_col):
                    covered[(row - 1, col - 1)] = r.coord
    return covered


def mark_covered(raw: RawWorkbook, merges: Mapping[str, Sequence[MergedRange]]) -> None:
    """Set each sheet's `covered` cells from its tab's merged cells `merges` (by title)."""
    for title, ranges in merges.items():
        sheet = raw.get(title)
        if sheet is not None and ranges:
            width = max((len(row) for row in sheet.rows), default=0)
            sheet.covered = covered_cells(ranges, len(sheet.rows), width)


def drop_refused_writes(plan: Plan, merges: Mapping[str, Sequence[MergedRange]]) -> None:
    """Leave out of `plan` its writes into cells under the merged cells `merges` (by title),
    each named once in `plan.skipped` (see refused_write)."""
    kept = []
    for w in plan.writes:
        refused = refused_write(merges.get(w.title, []), w.title, w.row + 1, w.col + 1, w.value)
        if refused is None:
            kept.append(w)
        elif refused not in plan.skipped:
            plan.skipped.append(refused)
    plan.writes = kept


def refused_write(
    ranges: Sequence[MergedRange], title: str, row: int, col: int, value: Value
) -> Finding | None:
    """Why `value` cannot go in the cell at `row`, `col` (1-based) of a tab with the merged
    cells `ranges`, or None: merged cells hold a value in their top-left cell only, and a value
    put under the others is lost."""
    for r in ranges:
        inside = r.min_row <= row <= r.max_row and r.min_col <= col <= r.max_col
        if inside and (row, col) != (r.min_row, r.min_col):
            shown = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
            return Finding(
                title,
                row,
                col - 1,
                f"'{shown}' was not written: the cell is inside the merged cells {r.coord}",
                f"unmerge {r.coord}, then run again",
            )
    return None
