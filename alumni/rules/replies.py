"""§3.2 rule: which contact round each message of the committee's mailbox belongs to, and the
reply and answer times that the round's thread shows."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

RULE = "the reply log"
NEEDS: dict[str, tuple[str, ...]] = {
    # Which round a message belongs to, when the first contact went, and the two times.
    "Kontaktlogg": ("ID", "Alumn", "Kontaktad", "Alumnen svarade", "Vi svarade"),
    # Whose address is the alumnus's, and whose is the committee's.
    "Alumner": ("Namn", "E-post"),
    "Utskott": ("Namn", "E-post"),
}
"""The columns each tab must have, readable, for the rule to tie mail to a row."""

ALUMNUS, COMMITTEE = "alumnus", "committee"
FROM_DATE, FROM_ARRIVAL = "Date", "arrival"
"""Where an event's time comes from: the message's Date header, or the server's arrival time
(INTERNALDATE) when Date is missing or absurd."""

DATE_SLACK = pd.Timedelta(days=1)
"""How far a Date header may lie after the server's arrival time before it counts as absurd
(a sender's clock off by hours is common, by days is not)."""
EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
WAIT = pd.Timedelta(days=30)
"""How long a reply whose thread is not known yet is kept for a later reading to place."""

MESSAGE_COLUMNS = (
    "folder",
    "uid",
    "message_id",
    "in_reply_to",
    "references",
    "from_addr",
    "to_addrs",
    "cc_addrs",
    "subject",
    "date",
    "internaldate",
    "problem",
)
"""The columns of the messages frame: one row per message, headers only (addresses folded to
lower case, `references` a tuple, `date` NaT when missing or unreadable, times aware)."""

# Reply and forward prefixes in the languages the committee's correspondents write in.
_PREFIX = re.compile(r"^\s*((re|sv|aw|vs|fw|fwd|vb|wg|tr|rv)\s*(\[\d+\])?\s*:\s*)+", re.I)


@dataclass(frozen=True)
class Event:
    """One message of a round's thread: who wrote it, when, and who of the committee."""

    message_id: str
    side: str  # ALUMNUS or COMMITTEE
    at: pd.Timestamp
    source: str  # FROM_DATE or FROM_ARRIVAL
    by: str = ""  # the committee member's name, for a committee message


@dataclass
class Thread:
    """What is known of one contact round's mail: the Message-IDs in its thread, the subjects
    it was written under, and its messages. Kept between runs; holds no address or body."""

    ids: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class RoundTimes:
    """When the alumnus first replied in a round's thread, and when the committee answered."""

    replied: Event | None
    answered: Event | None


@dataclass(frozen=True)
class Unplaced:
    """A message that could belong to more than one round: a person decides."""

    folder: str
    uid: int
    subject: str
    at: pd.Timestamp
    rows: tuple[str, ...]


@dataclass
class Placement:
    """What a reading of the mailbox added to the rounds' threads."""

    threads: dict[str, Thread]
    placed: int = 0
    unplaced: list[Unplaced] = field(default_factory=list)
    malformed: list[tuple[str, int, str]] = field(default_factory=list)
    """Placed messages whose headers were partly unreadable: folder, UID, what was wrong."""
    waiting: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MESSAGE_COLUMNS))
    """Replies to messages not (yet) in any thread, within `WAIT` of now: a later reading may
    place the message they answer, and then them (the mailbox is read only once)."""


def thread_subject(subject: str) -> str:
    """A subject as the thread knows it: a digest of the text without Re:/SV:/Fwd:/VB:
    prefixes, case or extra spaces, so a reply in Outlook or Gmail and the first message
    compare equal, and what is kept between runs says nothing of what was written ("" for
    an empty subject)."""
    text = " ".join(_PREFIX.sub("", subject or "").split()).casefold()
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else ""


def message_time(
    date: pd.Timestamp, arrival: pd.Timestamp, now: pd.Timestamp
) -> tuple[pd.Timestamp, str]:
    """The time a message counts as written, and where it came from: its Date header unless
    that is missing or absurd (before 2000, in the future, or a day after it arrived)."""
    if pd.isna(date) or date < EARLIEST or date > now + pd.Timedelta(hours=1):
        return arrival, FROM_ARRIVAL
    if date > arrival + DATE_SLACK:
        return arrival, FROM_ARRIVAL
    return date, FROM_DATE


