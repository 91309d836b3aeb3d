"""Reads the sheet's other cell kinds: years, yes/no, e-mail addresses, languages and text."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from alumni.addresses import check_address
from alumni.contract import BLANK_CHARS, MAX_YEAR, MIN_YEAR, fold, is_blank, is_missing, yes_no

_YEAR_TEXT = re.compile(r"[0-9]{4}(?:\.0+)?")
_LANGUAGES = {
    "sv": "sv",
    "svenska": "sv",
    "swedish": "sv",
    "en": "en",
    "engelska": "en",
    "english": "en",
}


def _format_clock(value: dt.datetime | dt.time) -> str:
    """Write a time of day as HH:MM, adding :SS only when the seconds say something."""
    if value.second:
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return f"{value.hour:02d}:{value.minute:02d}"


_ID = re.compile(r"([A-Za-z]{2})\s*[-\u2010-\u2015\u2212]?\s*0*(\d{1,9})")


def canonical_id(value: object, prefix: str | None) -> str:
    """The ID a person meant, as the tool writes it: `KL-3`, `kl-03`, `KL 0003` and `KL0003`
    are all `KL-0003` when the tab's prefix is `KL`. Anything else is its clean text, so two
    rows the tool cannot tell apart are found as one ID twice, never as two IDs."""
    text = clean_text(value)
    if prefix is None:
        return text
    match = _ID.fullmatch(text)
    if match is None or match.group(1).upper() != prefix:
        return text
    return f"{prefix}-{int(match.group(2)):04d}"


def clean_text(value: object) -> str:
    """Give the canonical text of one cell in a text column.

    Text is only stripped of surrounding whitespace, so "0123", "NULL" and "Nan" stay exactly
    that. Missing values become "", whole numbers lose a spreadsheet's ".0", other floats use
    Python's shortest round-tripping form, booleans become "TRUE"/"FALSE" as Sheets shows them,
    and date/time cells become "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (with ":SS" only when the
    seconds are not zero) in the cell's own wall-clock time.
    """
    if isinstance(value, str):
        return value.strip(BLANK_CHARS)
    if is_missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return str(int(number))
        return repr(number)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d} {_format_clock(value)}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, dt.time):
        return _format_clock(value)
    return str(value).strip(BLANK_CHARS)


def _parse_each(
    values: pd.Series, parse: Callable[[Any], Any], dtype: str, empty: Any = None
) -> tuple[pd.Series, pd.Series]:
    """Run a one-cell parser over a column, turning blanks into `empty` and failures into bad.

    The parser returns the parsed value, or raises ValueError for a value it rejects.
    """
    parsed: list[Any] = []
    bad: list[bool] = []
    for value in values.to_numpy(dtype=object):
        if is_blank(value):
            parsed.append(empty)
            bad.append(False)
            continue
        try:
            parsed.append(parse(value))
            bad.append(False)
        except ValueError:
            parsed.append(None)
            bad.append(True)
    return (
        pd.Series(parsed, index=values.index, dtype=dtype),
        pd.Series(bad, index=values.index, dtype=bool),
    )


def _year(value: object) -> int:
    if isinstance(value, bool | np.bool_):
        raise ValueError("a boolean is not a year")
    if isinstance(value, int | np.integer):
        year = int(value)
    elif isinstance(value, float | np.floating):
        if not (math.isfinite(value) and float(value).is_integer()):
            raise ValueError("not a whole year")
        year = int(value)
    elif isinstance(value, str) and _YEAR_TEXT.fullmatch(text := value.strip(BLANK_CHARS)):
        year = int(text.split(".")[0])
    else:
        raise ValueError("not a year")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError("year out of range")
    return year


def parse_years(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read a column of years (such as Examensår) into Int64, flagging what is not a year.

    A year is four digits from 1950 to 2100, as text or as a whole number ("2026", 2026,
    2026.0 and the text "2026.0" all give 2026); "26", "2026.5" and "tjugo" are bad.
    """
    return _parse_each(values, _year, "Int64")


def parse_yes_no(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read a yes/no column (such as Aktiv or Röst) into the nullable "boolean" dtype.

    Ja/Nej and Yes/No in any case count, as do real booleans and the TRUE/FALSE text that a
    Sheets checkbox reads as; anything else is bad, also x, ✓, J/N, 1/0 and "ja?": a mark
    that may mean ticked or struck out is not guessed. Agrees with `contract.yes_no` cell by
    cell (it is the one-cell reader this runs).
    """
    return _parse_each(values, yes_no, "boolean")


def _email(value: object) -> str:
    text = clean_text(value)
    check_address(text)
    return text


def parse_emails(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read an e-mail column into stripped text, flagging what is not one valid address.

    Valid is what the mail layer can send to (alumni.addresses.check_address): one "@", no
    spaces, commas, semicolons, angle brackets or line breaks anywhere (so a list of addresses
    or a "Name <address>" is bad), only ASCII before the "@", and a domain with a dot and a
    top-level domain of two or more letters. Case is kept, as is the domain as written. A bad
    cell keeps its cleaned text so that a report can quote it.
    """
    parsed, bad = _parse_each(values, _email, "str")
    if bad.any():
        parsed[bad] = [clean_text(value) for value in values[bad]]
    return parsed, bad


def _language(value: object) -> str:
    if isinstance(value, str):
        language = _LANGUAGES.get(fold(value))
        if language is not None:
            return language
    raise ValueError("not a language")


def parse_languages(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read a Språk column into "sv" or "en", with an empty cell meaning "sv".

    Besides the codes, in any case, the names svenska/swedish and engelska/english count.
    A bad cell is NA, so that only "sv" and "en" ever come out.
    """
    return _parse_each(values, _language, "str", empty="sv")
