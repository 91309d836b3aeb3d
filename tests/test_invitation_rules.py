"""§3.1 rule: who gets the invitation now, given the sheet and the send journal."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from alumni.jobs.invite import earlier_invitations, invite_key
from alumni.mail.journal import DEFERRED, FAILED, SENDING, SENT, UNCERTAIN, Entry
from alumni.rules.invitations import (
    ALREADY_SENT,
    FAILED_BEFORE,
    SEND,
    select_invitees,
)
from alumni.rules.invitations import UNCERTAIN as UNCERTAIN_ACTION

T = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ANNA = "anna@example.org"


def graduates(status: str = "", address: str = ANNA, year: int = 2026) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ID": ["AK-0001"],
            "Namn": ["Anna Ek"],
            "E-post": [address],
            "Examensår": pd.array([year], dtype="Int64"),
            "Språk": ["sv"],
            "Inbjudningsstatus": [status],
            "_row": [2],
        }
    )


def journal(state: str | None, address: str = ANNA, reason: str = "") -> dict[str, Entry]:
    if state is None:
        return {}
    key = invite_key("AK-0001", address)
    return {key: Entry(key, state, T, reason)}


def invitees(
    frame: pd.DataFrame, year: int, entries: dict[str, Entry], resend: bool = False
) -> pd.DataFrame:
    """The rule, given what the journal says as the invitation job reads it."""
    return select_invitees(frame, year, earlier_invitations(frame, entries), resend)


@pytest.mark.parametrize(
    ("status", "state", "resend", "action", "new_status"),
    [
        ("", None, False, SEND, None),
        ("", SENT, False, ALREADY_SENT, "skickad"),
        ("skickad", SENT, False, ALREADY_SENT, "skickad"),
        (
            "skickad",
            None,
            False,
            ALREADY_SENT,
            None,
        ),  # the sheet is trusted where the journal is silent
        ("", FAILED, False, FAILED_BEFORE, "misslyckad: 550 no such user"),
        ("", SENDING, False, UNCERTAIN_ACTION, "osäker"),  # killed while sending
        ("", UNCERTAIN, False, UNCERTAIN_ACTION, "osäker"),
        ("", SENDING, True, SEND, "osäker"),
        ("osäker", None, False, UNCERTAIN_ACTION, None),
        ("osäker", None, True, SEND, None),
        ("", DEFERRED, False, SEND, None),
        ("misslyckad: 550 no such user", None, False, SEND, None),  # the address was corrected
    ],
)
def test_what_happens_to_one_graduate(
    status: str, state: str | None, resend: bool, action: str, new_status: str | None
) -> None:
    rows = invitees(graduates(status), 2026, journal(state, reason="550 no such user"), resend)
    assert rows["action"].tolist() == [action]
    assert rows["new_status"].tolist() == [new_status]


def test_a_failed_address_is_tried_again_once_the_chair_changed_it() -> None:
    old = journal(FAILED, address="anna@exampel.org", reason="550")
    rows = invitees(graduates(address=ANNA), 2026, old)
    assert rows["action"].tolist() == [SEND]


def test_someone_invited_at_an_old_address_is_not_invited_again() -> None:
    old = journal(SENT, address="anna@old.example.org")
    rows = invitees(graduates("skickad", address=ANNA), 2026, old)
    assert rows["action"].tolist() == [ALREADY_SENT]


def test_a_new_person_in_a_row_that_reuses_a_deleted_rows_id_is_invited() -> None:
    old = journal(SENT, address="someone.else@example.org")
    rows = invitees(graduates("", address=ANNA), 2026, old)
    assert rows["action"].tolist() == [SEND]


def test_only_the_year_asked_for() -> None:
    assert invitees(graduates(year=2025), 2026, {}).empty


@pytest.mark.parametrize(
    ("address", "language", "problem"),
    [
        ("", "sv", "no e-mail address"),
        ("anna.example.org", "sv", "'anna.example.org' is not an e-mail address"),
        (ANNA, pd.NA, "an unknown language"),
        (ANNA, "en", ""),
    ],
)
def test_rows_that_cannot_be_sent_to_are_named(
    address: str, language: object, problem: str
) -> None:
    frame = graduates(address=address)
    frame["Språk"] = pd.Series([language], dtype=object)
    assert invitees(frame, 2026, {})["problem"].tolist() == [problem]


def test_a_row_that_could_not_be_read_is_never_invited() -> None:
    frame = pd.concat([graduates(), graduates(address="bo@example.org")], ignore_index=True)
    frame["ID"] = ["AK-0001", "AK-0002"]
    rows = select_invitees(frame, 2026, {}, judged=[True, False])
    assert rows["ID"].tolist() == ["AK-0001"]


@pytest.mark.parametrize(
    ("status", "invited", "action"),
    [
        ("", pd.Timestamp("2026-05-02 10:00", tz="UTC"), ALREADY_SENT),  # recorded by hand
        ("", pd.NaT, SEND),
        ("misslyckad: 550", pd.Timestamp("2026-05-02 10:00", tz="UTC"), SEND),
    ],
)
def test_a_time_in_inbjuden_without_a_status_is_an_invitation_sent(
    status: str, invited: pd.Timestamp, action: str
) -> None:
    frame = graduates(status)
    frame["Inbjuden"] = pd.Series([invited], dtype="datetime64[ns, UTC]")
    assert invitees(frame, 2026, {})["action"].tolist() == [action]


@pytest.mark.parametrize(
    ("states", "resend", "action", "new_status"),
    [
        # What the journal says of invitations to Anna's address under other rows' IDs (a row
        # copied without its ID, or deleted and typed in again): the strongest word counts.
        ([SENT], False, ALREADY_SENT, "skickad"),
        ([DEFERRED, SENT, FAILED], False, ALREADY_SENT, "skickad"),
        ([UNCERTAIN], False, UNCERTAIN_ACTION, "osäker"),
        ([SENDING], True, SEND, "osäker"),
        ([FAILED, UNCERTAIN], False, UNCERTAIN_ACTION, "osäker"),
        ([FAILED], False, FAILED_BEFORE, "misslyckad: 550 no such user"),
        ([DEFERRED], False, SEND, ""),
    ],
)
def test_an_address_invited_under_another_rows_id_counts_as_this_rows(
    states: list[str], resend: bool, action: str, new_status: str
) -> None:
    entries = {}
    for n, state in enumerate(states, start=7):
        key = invite_key(f"AK-{n:04d}", " Anna@Example.org ")
        entries[key] = Entry(key, state, T, "550 no such user" if state == FAILED else "")

    (row,) = invitees(graduates(), 2026, entries, resend).to_dict("records")

    assert (row["action"], row["new_status"] or "") == (action, new_status)


@pytest.mark.parametrize(
    ("own", "other", "action"),
    [
        (DEFERRED, SENT, ALREADY_SENT),  # the address has had its invitation
        (UNCERTAIN, SENT, ALREADY_SENT),
        (SENT, UNCERTAIN, ALREADY_SENT),  # the row's own word, when it says more
        (FAILED, DEFERRED, FAILED_BEFORE),
        (DEFERRED, DEFERRED, SEND),
    ],
)
def test_the_stronger_word_on_the_address_counts_the_rows_own_or_another_rows(
    own: str, other: str, action: str
) -> None:
    key = invite_key("AK-0007", ANNA)
    entries = {**journal(own), key: Entry(key, other, T)}

    (row,) = invitees(graduates(), 2026, entries).to_dict("records")

    assert row["action"] == action
