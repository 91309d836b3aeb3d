"""Specifies, on a corpus of what people really type into Swedish and English sheets, that every
time, date and yes/no cell is either read right or reported as unreadable: never misread."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook as XlWorkbook

from alumni.contract import CONTACT_LOG, yes_no
from alumni.sheet.cells import clean_text, parse_yes_no
from alumni.sheet.workbook import Workbook, load_workbook
from alumni.sheet.xlsx import XlsxStore
from alumni.timeparse import explain, format_time, parse_time, parse_times

TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)
TODAY = pd.Timestamp("2026-11-28 14:05", tz=TZ)  # tests/helpers.NOW
UNREADABLE = "UNREADABLE"

# (sheet language, what was typed or stored, the local minute it means or UNREADABLE).
# Dates without a year are read against TODAY: the latest such day not after tomorrow.
TIMES: list[tuple[str, object, str]] = [
    # Swedish: dots in the clock, "kl.", day first, month names
    ("sv", "2026-11-27 16.02", "2026-11-27 16:02"),
    ("sv", "2026-11-27 kl. 16.02", "2026-11-27 16:02"),
    ("sv", "2026-11-27 kl 16", "2026-11-27 16:00"),
    ("sv", "2026-11-27 16:02:33", "2026-11-27 16:02"),  # Google Forms' Swedish timestamp
    ("sv", "27/11/2026 16.02", "2026-11-27 16:02"),
    ("sv", "27.11.2026 kl. 16:02", "2026-11-27 16:02"),
    ("sv", "27/11 16.02", "2026-11-27 16:02"),
    ("sv", "27.11 kl 9.05", "2026-11-27 09:05"),
    ("sv", "27 nov 2026 16.02", "2026-11-27 16:02"),
    ("sv", "27 november 2026 kl. 16:02", "2026-11-27 16:02"),
    ("sv", "27 nov. 2026", "2026-11-27 00:00"),
    ("sv", "den 27:e nov kl 16", "2026-11-27 16:00"),
    ("sv", "1 maj 2026 9.30", "2026-05-01 09:30"),
    ("sv", "3 OKT 2026", "2026-10-03 00:00"),
    ("sv", "28/11", "2026-11-28 00:00"),
    ("sv", "29/11", "2026-11-29 00:00"),  # tomorrow: typed in ahead, still this year
    ("sv", "30/11", "2025-11-30 00:00"),  # after tomorrow: last year's, never a future day
    ("sv", "1.5", "2026-05-01 00:00"),  # första maj
    ("sv", "16.02", UNREADABLE),  # 16:02 without a date, or 16 February without a year
    ("sv", "kl. 16.02", UNREADABLE),
    ("sv", "kl 16", UNREADABLE),
    ("sv", "12.11 14.05", UNREADABLE),  # 12 Nov 14:05, or 14 May 12:11 typed time first?
    ("sv", "igår kväll", UNREADABLE),
    ("sv", "i förrgår", UNREADABLE),
    ("sv", "igår 16.02", UNREADABLE),
    ("sv", "måndag", UNREADABLE),
    ("sv", "27/11/26", UNREADABLE),  # two-digit year
    ("sv", "27/11 16", UNREADABLE),  # 16:00, or a note?
    ("sv", "2026-11-27 25.00", UNREADABLE),
    ("sv", "ca 16", UNREADABLE),
    ("sv", "27/11 kväll", UNREADABLE),
    ("sv", "46353.668", "2026-11-27 16:01"),  # a serial number as text (16:01:55)
    # English
    ("en", "27 Nov 2026 16:02", "2026-11-27 16:02"),
    ("en", "Nov 27, 2026 4:02 PM", "2026-11-27 16:02"),
    ("en", "27 Nov 2026 4:02", "2026-11-27 04:02"),  # 24-hour unless am/pm is written
    ("en", "27-Nov-2026", "2026-11-27 00:00"),
    ("en", "November 27th 2026", "2026-11-27 00:00"),
    ("en", "Nov 27", "2026-11-27 00:00"),
    ("en", "03/04/2026", "2026-04-03 00:00"),  # numbers are day first, always
    ("en", "2026-11-27T15:02:00Z", "2026-11-27 16:02"),
    ("en", "11/27/2026", UNREADABLE),  # month first: never turned round
    ("en", "11/27/2026 4:02 PM", UNREADABLE),
    ("en", "4:02 PM", UNREADABLE),
    ("en", "yesterday", UNREADABLE),
    ("en", "asap", UNREADABLE),
    ("en", "?", UNREADABLE),
    ("en", "TBD", UNREADABLE),
    # real spreadsheet cells
    ("cell", dt.datetime(2026, 11, 27, 16, 2), "2026-11-27 16:02"),
    ("cell", dt.date(2026, 11, 27), "2026-11-27 00:00"),
    ("cell", 46353 + (16 * 60 + 2) / 1440, "2026-11-27 16:02"),
    ("cell", dt.time(16, 2), UNREADABLE),  # a time cell: no date
    ("cell", 0.668, UNREADABLE),  # the same as a serial below 1
    ("cell", True, UNREADABLE),
]

# (sheet language, what was typed or stored, True/False or UNREADABLE)
YES_NO: list[tuple[str, object, bool | str]] = [
    ("sv", "Ja", True),
    ("sv", "ja", True),
    ("sv", "JA", True),
    ("sv", " Ja ", True),
    ("sv", "Nej", False),
    ("sv", "nej", False),
    ("sv", "NEJ", False),
    ("en", "Yes", True),
    ("en", "yes", True),
    ("en", "No", False),
    ("en", "NO", False),
    ("cell", True, True),  # a checkbox
    ("cell", False, False),
    ("cell", "TRUE", True),  # a checkbox read as text
    ("cell", "FALSE", False),
    ("sv", "x", UNREADABLE),  # ticked, or struck out?
    ("sv", "X", UNREADABLE),
    ("sv", "✓", UNREADABLE),
    ("sv", "kanske", UNREADABLE),
    ("sv", "?", UNREADABLE),
    ("sv", "ja?", UNREADABLE),
    ("sv", "J", UNREADABLE),
    ("sv", "N", UNREADABLE),
    ("sv", "ja tack", UNREADABLE),
    ("sv", "SANT", UNREADABLE),
    ("en", "Y", UNREADABLE),
    ("en", "maybe", UNREADABLE),
    ("cell", 1, UNREADABLE),
    ("cell", 0, UNREADABLE),
    ("cell", "1", UNREADABLE),
    ("cell", "-", UNREADABLE),
]


def test_the_corpus_is_large_and_mixed() -> None:
    assert len(TIMES) + len(YES_NO) >= 40
    assert {language for language, _, _ in TIMES + YES_NO} == {"sv", "en", "cell"}
    assert sum(expected == UNREADABLE for _, _, expected in TIMES) >= 15


def minute(expected: str) -> pd.Timestamp:
    return pd.Timestamp(expected, tz=TZ)


@pytest.mark.parametrize(("language", "value", "expected"), TIMES)
def test_time_corpus(language: str, value: object, expected: str) -> None:
    times, bad = parse_times(pd.Series([value], dtype=object), TZ, today=TODAY)
    if expected == UNREADABLE:
        assert bad.iloc[0]
        assert pd.isna(times.iloc[0])
    else:
        assert not bad.iloc[0]
        assert format_time(times.iloc[0], TZ) == expected
        assert times.iloc[0].floor("min") == minute(expected)


def needs_today(value: object) -> bool:
    """Whether a cell is read only given today's date (a date without a year)."""
    _, bad = parse_times(pd.Series([value], dtype=object), TZ)
    _, bad_anyway = parse_times(pd.Series([value], dtype=object), TZ, today=TODAY)
    return bool(bad.iloc[0]) and not bad_anyway.iloc[0]


