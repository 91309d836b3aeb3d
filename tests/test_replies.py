"""The reply rule: which contact round a message belongs to, and the times its thread shows."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alumni.rules.replies import (
    ALUMNUS,
    ANSWERED,
    COMMITTEE,
    FROM_ARRIVAL,
    FROM_DATE,
    MESSAGE_COLUMNS,
    REPLIED,
    Event,
    RoundTimes,
    Thread,
    fill_reply_cells,
    message_time,
    place_messages,
    round_times,
    thread_subject,
)

NOW = pd.Timestamp("2026-12-06 12:00", tz="UTC")
T0 = pd.Timestamp("2026-12-01 09:00", tz="UTC")
COMMITTEE_ADDRESSES = {"alumni@example.org": "Alumniutskottet", "karin@example.org": "Karin Ek"}
FIRST = "<first-kl1@example.org>"
SUBJECT = "Kontakt från Alumniutskottet, I-sektionen"


def contacts(*rows: tuple[str, str, tuple[str, ...]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"ID": i, "address": a, "sent_ids": s, "contacted": T0} for i, a, s in rows],
        columns=["ID", "address", "sent_ids", "contacted"],
    )


ONE = contacts(("KL-0001", "eva@corp.se", (FIRST,)))


def message(
    uid: int,
    sender: str,
    *,
    hours: float,
    msgid: str | None = None,
    reply_to: str | None = None,
    references: tuple[str, ...] = (),
    to: tuple[str, ...] = (),
    subject: str = "Re: " + SUBJECT,
    date: Any = "same",
    folder: str = "INBOX",
) -> dict[str, Any]:
    arrival = T0 + pd.Timedelta(hours=hours)
    return {
        "folder": folder,
        "uid": uid,
        "message_id": msgid if msgid is not None else f"<m{uid}@mail.example>",
        "in_reply_to": reply_to,
        "references": references,
        "from_addr": sender,
        "to_addrs": to,
        "cc_addrs": (),
        "subject": subject,
        "date": arrival if date == "same" else date,
        "internaldate": arrival,
        "problem": None,
    }


def frame(*messages: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(messages), columns=list(MESSAGE_COLUMNS))


def times(messages: pd.DataFrame, rows: pd.DataFrame = ONE) -> dict[str, RoundTimes]:
    placed = place_messages(rows, messages, COMMITTEE_ADDRESSES, {}, NOW)
    return {k: round_times(t, T0) for k, t in placed.threads.items()}


def hours_of(found: RoundTimes) -> tuple[float | None, float | None]:
    def h(e: Event | None) -> float | None:
        return None if e is None else (e.at - T0) / pd.Timedelta(hours=1)

    return h(found.replied), h(found.answered)


# --- tying messages to rounds ----------------------------------------------------------------


def first_in_sent() -> dict[str, Any]:
    """The committee's copy of the first contact to Eva, in Sent."""
    return message(
        1,
        "alumni@example.org",
        hours=0,
        msgid=FIRST,
        subject=SUBJECT,
        folder="Sent",
        to=("eva@corp.se",),
    )


