"""spreadsheets:batchUpdate: the request kinds the fake models, applied all or nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from tests.fakes.sheets.cells import DATE_FORMATS, TOO_LONG, Cell, too_long
from tests.fakes.sheets.fields import covers, parse_mask
from tests.fakes.sheets.metadata import sheet_properties, spreadsheet
from tests.fakes.sheets.model import (
    DEFAULT_COLS,
    DEFAULT_ROWS,
    Book,
    Sheet,
    delete_dim,
    insert_dim,
    merge,
    sort_rows,
    truncate,
    unmerge,
)
from tests.fakes.sheets.ranges import a1, grid_limit_message
from tests.fakes.sheets.responses import ApiError

# Request kinds the real API has but the fake does not model; named in the 400 so a product
# test fails with a clear reason instead of an "unknown field" puzzle.
_REAL_ONLY_KINDS = {
    "copyPaste",
    "cutPaste",
    "duplicateSheet",
    "findReplace",
    "addNamedRange",
    "updateNamedRange",
    "deleteNamedRange",
    "addProtectedRange",
    "updateProtectedRange",
    "deleteProtectedRange",
    "addFilterView",
    "updateFilterView",
    "deleteFilterView",
    "duplicateFilterView",
    "addChart",
    "updateChartSpec",
    "deleteEmbeddedObject",
    "moveDimension",
    "insertRange",
    "deleteRange",
    "pasteData",
    "textToColumns",
    "randomizeRange",
    "addBanding",
    "updateBanding",
    "deleteBanding",
    "addDimensionGroup",
    "deleteDimensionGroup",
    "updateDimensionGroup",
    "trimWhitespace",
    "deleteDuplicates",
    "addSlicer",
    "updateSlicerSpec",
    "addDataSource",
    "updateDataSource",
    "deleteDataSource",
    "refreshDataSource",
    "cancelDataSourceRefresh",
    "autoFill",
    "updateEmbeddedObjectPosition",
    "updateEmbeddedObjectBorder",
    "createDeveloperMetadata",
    "updateDeveloperMetadata",
    "deleteDeveloperMetadata",
    "addTable",
    "updateTable",
    "deleteTable",
    "updateConditionalFormatRule",
}
# Pure presentation requests: accepted (validated for sheetId) and logged, no value effect.
_FORMAT_ONLY_KINDS = {
    "autoResizeDimensions",
    "updateBorders",
    "setBasicFilter",
    "clearBasicFilter",
}


_BODY = ("requests", "includeSpreadsheetInResponse", "responseRanges", "responseIncludeGridData")
"""The fields of a BatchUpdateSpreadsheetRequest."""


def batch_update(
    book: Book, body: Any, params: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Book]:
    """Apply every request to a copy of ``book``; the answer and the copy to keep.

    With ``includeSpreadsheetInResponse`` the answer holds the spreadsheet as the requests
    left it (``responseRanges`` limit it; grid data comes with ``responseIncludeGridData``,
    which "is ignored if a field mask was set in the request": then the mask decides).
    """
    body = body or {}
    for name in body:
        if name not in _BODY:
            raise ApiError(
                400, f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
            )
    reqs = body.get("requests") or []
    if not reqs:
        raise ApiError(400, "Must specify at least one request.")
    # Work on a copy so that one invalid request leaves the spreadsheet untouched.
    work = book.snapshot()
    replies = []
    for i, req in enumerate(reqs):
        if not isinstance(req, dict) or len(req) != 1:
            raise ApiError(
                400, f"Invalid requests[{i}]: exactly one kind of request per entry is allowed"
            )
        kind, arg = next(iter(req.items()))
        where = f"requests[{i}].{kind}"
        check_names(kind, arg, i)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            replies.append(handler(work, arg or {}, where))
        elif kind in _FORMAT_ONLY_KINDS:
            _check_sheet_refs(work, arg or {}, where)
            work.format_requests.append((kind, copy.deepcopy(arg)))
            replies.append({})
        elif kind in _REAL_ONLY_KINDS:
            raise ApiError(
                400,
                f"Invalid {where}: the fake Sheets API does not support "
                f"'{kind}' (tests/fakes/sheets/batch.py)",
            )
        else:
            raise ApiError(
                400,
                f'Invalid JSON payload received. Unknown name "{kind}" '
                f"at 'requests[{i}]': Cannot find field.",
            )
    out: dict[str, Any] = {"spreadsheetId": book.key, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        grid = bool(body.get("responseIncludeGridData"))
        if params and "fields" in params:
            grid = _mask_has_grid(parse_mask(str(params["fields"])))
        ranges = body.get("responseRanges") or []
        out["updatedSpreadsheet"] = spreadsheet(work, list(ranges), grid)
    return out, work


def _mask_has_grid(mask: dict[str, Any] | None) -> bool:
    """Whether a field mask of the answer asks for updatedSpreadsheet.sheets.data."""
    for name in ("updatedSpreadsheet", "sheets"):
        if mask is None:
            return True
        if name not in mask:
            return False
        mask = mask[name]
    return mask is None or "data" in mask


# ----------------------------------------------------------------------------- shared checks


def _grid_range(book: Book, rng: dict[str, Any], where: str) -> tuple[Sheet, int, int, int, int]:
    # proto3 JSON drops zero values, so a missing sheetId means sheet 0.
    sheet = book.by_id(int(rng.get("sheetId", 0)), where)
    r0 = int(rng.get("startRowIndex", 0))
    c0 = int(rng.get("startColumnIndex", 0))
    r1 = int(rng.get("endRowIndex", sheet.row_count))
    c1 = int(rng.get("endColumnIndex", sheet.col_count))
    if min(r0, c0) < 0 or r1 < r0 or c1 < c0:
        raise ApiError(400, f"Invalid {where}: invalid GridRange {json.dumps(rng)}")
    if r1 > sheet.row_count or c1 > sheet.col_count:
        raise ApiError(
            400, f"Invalid {where}: " + grid_limit_message(a1(sheet, r0, c0, r1, c1), sheet)
        )
    return sheet, r0, c0, r1, c1


def _require_fields(arg: dict[str, Any], where: str) -> dict[str, Any] | None:
    fields = arg.get("fields")
    if not fields:
        raise ApiError(400, f"Invalid {where}: At least one field must be specified.")
    return parse_mask(str(fields))


def _check_sheet_refs(book: Book, arg: Any, where: str) -> None:
    """Every sheetId mentioned anywhere in a request must exist."""
    if isinstance(arg, dict):
        for k, v in arg.items():
            if k == "sheetId":
                book.by_id(int(v), where)
            else:
                _check_sheet_refs(book, v, where)
    elif isinstance(arg, list):
        for v in arg:
            _check_sheet_refs(book, v, where)


# ----------------------------------------------------------------------------- field names

# The messages' fields as the Sheets v4 reference names them, for the requests whose every
# field the fake checks; ANY stands for a message the fake accepts without looking inside.
ANY: dict[str, Any] = {}
_GRID_RANGE = dict.fromkeys(
    ("sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
)
_DIMENSION_RANGE = dict.fromkeys(("sheetId", "dimension", "startIndex", "endIndex"))
_CONDITION = {"type": None, "values": {"relativeDate": None, "userEnteredValue": None}}
_RULE = {"condition": _CONDITION, "inputMessage": None, "strict": None, "showCustomUi": None}
_CELL_FORMAT = {
    "numberFormat": {"type": None, "pattern": None},
    **{
        name: ANY
        for name in (
            "backgroundColor",
            "backgroundColorStyle",
            "borders",
            "padding",
            "textFormat",
            "textRotation",
        )
    },
    **dict.fromkeys(
        (
            "horizontalAlignment",
            "verticalAlignment",
            "wrapStrategy",
            "textDirection",
            "hyperlinkDisplayType",
        )
    ),
}
_CELL_DATA = {
    "userEnteredValue": ANY,
    "userEnteredFormat": _CELL_FORMAT,
    "note": None,
    "textFormatRuns": ANY,
    "dataValidation": _RULE,
    "pivotTable": ANY,
    "dataSourceTable": ANY,
    "dataSourceFormula": ANY,
}
_SCHEMAS: dict[str, dict[str, Any]] = {
    "setDataValidation": {"range": _GRID_RANGE, "rule": _RULE, "filteredRowsIncluded": None},
    "repeatCell": {"range": _GRID_RANGE, "cell": _CELL_DATA, "fields": None},
    "updateDimensionProperties": {
        "range": _DIMENSION_RANGE,
        "dataSourceSheetRange": ANY,
        "properties": {
            "hiddenByFilter": None,
            "hiddenByUser": None,
            "pixelSize": None,
            "developerMetadata": ANY,
            "dataSourceColumnReference": ANY,
        },
        "fields": None,
    },
    "updateSheetProperties": {
        "properties": {
            "sheetId": None,
            "title": None,
            "index": None,
            "sheetType": None,
            "gridProperties": dict.fromkeys(
                (
                    "rowCount",
                    "columnCount",
                    "frozenRowCount",
                    "frozenColumnCount",
                    "hideGridlines",
                    "rowGroupControlAfter",
                    "columnGroupControlAfter",
                )
            ),
            "hidden": None,
            "tabColor": ANY,
            "tabColorStyle": ANY,
            "rightToLeft": None,
            "dataSourceSheetProperties": ANY,
        },
        "fields": None,
    },
}
_ENUMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "condition.type": (
        "ConditionType",
        (
            "CONDITION_TYPE_UNSPECIFIED",
            "NUMBER_GREATER",
            "NUMBER_GREATER_THAN_EQ",
            "NUMBER_LESS",
            "NUMBER_LESS_THAN_EQ",
            "NUMBER_EQ",
            "NUMBER_NOT_EQ",
            "NUMBER_BETWEEN",
            "NUMBER_NOT_BETWEEN",
            "TEXT_CONTAINS",
            "TEXT_NOT_CONTAINS",
            "TEXT_STARTS_WITH",
            "TEXT_ENDS_WITH",
            "TEXT_EQ",
            "TEXT_IS_EMAIL",
            "TEXT_IS_URL",
            "DATE_EQ",
            "DATE_BEFORE",
            "DATE_AFTER",
            "DATE_ON_OR_BEFORE",
            "DATE_ON_OR_AFTER",
            "DATE_BETWEEN",
            "DATE_NOT_BETWEEN",
            "DATE_IS_VALID",
            "ONE_OF_RANGE",
            "ONE_OF_LIST",
            "BLANK",
            "NOT_BLANK",
            "CUSTOM_FORMULA",
            "BOOLEAN",
            "TEXT_NOT_EQ",
            "DATE_NOT_EQ",
            "FILTER_EXPRESSION",
        ),
    ),
    "number_format.type": (
        "NumberFormatType",
        (
            "NUMBER_FORMAT_TYPE_UNSPECIFIED",
            "TEXT",
            "NUMBER",
            "PERCENT",
            "CURRENCY",
            "DATE",
            "TIME",
            "DATE_TIME",
            "SCIENTIFIC",
        ),
    ),
    "range.dimension": ("Dimension", ("DIMENSION_UNSPECIFIED", "ROWS", "COLUMNS")),
}


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)


def check_names(kind: str, arg: Any, index: int) -> None:
    """Refuse a field the real API does not know, and an enum value it does not have, with
    the real answer's wording (field paths in snake_case)."""
    schema = _SCHEMAS.get(kind)
    if schema is not None:
        _check_message(arg, schema, f"requests[{index}].{_snake(kind)}")