def test_today_only_makes_dates_without_a_year_readable() -> None:
    values = pd.Series([value for _, value, _ in TIMES], dtype=object)
    with_today, _ = parse_times(values, TZ, today=TODAY)
    without, bad = parse_times(values, TZ)
    for value, one, other, unread in zip(values, with_today, without, bad, strict=True):
        assert unread or one == other or (pd.isna(one) and pd.isna(other)), value
    assert [v for v in values if needs_today(v)] == [
        "27/11 16.02", "27.11 kl 9.05", "den 27:e nov kl 16", "28/11", "29/11", "30/11", "1.5",
        "Nov 27",
    ]  # fmt: skip


@pytest.mark.parametrize(("language", "value", "expected"), YES_NO)
def test_yes_no_corpus(language: str, value: object, expected: bool | str) -> None:
    parsed, bad = parse_yes_no(pd.Series([value], dtype=object))
    if expected == UNREADABLE:
        assert bad.iloc[0]
        assert parsed.iloc[0] is pd.NA
    else:
        assert not bad.iloc[0]
        assert parsed.iloc[0] == expected


def one_yes_no(value: object) -> bool | None:
    try:
        return yes_no(value)
    except ValueError:
        return None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([value for _, value, _ in YES_NO]),
            st.text(max_size=6),
            st.booleans(),
            st.integers(),
        ),
        max_size=12,
    )
)
def test_the_column_reader_and_the_one_cell_reader_agree(values: list[object]) -> None:
    parsed, bad = parse_yes_no(pd.Series(values, dtype=object))
    for value, answer, unread in zip(values, parsed, bad, strict=True):
        if clean_text(value) == "" and not isinstance(value, bool):
            continue  # blank: empty for the column, the caller's choice for yes_no
        alone = one_yes_no(value)
        assert unread == (alone is None)
        assert unread or answer == alone


