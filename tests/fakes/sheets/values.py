"""The values API: ragged rows, no ``values`` key when empty, RAW vs USER_ENTERED writes.

Every endpoint returns its answer and the book to keep: a write works on a snapshot, which is
kept only if the whole request succeeds.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import date, datetime
from typing import Any

from tests.fakes.sheets.cells import TOO_LONG, Cell, render, serial, too_long
from tests.fakes.sheets.model import Book, Sheet, insert_dim
from tests.fakes.sheets.ranges import a1, col_letter, grid_limit_message, parse_range, ranges_param
from tests.fakes.sheets.responses import ApiError

Answer = tuple[dict[str, Any], Book]

# ----------------------------------------------------------------------------- reads


def read(book: Book, text: str, params: dict[str, Any]) -> dict[str, Any]:
    """One ValueRange: rows ragged (trailing blanks dropped), ``values`` absent when empty."""
    value_render = _enum(
        params,
        "valueRenderOption",
        "FORMATTED_VALUE",
        ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"),
    )
    dt_render = _enum(
        params, "dateTimeRenderOption", "SERIAL_NUMBER", ("SERIAL_NUMBER", "FORMATTED_STRING")
    )
    major = _enum(params, "majorDimension", "ROWS", ("ROWS", "COLUMNS"))
    rng = parse_range(book, text)
    sheet = rng.sheet
    r0, c0, r1, c1 = rng.clipped(text)
    found: dict[tuple[int, int], Any] = {}
    for (r, c), cell in sheet.cells.items():
        if r0 <= r < r1 and c0 <= c < c1:
            shown = render(cell, value_render, dt_render, book.locale)
            if shown is not None:
                found[(r - r0, c - c0) if major == "ROWS" else (c - c0, r - r0)] = shown
    out: dict[str, Any] = {"range": a1(sheet, r0, c0, r1, c1), "majorDimension": major}
    if found:
        height = max(r for r, _ in found) + 1
        widths = [0] * height
        for r, c in found:
            widths[r] = max(widths[r], c + 1)
        out["values"] = [[found.get((r, c), "") for c in range(widths[r])] for r in range(height)]
    return out


def values_get(book: Book, text: str, params: dict[str, Any]) -> Answer:
    return read(book, text, params), book


def batch_get(book: Book, params: dict[str, Any]) -> Answer:
    ranges = ranges_param(params.get("ranges"))
    out: dict[str, Any] = {"spreadsheetId": book.key}
    if ranges:
        out["valueRanges"] = [read(book, text, params) for text in ranges]
    return out, book


# ----------------------------------------------------------------------------- writes


def values_update(book: Book, text: str, params: dict[str, Any], body: Any) -> Answer:
    option = _input_option(params.get("valueInputOption"))
    body = body or {}
    if body.get("range") is not None:
        url_range, body_range = parse_range(book, text), parse_range(book, body["range"])
        if (
            url_range.sheet.sheet_id,
            url_range.r0,
            url_range.c0,
            url_range.r1,
            url_range.c1,
        ) != (
            body_range.sheet.sheet_id,
            body_range.r0,
            body_range.c0,
            body_range.r1,
            body_range.c1,
        ):
            raise ApiError(
                400, f"Requested range [{body['range']}] does not match the URL range [{text}]."
            )
    work = book.snapshot()
    result = _write_values(work, text, body, option)
    result = {"spreadsheetId": book.key, **result}
    if str(params.get("includeValuesInResponse", "false")).lower() == "true":
        result["updatedData"] = read(
            work,
            result["updatedRange"],
            {
                "valueRenderOption": params.get("responseValueRenderOption"),
                "dateTimeRenderOption": params.get("responseDateTimeRenderOption"),
            },
        )
    return result, work


def values_batch_update(book: Book, body: Any) -> Answer:
    body = body or {}
    option = _input_option(body.get("valueInputOption"))
    work = book.snapshot()
    responses = []
    for i, entry in enumerate(body.get("data") or []):
        if "range" not in entry:
            raise ApiError(400, f"Invalid data[{i}]: range is required")
        try:
            written = _write_values(work, entry["range"], entry, option)
        except ApiError as exc:
            if exc.message == TOO_LONG:
                raise ApiError(400, f"Invalid data[{i}]: {TOO_LONG}") from None
            raise
        responses.append({"spreadsheetId": book.key, **written})
    out: dict[str, Any] = {"spreadsheetId": book.key}
    if responses:
        out.update(
            {
                "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
                "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in responses}),
                "responses": responses,
            }
        )
    return out, work


def values_append(book: Book, text: str, params: dict[str, Any], body: Any) -> Answer:
    option = _input_option(params.get("valueInputOption"))
    insert = _enum(params, "insertDataOption", "OVERWRITE", ("OVERWRITE", "INSERT_ROWS"))
    body = body or {}
    work = book.snapshot()
    rng = parse_range(work, text)
    sheet = rng.sheet
    matrix = _matrix(body, option)
    c_lo = rng.c0
    c_hi = sheet.col_count if rng.c1 is None else rng.c1

    def has_data(r: int) -> bool:
        return any((r, c) in sheet.cells for c in range(c_lo, c_hi))

    # The real API looks for a *contiguous* table starting at the range: a blank row ends
    # it, so a gap left by a person gets filled first.
    start = rng.r0
    if not rng.explicit_rows:
        data_rows = sorted({r for r, c in sheet.cells if c_lo <= c < c_hi})
        start = data_rows[0] if data_rows else 0
    end = start
    while has_data(end):
        end += 1
    table_cols = [c for (r, c) in sheet.cells if start <= r < end and c_lo <= c < c_hi]
    col0 = min(table_cols) if table_cols and rng.c1 is None and rng.c0 == 0 else rng.c0
    height = len(matrix)
    width = max((len(row) for row in matrix), default=0)
    if insert == "INSERT_ROWS" and height:
        insert_dim(sheet, "ROWS", end, height)
    sheet.row_count = max(sheet.row_count, end + height)
    sheet.col_count = max(sheet.col_count, col0 + width)
    updated = _put_matrix(sheet, end, col0, matrix)
    out: dict[str, Any] = {"spreadsheetId": book.key}
    if end > start:
        out["tableRange"] = a1(sheet, start, min(table_cols), end, max(table_cols) + 1)
    out["updates"] = {"spreadsheetId": book.key, **updated}
    return out, work


def values_clear(book: Book, text: str) -> Answer:
    work = book.snapshot()
    cleared = _clear(work, text)
    return {"spreadsheetId": book.key, "clearedRange": cleared}, work


def values_batch_clear(book: Book, body: Any) -> Answer:
    work = book.snapshot()
    cleared = [_clear(work, text) for text in (body or {}).get("ranges") or []]
    return {"spreadsheetId": book.key, "clearedRanges": cleared}, work


# ----------------------------------------------------------------------------- RAW vs USER_ENTERED

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATETIME_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def _user_entered(text: str) -> Cell | None:
    """Parse a string the way the Sheets UI does when a person types it."""
    if text == "":
        return None
    if text.startswith("'"):
        # The apostrophe forces text and is not stored.
        return Cell("string", text[1:]) if len(text) > 1 else None
    if text.startswith("=") and len(text) > 1:
        return Cell("formula", text)
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return Cell("bool", stripped.upper() == "TRUE")
    if _NUMBER_RE.fullmatch(stripped):
        number = float(stripped.replace(",", "."))
        return Cell(
            "number",
            int(number)
            if number.is_integer() and "e" not in stripped.lower() and abs(number) < 2**53
            else number,
        )
    m = _DATETIME_RE.fullmatch(stripped)
    if m:
        with contextlib.suppress(ValueError):
            y, mo, d, h, mi = (int(g) for g in m.groups()[:5])
            dt = datetime(y, mo, d, h, mi, int(m.group(6) or 0))
            return Cell("number", serial(dt), "DATE_TIME")
    m = _DATE_RE.fullmatch(stripped)
    if m:
        with contextlib.suppress(ValueError):
            return Cell("number", serial(date(*(int(g) for g in m.groups()))), "DATE")
    return Cell("string", text)


_SKIP = object()  # a JSON null in a values write: leave that cell alone


def _input_cell(value: Any, option: str, where: str) -> Any:
    if value is None:
        return _SKIP
    if isinstance(value, bool):
        return Cell("bool", value)
    if isinstance(value, int | float):
        return Cell("number", value)
    if isinstance(value, str):
        if too_long(value):
            raise ApiError(400, TOO_LONG)
        if option == "RAW":
            return Cell("string", value) if value != "" else None
        return _user_entered(value)
    raise ApiError(
        400,
        f"Invalid values[{where}]: {type(value).__name__}_value "
        f"({json.dumps(value, ensure_ascii=False)[:60]})",
    )


def _input_option(value: Any) -> str:
    if value in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise ApiError(400, "'valueInputOption' is required but not specified")
    if value not in ("RAW", "USER_ENTERED"):
        raise ApiError(
            400,
            f"Invalid value at 'value_input_option' "
            f"(type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "
            f'"{value}"',
        )
    return str(value)


def _enum(params: dict[str, Any], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name)
    if value in (None, ""):
        return default
    if value not in allowed:
        snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
        raise ApiError(400, f"Invalid value at '{snake}', \"{value}\"")
    return str(value)


# ----------------------------------------------------------------------------- writing cells


def _matrix(body: dict[str, Any], option: str) -> list[list[Any]]:
    values = body.get("values") or []
    if not isinstance(values, list) or any(not isinstance(row, list) for row in values):
        raise ApiError(400, "Invalid values: expected a list of lists")
    matrix = [
        [_input_cell(v, option, f"{i}][{j}") for j, v in enumerate(row)]
        for i, row in enumerate(values)
    ]
    if (body.get("majorDimension") or "ROWS") == "COLUMNS":
        height = max((len(col) for col in matrix), default=0)
        matrix = [[col[r] if r < len(col) else _SKIP for col in matrix] for r in range(height)]
    return matrix


def _put_matrix(sheet: Sheet, r0: int, c0: int, matrix: list[list[Any]]) -> dict[str, Any]:
    rows: set[int] = set()
    cols: set[int] = set()
    for i, row in enumerate(matrix):
        for j, cell in enumerate(row):
            if cell is _SKIP:
                continue
            old = sheet.cells.get((r0 + i, c0 + j))
            # A number typed into a cell a person formatted as a date stays a date.
            if (
                isinstance(cell, Cell)
                and cell.kind == "number"
                and cell.number_format is None
                and old is not None
                and old.number_format is not None
            ):
                cell = Cell("number", cell.value, old.number_format)
            sheet.put(r0 + i, c0 + j, cell)
            rows.add(i)
            cols.add(j)
    height = len(matrix)
    width = max((len(row) for row in matrix), default=0)
    out: dict[str, Any] = {
        "updatedRange": a1(sheet, r0, c0, r0 + max(height, 1), c0 + max(width, 1))
    }
    if rows:
        out.update(
            updatedRows=len(rows),
            updatedColumns=len(cols),
            updatedCells=sum(1 for row in matrix for cell in row if cell is not _SKIP),
        )
    return out


def _write_values(book: Book, text: str, body: dict[str, Any], option: str) -> dict[str, Any]:
    rng = parse_range(book, text)
    sheet = rng.sheet
    matrix = _matrix(body, option)
    height = len(matrix)
    width = max((len(row) for row in matrix), default=0)
    bounded = not rng.anchor
    if bounded and rng.r1 is not None and rng.r0 + height > rng.r1:
        raise ApiError(
            400,
            f"Requested writing within range [{text}], but tried writing to "
            f"row [{rng.r0 + height}]",
        )
    if bounded and rng.c1 is not None and rng.c0 + width > rng.c1:
        raise ApiError(
            400,
            f"Requested writing within range [{text}], but tried writing to "
            f"column [{col_letter(rng.c0 + width - 1)}]",
        )
    if rng.r0 + height > sheet.row_count or rng.c0 + width > sheet.col_count:
        shown = a1(sheet, rng.r0, rng.c0, rng.r0 + max(height, 1), rng.c0 + max(width, 1))
        raise ApiError(400, grid_limit_message(shown, sheet))
    return _put_matrix(sheet, rng.r0, rng.c0, matrix)


def _clear(book: Book, text: str) -> str:
    rng = parse_range(book, text)
    r0, c0, r1, c1 = rng.clipped(text)
    sheet = rng.sheet
    for r, c in [k for k in sheet.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1]:
        del sheet.cells[(r, c)]
    return a1(sheet, r0, c0, r1, c1)