def _check_message(obj: Any, schema: dict[str, Any], path: str) -> None:
    if schema is ANY:
        return
    items = obj if isinstance(obj, list) else [obj]
    for item in items:
        if not isinstance(item, dict):
            continue
        for name, value in item.items():
            if name not in schema:
                raise ApiError(
                    400,
                    f'Invalid JSON payload received. Unknown name "{name}" at '
                    f"'{path}': Cannot find field.",
                )
            where = f"{path}.{_snake(name)}"
            enum = next((e for suffix, e in _ENUMS.items() if where.endswith(suffix)), None)
            if enum is not None and value not in enum[1]:
                raise ApiError(
                    400,
                    f"Invalid value at '{where}' "
                    f'(type.googleapis.com/google.apps.sheets.v4.{enum[0]}), "{value}"',
                )
            if schema[name] is not None:
                _check_message(value, schema[name], where)


# ----------------------------------------------------------------------------- cells


def _cell_data(
    data: dict[str, Any], mask: dict[str, Any] | None, old: Cell | None, where: str
) -> Cell | None:
    """Apply one CellData under a fields mask to the old cell."""
    cell = old
    if covers(mask, "userEnteredValue"):
        ev = data.get("userEnteredValue") or {}
        if not ev:
            cell = None
        elif len(ev) != 1:
            raise ApiError(400, f"Invalid {where}: ExtendedValue must have exactly one value")
        else:
            kind, value = next(iter(ev.items()))
            checks: dict[str, tuple[str, Callable[[Any], bool]]] = {
                "stringValue": ("string", lambda v: isinstance(v, str)),
                "numberValue": (
                    "number",
                    lambda v: isinstance(v, int | float) and not isinstance(v, bool),
                ),
                "boolValue": ("bool", lambda v: isinstance(v, bool)),
                "formulaValue": ("formula", lambda v: isinstance(v, str) and v.startswith("=")),
            }
            if kind not in checks or not checks[kind][1](value):
                raise ApiError(400, f"Invalid {where}: unsupported value {json.dumps(ev)}")
            if too_long(value):
                raise ApiError(400, f"Invalid {where}: {TOO_LONG}")
            fmt = old.number_format if old is not None else None
            cell = (
                None if value == "" and kind == "stringValue" else Cell(checks[kind][0], value, fmt)
            )
    if covers(mask, "userEnteredFormat", "numberFormat") and cell is not None:
        number_format = (data.get("userEnteredFormat") or {}).get("numberFormat") or {}
        kind = number_format.get("type")
        cell = Cell(cell.kind, cell.value, kind if kind in DATE_FORMATS else None)
    return cell


