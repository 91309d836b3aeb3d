"""The one clock: the time a run happens at, and the heartbeats that show the checks still run.

Only the CLI (and the scheduler) asks the system for the time; everything below receives `now`
or a `Clock`, so a rule, a job or a test can be run at any moment on purpose.

A time shown to a person (in a mail, on the terminal, in the report) is the committee's local
time with its zone named, through `shown`. The sheet itself keeps plain "YYYY-MM-DD HH:MM"
text: every time in it is in the committee's zone ([general] timezone), as its contract says.
"""

from __future__ import annotations

import time
from datetime import datetime

import pandas as pd

from alumni.contract import Figure
from alumni.errors import ConfigError
from alumni.timeparse import parse_time

HEARTBEATS = (Figure.LAST_DAILY_RUN, Figure.LAST_CHECK, Figure.LAST_SUMMARY)
"""The Översikt figures that record when a scheduled step last completed."""


class Clock:
    """The time while a run goes on: the real clock from the run's start, or a fixed one for
    `--now` (a trial run at a chosen moment stands still, so its output is repeatable)."""

    def __init__(self, now: pd.Timestamp, real: bool) -> None:
        self.start = now
        self.real = real
        self._offset = time.monotonic()

    def __call__(self) -> pd.Timestamp:
        if not self.real:
            return self.start
        return self.start + pd.Timedelta(seconds=time.monotonic() - self._offset)


def run_time(given: str | None, tz: str) -> pd.Timestamp:
    """When this run happens: now in `tz` (to the second), or the `--now` text the user gave."""
    if not given:
        return pd.Timestamp.now(tz=tz).floor("s")
    try:
        now = parse_time(given, tz)
    except ValueError:
        now = None
    if now is None:
        raise ConfigError(f"--now {given!r} is not a time — write it as '2026-11-28 14:05'.")
    return now


def shown(when: datetime | None, tz: str, *, seconds: bool = False) -> str:
    """`when` as a person reads it: local time in `tz` and the zone's name for that moment,
    "2026-11-30 16:02 CET" in winter, "2026-06-01 14:30 CEST" in summer; "" for no time.

    A naive `when` is refused (ValueError): which zone it was meant in cannot be known.
    """
    if when is None or pd.isna(when):
        return ""
    stamp = pd.Timestamp(when)
    if stamp.tzinfo is None:
        raise ValueError(f"cannot show the naive time {stamp} with a zone: give it one")
    local = stamp.tz_convert(tz)
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {local.tzname()}"


def heartbeat_text(overview: pd.DataFrame, figure: str) -> str:
    """A heartbeat (or any figure) as the Översikt tab shows it, "" when it is not there."""
    values = overview.loc[overview["Nyckeltal"] == figure, "Värde"].tolist()
    return "" if not values or values[0] is None else str(values[0])


def heartbeat(overview: pd.DataFrame, figure: str, tz: str) -> pd.Timestamp | None:
    """When a heartbeat figure says its step last completed; None when absent or unreadable."""
    text = heartbeat_text(overview, figure)
    try:
        return parse_time(text, tz) if text else None
    except ValueError:
        return None
