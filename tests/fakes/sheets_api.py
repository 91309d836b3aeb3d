"""A local fake of the Google Sheets v4 REST API that real gspread code talks to via requests."""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import http
import json
import math
import operator
import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

SHEETS_ROOT = "https://sheets.googleapis.com/"
TOKEN_ROOT = "https://oauth2.googleapis.com/"
TOKEN_URL = "https://oauth2.googleapis.com/token"
# gspread reaches Drive for a few things (open by title, modified time); answer those loudly
# instead of letting them leak to the real network.
DRIVE_ROOT = "https://www.googleapis.com/"
FAKE_TOKEN = "fake-token"
SERVICE_ACCOUNT_EMAIL = "alumni-bot@test-project.iam.gserviceaccount.com"

_API_PREFIX = "/v4/spreadsheets/"
_EPOCH = datetime(1899, 12, 30)
_DEFAULT_ROWS = 1000
_DEFAULT_COLS = 26
_DATE_FORMATS = ("DATE", "DATE_TIME", "TIME")

_STATUS_NAMES = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    409: ("ABORTED", "The operation was aborted."),
    429: (
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:123456789012'.",
    ),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request deadline was exceeded."),
}

# Request kinds the real API has but the fake does not model; named in the 400 so a product
# test fails with a clear reason instead of an "unknown field" puzzle.
_REAL_ONLY_KINDS = {
    "mergeCells",
    "unmergeCells",
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
    "updateDimensionProperties",
    "autoResizeDimensions",
    "updateBorders",
    "setDataValidation",
    "setBasicFilter",
    "clearBasicFilter",
}


# ----------------------------------------------------------------------------- public values


@dataclass(frozen=True)
class Cell:
    """One stored cell: its userEnteredValue and the date-ish number format, if any."""

    kind: str  # "string" | "number" | "bool" | "formula"
    value: Any
    number_format: str | None = None  # "DATE" | "DATE_TIME" | "TIME" | None

    def user_entered_value(self) -> dict[str, Any]:
        key = {
            "string": "stringValue",
            "number": "numberValue",
            "bool": "boolValue",
            "formula": "formulaValue",
        }[self.kind]
        return {key: _json_number(self.value) if self.kind == "number" else self.value}


class Call(NamedTuple):
    """One request the fake received (token requests are counted separately)."""

    method: str  # "GET", "POST", "PUT"
    path: str  # decoded URL path, e.g. "/v4/spreadsheets/KEY/values/'Tab'!A1:Z"
    params: dict[str, Any]  # query params; repeated ones (ranges) as lists
    body: Any  # parsed JSON body or None
    op: str  # "spreadsheets.get", "values.batchGet", "spreadsheets.batchUpdate", ...


class _ApiError(Exception):
    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or _STATUS_NAMES.get(status, ("", "Error"))[1]


@dataclass
class _Rule:
    kind: str  # "status" | "timeout"
    status: int = 0
    remaining: int | None = 1
    at: int | None = None  # absolute sequence number
    when: Callable[[str, str], bool] | None = None
    after_apply: bool = False
    connect: bool = False
    message: str | None = None

    def matches(self, seq: int, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.at is not None and seq < self.at:
            return False
        return self.when is None or bool(self.when(method, path))


# ----------------------------------------------------------------------------- model


@dataclass
class _Sheet:
    sheet_id: int
    title: str
    row_count: int = _DEFAULT_ROWS
    col_count: int = _DEFAULT_COLS
    frozen_rows: int = 0
    frozen_cols: int = 0
    hidden: bool = False
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)

    def last_data_row(self) -> int:
        """Number of rows up to and including the last row holding any value."""
        return max((r for r, _ in self.cells), default=-1) + 1

    def put(self, r: int, c: int, cell: Cell | None) -> None:
        if cell is None:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = cell


