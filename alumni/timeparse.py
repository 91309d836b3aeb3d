"""Reads the sheet's date/time cells into time-zone-aware instants and writes them back as text."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pandas.api.typing import NaTType

from alumni.contract import BLANK_CHARS, is_missing

# Serial numbers count days since 1899-12-30 (Sheets' and Excel's epoch). Only 1970-01-01 up
# to the end of 2099-12-31 is accepted: outside that a number in a date column is far more
# likely a typed year or an amount than a date.
SERIAL_EPOCH_OFFSET = 25569  # the serial of 1970-01-01
SERIAL_MIN = 25569
SERIAL_END = 73051  # the serial of 2100-01-01, excluded

# Times outside this window are typos ("0226-11-28") rather than events of the committee;
# the window also keeps every accepted time inside datetime64[ns].
EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2200-01-01")  # excluded

_NS_PER_MS = 1_000_000
_NAT = np.iinfo(np.int64).min

# [0-9] rather than \d: \d would also take Arabic-Indic and other Unicode digits.
_ISO = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})"
    r"(?:(?P<sep>T|\s+)(?P<clock>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)"
    r"(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_DAY_FIRST = re.compile(
    r"(?P<day>[0-9]{1,2})(?P<sep>[/.-])(?P<month>[0-9]{1,2})(?P=sep)(?P<year>[0-9]{4})"
    r"(?:\s+(?P<clock>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?))?"
)
_SERIAL_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")

# The way people type times by hand, read from text that is case-folded with every run of
# blanks made one space (see _fold). A date comes first, then optionally a clock.
_CLOCK = (
    r"(?P<kl>kl(?:ockan)?\.? ?)?"
    r"(?P<hour>[0-9]{1,2})(?:(?P<csep>[:.])(?P<minute>[0-9]{2})(?:(?P=csep)(?P<second>[0-9]{2}))?)?"
    r"(?: ?(?P<ampm>am|pm|a\.m\.|p\.m\.))?"
)
_DATE = (
    r"(?:den )?(?:"
    # 2026-11-30, 2026/11/30, 2026.11.30: a year first is always year-month-day
    r"(?P<y1>[0-9]{4})(?P<s1>[-/.])(?P<m1>[0-9]{1,2})(?P=s1)(?P<d1>[0-9]{1,2})"
    # 30/11/2026, 30.11.2026, 30-11-2026, and without a year 30/11 and 30.11
    r"|(?P<d2>[0-9]{1,2})(?P<s2>[-/.])(?P<m2>[0-9]{1,2})(?:(?P=s2)(?P<y2>[0-9]{4}))?"
    # 30 nov 2026, 30 november, 30 nov. 2026, 30-Nov-2026, 30th November 2026, 30:e nov
    r"|(?P<d3>[0-9]{1,2})(?:st|nd|rd|th|:e|:a)?(?:\.? |-|\.)(?P<n3>[a-zåäö]+)\.?"
    r"(?:(?:,? |-)(?P<y3>[0-9]{4}))?"
    # Nov 30, 2026 and November 30th
    r"|(?P<n4>[a-zåäö]+)\.? (?P<d4>[0-9]{1,2})(?:st|nd|rd|th)?(?:,? (?P<y4>[0-9]{4}))?"
    r")"
)
_HAND_WRITTEN = re.compile(rf"{_DATE}(?:(?: ?, ?| )(?:{_CLOCK}))?")
_CLOCK_ONLY = re.compile(_CLOCK)
_TWO_DIGIT_YEAR = re.compile(r"[0-9]{1,2}([-/.])[0-9]{1,2}\1[0-9]{2}(?: .*)?")
_RELATIVE = re.compile(
    r"\b(?:i ?går|i ?dag|i ?morgon|i ?förrgår|i ?övermorgon|i ?kväll|i ?morse|i ?natt"
    r"|yesterday|today|tomorrow|tonight|now|nu)\b"
)
_BLANK_RUN = re.compile(f"[{re.escape(BLANK_CHARS)}]+")

# Month names in Swedish and English, full and short; "maj"/"may" and "okt"/"oct" alike.
_MONTH_NAMES = (
    ("januari", "january", "jan"),
    ("februari", "february", "feb"),
    ("mars", "march", "mar"),
    ("april", "apr"),
    ("maj", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("augusti", "august", "aug"),
    ("september", "sep", "sept"),
    ("oktober", "october", "okt", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}

# The kinds of cell value, found by exact type first (fast) and by isinstance for the rest.
_EMPTY, _TEXT, _NUMBER, _NAIVE, _AWARE, _BAD = range(6)
_KIND_BY_TYPE: dict[type, int] = {
    type(None): _EMPTY,
    str: _TEXT,
    int: _NUMBER,
    float: _NUMBER,
    bool: _BAD,
    dt.date: _NAIVE,
}


def _kind(value: object) -> int:
    """Sort one cell value into a kind; only called for types outside _KIND_BY_TYPE."""
    if isinstance(value, dt.datetime):  # also pd.Timestamp, and pd.NaT
        if value is pd.NaT:
            return _EMPTY
        return _NAIVE if value.utcoffset() is None else _AWARE
    if is_missing(value):
        return _EMPTY
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, bool | np.bool_):
        return _BAD
    if isinstance(value, int | float | np.integer | np.floating):
        return _NUMBER
    if isinstance(value, dt.date | np.datetime64):
        return _NAIVE
    return _BAD


def _objects_to_ns(objects: np.ndarray, utc: bool) -> np.ndarray:
    """Turn date/time objects into int64 nanoseconds (wall clock, or UTC when `utc`).

    The whole batch goes through pandas at once; should some odd object make that raise,
    each value is tried alone so that only that one becomes NaT.
    """
    try:
        return _to_ns(pd.DatetimeIndex(pd.to_datetime(objects, errors="coerce", utc=utc)))
    except (ValueError, TypeError, OverflowError):
        ns = np.full(len(objects), _NAT, dtype=np.int64)
        for i, value in enumerate(objects):
            try:
                one = pd.to_datetime([value], errors="coerce", utc=utc)
                ns[i] = _to_ns(pd.DatetimeIndex(one))[0]
            except (ValueError, TypeError, OverflowError):
                pass
        return ns


def _to_ns(times: pd.DatetimeIndex) -> np.ndarray:
    """Turn parsed times of any resolution into int64 nanoseconds, NaT outside the window."""
    if times.tz is not None:
        inside = (times >= EARLIEST.tz_localize("UTC")) & (times < LATEST.tz_localize("UTC"))
        times = times.tz_convert(None)
    else:
        inside = (times >= EARLIEST) & (times < LATEST)
    return np.asarray(pd.DatetimeIndex(times.where(inside)).as_unit("ns").asi8, dtype=np.int64)


def _serials_to_ns(serials: np.ndarray) -> np.ndarray:
    """Turn serial day numbers into wall-clock nanoseconds since 1970, NaT when out of range.

    Serials are rounded to the millisecond, the precision spreadsheets keep, so that float
    noise does not turn 14:30 into 14:29:59.999999.
    """
    with np.errstate(invalid="ignore"):
        inside = (serials >= SERIAL_MIN) & (serials < SERIAL_END)
    millis = np.round((np.where(inside, serials, SERIAL_MIN) - SERIAL_EPOCH_OFFSET) * 86_400_000)
    return np.where(inside, millis.astype(np.int64) * _NS_PER_MS, _NAT)


def _numbers_to_float(numbers: np.ndarray) -> np.ndarray:
    """Turn Python/numpy numbers into floats; integers too large for a float become inf."""
    try:
        return numbers.astype(np.float64)
    except (OverflowError, ValueError, TypeError):
        floats = np.empty(len(numbers), dtype=np.float64)
        for i, number in enumerate(numbers):
            try:
                floats[i] = float(number)
            except (OverflowError, ValueError, TypeError):
                floats[i] = np.inf
        return floats


class _Typed(NamedTuple):
    """A hand-typed date with an optional clock, as numbers, not yet checked."""

    year: int | None
    month: int
    day: int
    hour: int | None
    minute: int | None
    second: int | None
    clock_word: bool  # "kl." or am/pm makes a lone number an hour
    ampm: str | None
    numbers_day_first: bool  # 30/11, 30.11.2026: the order could have been meant the other way
    could_be_clock: bool  # a year-less "16.02" reads as 16 February and as 16:02


def _fold(text: str) -> str:
    return _BLANK_RUN.sub(" ", text).strip(" ").casefold()


def _typed(folded: str) -> _Typed | None:
    """Split text in one of the hand-typed forms into numbers; None for any other text."""
    match = _HAND_WRITTEN.fullmatch(folded)
    if match is None:
        return None
    g = match.groupdict()
    could_be_clock = False
    if g["y1"] is not None:
        year: str | None = g["y1"]
        month, day = int(g["m1"]), int(g["d1"])
    elif g["d2"] is not None:
        year, month, day = g["y2"], int(g["m2"]), int(g["d2"])
        if year is None:
            if g["s2"] == "-":
                return None  # 30-11 is as likely a range or a score as a date
            could_be_clock = g["s2"] == "." and len(g["m2"]) == 2 and day <= 23 and month <= 59
    else:
        number = _MONTHS.get(g["n3"] or g["n4"])
        if number is None:
            return None
        year, month, day = g["y3"] or g["y4"], number, int(g["d3"] or g["d4"])
    hour, minute, second, ampm = g["hour"], g["minute"], g["second"], g["ampm"]
    return _Typed(
        year=None if year is None else int(year),
        month=month,
        day=day,
        hour=None if hour is None else int(hour),
        minute=None if minute is None else int(minute),
        second=None if second is None else int(second),
        clock_word=g["kl"] is not None or ampm is not None,
        ampm=None if ampm is None else ampm[0],
        numbers_day_first=g["d2"] is not None,
        could_be_clock=could_be_clock,
    )


def _refusal(typed: _Typed, limit: dt.date | None) -> str | None:
    """Why a hand-typed form is not read whatever its numbers are, or None to read it."""
    if typed.year is None:
        if typed.could_be_clock:
            return "could be a time of day or a day and month, and has no year"
        if limit is None:
            return "has no year"
    if typed.hour is not None:
        if typed.minute is None and not typed.clock_word:
            return "has an hour but no minutes"
        if typed.ampm is not None and not 1 <= typed.hour <= 12:
            return "has no such time of day"
    return None


def _year(typed: _Typed, limit: dt.date | None) -> int:
    """The year written, or for a year-less date the latest one that puts it on or before
    `limit` (people log what has happened; `limit` is the day after today)."""
    if typed.year is not None:
        return typed.year
    assert limit is not None  # _refusal refuses a year-less date without one
    late = (typed.month, typed.day) > (limit.month, limit.day)
    return limit.year - 1 if late else limit.year


def _to_iso(typed: _Typed, limit: dt.date | None) -> str:
    """Write an accepted hand-typed form as ISO text for pandas to check and read."""
    date = f"{_year(typed, limit):04d}-{typed.month:02d}-{typed.day:02d}"
    if typed.hour is None:
        return date
    hour = typed.hour
    if typed.ampm is not None:
        hour = hour % 12 + (12 if typed.ampm == "p" else 0)
    clock = f"{hour:02d}:{typed.minute or 0:02d}"
    return f"{date} {clock}" if typed.second is None else f"{date} {clock}:{typed.second:02d}"


def _limit(today: pd.Timestamp | None, tz: str) -> dt.date | None:
    """The last day a year-less date may fall on: the day after `today` in `tz`."""
    if today is None:
        return None
    stamp = pd.Timestamp(today)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(tz)
    return stamp.date() + dt.timedelta(days=1)


def parse_times(
    values: pd.Series, tz: str, *, today: pd.Timestamp | None = None
) -> tuple[pd.Series, pd.Series]:
    """Read a column of date/time cells into instants in the time zone `tz`.

    A cell may be a real date or date/time (naive ones are local time in `tz`, aware ones are
    converted, a date is local midnight), a Sheets/Excel serial number from 1970 to 2099 (as a
    number or as plain decimal text), or text. The text forms are ISO 8601 ("2026-11-28
    14:05", "2026-11-28 14:05:33", "2026-11-28", with "T", fractions and "Z" or an offset) and
    the ways people type a date by hand: day first with "/", "." or "-" ("28/11/2026",
    "28.11.2026", "28-11-2026"), year first with "/" or ".", or a month name in Swedish or
    English, full or short, with or without a dot ("28 nov 2026", "28 november 2026", "28 nov.
    2026", "28-Nov-2026", "Nov 28, 2026", "den 28:e november"). After the date may come a
    24-hour clock with ":" or "." ("14:05", "14.05", "14:05:33"), perhaps after "kl." or ","
    ("kl. 14.05", or "kl 14" for a whole hour), or a 12-hour clock with am/pm ("2:05 pm").
    Case, surrounding whitespace (no-break and zero-width spaces too) and doubled spaces do
    not matter, and one-digit days, months and hours are fine.

    A date without a year ("28/11", "28.11", "28 nov") is the latest such day that is not
    after the day after `today` (its local date in `tz`); without `today` it is not read.
    Nothing is guessed: a time without a date, a two-digit year, a year-less "16.02" (16:02
    or 16 February?), an hour without minutes and no "kl.", and month-first numbers such as
    "11/30/2026" are not read ("03/04/2026" is 3 April: numbers are always day first).
    Times before 1900 or from 2200 on are rejected as typos. `explain` says why a cell was
    not read.

    Local times that fall in the spring-forward gap move forward to the end of the gap
    (02:30 becomes 03:00), and local times in the repeated autumn hour mean the first
    occurrence, in summer time.

    Returns the instants as a datetime64[ns, tz] Series with NaT for empty and bad cells, and
    a bool Series that is True exactly where a non-empty cell could not be read. Blank cells
    (None, NaN, NaT, pd.NA and whitespace-only text) are empty. Nothing in `values` makes
    this raise; an unknown `tz` does.
    """
    ZoneInfo(tz)  # fail on a misconfigured zone before reading any cell
    cells = values.to_numpy(dtype=object)
    n = len(cells)
    kinds = np.fromiter(
        (_KIND_BY_TYPE.get(type(cell), -1) for cell in cells), dtype=np.int8, count=n
    )
    for i in np.flatnonzero(kinds == -1):
        kinds[i] = _kind(cells[i])

    # Naive values collect as wall-clock nanoseconds, aware ones as UTC nanoseconds.
    wall = np.full(n, _NAT, dtype=np.int64)
    utc = np.full(n, _NAT, dtype=np.int64)
    aware = kinds == _AWARE
    empty = kinds == _EMPTY

    at = np.flatnonzero(kinds == _NUMBER)
    if len(at):
        floats = _numbers_to_float(cells[at])
        nan = np.isnan(floats)
        empty[at[nan]] = True
        wall[at] = _serials_to_ns(floats)

    at = np.flatnonzero(kinds == _NAIVE)
    if len(at):
        wall[at] = _objects_to_ns(cells[at], utc=False)

    at = np.flatnonzero(aware)
    if len(at):
        utc[at] = _objects_to_ns(cells[at], utc=True)

    at = np.flatnonzero(kinds == _TEXT)
    if len(at):
        _parse_texts(cells[at], at, wall, utc, aware, empty, _limit(today, tz))

    # One localisation for all naive values: True in `ambiguous` picks summer time, the
    # first occurrence of a repeated hour.
    local = pd.DatetimeIndex(wall.view("M8[ns]")).tz_localize(
        tz, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward"
    )
    instants = np.where(aware, utc, local.asi8)
    times = pd.Series(
        pd.DatetimeIndex(instants.view("M8[ns]")).tz_localize("UTC").tz_convert(tz),
        index=values.index,
    )
    bad = pd.Series(times.isna().to_numpy() & ~empty, index=values.index, dtype=bool)
    return times, bad


def _parse_texts(
    texts: np.ndarray,
    at: np.ndarray,
    wall: np.ndarray,
    utc: np.ndarray,
    aware: np.ndarray,
    empty: np.ndarray,
    limit: dt.date | None,
) -> None:
    """Read the text cells at positions `at`, filling wall/utc/aware/empty in place.

    Every recognised form is rewritten to ISO 8601 so that pandas' C parser does the
    calendar checks (2026-02-30, 25:00) for the whole batch at once.
    """
    iso_at: list[int] = []
    iso_text: list[str] = []
    iso_aware: list[bool] = []
    serial_at: list[int] = []
    serial_text: list[str] = []
    for position, raw in zip(at.tolist(), texts, strict=True):
        text = raw.strip(BLANK_CHARS)
        if not text:
            empty[position] = True
        elif match := _ISO.fullmatch(text):
            sep = match["sep"]
            if sep is not None and sep not in ("T", " "):
                text = f"{match['date']} {match['clock']}{match['offset'] or ''}"
            iso_at.append(position)
            iso_text.append(text)
            iso_aware.append(match["offset"] is not None)
        elif match := _DAY_FIRST.fullmatch(text):
            clock = match["clock"]
            iso_at.append(position)
            iso_text.append(
                f"{match['year']}-{match['month']}-{match['day']}" + (f" {clock}" if clock else "")
            )
            iso_aware.append(False)
        elif (typed := _typed(_fold(text))) is not None:
            if _refusal(typed, limit) is None:
                iso_at.append(position)
                iso_text.append(_to_iso(typed, limit))
                iso_aware.append(False)
        elif _SERIAL_TEXT.fullmatch(text):
            serial_at.append(position)
            serial_text.append(text)
        # anything else stays NaT and not empty, which makes it bad

    if iso_at:
        # utc=True lets naive and offset texts share one call: naive ones come back with
        # their wall-clock reading as if it were UTC, which is what `wall` wants.
        parsed = pd.to_datetime(iso_text, format="ISO8601", utc=True, errors="coerce")
        ns = _to_ns(pd.DatetimeIndex(parsed))
        positions = np.asarray(iso_at, dtype=np.intp)
        is_aware = np.asarray(iso_aware, dtype=bool)
        utc[positions[is_aware]] = ns[is_aware]
        wall[positions[~is_aware]] = ns[~is_aware]
        aware[positions] = is_aware
    if serial_at:
        serials = np.asarray(serial_text, dtype=np.float64)
        wall[np.asarray(serial_at, dtype=np.intp)] = _serials_to_ns(serials)


def parse_time(value: object, tz: str, *, today: pd.Timestamp | None = None) -> pd.Timestamp | None:
    """Read one date/time cell like parse_times does, giving None for an empty cell.

    Raises ValueError, with the cell quoted, when the value is not a date/time.
    """
    times, bad = parse_times(pd.Series([value], dtype=object), tz, today=today)
    if bad.iloc[0]:
        raise ValueError(f"{value!r} is not a date/time")
    time = times.iloc[0]
    return None if pd.isna(time) else pd.Timestamp(time)


NO_DATE = "has a time but no date"


def explain(value: object, *, today: pd.Timestamp | None = None) -> str | None:
    """Say in a few English words why parse_times could not read a cell, or None when there is
    nothing to add to "is not a date/time".

    The words follow the quoted cell: "'16.02' has a time but no date". Pass the `today` that
    parse_times got (its date is taken in its own zone). Only meant for cells parse_times
    marked bad.
    """
    if isinstance(value, dt.time):
        return NO_DATE
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        # a spreadsheet keeps a time typed alone as the fraction of a day
        return NO_DATE if 0 < value < 1 else None
    if isinstance(value, dt.date):
        outside = not EARLIEST.year <= value.year < LATEST.year
        return "is outside the years 1900 to 2199" if outside else None
    if not isinstance(value, str):
        return None
    text = _fold(value)
    if _SERIAL_TEXT.fullmatch(text) and 0 < float(text) < 1:
        return NO_DATE
    if _RELATIVE.search(text):
        return "names a day relative to today"
    if _TWO_DIGIT_YEAR.fullmatch(text):
        return "has a two-digit year"
    typed = _typed(text)
    if typed is None:
        clock = _CLOCK_ONLY.fullmatch(text)
        if clock and (clock["minute"] or clock["kl"] or clock["ampm"]):
            return NO_DATE
        return None
    limit = None if today is None else pd.Timestamp(today).date() + dt.timedelta(days=1)
    month_first = typed.numbers_day_first and 12 < typed.month <= 31 and 1 <= typed.day <= 12
    if month_first and not typed.could_be_clock:
        return "has the month before the day"
    reason = _refusal(typed, limit)
    if reason is not None:
        return reason
    year = _year(typed, limit)
    try:
        dt.date(year, typed.month, typed.day)
    except ValueError:
        leap_day = (typed.month, typed.day) == (2, 29)
        return "has no year" if typed.year is None and leap_day else "is not a day in the calendar"
    if not EARLIEST.year <= year < LATEST.year:
        return "is outside the years 1900 to 2199"
    if typed.hour is not None and (
        typed.hour > 23 or (typed.minute or 0) > 59 or (typed.second or 0) > 59
    ):
        return "has no such time of day"
    return None


def _local(ts: dt.datetime | NaTType | None, tz: str) -> pd.Timestamp | None:
    """Bring an instant to wall-clock time in `tz`; naive input is taken as already local."""
    if ts is None or isinstance(ts, NaTType):
        return None
    stamp = pd.Timestamp(ts)
    return stamp if stamp.tzinfo is None else stamp.tz_convert(tz)


def format_time(ts: dt.datetime | NaTType | None, tz: str) -> str:
    """Write an instant the way the tool writes times: local "YYYY-MM-DD HH:MM" in `tz`.

    Seconds are cut off, not rounded, so a time never moves into the next minute or day.
    None and NaT give "". Text written in the repeated autumn hour reads back as its first
    occurrence, since the text carries no offset.
    """
    local = _local(ts, tz)
    return "" if local is None else local.strftime("%Y-%m-%d %H:%M")


def format_date(ts: dt.datetime | NaTType | None, tz: str) -> str:
    """Write the local calendar date of an instant in `tz` as "YYYY-MM-DD"; None/NaT give ""."""
    local = _local(ts, tz)
    return "" if local is None else local.strftime("%Y-%m-%d")


SWEDISH_MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
"""Month names as the committee's Swedish texts write them, January first."""