# --- nothing is misread: properties over every form --------------------------------------

SV_MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december"]  # fmt: skip
SV_SHORT = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]  # fmt: skip
EN_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def written(wall: dt.datetime, form: int, pad: bool, upper: bool) -> str:
    """`wall` as one of the accepted hand-typed forms."""
    d, m, y, h, mi = wall.day, wall.month, wall.year, wall.hour, f"{wall.minute:02d}"
    dd, mm, hh = (f"{d:02d}", f"{m:02d}", f"{h:02d}") if pad else (str(d), str(m), str(h))
    h12 = h % 12 or 12
    ampm = "pm" if h >= 12 else "am"
    forms = [
        f"{y}-{mm}-{dd} {hh}.{mi}",
        f"{y}-{mm}-{dd} kl. {hh}.{mi}",
        f"{dd}/{mm}/{y} {hh}.{mi}",
        f"{dd}.{mm}.{y} kl {hh}:{mi}",
        f"{dd}-{mm}-{y} {hh}:{mi}",
        f"{d} {SV_SHORT[m - 1]} {y} {hh}.{mi}",
        f"{d} {SV_MONTHS[m - 1]} {y} kl. {hh}:{mi}",
        f"{d} {SV_SHORT[m - 1]}. {y}, kl. {hh}.{mi}",
        f"{d} {EN_SHORT[m - 1]} {y} {hh}:{mi}",
        f"{EN_MONTHS[m - 1]} {d}, {y} {h12}:{mi} {ampm}",
        f"{dd}-{EN_SHORT[m - 1]}-{y} {h12}:{mi}{ampm.upper()}",
    ]
    text = forms[form % len(forms)]
    return text.upper() if upper else text


def in_gap(wall: dt.datetime) -> bool:
    there_and_back = wall.replace(tzinfo=ZONE).astimezone(dt.UTC).astimezone(ZONE)
    return there_and_back.replace(tzinfo=None) != wall


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2099, 12, 31, 23, 59)),
    st.integers(min_value=0, max_value=10),
    st.booleans(),
    st.booleans(),
)
def test_every_hand_typed_form_reads_back_to_the_same_minute(
    wall: dt.datetime, form: int, pad: bool, upper: bool
) -> None:
    wall = wall.replace(second=0, microsecond=0)
    assume(not in_gap(wall))
    parsed = parse_time(written(wall, form, pad, upper), TZ, today=TODAY)
    assert parsed is not None
    assert format_time(parsed, TZ) == f"{wall:%Y-%m-%d %H:%M}"