def place_messages(
    contacts: pd.DataFrame,
    messages: pd.DataFrame,
    committee: Mapping[str, str],
    threads: Mapping[str, Thread],
    now: pd.Timestamp,
) -> Placement:
    """Add each new message to the contact round whose thread it belongs to.

    `contacts` has one row per Kontaktlogg round: `ID`, `address` (the alumnus's, folded) and
    `sent_ids` (the Message-IDs of the first contact the tool sent, from the send journal).
    A message belongs to a round when it is one of those, or when its In-Reply-To or
    References names a message already in the round's thread; failing that, when it is from
    the alumnus's address (or from the committee to it) under a subject the thread already
    has. Nothing beyond: a message that fits two rounds is `unplaced`, for a person to
    decide, and one that fits none is not the committee's business here. `committee` maps a
    member's folded address to their name (the committee's own mailbox included): a message
    from one of them is the committee's, any other in the thread the alumnus's (who may
    write from another address). Messages are placed in rounds of references, so a reply to
    a reply read in the same batch still finds its thread. No row's result depends on the
    order of the messages.
    """
    result = Placement({k: _copy(t) for k, t in threads.items()})
    sent: dict[str, str] = {}
    by_address: dict[str, list[str]] = {}
    contact_rows: list[Any] = list(contacts.itertuples(index=False))
    for row in contact_rows:
        thread = result.threads.setdefault(str(row.ID), Thread())
        for message_id in row.sent_ids:
            thread.ids.add(message_id)
            sent[message_id] = str(row.ID)
        if row.address:
            by_address.setdefault(str(row.address), []).append(str(row.ID))
    owners = _owners(result.threads)
    known = {e.message_id for t in result.threads.values() for e in t.events}
    ordered: list[Any] = list(
        messages.sort_values(["internaldate", "folder", "uid"]).itertuples(index=False)
    )
    pending = [m for m in ordered if m.message_id not in known]
    ambiguous: dict[tuple[str, int], Unplaced] = {}
    while True:
        left = []
        for m in pending:
            rows = _rounds_of(m, owners, by_address, committee, result.threads)
            if len(rows) == 1:
                (row_id,) = rows
                _add(result, row_id, m, committee, sent, now, owners)
                ambiguous.pop((m.folder, m.uid), None)
                continue
            if len(rows) > 1:
                at, _ = message_time(m.date, m.internaldate, now)
                ambiguous[(m.folder, m.uid)] = Unplaced(
                    m.folder, int(m.uid), str(m.subject), at, tuple(sorted(rows))
                )
            left.append(m)
        if len(left) == len(pending):
            break
        pending = left
    result.unplaced = sorted(ambiguous.values(), key=lambda u: (u.at, u.folder, u.uid))
    waiting = [
        m._asdict()
        for m in pending
        if (m.in_reply_to or len(m.references))
        and (m.folder, m.uid) not in ambiguous
        and m.internaldate >= now - WAIT
    ]
    result.waiting = pd.DataFrame(waiting, columns=list(MESSAGE_COLUMNS))
    return result


def round_times(thread: Thread, contacted: pd.Timestamp | None = None) -> RoundTimes:
    """The first message from the alumnus after the committee's first one (the first contact,
    sent at `contacted` when the thread lacks its copy), and the committee's first message
    after that. Later messages in the thread do not reopen the round: a thank-you after the
    answer is no new reply to answer within 24 hours, and a new round is a new row."""
    ours = [e.at for e in thread.events if e.side == COMMITTEE]
    if contacted is not None and not pd.isna(contacted):
        ours.append(contacted)
    start = min(ours) if ours else None
    events = sorted(thread.events, key=lambda e: (e.at, e.message_id))
    replied = next(
        (e for e in events if e.side == ALUMNUS and (start is None or e.at >= start)), None
    )
    if replied is None:
        return RoundTimes(None, None)
    answered = next((e for e in events if e.side == COMMITTEE and e.at > replied.at), None)
    return RoundTimes(replied, answered)


def _copy(thread: Thread) -> Thread:
    return Thread(set(thread.ids), set(thread.subjects), list(thread.events))