def _write_rows(
    sheet: Sheet,
    r0: int,
    c0: int,
    rows: list[dict[str, Any]],
    mask: dict[str, Any] | None,
    where: str,
) -> None:
    for i, row in enumerate(rows):
        for j, data in enumerate(row.get("values") or []):
            r, c = r0 + i, c0 + j
            sheet.put(r, c, _cell_data(data or {}, mask, sheet.cells.get((r, c)), where))


def _rows_size(rows: list[dict[str, Any]]) -> tuple[int, int]:
    return len(rows), max((len(r.get("values") or []) for r in rows), default=0)


def _update_cells(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    rows = arg.get("rows") or []
    height, width = _rows_size(rows)
    if ("start" in arg) == ("range" in arg):
        raise ApiError(400, f"Invalid {where}: exactly one of start or range is required")
    if "start" in arg:
        start = arg["start"]
        sheet = book.by_id(int(start.get("sheetId", 0)), where)
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        if r0 + height > sheet.row_count or c0 + width > sheet.col_count:
            shown = a1(sheet, r0, c0, r0 + max(height, 1), c0 + max(width, 1))
            raise ApiError(400, f"Invalid {where}: " + grid_limit_message(shown, sheet))
        _write_rows(sheet, r0, c0, rows, mask, where)
        return {}
    sheet, r0, c0, r1, c1 = _grid_range(book, arg["range"], where)
    if height > r1 - r0 or width > c1 - c0:
        raise ApiError(400, f"Invalid {where}: rows do not fit in the range")
    # Cells of the range that the rows do not mention are cleared for the masked fields.
    for r in range(r0, r1):
        for c in range(c0, c1):
            if (r, c) in sheet.cells:
                sheet.put(r, c, _cell_data({}, mask, sheet.cells[(r, c)], where))
    _write_rows(sheet, r0, c0, rows, mask, where)
    return {}


def _append_cells(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    rows = arg.get("rows") or []
    height, width = _rows_size(rows)
    if width > sheet.col_count:
        shown = a1(sheet, 0, 0, 1, width)
        raise ApiError(400, f"Invalid {where}: " + grid_limit_message(shown, sheet))
    r0 = sheet.last_data_row()
    sheet.row_count = max(sheet.row_count, r0 + height)
    _write_rows(sheet, r0, 0, rows, mask, where)
    return {}


def _repeat_cell(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    sheet, r0, c0, r1, c1 = _grid_range(book, arg.get("range") or {}, where)
    data = arg.get("cell") or {}
    if covers(mask, "userEnteredValue"):
        for r in range(r0, r1):
            for c in range(c0, c1):
                sheet.put(r, c, _cell_data(data, mask, sheet.cells.get((r, c)), where))
    elif covers(mask, "userEnteredFormat", "numberFormat"):
        for (r, c), old in list(sheet.cells.items()):
            if r0 <= r < r1 and c0 <= c < c1:
                sheet.put(r, c, _cell_data(data, mask, old, where))
    if covers(mask, "userEnteredFormat", "numberFormat"):
        number_format = (data.get("userEnteredFormat") or {}).get("numberFormat")
        if number_format and not number_format.get("type"):
            raise ApiError(
                400, f"Invalid {where}: Invalid cell format: numberFormat.type is required"
            )
        # Empty cells keep the format too: what people type there later is shown by it.
        for r in range(r0, r1):
            for c in range(c0, c1):
                if number_format:
                    sheet.formats[(r, c)] = dict(number_format)
                else:
                    sheet.formats.pop((r, c), None)
    book.format_requests.append(("repeatCell", copy.deepcopy(arg)))
    return {}


def _set_data_validation(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    if "range" not in arg:
        raise ApiError(400, f"Invalid {where}: range is required")
    sheet, r0, c0, r1, c1 = _grid_range(book, arg["range"], where)
    rule = arg.get("rule")
    if rule:
        condition = rule.get("condition") or {}
        kind = condition.get("type")
        if not kind:
            raise ApiError(400, f"Invalid {where}: Invalid data validation rule: missing condition")
        values = condition.get("values") or []
        if kind in ("ONE_OF_LIST", "ONE_OF_RANGE", "CUSTOM_FORMULA") and not values:
            raise ApiError(
                400, f"Invalid {where}: Condition type {kind} requires at least one value."
            )
        if kind == "ONE_OF_LIST" and any("userEnteredValue" not in v for v in values):
            raise ApiError(400, f"Invalid {where}: ONE_OF_LIST values must be userEnteredValue.")
    # Without a rule the range's validation is cleared, as the reference says.
    for r in range(r0, r1):
        for c in range(c0, c1):
            if rule:
                sheet.validations[(r, c)] = copy.deepcopy(rule)
            else:
                sheet.validations.pop((r, c), None)
    book.format_requests.append(("setDataValidation", copy.deepcopy(arg)))
    return {}


def _update_dimension_properties(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    sheet, dim, start, end, _ = _dimension_range(book, arg.get("range") or {}, where, "endIndex")
    props = arg.get("properties") or {}
    if dim == "COLUMNS" and covers(mask, "pixelSize"):
        size = int(props.get("pixelSize", 0))
        if size < 0:
            raise ApiError(400, f"Invalid {where}: pixelSize must not be negative")
        for c in range(start, end):
            sheet.col_widths[c] = size
    book.format_requests.append(("updateDimensionProperties", copy.deepcopy(arg)))
    return {}


def _sort_range(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, r0, c0, r1, c1 = _grid_range(book, arg.get("range") or {}, where)
    specs = []
    for spec in arg.get("sortSpecs") or []:
        col = int(spec.get("dimensionIndex", 0))
        if not c0 <= col < c1:
            raise ApiError(400, f"Invalid {where}: sort column {col} is outside the range")
        specs.append((col, spec.get("sortOrder") == "DESCENDING"))
    if not specs:
        raise ApiError(400, f"Invalid {where}: sortSpecs must not be empty")
    sort_rows(sheet, r0, r1, c0, c1, specs)
    return {}


# ----------------------------------------------------------------------------- rows and columns


def _dimension_range(
    book: Book, rng: dict[str, Any], where: str, bound: str
) -> tuple[Sheet, str, int, int, int]:
    """The sheet, dimension, start, end and grid length; ``bound`` may not pass the grid's end."""
    sheet = book.by_id(int(rng.get("sheetId", 0)), where)
    dim = rng.get("dimension")
    if dim not in ("ROWS", "COLUMNS"):
        raise ApiError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS")
    start = int(rng.get("startIndex", 0))
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    end = int(rng.get("endIndex", limit))
    if start < 0 or end <= start:
        raise ApiError(400, f"Invalid {where}: invalid DimensionRange {json.dumps(rng)}")
    index = start if bound == "startIndex" else end
    if index > limit:
        raise ApiError(
            400, f"Invalid {where}: {bound} {index} is after the end of the grid ({limit})"
        )
    return sheet, dim, start, end, limit


def _append_dimension(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    length = int(arg.get("length", 0))
    if length <= 0:
        raise ApiError(400, f"Invalid {where}: length must be positive")
    if arg.get("dimension") == "ROWS":
        sheet.row_count += length
    elif arg.get("dimension") == "COLUMNS":
        sheet.col_count += length
    else:
        raise ApiError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS")
    return {}


def _insert_dimension(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, dim, start, end, _ = _dimension_range(book, arg.get("range") or {}, where, "startIndex")
    if arg.get("inheritFromBefore") and start == 0:
        raise ApiError(
            400,
            f"Invalid {where}: Cannot inherit from before the first "
            f"{'row' if dim == 'ROWS' else 'column'}.",
        )
    insert_dim(sheet, dim, start, end - start)
    return {}


def _delete_dimension(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, dim, start, end, limit = _dimension_range(
        book, arg.get("range") or {}, where, "endIndex"
    )
    if start == 0 and end == limit:
        noun = "rows" if dim == "ROWS" else "columns"
        raise ApiError(400, f"Invalid {where}: You can't delete all the {noun} on the sheet.")
    delete_dim(sheet, dim, start, end)
    return {}


# ----------------------------------------------------------------------------- tabs and the book


def _add_sheet(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    props = arg.get("properties") or {}
    title = props.get("title")
    if not title:
        n = len(book.sheets) + 1
        while book.by_title(f"Blad{n}") is not None:
            n += 1
        title = f"Blad{n}"
    book.check_title_free(title, where)
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = book.new_sheet_id()
    elif int(sheet_id) < 0 or any(s.sheet_id == int(sheet_id) for s in book.sheets):
        raise ApiError(400, f"Invalid {where}: Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    sheet = Sheet(
        int(sheet_id),
        title,
        int(grid.get("rowCount", DEFAULT_ROWS)),
        int(grid.get("columnCount", DEFAULT_COLS)),
        int(grid.get("frozenRowCount", 0)),
        int(grid.get("frozenColumnCount", 0)),
        bool(props.get("hidden", False)),
    )
    index = props.get("index")
    book.sheets.insert(
        len(book.sheets) if index is None else min(int(index), len(book.sheets)), sheet
    )
    return {"addSheet": {"properties": sheet_properties(book, sheet)}}


def _delete_sheet(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    if len(book.sheets) == 1:
        raise ApiError(400, f"Invalid {where}: You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    return {}


def _update_sheet_properties(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    props = arg.get("properties") or {}
    sheet = book.by_id(int(props.get("sheetId", 0)), where)
    grid = props.get("gridProperties") or {}
    if covers(mask, "title") and "title" in props:
        book.check_title_free(props["title"], where, ignore=sheet)
        sheet.title = props["title"]
    if covers(mask, "hidden"):
        sheet.hidden = bool(props.get("hidden", False))
    for name, attr in (("rowCount", "row_count"), ("columnCount", "col_count")):
        if covers(mask, "gridProperties", name) and name in grid:
            if int(grid[name]) <= 0:
                raise ApiError(400, f"Invalid {where}: {name} must be positive")
            setattr(sheet, attr, int(grid[name]))
    for name, attr in (("frozenRowCount", "frozen_rows"), ("frozenColumnCount", "frozen_cols")):
        if covers(mask, "gridProperties", name):
            setattr(sheet, attr, int(grid.get(name, 0)))
    if sheet.frozen_rows >= sheet.row_count and sheet.frozen_rows:
        raise ApiError(400, f"Invalid {where}: You can't freeze all visible rows on the sheet.")
    if sheet.frozen_cols >= sheet.col_count and sheet.frozen_cols:
        raise ApiError(400, f"Invalid {where}: You can't freeze all visible columns on the sheet.")
    truncate(sheet)
    if covers(mask, "index") and "index" in props:
        book.sheets.remove(sheet)
        book.sheets.insert(min(int(props["index"]), len(book.sheets)), sheet)
    return {}


def _update_spreadsheet_properties(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    props = arg.get("properties") or {}
    for name, attr in (("title", "title"), ("locale", "locale"), ("timeZone", "time_zone")):
        if covers(mask, name) and name in props:
            setattr(book, attr, props[name])
    return {}


# ----------------------------------------------------------------------------- merged cells


def _merge_cells(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    kind = arg.get("mergeType", "MERGE_ALL")
    if kind != "MERGE_ALL":
        raise ApiError(400, f"Invalid {where}: the fake models mergeType MERGE_ALL only")
    sheet, r0, c0, r1, c1 = _grid_range(book, arg.get("range") or {}, where)
    merge(sheet, r0, r1, c0, c1, where)
    return {}


def _unmerge_cells(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, r0, c0, r1, c1 = _grid_range(book, arg.get("range") or {}, where)
    unmerge(sheet, r0, r1, c0, c1, where)
    return {}


# ----------------------------------------------------------------------------- conditional formats


def _add_conditional_format(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    rule = arg.get("rule") or {}
    ranges = rule.get("ranges") or []
    if not ranges:
        raise ApiError(400, f"Invalid {where}: rule.ranges must not be empty")
    sheets = {_grid_range(book, r, where)[0].sheet_id for r in ranges}
    if len(sheets) != 1:
        raise ApiError(400, f"Invalid {where}: all ranges must be on the same sheet")
    if ("booleanRule" in rule) == ("gradientRule" in rule):
        raise ApiError(400, f"Invalid {where}: exactly one of booleanRule or gradientRule")
    sheet = book.by_id(sheets.pop(), where)
    index = int(arg.get("index", 0))
    if index > len(sheet.conditional_formats):
        raise ApiError(400, f"Invalid {where}: index {index} is out of range")
    sheet.conditional_formats.insert(index, copy.deepcopy(rule))
    return {}


def _delete_conditional_format(book: Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    index = int(arg.get("index", 0))
    if not 0 <= index < len(sheet.conditional_formats):
        raise ApiError(
            400,
            f"Invalid {where}: No conditional format on sheet: {sheet.sheet_id} at index: {index}",
        )
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


_HANDLERS: dict[str, Callable[[Book, dict[str, Any], str], dict[str, Any]]] = {
    "addSheet": _add_sheet,
    "deleteSheet": _delete_sheet,
    "updateCells": _update_cells,
    "appendCells": _append_cells,
    "appendDimension": _append_dimension,
    "insertDimension": _insert_dimension,
    "deleteDimension": _delete_dimension,
    "updateSheetProperties": _update_sheet_properties,
    "updateSpreadsheetProperties": _update_spreadsheet_properties,
    "addConditionalFormatRule": _add_conditional_format,
    "deleteConditionalFormatRule": _delete_conditional_format,
    "repeatCell": _repeat_cell,
    "setDataValidation": _set_data_validation,
    "updateDimensionProperties": _update_dimension_properties,
    "sortRange": _sort_range,
    "mergeCells": _merge_cells,
    "unmergeCells": _unmerge_cells,
}