def test_numbers_are_never_read_month_first() -> None:
    texts, pairs = [], []
    for a in range(0, 33):
        for b in range(0, 33):
            for form in ("{a}/{b}/2026", "{a}.{b}.2026", "{a:02d}-{b:02d}-2026", "{a}/{b}",
                         "{a:02d}/{b:02d}", "{a}.{b}", "{a}/{b} 9.05"):  # fmt: skip
                texts.append(form.format(a=a, b=b))
                pairs.append((a, b))
    times, bad = parse_times(pd.Series(texts, dtype=object), TZ, today=TODAY)
    latest = (TODAY + pd.Timedelta(days=1)).date()
    for text, (a, b), time, unread in zip(texts, pairs, times, bad, strict=True):
        if unread:
            continue
        assert (time.day, time.month) == (a, b), text  # the first number is always the day
        if "2026" not in text:
            assert latest - dt.timedelta(days=366) < time.date() <= latest, text
        if a <= 12 < b:
            raise AssertionError(f"{text} was read although it is month first")


def test_a_time_without_a_date_is_never_read() -> None:
    texts = []
    for h in range(24):
        for m in range(60):
            texts += [f"{h}:{m:02d}", f"{h:02d}:{m:02d}", f"{h}.{m:02d}", f"kl. {h}.{m:02d}",
                      f"kl {h}:{m:02d}", f"{h:02d}:{m:02d}:00"]  # fmt: skip
        texts += [f"kl {h}", f"kl. {h}", f"{h % 12 or 12} pm", f"{h % 12 or 12}:15 am"]
    _, bad = parse_times(pd.Series(texts, dtype=object), TZ, today=TODAY)
    assert bad.all(), [t for t, b in zip(texts, bad, strict=True) if not b][:5]
    assert all(explain(t, today=TODAY) is not None for t in texts[::37])


# --- through the real reader ---------------------------------------------------------------

COLUMN = "Vi svarade"


def write_contact_log(path: Path, values: list[object]) -> list[int]:
    """An .xlsx whose Kontaktlogg has one row per value in `Vi svarade`; their sheet rows."""
    book = XlWorkbook()
    ws = book.active
    assert ws is not None
    ws.title = CONTACT_LOG.name
    header = [column.name for column in CONTACT_LOG.columns]
    ws.append(header)
    rows = []
    for i, value in enumerate(values):
        row: list[Any] = [None] * len(header)
        row[header.index("ID")] = f"KL-{i + 1:04d}"
        row[header.index("Alumn")] = f"Alumn {i}"
        row[header.index("Kontaktad")] = "2026-11-26 10:00"
        row[header.index(COLUMN)] = value
        ws.append(row)
        rows.append(ws.max_row)
    book.save(path)
    return rows


def read(path: Path) -> Workbook:
    """The workbook as the tool reads it on TODAY."""
    return load_workbook(XlsxStore(path).read(), TZ, TODAY)


def test_every_corpus_cell_through_the_real_reader_is_right_or_named(tmp_path: Path) -> None:
    path = tmp_path / "alumni.xlsx"
    cases = [(value, expected) for _, value, expected in TIMES]
    rows = write_contact_log(path, [value for value, _ in cases])
    book = read(path)
    frame = book[CONTACT_LOG.name]
    named = {
        f.row: f
        for f in book.findings
        if f.tab == CONTACT_LOG.name and f.column == COLUMN and f.row is not None
    }
    assert len(frame) == len(cases)
    for (value, expected), row, time in zip(cases, rows, frame[COLUMN], strict=True):
        finding = named.get(row)
        if expected == UNREADABLE:
            assert finding is not None, f"{value!r} in row {row} was not named"
            assert f"'{clean_text(value)}'" in finding.message
            assert pd.isna(time)
        else:
            assert finding is None, f"{value!r}: {finding}"
            assert format_time(time, TZ) == expected, value