@dataclass
class _Book:
    key: str
    title: str
    locale: str
    time_zone: str
    sheets: list[_Sheet]
    rng: random.Random
    format_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def by_title(self, title: str) -> _Sheet | None:
        for s in self.sheets:
            if s.title == title:
                return s
        # Sheet names are unique case-insensitively and A1 references match that way too.
        for s in self.sheets:
            if s.title.casefold() == title.casefold():
                return s
        return None

    def by_id(self, sheet_id: int, where: str) -> _Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise _ApiError(400, f"Invalid {where}: No grid with id: {sheet_id}")

    def snapshot(self) -> _Book:
        """A copy to apply a write to, committed only if the whole write succeeds."""
        # Cells are immutable, so copying the dicts is enough and keeps big sheets fast.
        sheets = [
            replace(
                s, cells=dict(s.cells), conditional_formats=copy.deepcopy(s.conditional_formats)
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

    def check_title_free(self, title: str, where: str, ignore: _Sheet | None = None) -> None:
        for s in self.sheets:
            if s is not ignore and s.title.casefold() == title.casefold():
                raise _ApiError(
                    400,
                    f'Invalid {where}: A sheet with the name "{title}" already exists. '
                    "Please enter another name.",
                )


# ----------------------------------------------------------------------------- value helpers


def _json_number(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _serial(value: date | datetime) -> float:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=None) - _EPOCH) / timedelta(days=1)
    return float((value - _EPOCH.date()).days)


def _from_serial(serial: float) -> datetime:
    return _EPOCH + timedelta(seconds=round(serial * 86400))


def _from_python(value: Any) -> Cell | None:
    """How the fake stores a Python value given to create_spreadsheet / set_cell / ..."""
    if value is None or value == "":
        return None
    if isinstance(value, Cell):
        return value
    if isinstance(value, bool):
        return Cell("bool", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"Sheets cannot store {value!r}")
        return Cell("number", value)
    if isinstance(value, datetime):
        return Cell("number", _serial(value), "DATE_TIME")
    if isinstance(value, date):
        return Cell("number", _serial(value), "DATE")
    if isinstance(value, str):
        return Cell("formula", value) if value.startswith("=") else Cell("string", value)
    raise TypeError(f"cannot store {type(value).__name__} in a fake sheet: {value!r}")


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
            return Cell("number", _serial(dt), "DATE_TIME")
    m = _DATE_RE.fullmatch(stripped)
    if m:
        with contextlib.suppress(ValueError):
            return Cell("number", _serial(date(*(int(g) for g in m.groups()))), "DATE")
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
        if option == "RAW":
            return Cell("string", value) if value != "" else None
        return _user_entered(value)
    raise _ApiError(
        400,
        f"Invalid values[{where}]: {type(value).__name__}_value "
        f"({json.dumps(value, ensure_ascii=False)[:60]})",
    )


# ----------------------------------------------------------------------------- formulas

_HYPERLINK_RE = re.compile(
    r'HYPERLINK\(\s*"((?:[^"]|"")*)"\s*(?:[,;]\s*"((?:[^"]|"")*)"\s*)?\)', re.IGNORECASE
)
_STRING_RE = re.compile(r'"((?:[^"]|"")*)"')
_ARITH_OPS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH_OPS:
        return _ARITH_OPS[type(node.op)](_arith(node.left), _arith(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _ARITH_OPS:
        return _ARITH_OPS[type(node.op)](_arith(node.operand))
    raise ValueError("not arithmetic")


def _evaluate(formula: str) -> Any:
    """Just enough evaluation to be plausible: HYPERLINK, string literals, arithmetic."""
    body = formula[1:].strip()
    m = _HYPERLINK_RE.fullmatch(body)
    if m:
        return (m.group(2) if m.group(2) is not None else m.group(1)).replace('""', '"')
    m = _STRING_RE.fullmatch(body)
    if m:
        return m.group(1).replace('""', '"')
    if body.upper() in ("TRUE()", "FALSE()", "TRUE", "FALSE"):
        return body.upper().startswith("TRUE")
    if re.fullmatch(r"[0-9.+\-*/^() ]+", body):
        try:
            value = _arith(ast.parse(body.replace("^", "**"), mode="eval"))
        except ZeroDivisionError:
            return "#DIV/0!"
        except (ValueError, SyntaxError, OverflowError):
            return "#ERROR!"
        return _json_number(float(value)) if isinstance(value, float) else value
    return "#NAME?"


def _effective(cell: Cell | None) -> Any:
    if cell is None:
        return None
    return _evaluate(cell.value) if cell.kind == "formula" else cell.value


# ----------------------------------------------------------------------------- rendering

_COMMA_LOCALES = {
    "sv",
    "de",
    "fr",
    "fi",
    "nb",
    "no",
    "nn",
    "da",
    "nl",
    "es",
    "it",
    "pt",
    "ru",
    "pl",
    "cs",
    "tr",
}


def _format_number(v: float, locale: str) -> str:
    if isinstance(v, int) or (v.is_integer() and abs(v) < 1e15):
        return str(int(v))
    text = format(v, ".15g")
    if locale.split("_")[0] in _COMMA_LOCALES:
        text = text.replace(".", ",")
    return text


def _format_date(serial: float, kind: str, locale: str) -> str:
    dt = _from_serial(serial)
    # sv_SE (and the fallback) shows ISO dates and a 24h clock.
    day = f"{dt.month}/{dt.day}/{dt.year}" if locale == "en_US" else dt.strftime("%Y-%m-%d")
    if kind == "DATE":
        return day
    if kind == "TIME":
        return dt.strftime("%H:%M:%S")
    return f"{day} {dt.strftime('%H:%M:%S')}"


def _render(cell: Cell | None, render: str, dt_render: str, locale: str) -> Any:
    """A cell as values.get shows it; None for an empty result."""
    if cell is None:
        return None
    if render == "FORMULA" and cell.kind == "formula":
        return cell.value
    value = _effective(cell)
    if value == "":
        return None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if render == "FORMATTED_VALUE" else value
    if isinstance(value, int | float):
        is_date = cell.kind == "number" and cell.number_format in _DATE_FORMATS
        if is_date and (render == "FORMATTED_VALUE" or dt_render == "FORMATTED_STRING"):
            return _format_date(value, cell.number_format or "DATE", locale)
        if render == "FORMATTED_VALUE":
            return _format_number(value, locale)
        return _json_number(value)
    return value


def _typed(cell: Cell | None) -> Any:
    """A cell as a Python value, the shape create_spreadsheet accepts."""
    value = _effective(cell)
    if value is None:
        return ""
    if cell is not None and cell.kind == "number" and cell.number_format in _DATE_FORMATS:
        dt = _from_serial(value)
        return {"DATE": dt.date(), "TIME": dt.time()}.get(cell.number_format, dt)
    return _json_number(value)


# ----------------------------------------------------------------------------- A1 notation


def _col_letter(index: int) -> str:
    """0-based column index -> "A", "Z", "AA"."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _quote_title(title: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+|[Rr]\d+[Cc]\d+", title
    ):
        return title
    return "'" + title.replace("'", "''") + "'"


def _a1(sheet: _Sheet, r0: int, c0: int, r1: int, c1: int) -> str:
    start = f"{_col_letter(c0)}{r0 + 1}"
    if r1 - r0 == 1 and c1 - c0 == 1:
        return f"{_quote_title(sheet.title)}!{start}"
    return f"{_quote_title(sheet.title)}!{start}:{_col_letter(c1 - 1)}{r1}"


_REF_RE = re.compile(r"\$?([A-Za-z]{0,3})\$?(\d*)")


@dataclass
class _Range:
    sheet: _Sheet
    r0: int
    c0: int
    r1: int | None  # exclusive; None = to the end of the grid
    c1: int | None
    whole_sheet: bool = False
    explicit_rows: bool = True
    anchor: bool = False  # a lone cell like "A10": writes grow from it instead of being bounded

    def clipped(self, text: str) -> tuple[int, int, int, int]:
        s = self.sheet
        if self.r0 >= s.row_count or self.c0 >= s.col_count:
            raise _ApiError(400, _grid_limit_message(text, s))
        r1 = s.row_count if self.r1 is None else min(self.r1, s.row_count)
        c1 = s.col_count if self.c1 is None else min(self.c1, s.col_count)
        return self.r0, self.c0, r1, c1


def _grid_limit_message(text: str, sheet: _Sheet) -> str:
    return (
        f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, "
        f"max columns: {sheet.col_count}"
    )


def _split_sheet(text: str) -> tuple[str | None, str | None]:
    """ "'It''s'!A1:B" -> ("It's", "A1:B"); "Tab" -> (None, "Tab") when ambiguous."""
    if text.startswith("'"):
        i, parts = 1, []
        while True:
            j = text.find("'", i)
            if j == -1:
                raise ValueError("unterminated quote")
            if text[j + 1 : j + 2] == "'":
                parts.append(text[i:j] + "'")
                i = j + 2
                continue
            parts.append(text[i:j])
            rest = text[j + 1 :]
            break
        if rest == "":
            return "".join(parts), None
        if not rest.startswith("!"):
            raise ValueError("junk after quoted sheet name")
        return "".join(parts), rest[1:]
    if "!" in text:
        title, cells = text.split("!", 1)
        return title, cells
    return None, text


def _parse_range(book: _Book, text: str) -> _Range:
    bad = _ApiError(400, f"Unable to parse range: {text}")
    try:
        title, cells = _split_sheet(text.strip())
    except ValueError:
        raise bad from None
    if title is None:
        sheet = book.by_title(cells or "")
        if sheet is not None:
            return _Range(sheet, 0, 0, None, None, whole_sheet=True, explicit_rows=False)
        # A bare A1 range applies to the first sheet.
        sheet = book.sheets[0]
    else:
        sheet = book.by_title(title)
        if sheet is None:
            raise bad
        if cells is None:
            return _Range(sheet, 0, 0, None, None, whole_sheet=True, explicit_rows=False)
    assert cells is not None
    ends = cells.split(":")
    refs = [_REF_RE.fullmatch(e.strip()) for e in ends]
    if len(ends) > 2 or any(m is None or m.group(0) == "" for m in refs):
        raise bad
    parsed = [(m.group(1) or None, int(m.group(2)) if m.group(2) else None) for m in refs if m]
    if any(row == 0 for _, row in parsed):
        raise bad
    if len(parsed) == 1:
        letters, row = parsed[0]
        if letters is None or row is None:
            raise bad
        r, c = row - 1, _col_index(letters)
        return _Range(sheet, r, c, r + 1, c + 1, anchor=True)
    (la, ra), (lb, rb) = parsed
    if (la is None and lb is not None and ra is not None) or (ra is None and la is None):
        raise bad
    r0 = ra - 1 if ra is not None else 0
    c0 = _col_index(la) if la is not None else 0
    r1 = rb if rb is not None else None
    c1 = _col_index(lb) + 1 if lb is not None else None
    if r1 is not None and r1 <= r0:
        r0, r1 = r1 - 1, r0 + 1
    if c1 is not None and c1 <= c0:
        c0, c1 = c1 - 1, c0 + 1
    return _Range(sheet, r0, c0, r1, c1, explicit_rows=ra is not None)


# ----------------------------------------------------------------------------- field masks


def _parse_mask(text: str) -> dict[str, Any] | None:
    """ "sheets(properties(title,sheetId)),spreadsheetId" -> nested dict; leaf = None."""
    tokens = re.findall(r"[A-Za-z0-9_*]+|[(),./]", text.replace(" ", ""))
    pos = 0

    def merge(tree: dict[str, Any], name: str, sub: dict[str, Any] | None) -> None:
        if name in tree and (tree[name] is None or sub is None):
            tree[name] = None
        elif name in tree:
            for k, v in sub.items():  # type: ignore[union-attr]
                merge(tree[name], k, v)
        else:
            tree[name] = sub

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        tree: dict[str, Any] = {}
        while pos < len(tokens):
            name, sub = parse_path()
            merge(tree, name, sub)
            if pos < len(tokens) and tokens[pos] == ",":
                pos += 1
                continue
            break
        return tree

    def parse_path() -> tuple[str, dict[str, Any] | None]:
        nonlocal pos
        name = tokens[pos]
        pos += 1
        if pos < len(tokens) and tokens[pos] in "./":
            pos += 1
            child, sub = parse_path()
            return name, {child: sub}
        if pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            sub_tree = parse_list()
            pos += 1  # ")"
            return name, sub_tree
        return name, None

    tree = parse_list()
    return None if "*" in tree else tree


def _apply_mask(obj: Any, tree: dict[str, Any] | None) -> Any:
    if tree is None:
        return obj
    if isinstance(obj, list):
        return [_apply_mask(o, tree) for o in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: _apply_mask(obj[k], sub) for k, sub in tree.items() if k in obj}


def _covers(tree: dict[str, Any] | None, *path: str) -> bool:
    for name in path:
        if tree is None or "*" in tree:
            return True
        if name not in tree:
            return False
        tree = tree[name]
    return True


# ----------------------------------------------------------------------------- sorting


def _sort_key(cell: Cell | None) -> tuple[int, Any] | None:
    value = _effective(cell)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).casefold())


def _sort_rows(
    sheet: _Sheet, r0: int, r1: int, c0: int, c1: int, specs: list[tuple[int, bool]]
) -> None:
    """Sort rows [r0, r1) by (column, descending) specs; blanks go last either way."""
    rows = [{c: sheet.cells.get((r, c)) for c in range(c0, c1)} for r in range(r0, r1)]

    def compare(a: dict[int, Cell | None], b: dict[int, Cell | None]) -> int:
        for col, descending in specs:
            ka, kb = _sort_key(a.get(col)), _sort_key(b.get(col))
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


# ----------------------------------------------------------------------------- structure edits


def _insert_dim(sheet: _Sheet, dim: str, at: int, n: int) -> None:
    axis = 0 if dim == "ROWS" else 1
    sheet.cells = {
        ((k[0] + n, k[1]) if axis == 0 else (k[0], k[1] + n)) if k[axis] >= at else k: v
        for k, v in sheet.cells.items()
    }
    if axis == 0:
        sheet.row_count += n
    else:
        sheet.col_count += n


def _delete_dim(sheet: _Sheet, dim: str, start: int, end: int) -> None:
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
    if axis == 0:
        sheet.row_count -= n
        sheet.frozen_rows = min(sheet.frozen_rows, max(sheet.row_count - 1, 0))
    else:
        sheet.col_count -= n
        sheet.frozen_cols = min(sheet.frozen_cols, max(sheet.col_count - 1, 0))


def _truncate(sheet: _Sheet) -> None:
    sheet.cells = {
        k: v for k, v in sheet.cells.items() if k[0] < sheet.row_count and k[1] < sheet.col_count
    }


# ----------------------------------------------------------------------------- the fake


class FakeSheets:
    """In-memory Google Sheets: spreadsheets by key, a request log and fault injection.

    Usage::

        fake = FakeSheets()
        key = fake.create_spreadsheet("Alumni", {"Medlemmar": [["Namn", "Datum"],
                                                               ["Anna", date(2026, 11, 28)]]})
        client = client_for(fake)      # real service-account credentials, token from the fake
        client.open_by_key(key).worksheet("Medlemmar").get_all_values()
        assert fake.values(key, "Medlemmar")[1] == ["Anna", date(2026, 11, 28)]

    Product code that builds its own client can run inside ``with fake.intercept():``.

    Row and column arguments of the Python helpers follow the UI: rows are 1-based like the row
    headers, ``a1`` is a cell like "B3", and ``sort`` takes a 0-based column index or a letter.

    Quirks reproduced on purpose, because product code must cope with them on the real API:
    ragged rows and a missing ``values`` key on reads; A1 ranges with quoted sheet names;
    RAW vs USER_ENTERED ("0123" and "+4670..." become numbers under USER_ENTERED); date cells as
    serial numbers; sv_SE decimal comma in FORMATTED_VALUE; values.append continuing the
    *contiguous* table (it fills the first blank row); "exceeds grid limits" on writes past the
    grid; atomic spreadsheets.batchUpdate; Google-style error bodies, and an HTML body for 502
    (which makes gspread's ``APIError.code`` -1).
    """

    def __init__(self, locale: str = "sv_SE", time_zone: str = "Europe/Stockholm") -> None:
        self.locale = locale
        self.time_zone = time_zone
        self.adapter = FakeSheetsAdapter(self)
        self.requests: list[Call] = []
        self.token_requests = 0
        self._books: dict[str, _Book] = {}
        self._rules: list[_Rule] = []
        self._hooks: list[Callable[[FakeSheets, int, str, str], None]] = []
        self._seq = 0  # every Sheets request ever seen; fault positions count from here
        self._lock = threading.RLock()
        self._key_counter = 0

    # -- counting -----------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Sheets API requests since the last reset (token requests not included)."""
        return len(self.requests)

    def ops(self) -> list[str]:
        """The logged requests as short operation names, e.g. ["values.batchGet", ...]."""
        return [c.op for c in self.requests]

    def reset_counts(self) -> None:
        """Forget logged requests; pending faults keep their positions."""
        with self._lock:
            self.requests.clear()
            self.token_requests = 0

    # -- building and inspecting ----------------------------------------------------------------

    def create_spreadsheet(
        self,
        title: str,
        tabs: dict[str, list[list[Any]]] | None = None,
        *,
        key: str | None = None,
        locale: str | None = None,
        time_zone: str | None = None,
    ) -> str:
        """Create a spreadsheet whose tabs hold rows of Python values; returns its key.

        str -> text ("=..." -> formula), int/float -> number, bool -> boolean,
        datetime/date -> serial number formatted DATE_TIME/DATE, None or "" -> empty.
        The first tab gets sheetId 0 like a new real spreadsheet; the others random ids.
        """
        with self._lock:
            if key is None:
                self._key_counter += 1
                key = f"1FakeSheet{self._key_counter:04d}" + "x" * 30
            rng = random.Random(key)
            book = _Book(key, title, locale or self.locale, time_zone or self.time_zone, [], rng)
            for name, rows in (tabs or {"Blad1": []}).items():
                self._add_sheet(book, name, rows, None, None, None)
            self._books[key] = book
            return key

    def values(self, key: str, title: str, *, formatted: bool = False) -> list[list[Any]]:
        """The tab as a person sees it: effective values, rows padded to the widest row.

        Python values by default (formulas evaluated, dates as date/datetime, whole numbers as
        int, empty cells ""); ``formatted=True`` gives the FORMATTED_VALUE strings instead.
        """
        with self._lock:
            sheet = self._sheet(key, title)
            locale = self._books[key].locale
            height = sheet.last_data_row()
            width = max((c for _, c in sheet.cells), default=-1) + 1
            out = []
            for r in range(height):
                row = []
                for c in range(width):
                    cell = sheet.cells.get((r, c))
                    if formatted:
                        shown = _render(cell, "FORMATTED_VALUE", "SERIAL_NUMBER", locale)
                        row.append("" if shown is None else shown)
                    else:
                        row.append(_typed(cell))
                out.append(row)
            return out

    def cell(self, key: str, title: str, a1: str) -> Cell | None:
        """The stored cell at ``a1`` (kind, userEnteredValue, number_format) or None if empty."""
        with self._lock:
            sheet = self._sheet(key, title)
            r, c = _a1_cell(a1)
            return sheet.cells.get((r, c))

    def sheet_titles(self, key: str) -> list[str]:
        with self._lock:
            return [s.title for s in self._book(key).sheets]

    def sheet_properties(self, key: str, title: str) -> dict[str, Any]:
        """The sheet's ``properties`` exactly as spreadsheets.get returns them."""
        with self._lock:
            book = self._book(key)
            return _sheet_properties(book, self._sheet(key, title))

    def conditional_formats(self, key: str, title: str) -> list[dict[str, Any]]:
        """Conditional format rules in order, as stored from addConditionalFormatRule."""
        with self._lock:
            return copy.deepcopy(self._sheet(key, title).conditional_formats)

    def format_requests(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        """Presentation-only batchUpdate requests (repeatCell formats, borders, ...) received."""
        with self._lock:
            return list(self._book(key).format_requests)

    # -- a person editing in the browser ------------------------------------------------------

    def insert_rows(self, key: str, title: str, before_row: int, rows: list[list[Any]]) -> None:
        """Insert ``rows`` so that the first one becomes row ``before_row`` (1-based)."""
        with self._lock:
            sheet = self._sheet(key, title)
            _insert_dim(sheet, "ROWS", before_row - 1, len(rows))
            self._write_python(sheet, before_row - 1, rows)

    def delete_rows(self, key: str, title: str, start_row: int, count: int = 1) -> None:
        with self._lock:
            sheet = self._sheet(key, title)
            _delete_dim(sheet, "ROWS", start_row - 1, min(start_row - 1 + count, sheet.row_count))

    def sort(
        self,
        key: str,
        title: str,
        column_index: int | str,
        reverse: bool = False,
        header_rows: int = 1,
    ) -> None:
        """Data > Sort range below the header rows, by one column (0-based index or letter)."""
        with self._lock:
            sheet = self._sheet(key, title)
            col = _col_index(column_index) if isinstance(column_index, str) else column_index
            end = max(sheet.last_data_row(), header_rows)
            _sort_rows(sheet, header_rows, end, 0, sheet.col_count, [(col, reverse)])

    def set_cell(self, key: str, title: str, a1: str, value: Any) -> None:
        """Type ``value`` into a cell (Python value rules as in create_spreadsheet)."""
        with self._lock:
            sheet = self._sheet(key, title)
            r, c = _a1_cell(a1)
            sheet.row_count = max(sheet.row_count, r + 1)
            sheet.col_count = max(sheet.col_count, c + 1)
            sheet.put(r, c, _from_python(value))

    def append_row(self, key: str, title: str, values: list[Any]) -> int:
        """Add a row after the last row with data; returns its 1-based row number."""
        with self._lock:
            sheet = self._sheet(key, title)
            r = sheet.last_data_row()
            self._write_python(sheet, r, [values])
            return r + 1

    def add_sheet(
        self,
        key: str,
        title: str,
        rows: list[list[Any]] | None = None,
        *,
        row_count: int | None = None,
        col_count: int | None = None,
        index: int | None = None,
    ) -> int:
        """Add a tab; returns its sheetId."""
        with self._lock:
            book = self._book(key)
            book.check_title_free(title, "add_sheet")
            return self._add_sheet(book, title, rows or [], row_count, col_count, index).sheet_id

    def delete_sheet(self, key: str, title: str) -> None:
        with self._lock:
            book = self._book(key)
            book.sheets.remove(self._sheet(key, title))

    def rename_sheet(self, key: str, title: str, new_title: str) -> None:
        with self._lock:
            sheet = self._sheet(key, title)
            self._book(key).check_title_free(new_title, "rename_sheet", ignore=sheet)
            sheet.title = new_title

    # -- faults ---------------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        times: int | None = 1,
        at: int | None = None,
        when: Callable[[str, str], bool] | None = None,
        *,
        after_apply: bool = False,
        message: str | None = None,
    ) -> None:
        """Answer upcoming requests with ``status`` and a Google-style error body.

        Without ``at``/``when`` the next ``times`` requests fail. ``at`` = 0-based index counted
        from now (request ``at`` and the ``times - 1`` after it). ``when(method, path)`` picks
        the requests; ``times=None`` means every match. A failed request has no effect, unless
        ``after_apply=True``: then the write is applied and the error returned anyway.
        """
        with self._lock:
            self._rules.append(
                _Rule("status", status, times, self._abs(at), when, after_apply, message=message)
            )

    def timeout(
        self,
        times: int | None = 1,
        at: int | None = None,
        when: Callable[[str, str], bool] | None = None,
        *,
        connect: bool = False,
        after_apply: bool = False,
    ) -> None:
        """Raise ReadTimeout (ConnectTimeout if ``connect``) instead of answering.

        ``after_apply=True`` applies the write first: the server did it, the answer got lost.
        """
        if connect and after_apply:
            raise ValueError("a request that never connected cannot have been applied")
        with self._lock:
            self._rules.append(
                _Rule("timeout", 0, times, self._abs(at), when, after_apply, connect=connect)
            )

    def before_request(
        self, callback: Callable[[FakeSheets, int, str, str], None]
    ) -> Callable[[FakeSheets, int, str, str], None]:
        """Call ``callback(fake, request_index, method, path)`` before serving each request.

        ``request_index`` is the request's position in ``fake.requests``. Usable as decorator.
        """
        with self._lock:
            self._hooks.append(callback)
        return callback

    def clear_faults(self) -> None:
        """Drop pending faults and before_request hooks."""
        with self._lock:
            self._rules.clear()
            self._hooks.clear()

    # -- plumbing -------------------------------------------------------------------------------

    def mount(self, session: requests.Session) -> requests.Session:
        """Route the Sheets, token and Drive hosts of ``session`` to this fake."""
        for root in (SHEETS_ROOT, TOKEN_ROOT, DRIVE_ROOT):
            session.mount(root, self.adapter)
        return session

    @contextlib.contextmanager
    def intercept(self) -> Iterator[FakeSheets]:
        """Route those hosts to the fake for *every* requests.Session created or used inside.

        For product code that builds its own gspread client (gspread.service_account...).
        """
        original = requests.Session.get_adapter
        roots = (SHEETS_ROOT, TOKEN_ROOT, DRIVE_ROOT)
        adapter = self.adapter

        def get_adapter(session: requests.Session, url: str) -> BaseAdapter:
            if url.lower().startswith(roots):
                return adapter
            return original(session, url)

        requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
        try:
            yield self
        finally:
            requests.Session.get_adapter = original  # type: ignore[method-assign]

    # -- internals ------------------------------------------------------------------------------

    def _abs(self, at: int | None) -> int | None:
        return None if at is None else self._seq + at

    def _book(self, key: str) -> _Book:
        try:
            return self._books[key]
        except KeyError:
            raise KeyError(f"no fake spreadsheet with key {key!r}") from None

    def _sheet(self, key: str, title: str) -> _Sheet:
        for s in self._book(key).sheets:
            if s.title == title:
                return s
        raise KeyError(f"no tab {title!r} in fake spreadsheet {key!r}")

    def _add_sheet(
        self,
        book: _Book,
        title: str,
        rows: list[list[Any]],
        row_count: int | None,
        col_count: int | None,
        index: int | None,
    ) -> _Sheet:
        sheet_id = 0 if not book.sheets else book.new_sheet_id()
        width = max((len(r) for r in rows), default=0)
        sheet = _Sheet(
            sheet_id,
            title,
            row_count or max(_DEFAULT_ROWS, len(rows)),
            col_count or max(_DEFAULT_COLS, width),
        )
        self._write_python(sheet, 0, rows)
        book.sheets.insert(len(book.sheets) if index is None else index, sheet)
        return sheet

    @staticmethod
    def _write_python(sheet: _Sheet, r0: int, rows: list[list[Any]]) -> None:
        sheet.row_count = max(sheet.row_count, r0 + len(rows))
        sheet.col_count = max(sheet.col_count, max((len(r) for r in rows), default=0))
        for i, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.put(r0 + i, c, _from_python(value))

    # -- serving --------------------------------------------------------------------------------

    def _handle(self, request: requests.PreparedRequest) -> requests.Response:
        url = request.url or ""
        method = (request.method or "GET").upper()
        if url.startswith(TOKEN_ROOT):
            with self._lock:
                return _response(request, *self._token(method, url, request.body))
        with self._lock:
            parts = urlsplit(url)
            path = unquote(parts.path)
            params = _params(parts.query)
            body = _json_body(request.body)
            op = _op_name(method, parts.path) if url.startswith(SHEETS_ROOT) else "unsupported"
            index = len(self.requests)
            self.requests.append(Call(method, path, params, body, op))
            seq = self._seq
            self._seq += 1
        for hook in list(self._hooks):
            hook(self, index, method, path)
        with self._lock:
            rule = next((r for r in self._rules if r.matches(seq, method, path)), None)
            if rule is not None and rule.remaining is not None:
                rule.remaining -= 1
            if rule is not None and rule.kind == "timeout":
                if rule.after_apply:
                    self._serve(method, url, parts, params, body, request)
                exc = (
                    requests.exceptions.ConnectTimeout
                    if rule.connect
                    else requests.exceptions.ReadTimeout
                )
                raise exc(f"fake Sheets API timeout on {method} {path}", request=request)
            if rule is not None and not rule.after_apply:
                return _error_response(request, rule.status, rule.message)
            response = self._serve(method, url, parts, params, body, request)
            if rule is not None:
                return _error_response(request, rule.status, rule.message)
            return response

    def _serve(
        self,
        method: str,
        url: str,
        parts: Any,
        params: dict[str, Any],
        body: Any,
        request: requests.PreparedRequest,
    ) -> requests.Response:
        try:
            auth = request.headers.get("Authorization")
            if auth is not None and auth != f"Bearer {FAKE_TOKEN}":
                raise _ApiError(401)
            if not url.startswith(SHEETS_ROOT):
                raise _ApiError(
                    400,
                    f"the fake serves only the Sheets v4 API, not {method} "
                    f"{parts.scheme}://{parts.netloc}{unquote(parts.path)}",
                )
            status, payload = self._route(method, parts.path, params, body)
            if "fields" in params and isinstance(payload, dict):
                payload = _apply_mask(payload, _parse_mask(str(params["fields"])))
            return _response(request, status, payload)
        except _ApiError as err:
            return _error_response(request, err.status, err.message)

    def _route(
        self, method: str, raw_path: str, params: dict[str, Any], body: Any
    ) -> tuple[int, Any]:
        if not raw_path.startswith(_API_PREFIX):
            raise _ApiError(400, f"unsupported endpoint: {method} {unquote(raw_path)}")
        rest = raw_path[len(_API_PREFIX) :]
        m = re.match(r"([^/:]+)(.*)", rest)
        if m is None:
            raise _ApiError(400, f"unsupported endpoint: {method} {unquote(raw_path)}")
        key, tail = unquote(m.group(1)), m.group(2)
        book = self._books.get(key)
        if book is None:
            raise _ApiError(404)
        routes: dict[tuple[str, str], Callable[[], tuple[int, Any]]] = {
            ("GET", ""): lambda: (200, self._get_spreadsheet(book, params)),
            ("POST", ":batchUpdate"): lambda: (200, self._batch_update(book, body)),
            ("GET", "/values:batchGet"): lambda: (200, self._batch_get(book, params)),
            ("POST", "/values:batchUpdate"): lambda: (200, self._values_batch_update(book, body)),
            ("POST", "/values:batchClear"): lambda: (200, self._values_batch_clear(book, body)),
        }
        if (method, tail) in routes:
            return routes[(method, tail)]()
        if tail.startswith("/values/"):
            encoded = tail[len("/values/") :]
            if method == "POST" and encoded.endswith(":append"):
                rng = unquote(encoded[: -len(":append")])
                return 200, self._values_append(book, rng, params, body)
            if method == "POST" and encoded.endswith(":clear"):
                return 200, self._values_clear(book, unquote(encoded[: -len(":clear")]))
            if method == "GET":
                return 200, self._values_get(book, unquote(encoded), params)
            if method == "PUT":
                return 200, self._values_update(book, unquote(encoded), params, body)
        raise _ApiError(
            400, f"the fake Sheets API does not support {method} {_API_PREFIX}{{id}}{unquote(tail)}"
        )

    def _token(self, method: str, url: str, body: Any) -> tuple[int, Any]:
        if method != "POST" or urlsplit(url).path != "/token":
            return 404, {"error": "not_found", "error_description": f"{method} {url}"}
        text = body.decode() if isinstance(body, bytes) else (body or "")
        form = {k: v[0] for k, v in parse_qs(text).items()}
        assertion = form.get("assertion", "")
        if (
            form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer"
            or assertion.count(".") != 2
        ):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}
        self.token_requests += 1
        return 200, {"access_token": FAKE_TOKEN, "expires_in": 3600, "token_type": "Bearer"}

    # -- spreadsheets.get -------------------------------------------------------------------------

    def _get_spreadsheet(self, book: _Book, params: dict[str, Any]) -> dict[str, Any]:
        grid = str(params.get("includeGridData", "false")).lower() == "true"
        ranges = _as_list(params.get("ranges"))
        wanted: list[tuple[_Sheet, _Range | None]] = []
        if ranges:
            for text in ranges:
                rng = _parse_range(book, text)
                wanted.append((rng.sheet, rng))
        else:
            wanted = [(s, None) for s in book.sheets]
        sheets = []
        seen: set[int] = set()
        for sheet, rng in wanted:
            if sheet.sheet_id in seen and not grid:
                continue
            seen.add(sheet.sheet_id)
            entry: dict[str, Any] = {"properties": _sheet_properties(book, sheet)}
            if grid:
                entry["data"] = [_grid_data(book, sheet, rng)]
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

    # -- values reads ------------------------------------------------------------------------------

    def _read(self, book: _Book, text: str, params: dict[str, Any]) -> dict[str, Any]:
        render = _enum(
            params,
            "valueRenderOption",
            "FORMATTED_VALUE",
            ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"),
        )
        dt_render = _enum(
            params, "dateTimeRenderOption", "SERIAL_NUMBER", ("SERIAL_NUMBER", "FORMATTED_STRING")
        )
        major = _enum(params, "majorDimension", "ROWS", ("ROWS", "COLUMNS"))
        rng = _parse_range(book, text)
        sheet = rng.sheet
        r0, c0, r1, c1 = rng.clipped(text)
        found: dict[tuple[int, int], Any] = {}
        for (r, c), cell in sheet.cells.items():
            if r0 <= r < r1 and c0 <= c < c1:
                shown = _render(cell, render, dt_render, book.locale)
                if shown is not None:
                    found[(r - r0, c - c0) if major == "ROWS" else (c - c0, r - r0)] = shown
        out: dict[str, Any] = {"range": _a1(sheet, r0, c0, r1, c1), "majorDimension": major}
        if found:
            height = max(r for r, _ in found) + 1
            widths = [0] * height
            for r, c in found:
                widths[r] = max(widths[r], c + 1)
            out["values"] = [
                [found.get((r, c), "") for c in range(widths[r])] for r in range(height)
            ]
        return out

    def _values_get(self, book: _Book, text: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._read(book, text, params)

    def _batch_get(self, book: _Book, params: dict[str, Any]) -> dict[str, Any]:
        ranges = _as_list(params.get("ranges"))
        out: dict[str, Any] = {"spreadsheetId": book.key}
        if ranges:
            out["valueRanges"] = [self._read(book, text, params) for text in ranges]
        return out

    # -- values writes -----------------------------------------------------------------------------

    def _values_update(
        self, book: _Book, text: str, params: dict[str, Any], body: Any
    ) -> dict[str, Any]:
        option = _input_option(params.get("valueInputOption"))
        body = body or {}
        if body.get("range") is not None:
            url_range, body_range = _parse_range(book, text), _parse_range(book, body["range"])
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
                raise _ApiError(
                    400, f"Requested range [{body['range']}] does not match the URL range [{text}]."
                )
        work = book.snapshot()
        result = _write_values(work, text, body, option)
        result = {"spreadsheetId": book.key, **result}
        if str(params.get("includeValuesInResponse", "false")).lower() == "true":
            result["updatedData"] = self._read(
                work,
                result["updatedRange"],
                {
                    "valueRenderOption": params.get("responseValueRenderOption"),
                    "dateTimeRenderOption": params.get("responseDateTimeRenderOption"),
                },
            )
        self._books[book.key] = work
        return result

    def _values_batch_update(self, book: _Book, body: Any) -> dict[str, Any]:
        body = body or {}
        option = _input_option(body.get("valueInputOption"))
        work = book.snapshot()
        responses = []
        for i, entry in enumerate(body.get("data") or []):
            if "range" not in entry:
                raise _ApiError(400, f"Invalid data[{i}]: range is required")
            responses.append(
                {"spreadsheetId": book.key, **_write_values(work, entry["range"], entry, option)}
            )
        self._books[book.key] = work
        out: dict[str, Any] = {"spreadsheetId": book.key}
        if responses:
            out.update(
                {
                    "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                    "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
                    "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                    "totalUpdatedSheets": len(
                        {r["updatedRange"].rsplit("!", 1)[0] for r in responses}
                    ),
                    "responses": responses,
                }
            )
        return out

    def _values_append(
        self, book: _Book, text: str, params: dict[str, Any], body: Any
    ) -> dict[str, Any]:
        option = _input_option(params.get("valueInputOption"))
        insert = _enum(params, "insertDataOption", "OVERWRITE", ("OVERWRITE", "INSERT_ROWS"))
        body = body or {}
        work = book.snapshot()
        rng = _parse_range(work, text)
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
            _insert_dim(sheet, "ROWS", end, height)
        sheet.row_count = max(sheet.row_count, end + height)
        sheet.col_count = max(sheet.col_count, col0 + width)
        updated = _put_matrix(sheet, end, col0, matrix)
        out: dict[str, Any] = {"spreadsheetId": book.key}
        if end > start:
            out["tableRange"] = _a1(sheet, start, min(table_cols), end, max(table_cols) + 1)
        out["updates"] = {"spreadsheetId": book.key, **updated}
        self._books[book.key] = work
        return out

    def _values_clear(self, book: _Book, text: str) -> dict[str, Any]:
        work = book.snapshot()
        cleared = _clear(work, text)
        self._books[book.key] = work
        return {"spreadsheetId": book.key, "clearedRange": cleared}

    def _values_batch_clear(self, book: _Book, body: Any) -> dict[str, Any]:
        work = book.snapshot()
        cleared = [_clear(work, text) for text in (body or {}).get("ranges") or []]
        self._books[book.key] = work
        return {"spreadsheetId": book.key, "clearedRanges": cleared}

    # -- spreadsheets.batchUpdate -----------------------------------------------------------------

    def _batch_update(self, book: _Book, body: Any) -> dict[str, Any]:
        body = body or {}
        reqs = body.get("requests") or []
        if not reqs:
            raise _ApiError(400, "Must specify at least one request.")
        # Work on a copy so that one invalid request leaves the spreadsheet untouched.
        work = book.snapshot()
        replies = []
        for i, req in enumerate(reqs):
            if not isinstance(req, dict) or len(req) != 1:
                raise _ApiError(
                    400, f"Invalid requests[{i}]: exactly one kind of request per entry is allowed"
                )
            kind, arg = next(iter(req.items()))
            where = f"requests[{i}].{kind}"
            handler = _BATCH_HANDLERS.get(kind)
            if handler is not None:
                replies.append(handler(work, arg or {}, where))
            elif kind in _FORMAT_ONLY_KINDS:
                _check_sheet_refs(work, arg or {}, where)
                work.format_requests.append((kind, copy.deepcopy(arg)))
                replies.append({})
            elif kind in _REAL_ONLY_KINDS:
                raise _ApiError(
                    400,
                    f"Invalid {where}: the fake Sheets API does not support "
                    f"'{kind}' (tests/fakes/sheets_api.py)",
                )
            else:
                raise _ApiError(
                    400,
                    f'Invalid JSON payload received. Unknown name "{kind}" '
                    f"at 'requests[{i}]': Cannot find field.",
                )
        self._books[book.key] = work
        out: dict[str, Any] = {"spreadsheetId": book.key, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = self._get_spreadsheet(work, {})
        return out


# ----------------------------------------------------------------------------- write helpers


def _input_option(value: Any) -> str:
    if value in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise _ApiError(400, "'valueInputOption' is required but not specified")
    if value not in ("RAW", "USER_ENTERED"):
        raise _ApiError(
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
        raise _ApiError(400, f"Invalid value at '{snake}', \"{value}\"")
    return str(value)


def _matrix(body: dict[str, Any], option: str) -> list[list[Any]]:
    values = body.get("values") or []
    if not isinstance(values, list) or any(not isinstance(row, list) for row in values):
        raise _ApiError(400, "Invalid values: expected a list of lists")
    matrix = [
        [_input_cell(v, option, f"{i}][{j}") for j, v in enumerate(row)]
        for i, row in enumerate(values)
    ]
    if (body.get("majorDimension") or "ROWS") == "COLUMNS":
        height = max((len(col) for col in matrix), default=0)
        matrix = [[col[r] if r < len(col) else _SKIP for col in matrix] for r in range(height)]
    return matrix


def _put_matrix(sheet: _Sheet, r0: int, c0: int, matrix: list[list[Any]]) -> dict[str, Any]:
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
        "updatedRange": _a1(sheet, r0, c0, r0 + max(height, 1), c0 + max(width, 1))
    }
    if rows:
        out.update(
            updatedRows=len(rows),
            updatedColumns=len(cols),
            updatedCells=sum(1 for row in matrix for cell in row if cell is not _SKIP),
        )
    return out


def _write_values(book: _Book, text: str, body: dict[str, Any], option: str) -> dict[str, Any]:
    rng = _parse_range(book, text)
    sheet = rng.sheet
    matrix = _matrix(body, option)
    height = len(matrix)
    width = max((len(row) for row in matrix), default=0)
    bounded = not rng.anchor
    if bounded and rng.r1 is not None and rng.r0 + height > rng.r1:
        raise _ApiError(
            400,
            f"Requested writing within range [{text}], but tried writing to "
            f"row [{rng.r0 + height}]",
        )
    if bounded and rng.c1 is not None and rng.c0 + width > rng.c1:
        raise _ApiError(
            400,
            f"Requested writing within range [{text}], but tried writing to "
            f"column [{_col_letter(rng.c0 + width - 1)}]",
        )
    if rng.r0 + height > sheet.row_count or rng.c0 + width > sheet.col_count:
        shown = _a1(sheet, rng.r0, rng.c0, rng.r0 + max(height, 1), rng.c0 + max(width, 1))
        raise _ApiError(400, _grid_limit_message(shown, sheet))
    return _put_matrix(sheet, rng.r0, rng.c0, matrix)


def _clear(book: _Book, text: str) -> str:
    rng = _parse_range(book, text)
    r0, c0, r1, c1 = rng.clipped(text)
    sheet = rng.sheet
    for r, c in [k for k in sheet.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1]:
        del sheet.cells[(r, c)]
    return _a1(sheet, r0, c0, r1, c1)


# ----------------------------------------------------------------------------- batchUpdate kinds


def _grid_range(book: _Book, rng: dict[str, Any], where: str) -> tuple[_Sheet, int, int, int, int]:
    # proto3 JSON drops zero values, so a missing sheetId means sheet 0.
    sheet = book.by_id(int(rng.get("sheetId", 0)), where)
    r0 = int(rng.get("startRowIndex", 0))
    c0 = int(rng.get("startColumnIndex", 0))
    r1 = int(rng.get("endRowIndex", sheet.row_count))
    c1 = int(rng.get("endColumnIndex", sheet.col_count))
    if min(r0, c0) < 0 or r1 < r0 or c1 < c0:
        raise _ApiError(400, f"Invalid {where}: invalid GridRange {json.dumps(rng)}")
    if r1 > sheet.row_count or c1 > sheet.col_count:
        raise _ApiError(
            400, f"Invalid {where}: " + _grid_limit_message(_a1(sheet, r0, c0, r1, c1), sheet)
        )
    return sheet, r0, c0, r1, c1


def _cell_data(
    data: dict[str, Any], mask: dict[str, Any] | None, old: Cell | None, where: str
) -> Cell | None:
    """Apply one CellData under a fields mask to the old cell."""
    cell = old
    if _covers(mask, "userEnteredValue"):
        ev = data.get("userEnteredValue") or {}
        if not ev:
            cell = None
        elif len(ev) != 1:
            raise _ApiError(400, f"Invalid {where}: ExtendedValue must have exactly one value")
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
                raise _ApiError(400, f"Invalid {where}: unsupported value {json.dumps(ev)}")
            fmt = old.number_format if old is not None else None
            cell = (
                None if value == "" and kind == "stringValue" else Cell(checks[kind][0], value, fmt)
            )
    if _covers(mask, "userEnteredFormat", "numberFormat") and cell is not None:
        number_format = (data.get("userEnteredFormat") or {}).get("numberFormat") or {}
        kind = number_format.get("type")
        cell = Cell(cell.kind, cell.value, kind if kind in _DATE_FORMATS else None)
    return cell


def _require_fields(arg: dict[str, Any], where: str) -> dict[str, Any] | None:
    fields = arg.get("fields")
    if not fields:
        raise _ApiError(400, f"Invalid {where}: At least one field must be specified.")
    return _parse_mask(str(fields))


def _write_rows(
    sheet: _Sheet,
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


def _update_cells(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    rows = arg.get("rows") or []
    height, width = _rows_size(rows)
    if ("start" in arg) == ("range" in arg):
        raise _ApiError(400, f"Invalid {where}: exactly one of start or range is required")
    if "start" in arg:
        start = arg["start"]
        sheet = book.by_id(int(start.get("sheetId", 0)), where)
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        if r0 + height > sheet.row_count or c0 + width > sheet.col_count:
            shown = _a1(sheet, r0, c0, r0 + max(height, 1), c0 + max(width, 1))
            raise _ApiError(400, f"Invalid {where}: " + _grid_limit_message(shown, sheet))
        _write_rows(sheet, r0, c0, rows, mask, where)
        return {}
    sheet, r0, c0, r1, c1 = _grid_range(book, arg["range"], where)
    if height > r1 - r0 or width > c1 - c0:
        raise _ApiError(400, f"Invalid {where}: rows do not fit in the range")
    # Cells of the range that the rows do not mention are cleared for the masked fields.
    for r in range(r0, r1):
        for c in range(c0, c1):
            if (r, c) in sheet.cells:
                sheet.put(r, c, _cell_data({}, mask, sheet.cells[(r, c)], where))
    _write_rows(sheet, r0, c0, rows, mask, where)
    return {}


def _append_cells(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    rows = arg.get("rows") or []
    height, width = _rows_size(rows)
    if width > sheet.col_count:
        shown = _a1(sheet, 0, 0, 1, width)
        raise _ApiError(400, f"Invalid {where}: " + _grid_limit_message(shown, sheet))
    r0 = sheet.last_data_row()
    sheet.row_count = max(sheet.row_count, r0 + height)
    _write_rows(sheet, r0, 0, rows, mask, where)
    return {}


def _dimension_range(book: _Book, rng: dict[str, Any], where: str) -> tuple[_Sheet, str, int, int]:
    sheet = book.by_id(int(rng.get("sheetId", 0)), where)
    dim = rng.get("dimension")
    if dim not in ("ROWS", "COLUMNS"):
        raise _ApiError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS")
    start = int(rng.get("startIndex", 0))
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    end = int(rng.get("endIndex", limit))
    if start < 0 or end <= start:
        raise _ApiError(400, f"Invalid {where}: invalid DimensionRange {json.dumps(rng)}")
    return sheet, dim, start, end


def _append_dimension(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    length = int(arg.get("length", 0))
    if length <= 0:
        raise _ApiError(400, f"Invalid {where}: length must be positive")
    if arg.get("dimension") == "ROWS":
        sheet.row_count += length
    elif arg.get("dimension") == "COLUMNS":
        sheet.col_count += length
    else:
        raise _ApiError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS")
    return {}


def _insert_dimension(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, dim, start, end = _dimension_range(book, arg.get("range") or {}, where)
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    if start > limit:
        raise _ApiError(
            400, f"Invalid {where}: startIndex {start} is after the end of the grid ({limit})"
        )
    if arg.get("inheritFromBefore") and start == 0:
        raise _ApiError(
            400,
            f"Invalid {where}: Cannot inherit from before the first "
            f"{'row' if dim == 'ROWS' else 'column'}.",
        )
    _insert_dim(sheet, dim, start, end - start)
    return {}


def _delete_dimension(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, dim, start, end = _dimension_range(book, arg.get("range") or {}, where)
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    if end > limit:
        raise _ApiError(
            400, f"Invalid {where}: endIndex {end} is after the end of the grid ({limit})"
        )
    if start == 0 and end == limit:
        noun = "rows" if dim == "ROWS" else "columns"
        raise _ApiError(400, f"Invalid {where}: You can't delete all the {noun} on the sheet.")
    _delete_dim(sheet, dim, start, end)
    return {}


def _add_sheet_request(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
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
        raise _ApiError(400, f"Invalid {where}: Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    sheet = _Sheet(
        int(sheet_id),
        title,
        int(grid.get("rowCount", _DEFAULT_ROWS)),
        int(grid.get("columnCount", _DEFAULT_COLS)),
        int(grid.get("frozenRowCount", 0)),
        int(grid.get("frozenColumnCount", 0)),
        bool(props.get("hidden", False)),
    )
    index = props.get("index")
    book.sheets.insert(
        len(book.sheets) if index is None else min(int(index), len(book.sheets)), sheet
    )
    return {"addSheet": {"properties": _sheet_properties(book, sheet)}}


def _delete_sheet(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    if len(book.sheets) == 1:
        raise _ApiError(400, f"Invalid {where}: You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    return {}


def _update_sheet_properties(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    props = arg.get("properties") or {}
    sheet = book.by_id(int(props.get("sheetId", 0)), where)
    grid = props.get("gridProperties") or {}
    if _covers(mask, "title") and "title" in props:
        book.check_title_free(props["title"], where, ignore=sheet)
        sheet.title = props["title"]
    if _covers(mask, "hidden"):
        sheet.hidden = bool(props.get("hidden", False))
    for name, attr in (("rowCount", "row_count"), ("columnCount", "col_count")):
        if _covers(mask, "gridProperties", name) and name in grid:
            if int(grid[name]) <= 0:
                raise _ApiError(400, f"Invalid {where}: {name} must be positive")
            setattr(sheet, attr, int(grid[name]))
    for name, attr in (("frozenRowCount", "frozen_rows"), ("frozenColumnCount", "frozen_cols")):
        if _covers(mask, "gridProperties", name):
            setattr(sheet, attr, int(grid.get(name, 0)))
    if sheet.frozen_rows >= sheet.row_count and sheet.frozen_rows:
        raise _ApiError(400, f"Invalid {where}: You can't freeze all visible rows on the sheet.")
    if sheet.frozen_cols >= sheet.col_count and sheet.frozen_cols:
        raise _ApiError(400, f"Invalid {where}: You can't freeze all visible columns on the sheet.")
    _truncate(sheet)
    if _covers(mask, "index") and "index" in props:
        book.sheets.remove(sheet)
        book.sheets.insert(min(int(props["index"]), len(book.sheets)), sheet)
    return {}


def _update_spreadsheet_properties(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    props = arg.get("properties") or {}
    for name, attr in (("title", "title"), ("locale", "locale"), ("timeZone", "time_zone")):
        if _covers(mask, name) and name in props:
            setattr(book, attr, props[name])
    return {}


def _check_sheet_refs(book: _Book, arg: Any, where: str) -> None:
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


def _add_conditional_format(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    rule = arg.get("rule") or {}
    ranges = rule.get("ranges") or []
    if not ranges:
        raise _ApiError(400, f"Invalid {where}: rule.ranges must not be empty")
    sheets = {_grid_range(book, r, where)[0].sheet_id for r in ranges}
    if len(sheets) != 1:
        raise _ApiError(400, f"Invalid {where}: all ranges must be on the same sheet")
    if ("booleanRule" in rule) == ("gradientRule" in rule):
        raise _ApiError(400, f"Invalid {where}: exactly one of booleanRule or gradientRule")
    sheet = book.by_id(sheets.pop(), where)
    index = int(arg.get("index", 0))
    if index > len(sheet.conditional_formats):
        raise _ApiError(400, f"Invalid {where}: index {index} is out of range")
    sheet.conditional_formats.insert(index, copy.deepcopy(rule))
    return {}


def _delete_conditional_format(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = book.by_id(int(arg.get("sheetId", 0)), where)
    index = int(arg.get("index", 0))
    if not 0 <= index < len(sheet.conditional_formats):
        raise _ApiError(
            400,
            f"Invalid {where}: No conditional format on sheet: {sheet.sheet_id} at index: {index}",
        )
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


def _repeat_cell(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    mask = _require_fields(arg, where)
    sheet, r0, c0, r1, c1 = _grid_range(book, arg.get("range") or {}, where)
    data = arg.get("cell") or {}
    if _covers(mask, "userEnteredValue"):
        for r in range(r0, r1):
            for c in range(c0, c1):
                sheet.put(r, c, _cell_data(data, mask, sheet.cells.get((r, c)), where))
    elif _covers(mask, "userEnteredFormat", "numberFormat"):
        for (r, c), old in list(sheet.cells.items()):
            if r0 <= r < r1 and c0 <= c < c1:
                sheet.put(r, c, _cell_data(data, mask, old, where))
    book.format_requests.append(("repeatCell", copy.deepcopy(arg)))
    return {}


def _sort_range(book: _Book, arg: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, r0, c0, r1, c1 = _grid_range(book, arg.get("range") or {}, where)
    specs = []
    for spec in arg.get("sortSpecs") or []:
        col = int(spec.get("dimensionIndex", 0))
        if not c0 <= col < c1:
            raise _ApiError(400, f"Invalid {where}: sort column {col} is outside the range")
        specs.append((col, spec.get("sortOrder") == "DESCENDING"))
    if not specs:
        raise _ApiError(400, f"Invalid {where}: sortSpecs must not be empty")
    _sort_rows(sheet, r0, r1, c0, c1, specs)
    return {}


_BATCH_HANDLERS: dict[str, Callable[[_Book, dict[str, Any], str], dict[str, Any]]] = {
    "addSheet": _add_sheet_request,
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
    "sortRange": _sort_range,
}


# ----------------------------------------------------------------------------- metadata helpers


def _sheet_properties(book: _Book, sheet: _Sheet) -> dict[str, Any]:
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


def _grid_data(book: _Book, sheet: _Sheet, rng: _Range | None) -> dict[str, Any]:
    r0, c0, r1, c1 = (
        (0, 0, sheet.row_count, sheet.col_count)
        if rng is None
        else rng.clipped(_a1(sheet, rng.r0, rng.c0, rng.r0 + 1, rng.c0 + 1))
    )
    out: dict[str, Any] = {}
    if r0:
        out["startRow"] = r0
    if c0:
        out["startColumn"] = c0
    rows: list[dict[str, Any]] = []
    last = max((r for r, c in sheet.cells if r0 <= r < r1 and c0 <= c < c1), default=r0 - 1)
    for r in range(r0, last + 1):
        cols = [c for (rr, c) in sheet.cells if rr == r and c0 <= c < c1]
        values = []
        for c in range(c0, (max(cols) + 1) if cols else c0):
            cell = sheet.cells.get((r, c))
            if cell is None:
                values.append({})
                continue
            data: dict[str, Any] = {"userEnteredValue": cell.user_entered_value()}
            effective = _render(cell, "UNFORMATTED_VALUE", "SERIAL_NUMBER", book.locale)
            if isinstance(effective, bool):
                data["effectiveValue"] = {"boolValue": effective}
            elif isinstance(effective, int | float):
                data["effectiveValue"] = {"numberValue": effective}
            elif effective is not None:
                data["effectiveValue"] = {"stringValue": effective}
            shown = _render(cell, "FORMATTED_VALUE", "SERIAL_NUMBER", book.locale)
            if shown is not None:
                data["formattedValue"] = shown
            if cell.number_format:
                data["userEnteredFormat"] = {"numberFormat": {"type": cell.number_format}}
            values.append(data)
        rows.append({"values": values} if values else {})
    if rows:
        out["rowData"] = rows
    return out


# ----------------------------------------------------------------------------- HTTP helpers


def _a1_cell(a1: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([1-9]\d*)", a1.strip())
    if m is None:
        raise ValueError(f"not a cell reference: {a1!r}")
    return int(m.group(2)) - 1, _col_index(m.group(1))


def _params(query: str) -> dict[str, Any]:
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: (v if k == "ranges" or len(v) > 1 else v[0]) for k, v in parsed.items()}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _json_body(body: Any) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, TypeError):
        return body if isinstance(body, str) else bytes(body).decode("utf-8", "replace")


def _op_name(method: str, raw_path: str) -> str:
    tail = re.sub(r"^/v4/spreadsheets/[^/:]+", "", raw_path)
    if tail == "":
        return "spreadsheets.get" if method == "GET" else "unsupported"
    if tail == ":batchUpdate":
        return "spreadsheets.batchUpdate"
    if tail.startswith("/values:"):
        return "values." + tail[len("/values:") :]
    if tail.startswith("/values/"):
        for suffix in ("append", "clear"):
            if tail.endswith(":" + suffix):
                return f"values.{suffix}"
        return {"GET": "values.get", "PUT": "values.update"}.get(method, "unsupported")
    return "unsupported"


def _response(
    request: requests.PreparedRequest,
    status: int,
    payload: Any,
    content_type: str = "application/json; charset=UTF-8",
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = http.HTTPStatus(status).phrase
    response.headers = CaseInsensitiveDict(
        {"Content-Type": content_type, "Server": "ESF", "Vary": "Origin, X-Origin, Referer"}
    )
    if isinstance(payload, bytes | str):
        raw = payload.encode() if isinstance(payload, str) else payload
    else:
        raw = json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")
    response._content = raw
    response.encoding = "utf-8"
    response.url = request.url or ""
    response.request = request
    return response


def _error_response(
    request: requests.PreparedRequest, status: int, message: str | None = None
) -> requests.Response:
    if status == 502:
        # Google's front end answers 502 with an HTML page, not the JSON error envelope.
        html = (
            "<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Error 502 (Server "
            "Error)!!1</title><p><b>502.</b> <ins>That's an error.</ins><p>The server "
            "encountered a temporary error and could not complete your request."
        )
        return _response(request, 502, html, "text/html; charset=UTF-8")
    name, default = _STATUS_NAMES.get(status, ("UNKNOWN", http.HTTPStatus(status).phrase))
    error: dict[str, Any] = {"code": status, "message": message or default, "status": name}
    if status == 429:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": "sheets.googleapis.com",
                    "quota_limit": "WriteRequestsPerMinutePerUser",
                    "quota_metric": "sheets.googleapis.com/write_requests",
                    "consumer": "projects/123456789012",
                },
            }
        ]
    return _response(request, status, {"error": error})


class FakeSheetsAdapter(BaseAdapter):
    """A requests transport that answers from a FakeSheets instead of the network."""

    def __init__(self, fake: FakeSheets) -> None:
        super().__init__()
        self.fake = fake

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        return self.fake._handle(request)

    def close(self) -> None:
        pass


# ----------------------------------------------------------------------------- credentials


@functools.cache
def _private_key_pem() -> str:
    # Generating RSA keys is slow; one per test session is plenty.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def fake_service_account_info() -> dict[str, str]:
    """A service-account key JSON (as a dict) whose token_uri is served by the fake."""
    return {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
        "private_key": _private_key_pem(),
        "client_email": SERVICE_ACCOUNT_EMAIL,
        "client_id": "104942217368841530917",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URL,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        "alumni-bot%40test-project.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }


def session_for(fake: FakeSheets) -> requests.Session:
    """A plain requests.Session routed to the fake, for gspread.Client(auth=None, session=...)."""
    return fake.mount(requests.Session())


def client_for(fake: FakeSheets) -> Any:
    """A gspread.Client with real service-account credentials whose token comes from the fake."""
    import gspread
    from google.auth.transport.requests import AuthorizedSession, Request
    from google.oauth2.service_account import Credentials

    credentials = Credentials.from_service_account_info(
        fake_service_account_info(), scopes=gspread.auth.DEFAULT_SCOPES
    )
    # AuthorizedSession refreshes tokens through its own inner session unless given one.
    session = AuthorizedSession(credentials, auth_request=Request(session_for(fake)))
    fake.mount(session)
    return gspread.Client(auth=None, session=session)  # type: ignore[arg-type]
