"""§3.2 rule: each contact round's status against the 24-hour reply deadline, at a given moment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alumni.contract import Status
from alumni.rules.deadlines import flag_overdue

TZ = "Europe/Stockholm"
NOW = pd.Timestamp("2026-11-28 14:05", tz=TZ)
COLUMNS = ("Kontaktad", "Alumnen svarade", "Vi svarade")
OUTPUT = ["Svara senast", "Status", "Försening (h)", "flagged"]

Time = pd.Timestamp | None
Row = tuple[Time, Time, Time]
"""(Kontaktad, Alumnen svarade, Vi svarade) of one contact round; None for an empty cell."""


def ago(hours: float = 0, minutes: float = 0, seconds: float = 0) -> pd.Timestamp:
    return NOW - pd.Timedelta(hours=hours, minutes=minutes, seconds=seconds)


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def log(
    rows: Sequence[Row], index: list[int] | list[str] | None = None, tz: str = TZ
) -> pd.DataFrame:
    """A contact log as the sheet reader gives it: aware nanosecond columns, NaT for empty."""
    labels = pd.RangeIndex(len(rows)) if index is None else pd.Index(index)
    frame = {
        name: pd.Series(
            [pd.NaT if row[i] is None else row[i] for row in rows],
            index=labels,
            dtype=f"datetime64[ns, {tz}]",
        )
        for i, name in enumerate(COLUMNS)
    }
    return pd.DataFrame({"ID": [f"KL-{n:04d}" for n in range(len(rows))], **frame}, index=labels)


def one(
    row: Row, now: pd.Timestamp = NOW, reply_hours: float = 24, warn_hours: float = 6
) -> pd.Series:
    return flag_overdue(log([row]), now, reply_hours, warn_hours).iloc[0]


def delay(result: pd.Series) -> float | None:
    value = result["Försening (h)"]
    return None if pd.isna(value) else float(value)


# (contacted, replied, answered, status, hours late) at NOW, with the default 24 h and 6 h.
STATUS_CASES = {
    "nothing filled in": (None, None, None, "Ej kontaktad", None),
    "contacted, no reply": (ago(30), None, None, "Inväntar alumn", None),
    "contacted this very moment": (NOW, None, None, "Inväntar alumn", None),
    "a reply 3 h ago: 21 h left": (ago(30), ago(3), None, "Svar krävs", None),
    "6 h 1 min left": (ago(30), ago(17, 59), None, "Svar krävs", None),
    "exactly 6 h left": (ago(30), ago(18), None, "Snart försenad", None),
    "1 min left": (ago(30), ago(23, 59), None, "Snart försenad", None),
    "due this very moment: not yet late": (ago(30), ago(24), None, "Snart försenad", None),
    "1 s past due": (ago(30), ago(24, seconds=1), None, "Försenad", 0.0),
    "6 h past due": (ago(40), ago(30), None, "Försenad", 6.0),
    "three days past due": (ago(100), ago(96), None, "Försenad", 72.0),
    "contact, reply and answer at once": (ago(5), ago(5), ago(5), "Besvarad i tid", None),
    "answered after 23:59": (ago(40), ago(30), ago(6, 1), "Besvarad i tid", None),
    "answered exactly at the deadline": (ago(40), ago(30), ago(6), "Besvarad i tid", None),
    "answered 1 min after the deadline": (ago(40), ago(30), ago(5, 59), "Besvarad sent", 0.0),
    "answered 6 h after the deadline": (ago(60), ago(50), ago(20), "Besvarad sent", 6.0),
    "an old round answered late, now long closed": (
        at("2026-09-01 09:00"),
        at("2026-09-02 10:00"),
        at("2026-09-04 10:00"),
        "Besvarad sent",
        24.0,
    ),
}


@pytest.mark.parametrize(
    ("contacted", "replied", "answered", "status", "late"),
    list(STATUS_CASES.values()),
    ids=list(STATUS_CASES),
)
def test_each_status_at_its_boundaries(
    contacted: Time, replied: Time, answered: Time, status: str, late: float | None
) -> None:
    result = one((contacted, replied, answered))
    assert result["Status"] == status
    assert delay(result) == late
    assert result["flagged"]
    if replied is None:
        assert pd.isna(result["Svara senast"])
    else:
        assert result["Svara senast"] == replied + pd.Timedelta(hours=24)


@pytest.mark.parametrize(
    ("late_by", "hours"),
    [
        (pd.Timedelta(minutes=1), 0.0),
        (pd.Timedelta(minutes=2, seconds=59), 0.0),
        (pd.Timedelta(minutes=3), 0.1),  # half a tenth of an hour rounds up
        (pd.Timedelta(minutes=20), 0.3),
        (pd.Timedelta(minutes=50), 0.8),
        (pd.Timedelta(hours=2, minutes=57), 3.0),
        (pd.Timedelta(hours=26, minutes=15), 26.3),  # 26.25 h, half up
    ],
    ids=str,
)
def test_hours_late_have_one_decimal_rounded_half_up(late_by: pd.Timedelta, hours: float) -> None:
    due = ago(50) + pd.Timedelta(hours=24)
    now = due + late_by
    unanswered = one((ago(60), ago(50), None), now=now)
    answered = one((ago(60), ago(50), now), now=now)
    assert (unanswered["Status"], delay(unanswered)) == ("Försenad", hours)
    assert (answered["Status"], delay(answered)) == ("Besvarad sent", hours)


def test_the_deadline_is_24_real_hours_across_spring_forward() -> None:
    # Summer time starts 2026-03-29 at 02:00: the local clock gains an hour overnight.
    replied = at("2026-03-28 12:00")
    row = (at("2026-03-27 09:00"), replied, None)
    result = one(row, now=at("2026-03-29 12:30"))
    assert result["Svara senast"] == at("2026-03-29 13:00")
    assert result["Svara senast"] - replied == pd.Timedelta(hours=24)
    assert result["Status"] == "Snart försenad"  # 23.5 real hours: not yet late
    assert one(row, now=at("2026-03-29 13:00"))["Status"] == "Snart försenad"
    late = one(row, now=at("2026-03-29 13:30"))
    assert (late["Status"], delay(late)) == ("Försenad", 0.5)


def test_the_deadline_is_24_real_hours_across_fall_back() -> None:
    # Summer time ends 2026-10-25 at 03:00: the local clock repeats an hour overnight.
    replied = at("2026-10-24 12:00")
    contacted = at("2026-10-23 09:00")
    result = one((contacted, replied, None), now=at("2026-10-25 10:30"))
    assert result["Svara senast"] == at("2026-10-25 11:00")
    assert result["Svara senast"] - replied == pd.Timedelta(hours=24)
    late = one((contacted, replied, None), now=at("2026-10-25 11:30"))
    assert (late["Status"], delay(late)) == ("Försenad", 0.5)  # 24.5 real hours
    in_time = one((contacted, replied, at("2026-10-25 11:00")), now=at("2026-10-26 09:00"))
    assert in_time["Status"] == "Besvarad i tid"
    answered_late = one((contacted, replied, at("2026-10-25 11:30")), now=at("2026-10-26 09:00"))
    assert (answered_late["Status"], delay(answered_late)) == ("Besvarad sent", 0.5)


INCONSISTENT = {
    "a reply earlier than the contact": (ago(10), ago(11), None),
    "a reply earlier than the contact, answered": (ago(10), ago(11), ago(9)),
    "our answer earlier than their reply": (ago(10), ago(8), ago(9)),
    "our answer without their reply": (ago(10), None, ago(9)),
    "our answer alone": (None, None, ago(9)),
    "a reply without a contact time": (None, ago(8), None),
    "a reply without a contact time, answered": (None, ago(8), ago(7)),
    "contacted 5 min 1 s from now": (NOW + pd.Timedelta(minutes=5, seconds=1), None, None),
    "a reply 6 min from now": (ago(10), NOW + pd.Timedelta(minutes=6), None),
    "an answer tomorrow": (ago(10), ago(8), NOW + pd.Timedelta(days=1)),
}


@pytest.mark.parametrize("row", list(INCONSISTENT.values()), ids=list(INCONSISTENT))
def test_rows_whose_times_cannot_be_true_are_not_flagged(row: Row) -> None:
    result = one(row)
    assert not result["flagged"]
    assert result["Status"] == ""
    assert pd.isna(result["Svara senast"])
    assert pd.isna(result["Försening (h)"])


TOLERATED = {
    "contacted 5 min from now": ((NOW + pd.Timedelta(minutes=5), None, None), "Inväntar alumn"),
    "a reply 5 min from now": ((ago(10), NOW + pd.Timedelta(minutes=5), None), "Svar krävs"),
    "an answer 5 min from now": (
        (ago(10), ago(8), NOW + pd.Timedelta(minutes=5)),
        "Besvarad i tid",
    ),
}


@pytest.mark.parametrize(("row", "status"), list(TOLERATED.values()), ids=list(TOLERATED))
def test_clocks_may_disagree_by_five_minutes(row: Row, status: str) -> None:
    assert one(row)["Status"] == status


@pytest.mark.parametrize(
    ("replied", "reply_hours", "warn_hours", "status", "late"),
    [
        (ago(30), 48, 12, "Svar krävs", None),
        (ago(36), 48, 12, "Snart försenad", None),
        (ago(49), 48, 12, "Försenad", 1.0),
        (ago(23, 59), 24, 0, "Svar krävs", None),
        (ago(24), 24, 0, "Snart försenad", None),
        (ago(1, 30), 1.5, 6, "Snart försenad", None),
        (ago(1, 36), 1.5, 6, "Försenad", 0.1),
    ],
)
def test_the_deadline_and_the_warning_are_configurable(
    replied: pd.Timestamp, reply_hours: float, warn_hours: float, status: str, late: float | None
) -> None:
    result = one((ago(100), replied, None), NOW, reply_hours, warn_hours)
    assert (result["Status"], delay(result)) == (status, late)
    assert result["Svara senast"] == replied + pd.Timedelta(hours=reply_hours)


@pytest.mark.parametrize(
    "hours",
    [{"reply_hours": -1}, {"warn_hours": -0.5}, {"reply_hours": float("nan")}],
    ids=str,
)
def test_negative_or_missing_hours_are_refused(hours: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="hours"):
        flag_overdue(log([(ago(1), None, None)]), NOW, **hours)


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        flag_overdue(log([(ago(1), None, None)]), NOW.tz_localize(None))


def test_the_result_keeps_the_index_and_has_typed_columns() -> None:
    rows = [(ago(40), ago(30), None), (None, None, None), (ago(10), ago(11), None)]
    result = flag_overdue(log(rows, index=["KL-7", "KL-2", "KL-7"]), NOW)
    assert list(result.columns) == OUTPUT
    assert list(result.index) == ["KL-7", "KL-2", "KL-7"]
    assert str(result["Svara senast"].dtype) == f"datetime64[ns, {TZ}]"
    assert result["Status"].dtype == object
    assert list(result["Status"]) == ["Försenad", "Ej kontaktad", ""]
    assert str(result["Försening (h)"].dtype) == "Float64"
    assert result["flagged"].dtype == bool
    assert list(result["flagged"]) == [True, True, False]


def test_an_empty_log_gives_an_empty_result() -> None:
    result = flag_overdue(log([]), NOW)
    assert list(result.columns) == OUTPUT
    assert result.empty
    assert str(result["Svara senast"].dtype) == f"datetime64[ns, {TZ}]"


def test_now_may_be_in_any_zone_and_the_deadline_stays_in_the_input_zone() -> None:
    rows = [(ago(40), ago(30), None), (ago(40), ago(30), ago(5)), (ago(9), ago(8), None)]
    expected = flag_overdue(log(rows), NOW)
    for now in (NOW.tz_convert("UTC"), NOW.tz_convert("America/New_York")):
        pd.testing.assert_frame_equal(flag_overdue(log(rows), now), expected)
    in_utc = flag_overdue(log(rows, tz="UTC"), NOW)
    assert str(in_utc["Svara senast"].dtype) == "datetime64[ns, UTC]"
    assert list(in_utc["Svara senast"]) == list(expected["Svara senast"])


def test_naive_and_text_columns_are_read_as_local_times() -> None:
    rows = [
        (at("2026-10-23 09:00"), at("2026-10-24 12:00"), None),
        (at("2026-03-27 09:00"), at("2026-03-28 12:00"), at("2026-03-29 13:00")),
        (None, None, None),
    ]
    now = at("2026-10-25 10:30")
    expected = flag_overdue(log(rows), now)
    aware = log(rows)
    naive = aware.copy()
    text = aware.copy()
    for name in COLUMNS:
        naive[name] = aware[name].dt.tz_localize(None)
        text[name] = aware[name].dt.strftime("%Y-%m-%d %H:%M").astype(object)
    pd.testing.assert_frame_equal(flag_overdue(naive, now), expected)
    pd.testing.assert_frame_equal(flag_overdue(text, now), expected)
    assert list(expected["Status"]) == ["Snart försenad", "Besvarad i tid", "Ej kontaktad"]


# Hypothesis: times on a minute grid (as the sheet holds them) within a few days of NOW,
# including the boundaries the rule cares about and some impossible orders and future times.
_times = st.one_of(st.none(), st.integers(-5 * 24 * 60, 10).map(lambda m: ago(minutes=-m)))
_rows = st.lists(st.tuples(_times, _times, _times), max_size=30)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), rows=_rows)
def test_the_result_does_not_depend_on_row_order(data: st.DataObject, rows: list[Row]) -> None:
    order = data.draw(st.permutations(range(len(rows))))
    straight = flag_overdue(log(rows), NOW)
    shuffled = flag_overdue(log([rows[i] for i in order], index=order), NOW)
    pd.testing.assert_frame_equal(shuffled.sort_index(), straight, check_index_type=False)


@settings(max_examples=60, deadline=None)
@given(rows=_rows)
def test_a_flagged_row_has_exactly_one_status_and_the_rest_have_none(rows: list[Row]) -> None:
    result = flag_overdue(log(rows), NOW)
    flagged = result["flagged"]
    assert result.loc[flagged, "Status"].isin(Status.ALL).all()
    assert (result.loc[~flagged, "Status"] == "").all()
    assert result.loc[~flagged, ["Svara senast", "Försening (h)"]].isna().all().all()
    late = result["Status"].isin(["Försenad", "Besvarad sent"])
    assert (result["Försening (h)"].notna() == late).all()
    assert (result.loc[late, "Försening (h)"] >= 0).all()
    replied = log(rows)["Alumnen svarade"].notna()
    assert (result["Svara senast"].notna() == (flagged & replied)).all()


_OPEN_ORDER = {"Svar krävs": 0, "Snart försenad": 1, "Försenad": 2}


@settings(max_examples=60, deadline=None)
@given(
    waited=st.lists(st.integers(0, 3 * 24 * 60 * 60), min_size=2, max_size=8),
    reply_hours=st.sampled_from([1, 6, 24, 48]),
    warn_hours=st.sampled_from([0, 1, 6, 24]),
)
def test_an_open_reply_only_moves_to_later_statuses_as_time_passes(
    waited: list[int], reply_hours: int, warn_hours: int
) -> None:
    replied = at("2026-10-24 12:00")  # over the autumn change, for good measure
    row = log([(replied - pd.Timedelta(hours=2), replied, None)])
    seen = [
        flag_overdue(row, replied + pd.Timedelta(seconds=s), reply_hours, warn_hours).iloc[0]
        for s in sorted(waited)
    ]
    ranks = [_OPEN_ORDER[r["Status"]] for r in seen]
    assert ranks == sorted(ranks)
    delays = [float(r["Försening (h)"]) for r in seen if r["Status"] == "Försenad"]
    assert delays == sorted(delays)


def test_many_rows_go_through_whole_columns_at_once() -> None:
    rows = [(ago(40), ago(30), None), (ago(40), ago(30), ago(5)), (None, None, None)] * 2000
    result = flag_overdue(log(rows), NOW)
    counts = result["Status"].value_counts()
    assert counts.to_dict() == {"Försenad": 2000, "Besvarad sent": 2000, "Ej kontaktad": 2000}
    assert np.allclose(result.loc[result["Status"] == "Försenad", "Försening (h)"], 6.0)
