"""The `mailbox` job (§3.2): log when alumni replied and the committee answered, from the mail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from alumni.addresses import is_email
from alumni.config import Config
from alumni.contract import ALUMNI, COMMITTEE, CONTACT_LOG, fold
from alumni.findings import Finding
from alumni.mail.imap import FolderState, HeaderRecord
from alumni.mail.journal import Journal
from alumni.mail.mailbox_state import load_state, save_state
from alumni.rules.replies import (
    ANSWERED,
    FROM_ARRIVAL,
    MESSAGE_COLUMNS,
    NEEDS,
    REPLIED,
    RULE,
    CellFill,
    Event,
    Thread,
    Unplaced,
    fill_reply_cells,
    place_messages,
    round_times,
)
from alumni.sheet.changes import ChangeSet
from alumni.sheet.store import Store
from alumni.sheet.workbook import ROW, Judged, Workbook, by_name_or_id, load_workbook
from alumni.timeparse import format_time

LOG = CONTACT_LOG.name

Reader = Callable[
    [dict[str, FolderState], date | None],
    tuple[list[HeaderRecord], dict[str, FolderState], list[str]],
]
"""Reads the mail not read before: (folder states, since) → (headers, new states, notes)."""


@dataclass
class MailboxResult:
    """What one reading of the committee's mailbox found and logged."""

    location: str
    now: pd.Timestamp
    read: int = 0
    placed: int = 0
    filled: list[tuple[str, str, str, str]] = field(default_factory=list)
    """Cells written: row ID, column, the time as written, and where it came from."""
    answered_by: dict[str, str] = field(default_factory=dict)
    """Who of the committee answered, by row ID, for the rows whose `Vi svarade` was filled."""
    unplaced: list[Unplaced] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def found_problems(self) -> bool:
        return bool(self.problems or self.unplaced)


def run(
    config: Config, store: Store, now: pd.Timestamp, reader: Reader, since: date | None = None
) -> MailboxResult:
    """Read the mail that arrived since the last run and fill `Alumnen svarade` and
    `Vi svarade` of the rounds it answers, where nobody typed a time; then remember how far
    the mailbox was read. The sheet is written before the memory, so a run that stops in
    between reads the same mail again next time and writes nothing twice."""
    state = load_state(config.imap.state)
    folders = {
        name: FolderState(int(s["uidvalidity"]), int(s["last_uid"]))
        for name, s in state["folders"].items()
    }
    first = since or (now - pd.Timedelta(days=config.imap.first_days)).date()
    records, new_folders, notes = reader(folders, first)
    result = MailboxResult(store.location, now, read=len(records), notes=list(notes))

    wb = load_workbook(store.read(), config.timezone, now)
    judged = {tab: wb.judge(tab, columns, RULE) for tab, columns in NEEDS.items()}
    result.problems += [p for j in judged.values() for p in j.problems]
    if any(j.blocked for j in judged.values()):
        # Nothing is tied and nothing remembered: once the sheet is fixed, the next run
        # reads this same mail again.
        return result
    contacts = _contacts(wb, config, judged)
    threads = {row_id: _thread(t) for row_id, t in state["threads"].items()}
    committee = _committee(wb, config, judged[COMMITTEE.name].mask)
    # Replies an earlier run could not tie yet are tried again with the new mail.
    waiting = [_unsaved_waiting(w) for w in state.get("waiting", [])]
    messages = _frame([*waiting, *(_message(r) for r in records)])
    placement = place_messages(contacts, messages, committee, threads, now)
    result.placed, result.unplaced = placement.placed, placement.unplaced
    result.notes += [
        f"{folder} UID {uid}: {what} (placed by what could be read)"
        for folder, uid, what in placement.malformed
    ]
    # When each round's first contact went, looked up once for all threads.
    contacted = {
        str(row_id): None if pd.isna(at) else pd.Timestamp(at)
        for row_id, at in zip(contacts["ID"], contacts["contacted"], strict=True)
    }
    times = {
        row_id: round_times(thread, contacted.get(row_id))
        for row_id, thread in placement.threads.items()
    }
    log = wb[LOG]
    cells = log.loc[log["ID"].isin(contacts["ID"]), ["ID", REPLIED, ANSWERED]]
    filled = {
        row: {col: pd.Timestamp(at) for col, at in cols.items()}
        for row, cols in state["filled"].items()
    }
    fills, disagreements, kept = fill_reply_cells(cells, times, filled)
    sheet = wb.sheets[LOG]
    rows = dict(zip(log["ID"], log[ROW], strict=True))
    for d in disagreements:
        found = times[d.row_id]
        source = _source(found.replied if d.column == REPLIED else found.answered)
        result.problems.append(
            Finding(
                sheet.layout.shown,
                int(rows[d.row_id]),
                sheet.layout.columns.get(d.column),
                f"{d.row_id}: {d.column} says {format_time(d.typed, config.timezone)}, but the "
                f"mailbox shows {format_time(d.mail, config.timezone)}{source}",
                "correct the time, or empty the cell to let the tool fill it from the mail",
                d.column,
                d.row_id,
            )
        )
    changes = ChangeSet()
    for fill in fills:
        over = None if fill.over is None else format_time(fill.over, config.timezone)
        changes.fill(
            LOG, fill.row_id, fill.column, format_time(fill.at, config.timezone), over=over
        )
    written = store.apply(changes)
    landed = _landed(fills, written.skipped)
    for fill in landed:
        found = times[fill.row_id]
        event = found.replied if fill.column == REPLIED else found.answered
        result.filled.append(
            (fill.row_id, fill.column, format_time(fill.at, config.timezone), _how(event))
        )
        answered = times[fill.row_id].answered
        if fill.column == ANSWERED and answered is not None:
            result.answered_by[fill.row_id] = answered.by
    for fill in fills:
        if fill not in landed:  # not written: the cell is not the tool's yet
            kept.get(fill.row_id, {}).pop(fill.column, None)
    result.problems += written.skipped
    if written.trial:
        return result  # a trial (--now) remembers nothing: the real run reads this mail too
    save_state(
        config.imap.state,
        {
            "folders": {name: asdict(s) for name, s in new_folders.items()},
            "threads": {
                row_id: _saved(t) for row_id, t in placement.threads.items() if t.ids or t.events
            },
            "waiting": [_saved_waiting(w, committee) for w in placement.waiting.to_dict("records")],
            "filled": {
                row: {col: at.isoformat() for col, at in cols.items()}
                for row, cols in kept.items()
                if cols
            },
        },
    )
    return result


