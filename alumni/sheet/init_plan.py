"""What `init` adds to a sheet: missing tabs and headers, and sample rows for empty tabs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alumni.contract import TABS, Tab, is_blank
from alumni.errors import DataError
from alumni.findings import Finding
from alumni.sheet import cells
from alumni.sheet.plan import Plan, complete_header
from alumni.sheet.store import InitResult
from alumni.sheet.workbook import (
    RawSheet,
    RawWorkbook,
    Value,
    blank_row,
    locate_tabs,
    resolve_layout,
)

HEADER_SEARCH_ROWS = 20
"""How far down a refusal looks for a tab's header row, only to say where it is: the tool
reads headers from row 1 and nowhere else."""


def has_data(raw: RawWorkbook) -> list[str]:
    """The titles of tabs that hold anything below their header row."""
    return [t for t, s in raw.items() if any(not blank_row(r) for r in s.rows[1:])]


def plan_init(
    fresh: RawWorkbook, rows: Mapping[str, Sequence[Mapping[str, Value]]] | None = None
) -> tuple[Plan, InitResult]:
    """Add every missing tab and header, never touching a cell that holds anything.

    A tab's headers are read from row 1 only, as every command reads them. Missing headers
    are appended to a header row right of everything the tab holds. A tab the tool knows
    whose row 1 holds none of its headers while the tab holds something (a title or notes
    above the table, or a table of a person's own) stops init before anything is written:
    a DataError names each such tab, its cell, what is there and what to do. With `rows`,
    each tab's sample rows are laid out under the headers as the sheet has them.
    """
    plan = Plan()
    result = InitResult(created=not fresh)
    titles, _ = locate_tabs(fresh)
    refused: list[Finding] = []
    for tab in TABS:
        found = titles[tab.name]
        sheet = fresh.get(found) if found else None
        title = sheet.title if sheet is not None else tab.name
        if sheet is None:
            plan.new_sheets.append(title)
            result.tabs_added.append(title)
            layout_columns: dict[str, int] = {}
        else:
            layout = resolve_layout(tab, sheet)
            problem = _no_header_row(tab, sheet, layout.columns)
            if problem is not None:
                refused.append(problem)
                continue
            layout_columns = dict(layout.columns)
        for write in complete_header(tab, title, sheet.rows if sheet else [], layout_columns):
            layout_columns[str(write.value)] = write.col
            plan.writes.append(write)
            if sheet is not None:
                result.headers_added.append(f"{title}!{write.value}")
        sample = (rows or {}).get(tab.name, [])
        if sample:
            start = len(sheet.rows) if sheet is not None and sheet.rows else 1
            plan.first_row[title] = start
            plan.appends[title] = [_lay_out(row, layout_columns) for row in sample]
            result.rows_added += len(sample)
    refuse(refused)
    return plan, result


def refuse(problems: Sequence[Finding]) -> None:
    """Stop init, before it writes anything, naming the tabs whose headers have no place."""
    if not problems:
        return
    which = "this tab has" if len({p.tab for p in problems}) == 1 else "these tabs have"
    lines = "\n".join(f"  {p}" for p in problems)
    raise DataError(
        f"init wrote nothing: {which} no header row in row 1, where the tool reads it, and "
        f"init never writes over what people typed:\n{lines}"
    )


def _no_header_row(tab: Tab, sheet: RawSheet, columns: Mapping[str, int]) -> Finding | None:
    """Why the headers of `tab` cannot go in row 1 of `sheet`, or None when they can: row 1 is
    a header row (it names at least one of the tab's columns) or the tab is empty."""
    if columns or all(blank_row(r) for r in sheet.rows):
        return None
    below = _header_row_below(tab, sheet)
    if not blank_row(sheet.rows[0]):
        row = 1
        col, shown = _first_filled(sheet.rows[0])
        if below is not None:
            what = f"row 1 holds {shown}, not the tab's headers, which are in row {below + 1}"
            hint = (
                f"move what is above row {below + 1} below the table or to another tab, so "
                "that the header row is row 1"
            )
        else:
            what = f"row 1 holds {shown}, none of the tab's headers ({_some_headers(tab)})"
            hint = (
                "if these are notes, move them below the table or to another tab and leave row "
                "1 for the headers; if this is a table of your own, rename the tab (init then "
                f"adds the tool's own '{tab.name}')"
            )
    elif below is not None:
        row = below + 1
        col, shown = _first_filled(sheet.rows[below])
        what = f"the tab's headers ({shown}) are in row {row}, under an empty row 1"
        hint = f"delete the empty rows above row {row}, so that the header row is row 1"
        if any(not blank_row(r) for r in sheet.rows[:below]):
            hint = (
                f"move what is above row {row} below the table or to another tab, so that "
                "the header row is row 1"
            )
    else:
        row = next(i for i, r in enumerate(sheet.rows) if not blank_row(r)) + 1
        col, shown = _first_filled(sheet.rows[row - 1])
        what = f"row {row} holds {shown} under an empty row 1: the tab has no header row"
        hint = (
            "type the headers in row 1, each above the column it names; if these rows are "
            f"your own, move them to a tab of your own (init then adds the tool's '{tab.name}')"
        )
    return Finding(sheet.title, row, col, what, hint)


def _header_row_below(tab: Tab, sheet: RawSheet) -> int | None:
    """The 0-based row below row 1 that names any of the tab's columns, near the top."""
    for index, row in enumerate(sheet.rows[1:HEADER_SEARCH_ROWS], start=1):
        if resolve_layout(tab, RawSheet(sheet.title, [list(row)])).columns:
            return index
    return None


def _first_filled(row: Sequence[object]) -> tuple[int, str]:
    """The first cell of `row` that holds anything, and what it holds as people read it."""
    filled = [(i, cells.clean_text(v)) for i, v in enumerate(row) if not is_blank(v)]
    col, text = filled[0]
    shown = f"'{text}'" if len(text) <= 40 else f"'{text[:37]}...'"
    more = len(filled) - 1
    if more:
        shown += f" and {more} more cell{'s' * (more != 1)}"
    return col, shown


def _some_headers(tab: Tab) -> str:
    names = [c.name for c in tab.columns]
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def headers_after(fresh: RawWorkbook, plan: Plan) -> dict[str, list[object]]:
    """Row 1 of every tab as it will be once `plan` is written."""
    headers: dict[str, list[object]] = {
        t: list(s.rows[0]) if s.rows else [] for t, s in fresh.items()
    }
    for title in plan.new_sheets:
        headers[title] = []
    for w in plan.writes:
        if w.row == 0:
            row = headers[w.title]
            row.extend([None] * (w.col + 1 - len(row)))
            row[w.col] = w.value
    return headers


def _lay_out(row: Mapping[str, Value], columns: dict[str, int]) -> list[Value]:
    out: list[Value] = []
    for name, value in row.items():
        index = columns[name]
        out.extend([None] * (index + 1 - len(out)))
        out[index] = value
    return out