@pytest.mark.parametrize(
    ("case", "messages", "expected"),
    [
        (
            "a reply and our answer, both by In-Reply-To",
            [
                message(1, "eva@corp.se", hours=3, reply_to=FIRST),
                message(2, "karin@example.org", hours=5, reply_to="<m1@mail.example>"),
            ],
            (3, 5),
        ),
        (
            "Outlook: References only, several ids, the answer from the shared mailbox",
            [
                message(1, "eva@corp.se", hours=3, references=("<x@y>", FIRST)),
                message(2, "alumni@example.org", hours=30, references=(FIRST, "<m1@mail.example>")),
            ],
            (3, 30),
        ),
        (
            "the alumnus replies from another address: the thread decides, not the sender",
            [message(1, "eva.private@gmail.com", hours=4, reply_to=FIRST)],
            (4, None),
        ),
        (
            "a reply to a reply read in the same batch, the answer arriving first in the list",
            [
                message(2, "karin@example.org", hours=6, reply_to="<m1@mail.example>"),
                message(1, "eva@corp.se", hours=2, reply_to=FIRST),
            ],
            (2, 6),
        ),
        (
            "a thank-you after our answer does not reopen the round",
            [
                message(1, "eva@corp.se", hours=2, reply_to=FIRST),
                message(2, "karin@example.org", hours=4, reply_to="<m1@mail.example>"),
                message(3, "eva@corp.se", hours=9, reply_to="<m2@mail.example>"),
            ],
            (2, 4),
        ),
        (
            "mail that is not about the round is no business of it",
            [message(1, "someone@else.se", hours=2, subject="Lunch?")],
            (None, None),
        ),
        (
            "the fallback: from the alumnus, no threading headers, the thread's subject",
            [
                first_in_sent(),
                message(2, "eva@corp.se", hours=7, subject="SV: " + SUBJECT.upper()),
            ],
            (7, None),
        ),
        (
            "the fallback needs the subject: from the alumnus about something else is not tied",
            [
                first_in_sent(),
                message(2, "eva@corp.se", hours=7, subject="Frågor om mässan"),
            ],
            (None, None),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_messages_are_tied_to_their_round(
    case: str, messages: list[dict[str, Any]], expected: tuple[float | None, float | None]
) -> None:
    assert hours_of(times(frame(*messages))["KL-0001"]) == expected


def test_a_message_that_fits_two_rounds_is_listed_for_a_person_and_fills_neither() -> None:
    rows = contacts(
        ("KL-0001", "eva@corp.se", ("<a@example.org>",)),
        ("KL-0002", "eva@corp.se", ("<b@example.org>",)),
    )
    sent = [
        message(
            1,
            "alumni@example.org",
            hours=0,
            msgid=f"<{x}@example.org>",
            subject=SUBJECT,
            folder="Sent",
            to=("eva@corp.se",),
        )
        for x in "ab"
    ]
    reply = message(3, "eva@corp.se", hours=5, subject="Re: " + SUBJECT)
    placed = place_messages(rows, frame(*sent, reply), COMMITTEE_ADDRESSES, {}, NOW)
    assert [(u.uid, u.rows) for u in placed.unplaced] == [(3, ("KL-0001", "KL-0002"))]
    assert all(round_times(t, T0).replied is None for t in placed.threads.values()), (
        "a guess would log a reply in a round it may not belong to"
    )


def test_what_was_placed_before_threads_what_comes_later() -> None:
    first = place_messages(
        ONE, frame(message(1, "eva@corp.se", hours=2, reply_to=FIRST)), COMMITTEE_ADDRESSES, {}, NOW
    )
    later = place_messages(
        ONE,
        frame(message(2, "karin@example.org", hours=5, reply_to="<m1@mail.example>")),
        COMMITTEE_ADDRESSES,
        first.threads,
        NOW,
    )
    assert hours_of(round_times(later.threads["KL-0001"], T0)) == (2, 5)
    assert later.threads["KL-0001"].events[-1].by == "Karin Ek"


def test_a_message_read_twice_is_placed_once() -> None:
    mail = frame(message(1, "eva@corp.se", hours=2, reply_to=FIRST))
    first = place_messages(ONE, mail, COMMITTEE_ADDRESSES, {}, NOW)
    again = place_messages(ONE, mail, COMMITTEE_ADDRESSES, first.threads, NOW)
    assert again.placed == 0 and len(again.threads["KL-0001"].events) == 1


# --- which time counts ------------------------------------------------------------------------


ARRIVED = pd.Timestamp("2026-12-02 10:00", tz="UTC")


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (
            pd.Timestamp("2026-12-02 09:58", tz="UTC"),
            (pd.Timestamp("2026-12-02 09:58", tz="UTC"), FROM_DATE),
        ),
        (pd.NaT, (ARRIVED, FROM_ARRIVAL)),  # no Date header
        (pd.Timestamp("1970-01-01", tz="UTC"), (ARRIVED, FROM_ARRIVAL)),  # a clock never set
        (pd.Timestamp("2027-06-01", tz="UTC"), (ARRIVED, FROM_ARRIVAL)),  # in the future
        (pd.Timestamp("2026-12-04 10:00", tz="UTC"), (ARRIVED, FROM_ARRIVAL)),  # days after arrival
        (
            pd.Timestamp("2026-11-30 10:00", tz="UTC"),
            (pd.Timestamp("2026-11-30 10:00", tz="UTC"), FROM_DATE),
        ),  # held in an outbox
    ],
)
def test_the_date_header_counts_unless_missing_or_absurd(date: Any, expected: tuple) -> None:
    assert message_time(date, ARRIVED, NOW) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kontakt från Alumniutskottet", "Re: Kontakt från Alumniutskottet"),
        ("Kontakt från Alumniutskottet", "SV:  sv: KONTAKT från  Alumniutskottet"),
        ("Kontakt från Alumniutskottet", "VB: Kontakt från Alumniutskottet"),
        ("Kontakt från Alumniutskottet", "AW: Fwd: Kontakt från Alumniutskottet"),
        ("Kontakt från Alumniutskottet", "RE[2]: Kontakt från Alumniutskottet"),
    ],
)
def test_reply_prefixes_of_every_mail_program_are_the_same_thread(a: str, b: str) -> None:
    assert thread_subject(a) == thread_subject(b) != ""
    assert "Kontakt" not in thread_subject(a), "what is kept between runs is a digest"