def _contacts(wb: Workbook, config: Config, judged: dict[str, Judged]) -> pd.DataFrame:
    """One row per contact round that mail can be tied to: its ID (never one that stands in
    two rows, nor a row whose needed cells could not be read), the alumnus's address and
    the first contact's Message-IDs."""
    log = wb[LOG][judged[LOG].mask]
    alumni = by_name_or_id(wb[ALUMNI.name][judged[ALUMNI.name].mask])
    counts = wb[LOG]["ID"].value_counts()
    sent: dict[str, list[str]] = {}
    for key, ids in Journal(config.mail.journal).message_ids().items():
        kind, _, rest = key.partition(":")
        if kind == "contact":
            sent.setdefault(rest.partition(":")[0], []).extend(ids)
    rows = []
    for row in log.to_dict("records"):
        row_id = str(row["ID"])
        if not row_id or counts.get(row_id, 0) > 1:
            continue
        alumnus = alumni.get(fold(str(row["Alumn"])), {})
        address = str(alumnus.get("E-post", "") or "").strip().lower()
        rows.append(
            {
                "ID": row_id,
                "address": address if is_email(address) else "",
                "sent_ids": tuple(sent.get(row_id, ())),
                "contacted": row["Kontaktad"],
            }
        )
    return pd.DataFrame(rows, columns=["ID", "address", "sent_ids", "contacted"])


def _committee(wb: Workbook, config: Config, readable: Any) -> dict[str, str]:
    """Whose mail is the committee's: each member's address, and the committee's own."""
    found = {
        config.mail.committee().strip().lower(): config.mail.from_name,
        config.mail.from_address.strip().lower(): config.mail.from_name,
    }
    for row in wb[COMMITTEE.name][readable].to_dict("records"):
        address = str(row.get("E-post", "") or "").strip().lower()
        if is_email(address):
            found[address] = str(row.get("Namn", ""))
    return found


def _message(record: HeaderRecord) -> dict[str, Any]:
    return {
        **asdict(record),
        "date": pd.Timestamp(record.date) if record.date else pd.NaT,
        "internaldate": pd.Timestamp(record.internaldate),
    }


def _frame(messages: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(messages, columns=list(MESSAGE_COLUMNS))


def _saved_waiting(message: dict[Any, Any], committee: dict[str, str]) -> dict[str, Any]:
    """A reply kept for a later reading, with only what threading needs: its IDs, its times,
    and its sender only where that is the committee's (any other sender is the alumnus)."""
    sender = message["from_addr"] or ""
    return {
        "folder": message["folder"],
        "uid": int(message["uid"]),
        "message_id": message["message_id"],
        "in_reply_to": message["in_reply_to"],
        "references": list(message["references"]),
        "from_addr": sender if sender in committee else "",
        "date": None if pd.isna(message["date"]) else message["date"].isoformat(),
        "internaldate": message["internaldate"].isoformat(),
    }


def _unsaved_waiting(saved: dict[str, Any]) -> dict[str, Any]:
    return {
        **saved,
        "references": tuple(saved.get("references", ())),
        "to_addrs": (),
        "cc_addrs": (),
        "subject": "",
        "date": pd.Timestamp(saved["date"]) if saved.get("date") else pd.NaT,
        "internaldate": pd.Timestamp(saved["internaldate"]),
        "problem": None,
    }


def _landed(fills: list[CellFill], skipped: list[Finding]) -> list[CellFill]:
    missed = {(f.key, f.column) for f in skipped}
    return [f for f in fills if (f.row_id, f.column) not in missed]


def _how(event: Event | None) -> str:
    if event is None:
        return ""
    return "serverns ankomsttid" if event.source == FROM_ARRIVAL else "Date-huvudet"


def _source(event: Event | None) -> str:
    return "" if event is None else f" ({_how(event)})"


def _thread(saved: dict[str, Any]) -> Thread:
    return Thread(
        set(saved.get("ids", ())),
        set(saved.get("subjects", ())),
        [
            Event(e["message_id"], e["side"], pd.Timestamp(e["at"]), e["source"], e.get("by", ""))
            for e in saved.get("events", ())
        ],
    )


def _saved(thread: Thread) -> dict[str, Any]:
    return {
        "ids": sorted(thread.ids),
        "subjects": sorted(thread.subjects),
        "events": [
            {
                "message_id": e.message_id,
                "side": e.side,
                "at": e.at.isoformat(),
                "source": e.source,
                "by": e.by,
            }
            for e in thread.events
        ],
    }
