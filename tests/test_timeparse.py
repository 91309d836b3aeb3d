"""Specifies how date/time cells are read from the sheet and how the tool writes times back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from alumni.sheet.cells import is_blank
from alumni.timeparse import NO_DATE, explain, format_date, format_time, parse_time, parse_times

TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)


def local(text: str) -> pd.Timestamp:
    """The instant of a wall-clock reading in Stockholm (never in a DST gap or overlap here)."""
    return pd.Timestamp(text, tz=TZ)


def column(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype=object)


ACCEPTED = [
    # the contract's text forms
    ("2026-11-28 14:05", "2026-11-28 14:05"),
    ("2026-11-28 14:05:33", "2026-11-28 14:05:33"),  # Google Forms, Swedish locale
    ("2026-11-28", "2026-11-28 00:00"),
    ("28/11/2026 14:05", "2026-11-28 14:05"),
    ("28/11/2026", "2026-11-28 00:00"),
    ("28.11.2026", "2026-11-28 00:00"),
    ("28-11-2026", "2026-11-28 00:00"),
    ("28.11.2026 14:05", "2026-11-28 14:05"),
    ("28-11-2026 14:05:33", "2026-11-28 14:05:33"),
    # one-digit day, month and hour; day first means 1 September, not 9 January
    ("1/9/2026 9:05", "2026-09-01 09:05"),
    ("1.9.2026", "2026-09-01 00:00"),
    ("2026-9-1 9:05", "2026-09-01 09:05"),
    # ISO 8601 with T, seconds, fractions, and offsets (converted to Stockholm time)
    ("2026-11-28T14:05", "2026-11-28 14:05"),
    ("2026-11-28T14:05:33", "2026-11-28 14:05:33"),
    ("2026-11-28T14:05:33.250000", "2026-11-28 14:05:33.25"),
    ("2026-11-28T13:05:00Z", "2026-11-28 14:05"),
    ("2026-11-28T14:05:00+01:00", "2026-11-28 14:05"),
    ("2026-11-28T08:05-05:00", "2026-11-28 14:05"),
    ("2026-07-01T12:00Z", "2026-07-01 14:00"),  # summer time: UTC+2
    # surrounding whitespace, including no-break and zero-width spaces
    ("  2026-11-28 14:05\n", "2026-11-28 14:05"),
    ("\u00a028/11/2026\u200b", "2026-11-28 00:00"),
    ("\ufeff2026-11-28\u00a014:05", "2026-11-28 14:05"),  # NBSP between date and time, too
    # Sheets/Excel serial numbers: days since 1899-12-30, local time
    (46354, "2026-11-28 00:00"),
    (46354.5, "2026-11-28 12:00"),
    (np.float64(46354.25), "2026-11-28 06:00"),
    (np.int64(46354), "2026-11-28 00:00"),
    ("46354.5", "2026-11-28 12:00"),
    (" 46354 ", "2026-11-28 00:00"),
    (46354 + (14 * 60 + 30) / 1440, "2026-11-28 14:30"),  # float noise rounds away
    (25569, "1970-01-01 00:00"),
    (73050.999, "2099-12-31 23:58:33.600"),
    # real date/time cells
    (dt.datetime(2026, 11, 28, 14, 5), "2026-11-28 14:05"),
    (dt.date(2026, 11, 28), "2026-11-28 00:00"),
    (pd.Timestamp("2026-11-28 14:05"), "2026-11-28 14:05"),
    (pd.Timestamp("2026-11-28 13:05", tz="UTC"), "2026-11-28 14:05"),
    (dt.datetime(2026, 11, 28, 8, 5, tzinfo=ZoneInfo("America/New_York")), "2026-11-28 14:05"),
    (np.datetime64("2026-11-28T14:05"), "2026-11-28 14:05"),
    # typed by hand: a dot in the clock, "kl.", a whole hour after "kl."
    ("2026-11-30 16.02", "2026-11-30 16:02"),
    ("2026-11-30 kl. 16.02", "2026-11-30 16:02"),
    ("2026-11-30 kl 16:02", "2026-11-30 16:02"),
    ("2026-11-30 kl. 16", "2026-11-30 16:00"),
    ("2026-11-30 16.02.33", "2026-11-30 16:02:33"),
    ("30/11/2026 16.02", "2026-11-30 16:02"),
    ("30.11.2026 kl. 9.05", "2026-11-30 09:05"),
    ("30/11/2026, 16:02", "2026-11-30 16:02"),
    ("2026/11/30", "2026-11-30 00:00"),
    # month names, Swedish and English, full and short, any case
    ("30 nov 2026 16.02", "2026-11-30 16:02"),
    ("30 november 2026 kl. 16:02", "2026-11-30 16:02"),
    ("30 nov. 2026", "2026-11-30 00:00"),
    ("30 Nov 2026 4:02", "2026-11-30 04:02"),  # a 24-hour clock unless am/pm is written
    ("30 Nov 2026 4:02 PM", "2026-11-30 16:02"),
    ("30 Nov 2026 12:15 am", "2026-11-30 00:15"),
    ("Nov 30, 2026", "2026-11-30 00:00"),
    ("30-Nov-2026", "2026-11-30 00:00"),
    ("den 1:a maj 2026", "2026-05-01 00:00"),
    ("1 May 2026", "2026-05-01 00:00"),
    ("3 okt 2026", "2026-10-03 00:00"),
    ("3 Oct 2026", "2026-10-03 00:00"),
    ("7 sept. 2026", "2026-09-07 00:00"),
    ("7 SEPTEMBER 2026  kl.\u00a014.05", "2026-09-07 14:05"),
    ("4 mars 2026", "2026-03-04 00:00"),
    ("November 30th, 2026", "2026-11-30 00:00"),
]

REJECTED = [
    "igår kväll",
    "snart",
    "2026/13/01",
    "2026-02-30",  # no such day
    "29/02/2026",  # not a leap year
    "2026-11-28 25:00",
    "2026-11-28 24:00",
    "2026-11-28 14:60",
    "2026-11-28 14:05:60",
    "2026-13-01",
    "31.04.2026",
    "28/11/26",  # two-digit year
    "28/11-2026",  # mixed separators
    "2026-11-28 14",  # an hour alone needs "kl."
    "2026-11-28 25.00",
    "30 nov 2026 13 pm",
    "30 foo 2026",
    "30/11 2026",
    "november 2026",  # no day
    "11/30/2026",  # month first: never turned round
    "16.02",  # a time without a date (or 16 February without a year)
    "16:02",
    "kl. 16.02",
    "kl 16",
    "4:02 pm",
    "30/11",  # no year, and parse_times got no `today`
    "30 nov 16.02",
    "i förrgår",
    "asap",
    "?",
    "2026-11-28T14:05+25:00",
    "0226-11-28",  # typo: outside 1900..2199
    "٢٠٢٦-١١-٢٨",  # Arabic-Indic digits
    "46354,5",  # decimal comma is not a plain decimal number
    "-46354",
    "2026",  # a year typed into a date column
    2026,
    2026.0,
    25568.99,  # before 1970
    73051,  # 2100-01-01
    float("inf"),
    -1,
    10**400,
    True,
    False,
    dt.time(14, 5),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
    pd.Timedelta(hours=1),
    object(),
]

EMPTY = [None, "", "   ", "\u00a0", "\u200b", "\t\n", float("nan"), np.nan, pd.NaT, pd.NA]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED)
def test_accepted_forms_parse_to_the_local_instant(value: object, expected: str) -> None:
    times, bad = parse_times(column(value), TZ)
    assert not bad.iloc[0]
    assert times.iloc[0] == local(expected)


@pytest.mark.parametrize("value", REJECTED)
def test_rejected_values_are_bad_and_nat(value: object) -> None:
    times, bad = parse_times(column(value), TZ)
    assert bad.iloc[0]
    assert pd.isna(times.iloc[0])


@pytest.mark.parametrize("value", EMPTY)
def test_empty_cells_are_nat_and_not_bad(value: object) -> None:
    times, bad = parse_times(column(value), TZ)
    assert not bad.iloc[0]
    assert pd.isna(times.iloc[0])


def test_result_keeps_the_index_and_has_the_zone_dtype() -> None:
    values = pd.Series(["2026-11-28 14:05", "igår kväll", None], index=[7, 3, 9], dtype=object)
    times, bad = parse_times(values, TZ)
    assert str(times.dtype) == f"datetime64[ns, {TZ}]"
    assert bad.dtype == bool
    assert list(times.index) == [7, 3, 9]
    assert list(bad.index) == [7, 3, 9]
    assert bad.tolist() == [False, True, False]


def test_empty_column() -> None:
    times, bad = parse_times(pd.Series([], dtype=object), TZ)
    assert len(times) == 0
    assert len(bad) == 0
    assert str(times.dtype) == f"datetime64[ns, {TZ}]"


def test_other_zones_read_naive_times_as_their_local_time() -> None:
    times, _ = parse_times(column("2026-11-28 14:05", "2026-11-28T14:05Z"), "UTC")
    assert times.tolist() == [pd.Timestamp("2026-11-28 14:05", tz="UTC")] * 2


def test_unknown_zone_is_a_configuration_error() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        parse_times(column("2026-11-28"), "Europe/Luleå")


# Daylight saving time in Stockholm, 2026: clocks jump 02:00 -> 03:00 on 29 March and fall
# back 03:00 -> 02:00 on 25 October.
DST = [
    # a time in the gap moves forward to the end of the gap
    ("2026-03-29 02:30", "2026-03-29T01:00:00Z"),
    ("29/03/2026 02:00", "2026-03-29T01:00:00Z"),
    ("2026-03-29 03:00", "2026-03-29T01:00:00Z"),
    ("2026-03-29 01:59", "2026-03-29T00:59:00Z"),
    # a time in the repeated hour is its first occurrence, still in summer time
    ("2026-10-25 02:30", "2026-10-25T00:30:00Z"),
    ("25.10.2026 02:00", "2026-10-25T00:00:00Z"),
    (dt.datetime(2026, 10, 25, 2, 30), "2026-10-25T00:30:00Z"),
    ("2026-10-25 03:00", "2026-10-25T02:00:00Z"),
    # an explicit offset picks the second occurrence
    ("2026-10-25T02:30+01:00", "2026-10-25T01:30:00Z"),
]


@pytest.mark.parametrize(("value", "instant"), DST)
def test_dst_gap_and_overlap_resolve_without_error(value: object, instant: str) -> None:
    times, bad = parse_times(column(value), TZ)
    assert not bad.iloc[0]
    assert times.iloc[0] == pd.Timestamp(instant)


def test_parse_time_reads_one_value() -> None:
    assert parse_time("28/11/2026 14:05", TZ) == local("2026-11-28 14:05")
    assert parse_time(" \u00a0", TZ) is None
    assert parse_time(None, TZ) is None
    with pytest.raises(ValueError, match="'igår kväll' is not a date/time"):
        parse_time("igår kväll", TZ)


TODAY = pd.Timestamp("2026-11-28 14:05", tz=TZ)

YEAR_LESS = [
    # the latest such day that is not after tomorrow: people log what has happened
    ("28/11", "2026-11-28 00:00"),
    ("29/11 9.15", "2026-11-29 09:15"),  # tomorrow still counts
    ("30/11", "2025-11-30 00:00"),
    ("1/12", "2025-12-01 00:00"),
    ("1/1", "2026-01-01 00:00"),
    ("30.11", "2025-11-30 00:00"),  # day.month: it cannot be a time of day
    ("1.5", "2026-05-01 00:00"),
    ("30 nov", "2025-11-30 00:00"),
    ("27 november kl 16", "2026-11-27 16:00"),
    ("Nov 27 4:02 pm", "2026-11-27 16:02"),
]


@pytest.mark.parametrize(("text", "expected"), YEAR_LESS)
def test_a_date_without_a_year_is_the_latest_such_day_up_to_tomorrow(
    text: str, expected: str
) -> None:
    assert parse_time(text, TZ, today=TODAY) == local(expected)
    with pytest.raises(ValueError):
        parse_time(text, TZ)  # without a reference day it is not read


def test_year_less_edges() -> None:
    # the reference is today's local date: late on 31 December UTC is already 1 January here
    new_year = pd.Timestamp("2026-12-31 23:30", tz="UTC")
    assert parse_time("2/1", TZ, today=new_year) == local("2027-01-02")
    assert parse_time("3/1", TZ, today=new_year) == local("2026-01-03")
    assert parse_time("29/2", TZ, today=pd.Timestamp("2028-03-01")) == local("2028-02-29")
    with pytest.raises(ValueError):
        parse_time("29/2", TZ, today=TODAY)  # 2026 has none: not moved to another year


NOT_GUESSED = [
    # (cell, why explain says it was not read)
    ("16.02", "could be a time of day or a day and month, and has no year"),
    ("12.11 14.05", "could be a time of day or a day and month, and has no year"),
    ("11.30", "could be a time of day or a day and month, and has no year"),
    ("16:02", NO_DATE),
    ("kl. 16.02", NO_DATE),
    ("kl 16", NO_DATE),
    ("4:02 PM", NO_DATE),
    (dt.time(16, 2), NO_DATE),  # a time cell from a spreadsheet
    (0.668, NO_DATE),  # the serial of a time alone
    ("0.668", NO_DATE),
    ("30/11", "has no year"),
    ("30 nov 16.02", "has no year"),
    ("11/30/2026", "has the month before the day"),
    ("11/30", "has the month before the day"),
    ("28/11/26", "has a two-digit year"),
    ("2026-11-30 25.00", "has no such time of day"),
    ("2026-11-28 14:60", "has no such time of day"),
    ("30 Nov 2026 13:05 pm", "has no such time of day"),
    ("2026-11-28 14", "has an hour but no minutes"),
    ("2026-02-30", "is not a day in the calendar"),
    ("31.04.2026", "is not a day in the calendar"),
    ("0226-11-28", "is outside the years 1900 to 2199"),
    (dt.datetime(1, 1, 1), "is outside the years 1900 to 2199"),
    ("igår kväll", "names a day relative to today"),
    ("i förrgår", "names a day relative to today"),
    ("Yesterday 4pm", "names a day relative to today"),
    ("asap", None),
    ("?", None),
    ("30 foo 2026", None),
    (True, None),
    (2026, None),
    (object(), None),
]


@pytest.mark.parametrize(("value", "reason"), NOT_GUESSED)
def test_explain_says_why_a_cell_was_not_read(value: object, reason: str | None) -> None:
    _, bad = parse_times(column(value), TZ)
    assert bad.iloc[0]
    assert explain(value) == reason


def test_explain_with_a_reference_day() -> None:
    assert explain("29/2", today=TODAY) == "has no year"  # not in 2026
    assert explain("31/4", today=TODAY) == "is not a day in the calendar"
    assert explain("16.02", today=TODAY) == NOT_GUESSED[0][1]


@pytest.mark.parametrize("value", REJECTED)
def test_explain_never_raises_on_rejected_values(value: object) -> None:
    reason = explain(value)
    assert reason is None or isinstance(reason, str)


FORMATTED = [
    (local("2026-11-28 14:05"), "2026-11-28 14:05", "2026-11-28"),
    (local("2026-11-28 14:05:59.9"), "2026-11-28 14:05", "2026-11-28"),  # cut, not rounded
    (pd.Timestamp("2026-11-28 23:30", tz="UTC"), "2026-11-29 00:30", "2026-11-29"),
    (dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC), "2026-07-01 00:00", "2026-07-01"),
    (pd.Timestamp("2026-11-28 14:05"), "2026-11-28 14:05", "2026-11-28"),  # naive: local
    (None, "", ""),
    (pd.NaT, "", ""),
]


@pytest.mark.parametrize(("ts", "time_text", "date_text"), FORMATTED)
def test_format_time_and_date(ts: dt.datetime | None, time_text: str, date_text: str) -> None:
    assert format_time(ts, TZ) == time_text
    assert format_date(ts, TZ) == date_text


def in_gap(wall: dt.datetime) -> bool:
    """Whether a Stockholm wall-clock time does not exist (spring-forward gap)."""
    there_and_back = wall.replace(tzinfo=ZONE).astimezone(dt.UTC).astimezone(ZONE)
    return there_and_back.replace(tzinfo=None) != wall


minutes = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2099, 12, 31, 23, 59)
).map(lambda wall: wall.replace(second=0, microsecond=0, fold=0))


@settings(max_examples=200, deadline=None)
@given(minutes)
def test_format_time_round_trips_parse_time(wall: dt.datetime) -> None:
    assume(not in_gap(wall))
    text = f"{wall:%Y-%m-%d %H:%M}"
    parsed = parse_time(text, TZ)
    assert parsed is not None
    assert format_time(parsed, TZ) == text
    assert format_date(parsed, TZ) == text[:10]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=4_102_444_799 // 60))
def test_written_instants_read_back_to_the_minute(minute: int) -> None:
    instant = dt.datetime.fromtimestamp(minute * 60, tz=dt.UTC)
    # the repeated autumn hour's second occurrence cannot survive offset-free text
    assume(instant.astimezone(ZONE).fold == 0)
    assert parse_time(format_time(instant, TZ), TZ) == pd.Timestamp(instant)


cell_values = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789-/.:T Z+\u00a0"),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.datetimes(timezones=st.timezones()),
    st.dates(),
    st.sampled_from(["", " ", "\u200b", "\u00a0", "2026-11-28 14:05", "igår kväll"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(cell_values, max_size=20))
def test_parse_times_never_raises_and_empty_cells_are_never_bad(values: list[object]) -> None:
    times, bad = parse_times(pd.Series(values, dtype=object), TZ)
    assert len(times) == len(bad) == len(values)
    for value, time, is_bad in zip(values, times, bad, strict=True):
        if is_blank(value):
            assert not is_bad
        # bad and parsed exclude each other; NaT without bad means empty
        assert not (is_bad and not pd.isna(time))


def test_a_hundred_thousand_mixed_values() -> None:
    sample = [
        ("2026-11-28 14:05", local("2026-11-28 14:05")),
        ("2026-11-28 14:05:33", local("2026-11-28 14:05:33")),
        ("28/11/2026 14:05", local("2026-11-28 14:05")),
        ("1/9/2026 9:05", local("2026-09-01 09:05")),
        ("28.11.2026", local("2026-11-28")),
        ("2026-11-28T13:05:00Z", local("2026-11-28 14:05")),
        (46354.5, local("2026-11-28 12:00")),
        (dt.datetime(2026, 11, 28, 14, 5), local("2026-11-28 14:05")),
        (dt.date(2026, 11, 28), local("2026-11-28")),
        ("igår kväll", None),
        ("", pd.NaT),
        (None, pd.NaT),
    ]
    values = pd.Series([value for value, _ in sample] * 8334, dtype=object)[:100_000]
    times, bad = parse_times(values, TZ)
    expected = pd.Series(
        [pd.NaT if want is None else want for _, want in sample], dtype=f"datetime64[ns, {TZ}]"
    )
    rows = np.arange(100_000) % len(sample)
    assert np.array_equal(bad.to_numpy(), np.array([want is None for _, want in sample])[rows])
    assert np.array_equal(times.array.asi8, expected.array.asi8[rows])
    assert times.dt.tz == expected.dt.tz
