"""Deletes rows from an openpyxl worksheet as Excel does, taking along what openpyxl's own
`delete_rows` leaves where it was: row heights and hiding, merged cells, conditional formats,
data validations, hyperlinks and the filter range."""

from __future__ import annotations

from copy import copy

from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formula.tokenizer import TokenizerError
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.worksheet import Worksheet


def rows_after(low: int, high: int, first: int, count: int) -> tuple[int, int] | None:
    """Where rows `low`..`high` (1-based) stand once rows `first`..`first + count - 1` are
    deleted: moved up when below them, shrunk when across them, None when among them."""
    last = first + count - 1
    if high < first:
        return low, high
    if low > last:
        return low - count, high - count
    if low >= first and high <= last:
        return None
    return min(low, first), (high - count if high > last else first - 1)


def delete_rows(ws: Worksheet, first: int, count: int) -> None:
    """Delete rows `first`..`first + count - 1` (1-based) of `ws`, the rows below moving up.

    Row properties go with their rows (the deleted rows' go with them). Merged cells,
    conditional formats, data validations and the filter range below the deleted rows move
    up; those across them shrink; those wholly among them go. A merged range whose top-left
    cell is deleted keeps its format on the new top-left cell, but not its value, which was
    the deleted row's. Formulas in cells are left as they are (openpyxl does not adjust them).
    """
    if count <= 0:
        return
    merged = [r for r in ws.merged_cells.ranges if r.max_row >= first]
    anchors = {r.coord: copy(ws.cell(r.min_row, r.min_col)._style) for r in merged}
    # Unmerged first, so that the covered cells move as ordinary cells; merged again below.
    for r in merged:
        ws.unmerge_cells(r.coord)
    ws.delete_rows(first, count)
    for r in merged:
        rows = rows_after(r.min_row, r.max_row, first, count)
        if rows is None:
            continue
        if first <= r.min_row < first + count:
            ws.cell(rows[0], r.min_col)._style = anchors[r.coord]
        if rows[0] == rows[1] and r.min_col == r.max_col:
            continue  # one cell is not merged
        ws.merge_cells(
            start_row=rows[0], end_row=rows[1], start_column=r.min_col, end_column=r.max_col
        )
    _move_row_dimensions(ws, first, count)
    _move_formatting(ws, first, count)
    _move_validations(ws, first, count)
    _move_links(ws, first)
    if ws.auto_filter.ref:
        ref = _shifted(MultiCellRange(ws.auto_filter.ref), first, count)
        ws.auto_filter.ref = str(ref) if ref else None


def _shifted(ranges: MultiCellRange, first: int, count: int) -> MultiCellRange:
    kept: list[CellRange] = []
    for r in ranges:
        rows = rows_after(r.min_row, r.max_row, first, count)
        if rows is not None:
            kept.append(
                CellRange(min_col=r.min_col, min_row=rows[0], max_col=r.max_col, max_row=rows[1])
            )
    return MultiCellRange(kept)


def _top(ranges: MultiCellRange) -> int:
    return min(r.min_row for r in ranges)


def _translated(formula: str, rows: int) -> str:
    """`formula` with its relative references moved by `rows`, as its anchor cell moved."""
    if not formula or not rows:
        return formula
    try:
        moved = Translator("=" + formula, "A1").translate_formula(row_delta=rows)
    except (TranslatorError, TokenizerError):
        return formula  # a formula openpyxl cannot read stays as it was
    return str(moved)[1:]


def _move_row_dimensions(ws: Worksheet, first: int, count: int) -> None:
    dimensions = ws.row_dimensions
    moved = {}
    for index, dim in list(dimensions.items()):
        rows = rows_after(index, index, first, count)
        if rows is not None:
            dim.index = rows[0]
            moved[rows[0]] = dim
    dimensions.clear()
    dimensions.update(moved)


def _move_formatting(ws: Worksheet, first: int, count: int) -> None:
    # Each format's formulas are relative to its top-left cell: they move when that cell does.
    kept = ConditionalFormattingList()
    for cf in ws.conditional_formatting:
        ranges = _shifted(cf.sqref, first, count)
        if not ranges:
            continue
        moved = _top(ranges) - _top(cf.sqref)
        for rule in cf.rules:
            rule.formula = [_translated(f, moved) for f in rule.formula]
            kept.add(str(ranges), rule)
    kept.max_priority = max(kept.max_priority, ws.conditional_formatting.max_priority)
    ws.conditional_formatting = kept


def _move_validations(ws: Worksheet, first: int, count: int) -> None:
    kept = []
    for dv in ws.data_validations.dataValidation:
        ranges = _shifted(dv.sqref, first, count)
        if not ranges:
            continue
        moved = _top(ranges) - _top(dv.sqref)
        if dv.formula1:
            dv.formula1 = _translated(dv.formula1, moved)
        if dv.formula2:
            dv.formula2 = _translated(dv.formula2, moved)
        dv.sqref = ranges
        kept.append(dv)
    ws.data_validations.dataValidation = kept


def _move_links(ws: Worksheet, first: int) -> None:
    # openpyxl writes a hyperlink at the cell its `ref` names, which moving a cell leaves behind.
    # The cells as stored, not iter_rows, which would create every empty cell of the grid.
    for cell in ws._cells.values():
        link = cell.hyperlink
        if link is not None and cell.row >= first and link.ref != cell.coordinate:
            link.ref = cell.coordinate
