"""spreadsheets.get: the tabs' properties (zero freezes left out), format rules and grid data."""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes.sheets.cells import render
from tests.fakes.sheets.fields import parse_mask
from tests.fakes.sheets.model import Book, Sheet
from tests.fakes.sheets.ranges import Range, a1, parse_range, ranges_param


def get_spreadsheet(book: Book, params: dict[str, Any]) -> dict[str, Any]:
    grid = str(params.get("includeGridData", "false")).lower() == "true"
    if "fields" in params:
        # The reference: includeGridData "is ignored if a field mask was set in the request".
        sheets_mask = (parse_mask(str(params["fields"])) or {}).get("sheets", {})
        grid = sheets_mask is None or "data" in sheets_mask
    return spreadsheet(book, ranges_param(params.get("ranges")), grid)


def spreadsheet(book: Book, ranges: list[str], grid: bool) -> dict[str, Any]:
    """The Spreadsheet resource: every tab, or those of ``ranges``, with their grid data if
    ``grid``. A tab named by several ranges appears once, with one GridData per range in the
    order asked (the reference's example: Sheet1!A1:C10 and Sheet1!D15:E20)."""
    wanted: dict[int, tuple[Sheet, list[Range | None]]] = {}
    if ranges:
        for text in ranges:
            rng = parse_range(book, text)
            wanted.setdefault(rng.sheet.sheet_id, (rng.sheet, []))[1].append(rng)
    else:
        wanted = {s.sheet_id: (s, [None]) for s in book.sheets}
    sheets = []
    # In the spreadsheet's order of tabs, whatever the order of the ranges.
    for sheet, parts in sorted(wanted.values(), key=lambda w: book.sheets.index(w[0])):
        entry: dict[str, Any] = {"properties": sheet_properties(book, sheet)}
        if grid:
            entry["data"] = [_grid_data(book, sheet, part) for part in parts]
        if sheet.merges:
            entry["merges"] = [_grid_range(sheet, *m) for m in sheet.merges]
        if sheet.conditional_formats:
            entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
        sheets.append(entry)
    return {
        "spreadsheetId": book.key,
        "properties": {
            "title": book.title,
            "locale": book.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": book.time_zone,
        },
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.key}/edit",
    }


def _grid_range(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> dict[str, int]:
    """A GridRange as proto3 JSON writes it: a field that is zero is left out."""
    fields = {
        "sheetId": sheet.sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }
    return {k: v for k, v in fields.items() if v}


DEFAULT_PIXELS = 100
"""The width of a column nobody resized."""

ERROR_TYPES = {
    "#ERROR!": "ERROR",
    "#NULL!": "NULL_VALUE",
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
    "#N/A": "N_A",
}
"""A formula's error as values.get shows it, and its ErrorValue.type in grid data."""


def sheet_properties(book: Book, sheet: Sheet) -> dict[str, Any]:
    grid: dict[str, Any] = {"rowCount": sheet.row_count, "columnCount": sheet.col_count}
    # Like the real API, zero freeze counts are omitted rather than sent as 0.
    if sheet.frozen_rows:
        grid["frozenRowCount"] = sheet.frozen_rows
    if sheet.frozen_cols:
        grid["frozenColumnCount"] = sheet.frozen_cols
    props: dict[str, Any] = {
        "sheetId": sheet.sheet_id,
        "title": sheet.title,
        "index": book.sheets.index(sheet),
        "sheetType": "GRID",
        "gridProperties": grid,
    }
    if sheet.hidden:
        props["hidden"] = True
    return props


def _grid_data(book: Book, sheet: Sheet, rng: Range | None) -> dict[str, Any]:
    r0, c0, r1, c1 = (
        (0, 0, sheet.row_count, sheet.col_count)
        if rng is None
        else rng.clipped(a1(sheet, rng.r0, rng.c0, rng.r0 + 1, rng.c0 + 1))
    )
    out: dict[str, Any] = {}
    if r0:
        out["startRow"] = r0
    if c0:
        out["startColumn"] = c0
    rows: list[dict[str, Any]] = []
    # A cell is in the answer when it holds a value, a validation rule or a number format.
    used: dict[int, set[int]] = {}
    for r, c in (*sheet.cells, *sheet.validations, *sheet.formats):
        if r0 <= r < r1 and c0 <= c < c1:
            used.setdefault(r, set()).add(c)
    last = max(used, default=r0 - 1)
    for r in range(r0, last + 1):
        cols = used.get(r, set())
        values: list[dict[str, Any]] = []
        for c in range(c0, (max(cols) + 1) if cols else c0):
            cell = sheet.cells.get((r, c))
            settings: dict[str, Any] = {}
            if (r, c) in sheet.validations:
                settings["dataValidation"] = copy.deepcopy(sheet.validations[(r, c)])
            if (r, c) in sheet.formats:
                settings["userEnteredFormat"] = {"numberFormat": dict(sheet.formats[(r, c)])}
            if cell is None:
                values.append(settings)
                continue
            data: dict[str, Any] = {"userEnteredValue": cell.user_entered_value(), **settings}
            effective = render(cell, "UNFORMATTED_VALUE", "SERIAL_NUMBER", book.locale)
            if cell.kind == "formula" and effective in ERROR_TYPES:
                # A formula's error is an ErrorValue, not text (values.get shows it as text).
                data["effectiveValue"] = {
                    "errorValue": {"type": ERROR_TYPES[effective], "message": f"{effective}"}
                }
            elif isinstance(effective, bool):
                data["effectiveValue"] = {"boolValue": effective}
            elif isinstance(effective, int | float):
                data["effectiveValue"] = {"numberValue": effective}
            elif effective is not None:
                data["effectiveValue"] = {"stringValue": effective}
            shown = render(cell, "FORMATTED_VALUE", "SERIAL_NUMBER", book.locale)
            if shown is not None:
                data["formattedValue"] = shown
            if cell.number_format and "userEnteredFormat" not in data:
                data["userEnteredFormat"] = {"numberFormat": {"type": cell.number_format}}
            values.append(data)
        rows.append({"values": values} if values else {})
    if rows:
        out["rowData"] = rows
    out["rowMetadata"] = [{"pixelSize": 21} for _ in range(r0, r1)]
    out["columnMetadata"] = [
        {"pixelSize": sheet.col_widths.get(c, DEFAULT_PIXELS)} for c in range(c0, c1)
    ]
    return out
