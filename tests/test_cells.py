"""Specifies how the sheet's years, yes/no, e-mail, language and plain text cells are read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alumni.sheet.cells import (
    BLANK_CHARS,
    clean_text,
    is_blank,
    parse_emails,
    parse_languages,
    parse_years,
    parse_yes_no,
)

Parser = Callable[[pd.Series], tuple[pd.Series, pd.Series]]


def parse_one(parser: Parser, value: object) -> tuple[Any, bool]:
    parsed, bad = parser(pd.Series([value], dtype=object))
    return parsed.iloc[0], bool(bad.iloc[0])


BLANKS = [None, "", "   ", "\u00a0", "\u200b", " \t\n\u00a0\u200b ", float("nan"), pd.NA, pd.NaT]


def test_blank_chars_cover_all_of_pythons_whitespace() -> None:
    spaces = {chr(code) for code in range(0x10000) if chr(code).isspace()}
    assert spaces <= set(BLANK_CHARS)
    assert {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"} <= set(BLANK_CHARS)


@pytest.mark.parametrize("value", BLANKS)
def test_is_blank(value: object) -> None:
    assert is_blank(value)


@pytest.mark.parametrize("value", ["x", "0", 0, 0.0, False, "NULL", "Nan", dt.date(2026, 1, 1)])
def test_is_not_blank(value: object) -> None:
    assert not is_blank(value)


# --- years -------------------------------------------------------------------------------

YEARS = [
    ("2026", 2026),
    (2026, 2026),
    (2026.0, 2026),
    (" 2026 ", 2026),
    ("\u00a02026\u200b", 2026),
    ("2026.0", 2026),
    (np.int64(2026), 2026),
    (np.float64(2026.0), 2026),
    (1950, 1950),
    ("2100", 2100),
]
BAD_YEARS = ["2026.5", 2026.5, "tjugo", "26", 26, "02026", 1949, 2101, "2026-06-01", True,
             float("inf"), "20 26", dt.date(2026, 6, 1)]  # fmt: skip


@pytest.mark.parametrize(("value", "year"), YEARS)
def test_years_accepted(value: object, year: int) -> None:
    assert parse_one(parse_years, value) == (year, False)


@pytest.mark.parametrize("value", BAD_YEARS)
def test_years_rejected(value: object) -> None:
    parsed, bad = parse_one(parse_years, value)
    assert bad
    assert parsed is pd.NA


@pytest.mark.parametrize("value", BLANKS)
def test_blank_year_is_na_and_not_bad(value: object) -> None:
    assert parse_one(parse_years, value) == (pd.NA, False)


def test_years_dtype_and_index() -> None:
    parsed, bad = parse_years(pd.Series(["2026", "tjugo", None], index=[5, 2, 8], dtype=object))
    assert parsed.dtype == "Int64"
    assert bad.dtype == bool
    assert list(parsed.index) == list(bad.index) == [5, 2, 8]
    assert bad.tolist() == [False, True, False]


# --- yes/no ------------------------------------------------------------------------------

YES_NO = [
    ("Ja", True),
    ("ja", True),
    (" JA ", True),
    ("Yes", True),
    ("yes\u00a0", True),
    ("Nej", False),
    ("NEJ", False),
    ("No", False),
    (" no", False),
    (True, True),
    (False, False),
    (np.bool_(True), True),
    ("TRUE", True),  # a Sheets checkbox read as text
    ("FALSE", False),
]
BAD_YES_NO = [
    "kanske",
    "j",
    "n",
    "ja!",
    "ja?",
    "ja nej",
    1,
    0,
    1.0,
    "1",
    "x",
    "✓",
    "?",
    dt.date(2026, 1, 1),
]


@pytest.mark.parametrize(("value", "answer"), YES_NO)
def test_yes_no_accepted(value: object, answer: bool) -> None:
    assert parse_one(parse_yes_no, value) == (answer, False)


@pytest.mark.parametrize("value", BAD_YES_NO)
def test_yes_no_rejected(value: object) -> None:
    parsed, bad = parse_one(parse_yes_no, value)
    assert bad
    assert parsed is pd.NA


@pytest.mark.parametrize("value", BLANKS)
def test_blank_yes_no_is_na_and_not_bad(value: object) -> None:
    assert parse_one(parse_yes_no, value) == (pd.NA, False)


def test_yes_no_dtype() -> None:
    parsed, _ = parse_yes_no(pd.Series(["Ja", None, "nej"], dtype=object))
    assert parsed.dtype == "boolean"


# --- e-mail ------------------------------------------------------------------------------

EMAILS = [
    ("anna@example.se", "anna@example.se"),
    ("  anna@example.se\u00a0", "anna@example.se"),
    ("\u200banna@example.se\r\n", "anna@example.se"),  # surrounding line breaks are whitespace
    ("Anna.Svensson@Student.LTU.se", "Anna.Svensson@Student.LTU.se"),  # case kept
    ("first.last+alumni@mail.example.com", "first.last+alumni@mail.example.com"),
    ("o'brien@example.co.uk", "o'brien@example.co.uk"),
]
BAD_EMAILS = [
    "anna",
    "anna@",
    "@example.se",
    "anna@example",
    "anna@example.s",
    "anna@example.123",
    "anna@@example.se",
    "anna@ex@ample.se",
    "an na@example.se",
    "anna@exa mple.se",
    "anna@example..se",
    "anna@.example.se",
    "anna@example.se, bo@example.se",
    "anna@example.se;bo@example.se",
    "Anna <anna@example.se>",
    "anna@example.se\nBcc: x@example.se",
    "anna@example.se\r\nbo@example.se",
    12345,
]


@pytest.mark.parametrize(("value", "address"), EMAILS)
def test_emails_accepted(value: object, address: str) -> None:
    assert parse_one(parse_emails, value) == (address, False)


@pytest.mark.parametrize("value", BAD_EMAILS)
def test_emails_rejected_but_keep_their_text(value: object) -> None:
    assert parse_one(parse_emails, value) == (clean_text(value), True)


@pytest.mark.parametrize("value", BLANKS)
def test_blank_email_is_na_and_not_bad(value: object) -> None:
    parsed, bad = parse_one(parse_emails, value)
    assert pd.isna(parsed)
    assert not bad


def test_emails_dtype_and_index() -> None:
    values = pd.Series([" a@b.se ", "nope", None], index=["x", "y", "z"], dtype=object)
    parsed, bad = parse_emails(values)
    assert parsed.dtype == "str"
    assert list(parsed.index) == ["x", "y", "z"]
    assert parsed.iloc[:2].tolist() == ["a@b.se", "nope"]
    assert bad.tolist() == [False, True, False]


# --- language ----------------------------------------------------------------------------

LANGUAGES = [
    ("sv", "sv"),
    ("SV", "sv"),
    (" Sv ", "sv"),
    ("svenska", "sv"),
    ("Swedish", "sv"),
    ("en", "en"),
    ("EN\u00a0", "en"),
    ("engelska", "en"),
    ("ENGLISH", "en"),
]
BAD_LANGUAGES = ["fr", "se", "eng", "sv/en", "svenska, engelska", 1, True]


@pytest.mark.parametrize(("value", "language"), LANGUAGES)
def test_languages_accepted(value: object, language: str) -> None:
    assert parse_one(parse_languages, value) == (language, False)


@pytest.mark.parametrize("value", BLANKS)
def test_blank_language_defaults_to_swedish(value: object) -> None:
    assert parse_one(parse_languages, value) == ("sv", False)


@pytest.mark.parametrize("value", BAD_LANGUAGES)
def test_languages_rejected(value: object) -> None:
    parsed, bad = parse_one(parse_languages, value)
    assert bad
    assert pd.isna(parsed)


# --- plain text --------------------------------------------------------------------------

CLEAN = [
    (None, ""),
    (float("nan"), ""),
    (pd.NA, ""),
    (pd.NaT, ""),
    ("  Anna Svensson\u00a0", "Anna Svensson"),
    ("\u200bLTU\u200b", "LTU"),
    ("0123", "0123"),
    ("Nan", "Nan"),
    ("NULL", "NULL"),
    ("None", "None"),
    ('=HYPERLINK("x")', '=HYPERLINK("x")'),
    ("+46 70 123 45 67", "+46 70 123 45 67"),
    ("rad ett\nrad två", "rad ett\nrad två"),  # inner line breaks are content
    (123, "123"),
    (0, "0"),
    (-7, "-7"),
    (np.int64(42), "42"),
    (2026.0, "2026"),
    (np.float64(2026.0), "2026"),
    (1.5, "1.5"),
    (0.1, "0.1"),
    (-0.25, "-0.25"),
    (True, "TRUE"),
    (False, "FALSE"),
    (dt.datetime(2026, 11, 28, 14, 5), "2026-11-28 14:05"),
    (dt.datetime(2026, 11, 28, 14, 5, 33), "2026-11-28 14:05:33"),
    (pd.Timestamp("2026-11-28 14:05"), "2026-11-28 14:05"),
    (dt.date(2026, 11, 28), "2026-11-28"),
]


@pytest.mark.parametrize(("value", "text"), CLEAN)
def test_clean_text(value: object, text: str) -> None:
    assert clean_text(value) == text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_text_only_strips_text(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == text.strip(BLANK_CHARS)
    assert clean_text(cleaned) == cleaned
    assert is_blank(text) == (cleaned == "")


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_clean_text_of_a_float_reads_back_as_the_same_number(number: float) -> None:
    assert float(clean_text(number)) == number


cell_values = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.sampled_from(["", "\u00a0", "Ja", "2026", "sv", "a@b.se"]),
)


@pytest.mark.parametrize("parser", [parse_years, parse_yes_no, parse_emails, parse_languages])
@settings(max_examples=60, deadline=None)
@given(values=st.lists(cell_values, max_size=12))
def test_parsers_never_raise_and_blank_is_never_bad(parser: Parser, values: list[object]) -> None:
    parsed, bad = parser(pd.Series(values, dtype=object))
    assert len(parsed) == len(bad) == len(values)
    for value, is_bad in zip(values, bad, strict=True):
        if is_blank(value):
            assert not is_bad
