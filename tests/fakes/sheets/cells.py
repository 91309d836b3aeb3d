"""What a cell holds and how it reads back: formulas evaluated, numbers and dates per locale."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

DATE_FORMATS = ("DATE", "DATE_TIME", "TIME")
_EPOCH = datetime(1899, 12, 30)
MAX_CELL_CHARS = 50_000
TOO_LONG = (
    f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters in a single cell."
)
"""Google's answer (400 INVALID_ARGUMENT) to a write holding a longer text: it refuses the whole
request, "Invalid requests[0].updateCells: ..." in a batchUpdate, "Invalid data[4]: ..." in a
values:batchUpdate."""


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
        return {key: json_number(self.value) if self.kind == "number" else self.value}


# ----------------------------------------------------------------------------- values in


def json_number(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def serial(value: date | datetime) -> float:
    """A date as Sheets stores it: days since 1899-12-30."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=None) - _EPOCH) / timedelta(days=1)
    return float((value - _EPOCH.date()).days)


def _from_serial(number: float) -> datetime:
    return _EPOCH + timedelta(seconds=round(number * 86400))


def from_python(value: Any) -> Cell | None:
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
        return Cell("number", serial(value), "DATE_TIME")
    if isinstance(value, date):
        return Cell("number", serial(value), "DATE")
    if isinstance(value, str):
        return Cell("formula", value) if value.startswith("=") else Cell("string", value)
    raise TypeError(f"cannot store {type(value).__name__} in a fake sheet: {value!r}")


def too_long(value: Any) -> bool:
    """Whether a text entered in a cell is longer than Google takes.

    Counted in UTF-16 code units, as Java and JavaScript count a string's length (an emoji
    is two): the tool counts the same way, so the fake refuses no earlier than the tool stops.
    """
    return isinstance(value, str) and len(value.encode("utf-16-le")) // 2 > MAX_CELL_CHARS


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
        return cast(float, node.value)
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
        return json_number(float(value)) if isinstance(value, float) else value
    return "#NAME?"


def effective(cell: Cell | None) -> Any:
    """The value a cell shows: a formula's result, else what was entered."""
    if cell is None:
        return None
    return _evaluate(cell.value) if cell.kind == "formula" else cell.value


# ----------------------------------------------------------------------------- values out

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


def _format_date(number: float, kind: str, locale: str) -> str:
    dt = _from_serial(number)
    # sv_SE (and the fallback) shows ISO dates and a 24h clock.
    day = f"{dt.month}/{dt.day}/{dt.year}" if locale == "en_US" else dt.strftime("%Y-%m-%d")
    if kind == "DATE":
        return day
    if kind == "TIME":
        return dt.strftime("%H:%M:%S")
    return f"{day} {dt.strftime('%H:%M:%S')}"


def render(cell: Cell | None, render: str, dt_render: str, locale: str) -> Any:
    """A cell as values.get shows it; None for an empty result."""
    if cell is None:
        return None
    if render == "FORMULA" and cell.kind == "formula":
        return cell.value
    value = effective(cell)
    if value == "":
        return None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if render == "FORMATTED_VALUE" else value
    if isinstance(value, int | float):
        is_date = cell.kind == "number" and cell.number_format in DATE_FORMATS
        if is_date and (render == "FORMATTED_VALUE" or dt_render == "FORMATTED_STRING"):
            return _format_date(value, cell.number_format or "DATE", locale)
        if render == "FORMATTED_VALUE":
            return _format_number(value, locale)
        return json_number(value)
    return value


def typed(cell: Cell | None) -> Any:
    """A cell as a Python value, the shape create_spreadsheet accepts."""
    value = effective(cell)
    if value is None:
        return ""
    if cell is not None and cell.kind == "number" and cell.number_format in DATE_FORMATS:
        dt = _from_serial(value)
        return {"DATE": dt.date(), "TIME": dt.time()}.get(cell.number_format, dt)
    return json_number(value)


def sort_key(cell: Cell | None) -> tuple[int, Any] | None:
    """Where a cell goes in a sort: numbers, then text, then booleans; None for a blank."""
    value = effective(cell)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).casefold())
