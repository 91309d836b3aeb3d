"""What `init` adds to a sheet: missing tabs and headers, and sample rows for empty tabs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alumni.contract import TABS
from alumni.sheet.plan import Plan, complete_header
from alumni.sheet.store import InitResult
from alumni.sheet.workbook import RawWorkbook, Value, blank_row, locate_tabs, resolve_layout


def has_data(raw: RawWorkbook) -> list[str]:
    """The titles of tabs that hold anything below their header row."""
    return [t for t, s in raw.items() if any(not blank_row(r) for r in s.rows[1:])]


def plan_init(
    fresh: RawWorkbook, rows: Mapping[str, Sequence[Mapping[str, Value]]] | None = None
) -> tuple[Plan, InitResult]:
    """Add every missing tab and header, never touching a cell that holds anything.

    Missing headers go into the first free cells of row 1. With `rows`, each tab's sample rows
    are laid out under the headers as the sheet has them.
    """
    plan = Plan()
    result = InitResult(created=not fresh)
    titles, _ = locate_tabs(fresh)
    for tab in TABS:
        found = titles[tab.name]
        sheet = fresh.get(found) if found else None
        title = sheet.title if sheet is not None else tab.name
        if sheet is None:
            plan.new_sheets.append(title)
            result.tabs_added.append(title)
            header: list[object] = []
            layout_columns: dict[str, int] = {}
        else:
            header = list(sheet.rows[0]) if sheet.rows else []
            layout_columns = dict(resolve_layout(tab, sheet).columns)
        for write in complete_header(tab, title, header, layout_columns):
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
    return plan, result


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
