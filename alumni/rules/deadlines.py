"""§3.2 rule: where each contact round stands against the reply deadline at a given moment."""

from __future__ import annotations

import math
from datetime import tzinfo

import numpy as np
import pandas as pd

from alumni.contract import CONTACT_LOG, FUTURE_SLACK, VIOLATIONS, Status

NOT_FLAGGED = ""

CONTACTED, REPLIED, ANSWERED = "Kontaktad", "Alumnen svarade", "Vi svarade"
DUE, STATUS, DELAY, FLAGGED = "Svara senast", "Status", "Försening (h)", "flagged"

RULE = "the 24-hour rule"
NEEDS: dict[str, tuple[str, ...]] = {
    # The times judge a row; Påmind and Rapporterad say whether its notices already went, and
    # Kontaktperson who gets them.
    CONTACT_LOG.name: (
        CONTACTED,
        REPLIED,
        ANSWERED,
        "Kontaktperson",
        "Påmind",
        "Rapporterad",
    ),
    # Without these the rule cannot tell a breach already recorded, explained or handled.
    VIOLATIONS.name: ("ID", "Kontakt-ID", "Förklaring", "Behandlad"),
}
"""The columns each tab must have, readable, for the rule to judge a row."""

# Försening is shown in tenths of an hour; rounding whole nanoseconds half up keeps a delay
# of exactly 3, 9, 15... minutes from landing on either side depending on float error.
_TENTH_NS = 360 * 10**9
_HALF_TENTH_NS = _TENTH_NS // 2
_LABELS = np.array([*Status.ALL, NOT_FLAGGED], dtype=object)
_CODES = {label: code for code, label in enumerate(_LABELS)}


