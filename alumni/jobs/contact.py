"""The `contact` job (§3.2): the formal first e-mail to each selected alumnus, exactly once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pandas as pd

from alumni.addresses import is_email
from alumni.config import Config
from alumni.contract import ALUMNI, COMMITTEE, CONTACT_LOG, fold
from alumni.findings import Finding
from alumni.mail.batch import ALREADY, Batch, Outcome, Prepared, Sending
from alumni.mail.journal import FAILED, SENT, Entry, Journal, person_key
from alumni.mail.lint import LintFinding, lint_rendered, load_word_lists
from alumni.mail.marks import marks_of_sending
from alumni.mail.message import from_committee
from alumni.mail.render import TemplateProblem, Templates
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import doubled_ids
from alumni.sheet.store import Store
from alumni.sheet.workbook import ROW, Workbook, by_name_or_id, load_workbook
from alumni.timeparse import format_time

LOG = CONTACT_LOG.name
TEMPLATE = "alumni_contact"


@dataclass
class ContactResult:
    """What a contact run found and did; names people, never addresses.

    `blocked`: informal language stopped a send or a sample. A sample run sets `sample` (and
    `sample_to` when there was one to send); a dry run `first`; a run with --send `batch` and
    the lists of names by outcome.
    """

    outgoing: list[Prepared] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    informal: list[LintFinding] = field(default_factory=list)
    blocked: bool = False
    first: EmailMessage | None = field(default=None, repr=False)
    sample: bool = False
    sample_to: str = ""
    batch: Batch | None = None
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    uncertain_before: list[str] = field(default_factory=list)
    """Rows whose first contact may have gone out in an earlier run; held back unless resent."""
    failed_before: list[str] = field(default_factory=list)
    """Rows whose address the server refused for good: held back until it is corrected."""
    resend_uncertain: bool = False

    @property
    def found_problems(self) -> bool:
        if self.blocked:
            return True
        if self.sample:
            return False
        return bool(self.problems or self.failed or self.uncertain or self.failed_before)


def run(
    config: Config,
    store: Store,
    now: pd.Timestamp,
    *,
    project: str | None = None,
    sending: Sending | None = None,
    limit: int | None = None,
    allow_informal: bool = False,
    resend_uncertain: bool = False,
    announce: Callable[[ContactResult], None] = lambda result: None,
) -> ContactResult:
    """First contacts for the contact-log rows not yet contacted (only `project`'s, if given):
    a dry run without `sending`, one sample with a sample `sending`, else each sent once and
    `Kontaktad` written. `announce` hears what was prepared before anything is sent; informal
    language stops a send or a sample unless `allow_informal`. A first contact whose fate an
    earlier run could not learn goes out again only with `resend_uncertain`; one the server
    refused waits until the alumnus's address in Alumner is corrected."""
    wb = load_workbook(store.read(), config.timezone, now)
    result = prepare_contacts(wb, config, now, project)
    if sending is None:
        known = Journal(config.mail.journal).entries()
    elif sending.sample:
        known = {}
    else:
        sending.check_kept(marks_of_sending(wb))
        known = sending.known()
    result.resend_uncertain = resend_uncertain
    result.uncertain_before = [
        item.name for item in result.outgoing if item.key in known and known[item.key].unknown
    ]
    # Refused for good at this address: mailing it again each run only repeats the refusal
    # (and costs the committee's sender reputation); a corrected address is a new key.
    refused = {item.key for item in result.outgoing if _refused(known.get(item.key))}
    result.failed_before = [item.name for item in result.outgoing if item.key in refused]
    result.outgoing = [item for item in result.outgoing if item.key not in refused]
    announce(result)
    if result.informal and not allow_informal and sending is not None:
        result.blocked = True
        return result
    if sending is None:
        result.first = result.outgoing[0].build() if result.outgoing else None
        return result
    if sending.sample:
        result.sample = True
        if result.outgoing:
            sending.send_sample(result.outgoing[0].build())
            result.sample_to = str(sending.test_to)
        return result
    changes = ChangeSet()

    def record(outcome: Outcome) -> None:
        name = outcome.item.name
        if outcome.state == FAILED:
            result.failed.append((name, outcome.reason))
        elif outcome.in_doubt:
            result.uncertain.append(name)
        elif outcome.state in (SENT, ALREADY):
            (result.sent if outcome.state == SENT else result.already).append(name)
            when = format_time(outcome.at, config.timezone)
            changes.set(LOG, outcome.item.row_id, "Kontaktad", when)
        else:
            result.deferred.append(name)

    result.batch = sending.send(
        result.outgoing, limit=limit, resend_unknown=resend_uncertain, on_outcome=record
    )
    store.apply(changes)
    return result


def _refused(entry: Entry | None) -> bool:
    return entry is not None and entry.state == FAILED


def prepare_contacts(
    wb: Workbook, config: Config, now: pd.Timestamp, project: str | None = None
) -> ContactResult:
    """Render and check the first e-mail for every contact-log row not yet contacted.

    A row needs its alumnus in Alumner with an address and its contact person in Utskott with
    an address; every rendered message is checked for informal language before anything goes.
    """
    result = ContactResult()
    sheet = wb.sheets[LOG]
    log = wb[LOG]
    alumni = by_name_or_id(wb[ALUMNI.name])
    members = by_name_or_id(wb[COMMITTEE.name])
    templates = Templates(config.mail.templates)
    lists = load_word_lists(config.mail.templates / "lint")
    todo = log[log["Kontaktad"].isna() & (log["ID"] != "")]
    doubled = doubled_ids(log["ID"])
    if project:
        todo = todo[todo["Projekt"].map(fold) == fold(project)]
    for row in todo.to_dict("records"):

        def problem(column: str, message: str, hint: str, row: dict[Any, Any] = row) -> None:
            col = sheet.layout.columns.get(column)
            result.problems.append(
                Finding(sheet.layout.shown, int(row[ROW]), col, message, hint, column, row["ID"])
            )

        if row["ID"] in doubled:
            problem(
                "ID",
                f"the ID {row['ID']} stands in several rows, so neither alumnus is contacted",
                "empty the ID cell of the copy (the tool gives it a new one)",
            )
            continue
        alumnus = alumni.get(fold(str(row["Alumn"])))
        member = members.get(fold(str(row["Kontaktperson"]))) if row["Kontaktperson"] else None
        if alumnus is None or not is_email(str(alumnus.get("E-post", ""))):
            problem(
                "Alumn",
                f"{row['ID']}: '{row['Alumn']}' has no e-mail address in Alumner",
                "add it in Alumner, or correct the name",
            )
            continue
        if member is None or not is_email(str(member.get("E-post", ""))):
            who = row["Kontaktperson"] or "nobody"
            problem(
                "Kontaktperson",
                f"{row['ID']}: the contact person is {who!r}, without an e-mail address in Utskott",
                "fill in Kontaktperson and their E-post",
            )
            continue
        spoken = alumnus.get("Språk")
        language = spoken if isinstance(spoken, str) and spoken else "sv"
        context = {
            "name": alumnus["Namn"],
            "project": row["Projekt"],
            "company": alumnus.get("Företag", ""),
            "title": alumnus.get("Befattning", ""),
            "person": member["Namn"],
            "person_email": member["E-post"],
            "committee": config.mail.from_name,
            "signature": config.mail.signature,
        }
        try:
            rendered = templates.render(TEMPLATE, language, context)
        except TemplateProblem as exc:
            problem("Alumn", f"{row['ID']}: {exc}", "fix the template")
            continue
        where = f"to {alumnus['Namn']} ({row['ID']})"
        result.informal += lint_rendered(
            rendered.subject, rendered.text, where, lists, language=language
        )
        key = person_key("contact", str(row["ID"]), str(alumnus["E-post"]))
        build = functools.partial(
            from_committee,
            config.mail,
            to_name=alumnus["Namn"],
            to_address=alumnus["E-post"],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            # Replies reach the contact person and the committee's mailbox, which `alumni
            # mailbox` reads; the contact person answers with "reply all" to keep it so.
            reply_to=[
                (member["Namn"], member["E-post"]),
                (config.mail.from_name, config.mail.committee()),
            ],
            now=now,
            tz=config.timezone,
            key=key,
        )
        result.outgoing.append(Prepared(key, alumnus["Namn"], build, row["ID"]))
    return result
