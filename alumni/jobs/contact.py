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
from alumni.contract import fold
from alumni.findings import Finding
from alumni.mail.base import Mailer
from alumni.mail.deliver import ALREADY, deliver
from alumni.mail.journal import SENT, Journal, address_tag
from alumni.mail.lint import LintFinding, WordLists, lint_rendered, load_word_lists
from alumni.mail.message import from_committee
from alumni.mail.render import TemplateProblem, Templates
from alumni.sheet.changes import ChangeSet
from alumni.sheet.workbook import ROW, Workbook
from alumni.timeparse import format_time

LOG = "Kontaktlogg"
TEMPLATE = "alumni_contact"


@dataclass
class Contact:
    """One first contact, rendered and checked, waiting to be sent."""

    row_id: str
    alumnus: str
    person: str
    key: str
    build: Callable[[], EmailMessage] = field(repr=False)


@dataclass
class ContactReport:
    """What a contact run found and did; names people, never addresses."""

    outgoing: list[Contact] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    informal: list[LintFinding] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def word_lists(config: Config) -> WordLists:
    """The committee's lists of informal words, beside the templates."""
    return load_word_lists(config.mail.templates / "lint")


def _by_name_or_id(frame: pd.DataFrame) -> dict[str, dict[Any, Any]]:
    found: dict[str, dict[Any, Any]] = {}
    for row in frame.to_dict("records"):
        for key in (row.get("Namn", ""), row.get("ID", "")):
            if key:
                found.setdefault(fold(str(key)), row)
    return found


def prepare_contacts(
    wb: Workbook, config: Config, now: pd.Timestamp, project: str | None = None
) -> ContactReport:
    """Render and check the first e-mail for every contact-log row not yet contacted.

    A row needs its alumnus in Alumner with an address and its contact person in Utskott with
    an address; every rendered message is checked for informal language before anything goes.
    """
    report = ContactReport()
    sheet = wb.sheets[LOG]
    log = wb[LOG]
    alumni = _by_name_or_id(wb["Alumner"])
    members = _by_name_or_id(wb["Utskott"])
    templates = Templates(config.mail.templates)
    lists = word_lists(config)
    todo = log[log["Kontaktad"].isna() & (log["ID"] != "")]
    if project:
        todo = todo[todo["Projekt"].map(fold) == fold(project)]
    for row in todo.to_dict("records"):

        def problem(column: str, message: str, hint: str, row: dict[Any, Any] = row) -> None:
            col = sheet.layout.columns.get(column)
            report.problems.append(
                Finding(sheet.layout.shown, int(row[ROW]), col, message, hint, column, row["ID"])
            )

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
        report.informal += lint_rendered(
            rendered.subject, rendered.text, where, lists, language=language
        )
        key = f"contact:{row['ID']}:{address_tag(str(alumnus['E-post']))}"
        build = functools.partial(
            from_committee,
            config.mail,
            to_name=alumnus["Namn"],
            to_address=alumnus["E-post"],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            reply_to=(member["Namn"], member["E-post"]),
            now=now,
            key=key,
        )
        report.outgoing.append(Contact(row["ID"], alumnus["Namn"], member["Namn"], key, build))
    return report


def send_contacts(
    report: ContactReport,
    config: Config,
    mailer: Mailer,
    journal: Journal,
    changes: ChangeSet,
    clock: Callable[[], pd.Timestamp],
    limit: int | None = None,
) -> None:
    """Send each first contact once and write `Kontaktad` when it went."""
    queue = report.outgoing[:limit] if limit is not None else report.outgoing
    known = journal.entries()
    for item in queue:
        outcome, reason = deliver(mailer, journal, item.key, item.build(), clock, known)
        if outcome in (SENT, ALREADY):
            entry = known.get(item.key)
            if outcome == ALREADY and entry is not None and entry.state != SENT:
                report.uncertain.append(item.alumnus)
                continue
            when = clock() if outcome == SENT else pd.Timestamp(entry.at) if entry else clock()
            changes.set(LOG, item.row_id, "Kontaktad", format_time(when, config.timezone))
            (report.sent if outcome == SENT else report.already).append(item.alumnus)
        elif outcome == "failed":
            report.failed.append((item.alumnus, reason))
        elif outcome == "uncertain":
            report.uncertain.append(item.alumnus)
        else:
            report.deferred.append(item.alumnus)