def flag_overdue(
    log: pd.DataFrame,
    now: pd.Timestamp,
    reply_hours: float = 24,
    warn_hours: float = 6,
) -> pd.DataFrame:
    """Say, for each row of the contact log, how the round stands with the reply deadline.

    The policy (§3.2) asks the contact person to answer an alumnus within 24 hours of the
    alumnus's reply. So a row's answer is due `reply_hours` real, elapsed hours after
    `Alumnen svarade`: the hours are added in UTC, so that the deadline stays that many real
    hours away also across a change to or from summer time (a reply on the Saturday at 12:00 is due
    on the Sunday at 13:00 in spring and at 11:00 in autumn, local time).

    A row without `Kontaktad` is `Ej kontaktad`, and one contacted without a reply is
    `Inväntar alumn`. A reply not yet answered is `Försenad` once `now` is past the deadline,
    `Snart försenad` while at most `warn_hours` remain (including the very moment it falls
    due), and `Svar krävs` before that. An answer given at the deadline or earlier is
    `Besvarad i tid`, a later one `Besvarad sent`. For the two late statuses `Försening (h)`
    says how late: until `now` for an open round, until the answer for an answered one,
    rounded half up to a tenth of an hour.

    A row whose times cannot be true is left alone rather than guessed at: a reply before
    the contact, our answer before the reply, our answer with no reply, a reply with no
    contact time, or any time more than five minutes after `now` (the same tolerance for
    disagreeing clocks as `alumni check`, which reports these rows). Such a row gets
    `flagged` False, an empty `Status` and no deadline or delay.

    `log` needs the columns `Kontaktad`, `Alumnen svarade` and `Vi svarade`: time-zone-aware
    datetime columns with NaT for an empty cell, as the sheet reader gives them. Other
    columns go through `pd.to_datetime` (which raises on values it cannot read), and naive
    times are read as local times in the zone of the aware columns, or of `now` when none is
    aware. `now` must be aware, in any zone.

    Returns a frame with the index of `log` and the columns `Svara senast` (aware, in the
    zone of the input, NaT without a reply), `Status` (object dtype: one of Status.ALL, or "" for
    a row not flagged), `Försening (h)` (Float64, NA unless late) and `flagged` (bool).
    Raises ValueError for a naive `now` and for negative or non-finite hours.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must carry a time zone, got the naive {now}")
    for name, hours in (("reply_hours", reply_hours), ("warn_hours", warn_hours)):
        if not (math.isfinite(hours) and hours >= 0):
            raise ValueError(f"{name} must be a finite number of hours >= 0, got {hours!r}")

    zone, (contacted, replied, answered) = _in_utc(log, (CONTACTED, REPLIED, ANSWERED), now)
    due = replied + pd.Timedelta(hours=reply_hours)

    at = pd.Timestamp(now).tz_convert("UTC").tz_localize(None).as_unit("ns").to_datetime64()
    c, r, a, d = (_naive(s) for s in (contacted, replied, answered, due))
    has_c, has_r, has_a = ~np.isnat(c), ~np.isnat(r), ~np.isnat(a)
    # Comparisons with NaT are False, so each of these is about filled cells only.
    latest = at + FUTURE_SLACK.to_timedelta64()
    impossible = (
        (c > latest)
        | (r > latest)
        | (a > latest)
        | (r < c)
        | (a < r)
        | (has_a & ~has_r)
        | (has_r & ~has_c)
    )
    open_reply = has_r & ~has_a
    overdue = open_reply & (at > d)
    answered_late = has_a & (a > d)
    warn = pd.Timedelta(hours=warn_hours).to_timedelta64()
    # The first mask that holds wins, so each later one may assume the earlier ones failed.
    rules = (
        (impossible, NOT_FLAGGED),
        (~has_c, Status.NOT_CONTACTED),
        (~has_r, Status.AWAITING_ALUMNUS),
        (overdue, Status.LATE),
        (open_reply & (d - at <= warn), Status.DUE_SOON),
        (open_reply, Status.REPLY_NEEDED),
        (has_a & (a <= d), Status.ANSWERED_IN_TIME),
        (answered_late, Status.ANSWERED_LATE),
    )
    choice = np.select(
        [mask for mask, _ in rules], [_CODES[status] for _, status in rules], _CODES[NOT_FLAGGED]
    )
    flagged = ~impossible
    late = flagged & (overdue | answered_late)

    late_ns = np.where(overdue, at - d, a - d).astype("m8[ns]").view(np.int64)
    tenths = (np.where(late, late_ns, 0) + _HALF_TENTH_NS) // _TENTH_NS
    delay = pd.arrays.FloatingArray(tenths / 10, ~late)

    return pd.DataFrame(
        {
            DUE: due.where(flagged & has_r).dt.tz_convert(zone).set_axis(log.index),
            STATUS: pd.Series(_LABELS[choice], index=log.index, dtype=object),
            DELAY: pd.Series(delay, index=log.index),
            FLAGGED: pd.Series(flagged, index=log.index, dtype=bool),
        },
        index=log.index,
    )


def _in_utc(
    log: pd.DataFrame, columns: tuple[str, ...], now: pd.Timestamp
) -> tuple[tzinfo, list[pd.Series]]:
    """The columns as aware nanosecond times in UTC, and the zone the input shows them in."""
    times = [_as_datetimes(log[name]) for name in columns]
    zones = [s.dt.tz for s in times if s.dt.tz is not None]
    zone = zones[0] if zones else now.tzinfo
    assert zone is not None
    # Like the sheet reader: a time in the repeated autumn hour is the first (summer) one, and
    # one in the skipped spring hour moves to the end of the gap.
    summer = np.ones(len(log), dtype=bool)
    utc = [
        (
            s
            if s.dt.tz is not None
            else s.dt.tz_localize(zone, ambiguous=summer, nonexistent="shift_forward")
        ).dt.tz_convert("UTC")
        for s in times
    ]
    return zone, [s.dt.as_unit("ns").set_axis(pd.RangeIndex(len(s))) for s in utc]


def _as_datetimes(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    return pd.to_datetime(values)


def _naive(utc: pd.Series) -> np.ndarray:
    """UTC times as numpy datetime64[ns] without a zone, NaT kept: cheap to compare."""
    return utc.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