def _owners(threads: Mapping[str, Thread]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for row_id, thread in threads.items():
        for message_id in thread.ids:
            owners.setdefault(message_id, set()).add(row_id)
    return owners


def _rounds_of(
    m: Any,
    owners: Mapping[str, set[str]],
    by_address: Mapping[str, list[str]],
    committee: Mapping[str, str],
    threads: Mapping[str, Thread],
) -> set[str]:
    """The rounds a message may belong to, by the standard threading headers first."""
    own = owners.get(m.message_id or "", set())
    if own:
        return set(own)
    refs: Iterable[str] = (m.in_reply_to or "", *m.references)
    rows = {row for ref in refs if ref for row in owners.get(ref, ())}
    if rows:
        return rows
    sender = m.from_addr or ""
    if sender in committee:
        candidates = {row for a in (*m.to_addrs, *m.cc_addrs) for row in by_address.get(a, ())}
    else:
        candidates = set(by_address.get(sender, ()))
    subject = thread_subject(str(m.subject or ""))
    return {row for row in candidates if subject and subject in threads[row].subjects}


def _add(
    result: Placement,
    row_id: str,
    m: Any,
    committee: Mapping[str, str],
    sent: Mapping[str, str],
    now: pd.Timestamp,
    owners: dict[str, set[str]],
) -> None:
    thread = result.threads[row_id]
    # A message without a Message-ID is known by where it lies (folder and UID).
    message_id = str(m.message_id or f"{m.folder}:{m.uid}")
    sender = m.from_addr or ""
    ours = sender in committee or sent.get(message_id) == row_id
    at, source = message_time(m.date, m.internaldate, now)
    thread.events.append(
        Event(message_id, COMMITTEE if ours else ALUMNUS, at, source, committee.get(sender, ""))
    )
    thread.ids.add(message_id)
    owners.setdefault(message_id, set()).add(row_id)
    subject = thread_subject(str(m.subject or ""))
    if subject:
        thread.subjects.add(subject)
    result.placed += 1
    if m.problem:
        result.malformed.append((str(m.folder), int(m.uid), str(m.problem)))


@dataclass(frozen=True)
class CellFill:
    """A reply cell the mailbox fills (or corrects, where the tool filled it before)."""

    row_id: str
    column: str
    at: pd.Timestamp
    over: pd.Timestamp | None = None
    """What the tool wrote in the cell before, None for an empty cell."""


@dataclass(frozen=True)
class Disagreement:
    """A time a person typed that the mailbox contradicts by more than the tolerance."""

    row_id: str
    column: str
    typed: pd.Timestamp
    mail: pd.Timestamp


REPLIED, ANSWERED = "Alumnen svarade", "Vi svarade"
TOLERANCE = pd.Timedelta(hours=1)
"""How far a typed reply time may lie from the mail's before the two disagree."""


def fill_reply_cells(
    cells: pd.DataFrame,
    times: Mapping[str, RoundTimes],
    filled: Mapping[str, Mapping[str, pd.Timestamp]],
    tolerance: pd.Timedelta = TOLERANCE,
) -> tuple[list[CellFill], list[Disagreement], dict[str, dict[str, pd.Timestamp]]]:
    """The reply cells to write from the mailbox's times, and the typed times it contradicts.

    `cells` has `ID`, `Alumnen svarade` and `Vi svarade` as the sheet holds them now; `filled`
    the values the tool wrote there earlier (to the minute). An empty cell is filled, and so is
    one still holding what the tool wrote; a value a person typed is never overwritten, and
    when the mail says otherwise by more than `tolerance` that is a `Disagreement`. Returns the
    fills, the disagreements and what the tool has filled after this run.
    """
    fills: list[CellFill] = []
    disagreements: list[Disagreement] = []
    kept = {row: dict(cols) for row, cols in filled.items()}
    for row_id, replied, answered in zip(
        cells["ID"].astype(str), cells[REPLIED], cells[ANSWERED], strict=True
    ):
        found = times.get(row_id)
        if found is None:
            continue
        for column, event, value in (
            (REPLIED, found.replied, replied),
            (ANSWERED, found.answered, answered),
        ):
            if event is None:
                continue
            mail = event.at.floor("min")
            held = None if value is None or pd.isna(value) else pd.Timestamp(value)
            ours = kept.get(row_id, {}).get(column)
            if held is None or (ours is not None and held.floor("min") == ours):
                if held is None or held.floor("min") != mail:
                    fills.append(CellFill(row_id, column, mail, None if held is None else ours))
                kept.setdefault(row_id, {})[column] = mail
            elif abs(held - event.at) > tolerance:
                disagreements.append(Disagreement(row_id, column, held, event.at))
    return fills, disagreements, kept
