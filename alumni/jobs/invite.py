"""The `invite` job (§3.1): the sign-up link to every graduate of the year, exactly once each."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pandas as pd

from alumni.config import Config
from alumni.contract import GRADUATES, InviteStatus
from alumni.errors import DataError
from alumni.findings import Finding
from alumni.mail.batch import Batch, Outcome, Prepared, Sending
from alumni.mail.journal import (
    FAILED,
    SENDING,
    SENT,
    UNCERTAIN,
    Entry,
    Journal,
    address_tag,
    person_key,
)
from alumni.mail.marks import marks_of_sending
from alumni.mail.message import from_committee
from alumni.mail.render import TemplateProblem, Templates
from alumni.rules import invitations as rules
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import doubled_ids, give_missing_ids
from alumni.sheet.plan import too_long
from alumni.sheet.store import Store
from alumni.sheet.workbook import ROW, Sheet, Workbook, load_workbook
from alumni.timeparse import format_time

TAB = GRADUATES.name
TEMPLATE = "graduation_invite"


@dataclass
class InviteResult:
    """What an invitation run found and did; names people, never their addresses.

    A dry run fills in the plan and `first`; a sample run `sample_to` and `sample_through`;
    a run with --send the plan and `batch`.
    """

    year: int
    graduates: int = 0
    outgoing: list[Prepared] = field(default_factory=list)
    already_sent: int = 0
    failed_before: list[str] = field(default_factory=list)
    uncertain_before: list[str] = field(default_factory=list)
    first: EmailMessage | None = field(default=None, repr=False)
    sample_to: str = ""
    sample_through: str = ""
    batch: Batch | None = None
    skipped_writes: list[Finding] = field(default_factory=list)

    @property
    def found_problems(self) -> bool:
        """Addresses to correct and messages to ask about both wait for the chair (after a send),
        as does a status too long to write."""
        if self.batch is None:
            return False
        return bool(
            too_long(self.skipped_writes)
            or self.batch.names(FAILED)
            or self.batch.names(UNCERTAIN)
            or self.failed_before
            or self.uncertain_before
        )


def run(
    config: Config,
    store: Store,
    now: pd.Timestamp,
    *,
    year: int | None = None,
    sending: Sending | None = None,
    limit: int | None = None,
    resend_uncertain: bool = False,
    announce: Callable[[InviteResult], None] = lambda result: None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> InviteResult:
    """Invite the graduates of `year` (default: `now`'s): a dry run without `sending`, one
    sample with a sample `sending`, else every invitation due, recorded in the sheet as it goes.

    Every message is rendered and checked before any is sent: a row that cannot be invited
    stops the run with a DataError. `announce` hears the plan just before sending starts.
    """
    real = sending is not None and not sending.sample
    wb = _load(store, config, now, sending if real else None)
    known = sending.known() if sending is not None else Journal(config.mail.journal).entries()
    result, rows, problems = prepare(wb, config, year or now.year, known, now, resend_uncertain)
    stop_on_problems(problems)
    if sending is None:
        result.first = result.outgoing[0].build() if result.outgoing else None
        announce(result)
        return result
    if sending.sample:
        first = result.outgoing[0].build() if result.outgoing else _made_up(config, result, now)
        result.sample_through = sending.send_sample(first)
        result.sample_to = str(sending.test_to)
        return result
    announce(result)
    changes = ChangeSet()
    reconcile(rows, changes, config.timezone)

    def record(outcome: Outcome) -> None:
        status = _status(outcome.state, outcome.reason)
        if status and outcome.item.row_id:
            changes.set(TAB, outcome.item.row_id, "Inbjudningsstatus", status)
            changes.set(
                TAB, outcome.item.row_id, "Inbjuden", format_time(outcome.at, config.timezone)
            )

    def flush() -> None:
        nonlocal changes
        if changes:
            result.skipped_writes.extend(store.apply(changes).skipped)
            changes = ChangeSet()

    result.batch = sending.send(
        result.outgoing,
        limit=limit,
        paced=True,
        resend_unknown=resend_uncertain,
        interruptible=True,
        on_outcome=record,
        flush=flush,
        progress=progress,
    )
    return result


def invite_key(row_id: str, address: str) -> str:
    """The journal's key for one graduate at one address: a new address is a new message."""
    return person_key("invite", row_id, address)


def _status(state: str, reason: str) -> str:
    """The Inbjudningsstatus a journal state stands for ("" for deferred: nothing to show)."""
    if state == SENT:
        return InviteStatus.SENT
    if state == FAILED:
        return InviteStatus.failed(reason)
    if state in (SENDING, UNCERTAIN):
        return InviteStatus.UNCERTAIN  # it may have gone out
    return ""


def earlier_invitations(
    graduates: pd.DataFrame, known: Mapping[str, Entry]
) -> dict[str, rules.Earlier]:
    """By row ID, what the journal says of an invitation to the address each row has now.

    The row's own word, unless an invitation to the same address under another row's ID says
    more (it went, or may have): a row copied without its ID, or deleted and typed in again,
    holds an address that was invited already, and whoever reads that mailbox is not invited
    twice.
    """
    by_address = _invitations_by_address(known)
    earlier: dict[str, rules.Earlier] = {}
    for row_id, address in zip(graduates["ID"], graduates["E-post"], strict=True):
        if not address:
            continue
        entry = known.get(invite_key(str(row_id), str(address)))
        other = by_address.get(address_tag(str(address)))
        if other is not None and (entry is None or _weight(other) > _weight(entry)):
            entry = other
        if entry is not None:
            status = _status(entry.state, entry.reason)
            earlier[str(row_id)] = rules.Earlier(status, pd.Timestamp(entry.at))
    return earlier


# What an earlier invitation to an address says of sending to it again, strongest first: sent,
# of unknown fate (it may have gone), refused for good, deferred by the server.
_WEIGHT = {SENT: 3, SENDING: 2, UNCERTAIN: 2, FAILED: 1}


def _invitations_by_address(known: Mapping[str, Entry]) -> dict[str, Entry]:
    """By address tag, the strongest journal word on an invitation to that address."""
    strongest: dict[str, Entry] = {}
    for key, entry in known.items():
        kind, _, rest = key.partition(":")
        if kind != "invite":
            continue
        tag = rest.rpartition(":")[2]
        held = strongest.get(tag)
        if held is None or _weight(entry) > _weight(held):
            strongest[tag] = entry
    return strongest


def _weight(entry: Entry) -> int:
    return _WEIGHT.get(entry.state, 0)


def _shared_addresses(rows: pd.DataFrame) -> dict[str, list[int]]:
    """By address tag (as the journal tells addresses apart), the addresses that more than
    one of `rows` holds, each with the sheet rows that hold it."""
    found: dict[str, list[int]] = {}
    for address, row in zip(rows["E-post"], rows[ROW], strict=True):
        if address:
            found.setdefault(address_tag(str(address)), []).append(int(row))
    return {tag: held for tag, held in found.items() if len(held) > 1}


def prepare(
    wb: Workbook,
    config: Config,
    year: int,
    known: Mapping[str, Entry],
    now: pd.Timestamp,
    resend_uncertain: bool = False,
) -> tuple[InviteResult, pd.DataFrame, list[Finding]]:
    """Choose the recipients and render every message before any is sent.

    Returns the result (with `outgoing` filled), the chosen rows with their actions, and the
    problems that stop the run (a row without an address, an unknown language, a template
    that does not render; a graduate of the year, or of a year that cannot be read, with a
    cell the list needs but cannot read; a header the list reads missing or doubled).
    """
    result = InviteResult(year)
    sheet = wb.sheets[TAB]
    graduates = wb[TAB]
    judged = wb.judge(TAB, rules.NEEDS[TAB], rules.RULE)
    if judged.blocked:
        # Without every header, a graduate invited before could look new: nobody is chosen.
        return (
            result,
            rules.select_invitees(graduates, year, {}, judged=judged.mask),
            [*judged.problems],
        )
    rows = rules.select_invitees(
        graduates,
        year,
        earlier_invitations(graduates, known),
        resend_uncertain,
        judged=judged.mask,
    )
    result.graduates = len(rows)
    result.already_sent = int((rows["action"] == rules.ALREADY_SENT).sum())
    result.failed_before = rows.loc[rows["action"] == rules.FAILED_BEFORE, "Namn"].tolist()
    result.uncertain_before = rows.loc[rows["action"] == rules.UNCERTAIN, "Namn"].tolist()
    templates = Templates(config.mail.templates)
    problems = _unread(sheet, graduates, judged.mask, judged.problems, year)
    doubled = doubled_ids(graduates["ID"])
    due = rows[rows["action"] == rules.SEND]
    shared = _shared_addresses(due)
    for row in due.to_dict("records"):
        if row["ID"] in doubled:
            problems.append(
                Finding(
                    sheet.layout.shown,
                    row[ROW],
                    sheet.layout.columns.get("ID"),
                    f"{row['Namn'] or 'this graduate'}: the ID {row['ID']} stands in several "
                    "rows, so neither is invited",
                    "empty the ID cell of the copy (the tool gives it a new one)",
                    "ID",
                    row["ID"],
                )
            )
            continue
        others = shared.get(address_tag(str(row["E-post"])), [])
        if others:
            # Which of the rows is the person cannot be known: none is invited on a guess.
            also = [str(r) for r in others if r != row[ROW]]
            where = f"row {also[0]}" if len(also) == 1 else f"rows {', '.join(also)}"
            problems.append(
                Finding(
                    sheet.layout.shown,
                    row[ROW],
                    sheet.layout.columns.get("E-post"),
                    f"{row['Namn'] or 'this graduate'}: the same address is also in {where}, "
                    "so neither is invited",
                    "delete the duplicate row, or correct the address",
                    "E-post",
                    row["ID"],
                )
            )
            continue
        if row["problem"]:
            column = "Språk" if "language" in row["problem"] else "E-post"
            problems.append(
                Finding(
                    sheet.layout.shown,
                    row[ROW],
                    sheet.layout.columns.get(column),
                    f"{row['Namn'] or 'this graduate'}: {row['problem']}",
                    "correct it before sending",
                    column,
                    row["ID"],
                )
            )
            continue
        try:
            rendered = templates.render(TEMPLATE, row["Språk"], _context(config, row["Namn"], year))
        except TemplateProblem as exc:
            problems.append(
                Finding(
                    sheet.layout.shown,
                    row[ROW],
                    None,
                    f"{row['Namn']}: {exc}",
                    "fix the template (see README, 'E-mail templates')",
                    None,
                    row["ID"],
                )
            )
            continue
        key = invite_key(str(row["ID"]), str(row["E-post"]))
        build = functools.partial(
            from_committee,
            config.mail,
            to_name=row["Namn"],
            to_address=row["E-post"],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            now=now,
            tz=config.timezone,
            key=key,
        )
        result.outgoing.append(Prepared(key, row["Namn"], build, row["ID"]))
    return result, rows, problems


def _unread(
    sheet: Sheet, graduates: pd.DataFrame, mask: Any, found: list[Finding], year: int
) -> list[Finding]:
    """The cells that keep a graduate who may be of `year` off the list: a guess could mail
    someone twice, or not at all. Rows of other years are `alumni check`'s to report."""
    of_year = (graduates["Examensår"] == year).fillna(False).to_numpy(dtype=bool)
    unread_year = set(sheet.unreadable.get("Examensår", {}))
    rows = {
        int(graduates[ROW].iloc[pos])
        for pos in range(len(graduates))
        if not mask[pos] and (pos in unread_year or of_year[pos])
    }
    return [finding for finding in found if finding.row in rows]


def _context(config: Config, name: str, year: int) -> dict[str, Any]:
    """The invitation template's variables (README: 'E-mail templates')."""
    return {
        "name": name,
        "year": year,
        "signup_link": config.invite.signup_link,
        "form_link": config.invite.form_link,
        "signature": config.mail.signature,
        "committee": config.mail.from_name,
    }


def reconcile(rows: pd.DataFrame, changes: ChangeSet, tz: str) -> None:
    """Bring the sheet in line with the journal: earlier outcomes the sheet does not show yet."""
    for row in rows[rows["new_status"].notna()].to_dict("records"):
        changes.set(TAB, row["ID"], "Inbjudningsstatus", row["new_status"])
        if row["new_at"] is not None and not pd.isna(row["new_at"]):
            changes.set(TAB, row["ID"], "Inbjuden", format_time(row["new_at"], tz))


def _load(store: Store, config: Config, now: pd.Timestamp, sending: Sending | None) -> Workbook:
    """Read the sheet; give graduates without an ID one (written first when `sending`, since
    the journal knows each graduate by ID, once the journal is known to be the one kept)."""
    wb = load_workbook(store.read(), config.timezone, now)
    if sending is not None:
        sending.check_kept(marks_of_sending(wb))
    changes = ChangeSet()
    give_missing_ids(wb, changes)
    if changes.new_ids.get(TAB) and sending is not None:
        store.apply(changes)
    return wb


def _made_up(config: Config, result: InviteResult, now: pd.Timestamp) -> EmailMessage:
    """A sample invitation to a made-up graduate, when nobody is left to invite; addressed to
    the committee until the sample is readdressed."""
    rendered = Templates(config.mail.templates).render(
        TEMPLATE, "sv", _context(config, "Förnamn Efternamn", result.year)
    )
    return from_committee(
        config.mail,
        to_name="Test",
        to_address=config.mail.from_address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        now=now,
        tz=config.timezone,
    )


def stop_on_problems(problems: list[Finding]) -> None:
    if problems:
        ordered = sorted(problems, key=lambda p: (p.row or 0, -1 if p.col is None else p.col))
        lines = "\n".join(f"  {p}" for p in ordered)
        if any(p.row in (1, None) for p in problems):
            # A header (or the tab) is missing: no row was looked at, so none is counted.
            raise DataError(f"nothing was sent: {rules.RULE} could not be made:\n{lines}")
        count = len({p.row for p in problems})
        noun = "row" if count == 1 else "rows"
        raise DataError(f"nothing was sent: {count} {noun} cannot be invited as they are:\n{lines}")