# --- the cells ---------------------------------------------------------------------------------


def at(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


def round_at(replied: float | None, answered: float | None) -> RoundTimes:
    def ev(side: str, h: float | None) -> Event | None:
        return None if h is None else Event(f"<{side}{h}>", side, at(h), FROM_DATE)

    return RoundTimes(ev(ALUMNUS, replied), ev(COMMITTEE, answered))


def cells(replied: Any, answered: Any) -> pd.DataFrame:
    return pd.DataFrame({"ID": ["KL-0001"], REPLIED: [replied], ANSWERED: [answered]})


@pytest.mark.parametrize(
    ("case", "sheet", "filled_before", "mail", "fills", "disagree"),
    [
        ("empty cells are filled", (pd.NaT, pd.NaT), {}, (3, 5), [(REPLIED, 3), (ANSWERED, 5)], []),
        ("no answer yet: only the reply", (pd.NaT, pd.NaT), {}, (3, None), [(REPLIED, 3)], []),
        ("a typed time within the hour stays", (at(3.5), pd.NaT), {}, (3, None), [], []),
        (
            "a typed time the mail contradicts is named",
            (at(8), pd.NaT),
            {},
            (3, None),
            [],
            [REPLIED],
        ),
        (
            "what the tool filled it may correct",
            (at(8), pd.NaT),
            {REPLIED: at(8)},
            (3, None),
            [(REPLIED, 3)],
            [],
        ),
        (
            "what the tool filled and a person changed is theirs",
            (at(9), pd.NaT),
            {REPLIED: at(8)},
            (3, None),
            [],
            [REPLIED],
        ),
        (
            "a second run writes nothing",
            (at(3), at(5)),
            {REPLIED: at(3), ANSWERED: at(5)},
            (3, 5),
            [],
            [],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_only_empty_cells_and_the_tools_own_are_filled(
    case: str,
    sheet: tuple[Any, Any],
    filled_before: dict[str, pd.Timestamp],
    mail: tuple[float | None, float | None],
    fills: list[tuple[str, float]],
    disagree: list[str],
) -> None:
    made, against, kept = fill_reply_cells(
        cells(*sheet), {"KL-0001": round_at(*mail)}, {"KL-0001": filled_before}
    )
    assert [(f.column, f.at) for f in made] == [(c, at(h)) for c, h in fills]
    assert [d.column for d in against] == disagree
    for column, hours in fills:
        assert kept["KL-0001"][column] == at(hours)


# --- properties ----------------------------------------------------------------------------


THREAD = [
    message(1, "eva@corp.se", hours=2, reply_to=FIRST),
    message(2, "karin@example.org", hours=5, reply_to="<m1@mail.example>"),
    message(
        3, "eva@corp.se", hours=8, references=(FIRST, "<m1@mail.example>", "<m2@mail.example>")
    ),
    message(4, "stranger@x.se", hours=1, subject="Hej"),
    message(5, "alumni@example.org", hours=0, msgid=FIRST, subject=SUBJECT, folder="Sent"),
]


@settings(max_examples=60, deadline=None)
@given(st.permutations(THREAD), st.integers(1, len(THREAD)))
def test_the_times_do_not_depend_on_message_order_or_how_runs_split_them(
    order: list[dict[str, Any]], split: int
) -> None:
    whole = times(frame(*THREAD))["KL-0001"]
    first = place_messages(ONE, frame(*order[:split]), COMMITTEE_ADDRESSES, {}, NOW)
    # What the first run could not tie yet comes back with the second run's new mail.
    rest = pd.concat([first.waiting, frame(*order[split:])], ignore_index=True)
    second = place_messages(ONE, rest, COMMITTEE_ADDRESSES, first.threads, NOW)
    assert hours_of(round_times(second.threads["KL-0001"], T0)) == hours_of(whole) == (2, 5)


def test_a_saved_thread_is_not_changed_by_placing() -> None:
    saved = {"KL-0001": Thread({FIRST}, set(), [])}
    place_messages(ONE, frame(*THREAD), COMMITTEE_ADDRESSES, saved, NOW)
    assert saved["KL-0001"] == Thread({FIRST}, set(), [])
