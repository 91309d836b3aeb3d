"""The `invite` job (§3.1): the sign-up link to every graduate of the year, exactly once each."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pandas as pd

from alumni.addresses import check_address
from alumni.config import Config
from alumni.errors import DataError
from alumni.findings import Finding
from alumni.mail.base import (
    Mailer,
    MailError,
)
from alumni.mail.deliver import deliver
from alumni.mail.journal import DEFERRED, FAILED, SENT, UNCERTAIN, Journal
from alumni.mail.message import from_committee, wire_bytes
from alumni.mail.render import TemplateProblem, Templates
from alumni.rules import invitations as rules
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.store import Store
from alumni.sheet.workbook import ROW, Workbook, load_workbook
from alumni.timeparse import format_time

TAB = "Avgångsklass"
TEMPLATE = "graduation_invite"
FLUSH_SECONDS = 30.0


@dataclass
class Outgoing:
    """One invitation, rendered and checked, waiting to be sent.

    The MIME message is assembled on first use: while sending, the next messages are built in
    the background as the server answers the current one.
    """

    row_id: str
    name: str
    key: str
    build: Callable[[], EmailMessage] = field(repr=False)
    _message: EmailMessage | None = field(default=None, repr=False)

    @property
    def message(self) -> EmailMessage:
        if self._message is None:
            self._message = self.build()
        return self._message

    def ready(self) -> EmailMessage:
        """The message, built and serialized for the wire (in the background thread)."""
        wire_bytes(self.message)
        return self.message


@dataclass
class InviteReport:
    """What an invitation run found and did; names people, never their addresses."""

    year: int
    graduates: int = 0
    outgoing: list[Outgoing] = field(default_factory=list)
    already_sent: int = 0
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    failed_before: list[str] = field(default_factory=list)
    uncertain_before: list[str] = field(default_factory=list)
    not_reached: int = 0
    stop_reason: str = ""
    interrupted: bool = False
    skipped_writes: list[Finding] = field(default_factory=list)


def prepare(
    wb: Workbook,
    config: Config,
    year: int,
    journal: dict[str, Any],
    now: pd.Timestamp,
    resend_uncertain: bool = False,
) -> tuple[InviteReport, pd.DataFrame, list[Finding]]:
    """Choose the recipients and render every message before any is sent.

    Returns the report (with `outgoing` filled), the chosen rows with their actions, and the
    problems that stop the run (a row without an address, an unknown language, a template
    that does not render).
    """
    report = InviteReport(year)
    sheet = wb.sheets[TAB]
    rows = rules.select_invitees(wb[TAB], year, journal, resend_uncertain)
    report.graduates = len(rows)
    report.already_sent = int((rows["action"] == rules.ALREADY_SENT).sum())
    report.failed_before = rows.loc[rows["action"] == rules.FAILED_BEFORE, "Namn"].tolist()
    report.uncertain_before = rows.loc[rows["action"] == rules.UNCERTAIN, "Namn"].tolist()
    templates = Templates(config.mail.templates)
    problems: list[Finding] = []
    for row in rows[rows["action"] == rules.SEND].to_dict("records"):
        if row["problem"]:
            column = "Språk" if "language" in row["problem"] else "E-post"
            col = sheet.layout.columns.get(column)
            problems.append(
                Finding(
                    sheet.layout.shown,
                    row[ROW],
                    col,
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
        try:
            check_address(row["E-post"])
        except ValueError as exc:
            col = sheet.layout.columns.get("E-post")
            problems.append(
                Finding(
                    sheet.layout.shown,
                    row[ROW],
                    col,
                    f"{row['Namn']}: {exc}",
                    "correct it before sending",
                    "E-post",
                    row["ID"],
                )
            )
            continue
        build = functools.partial(
            from_committee,
            config.mail,
            to_name=row["Namn"],
            to_address=row["E-post"],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            now=now,
            key=row["key"],
        )
        report.outgoing.append(Outgoing(row["ID"], row["Namn"], row["key"], build))
    return report, rows, problems


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


class Sender:
    """Sends the prepared invitations through the journal, at the configured pace."""

    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        journal: Journal,
        config: Config,
        clock: Callable[[], pd.Timestamp],
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[int, int], None] = lambda done, total: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.mailer, self.journal, self.config = store, mailer, journal, config
        self.clock, self.sleep, self.progress, self.monotonic = clock, sleep, progress, monotonic
        self.changes = ChangeSet()
        self.tz = config.timezone

    def _flush(self, report: InviteReport) -> None:
        if self.changes:
            result = self.store.apply(self.changes)
            report.skipped_writes.extend(result.skipped)
            self.changes = ChangeSet()

    def _status(self, item: Outgoing, status: str, at: pd.Timestamp | None = None) -> None:
        self.changes.set(TAB, item.row_id, "Inbjudningsstatus", status)
        if at is not None:
            self.changes.set(TAB, item.row_id, "Inbjuden", format_time(at, self.tz))

    def run(self, report: InviteReport, changes: ChangeSet, limit: int | None) -> InviteReport:
        """Send until done, the limit, the daily cap or a fatal error; the sheet follows."""
        self.changes = changes
        self._flush(report)
        mail = self.config.mail
        day_ago = (self.clock() - pd.Timedelta(hours=24)).to_pydatetime()
        room = (
            max(mail.daily_cap - self.journal.attempts_since(day_ago), 0)
            if mail.daily_cap and self.mailer.paced
            else None
        )
        queue = report.outgoing[:limit] if limit is not None else list(report.outgoing)
        if room is not None and len(queue) > room:
            report.stop_reason = (
                f"the daily cap of {mail.daily_cap} messages in 24 hours is reached; "
                "run again tomorrow to send the rest"
            )
            queue = queue[:room]
        report.not_reached = len(report.outgoing) - len(queue)
        paced = self.mailer.paced and mail.rate_per_minute
        gap = 60.0 / mail.rate_per_minute if paced else 0.0
        last_flush = last_send = self.monotonic()
        current: Outgoing | None = None
        # One builder thread works ahead, so building overlaps waiting for the server.
        builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alumni-build")
        # Hand the interpreter back quickly when a server reply arrives, or the builder's
        # work would delay every reply by up to the default 5 ms.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)
        built = [builder.submit(item.ready) for item in queue]
        try:
            for done, item in enumerate(queue):
                built[done].result()
                if gap and done:
                    wait = last_send + gap - self.monotonic()
                    if wait > 0:
                        self.sleep(wait)
                current = item
                last_send = self.monotonic()
                self._send_one(item, report)
                current = None
                self.progress(done + 1, len(queue))
                if self.monotonic() - last_flush >= FLUSH_SECONDS:
                    self._flush(report)
                    last_flush = self.monotonic()
        except KeyboardInterrupt:
            report.interrupted = True
            if current is not None:
                self._uncertain(current, report, "interrupted while sending")
            report.not_reached = (
                len(report.outgoing)
                - len(report.sent)
                - len(report.failed)
                - len(report.uncertain)
                - len(report.deferred)
            )
        except MailError:
            if current is not None:
                # Raised only before a message was handed over: it was not sent.
                self.journal.mark(
                    current.key, DEFERRED, self.clock(), "not sent: mail server unreachable"
                )
            self._flush(report)
            raise
        finally:
            builder.shutdown(wait=False, cancel_futures=True)
            sys.setswitchinterval(switch)
        self._flush(report)
        return report

    def _uncertain(self, item: Outgoing, report: InviteReport, reason: str) -> None:
        self.journal.mark(item.key, UNCERTAIN, self.clock(), reason)
        self._status(item, rules.OSAKER, self.clock())
        report.uncertain.append(item.name)

    def _send_one(self, item: Outgoing, report: InviteReport) -> None:
        # The invitation rule already left out whoever was sent to: no `known` check here.
        outcome, reason = deliver(self.mailer, self.journal, item.key, item.message, self.clock)
        if outcome == SENT:
            self._status(item, rules.SKICKAD, self.clock())
            report.sent.append(item.name)
        elif outcome == FAILED:
            self._status(item, f"{rules.MISSLYCKAD}: {reason}", self.clock())
            report.failed.append((item.name, reason))
        elif outcome == DEFERRED:
            report.deferred.append((item.name, reason))
        else:
            self._status(item, rules.OSAKER, self.clock())
            report.uncertain.append(item.name)


def load_for_invite(store: Store, config: Config, write_ids: bool) -> Workbook:
    """Read the sheet; give graduates without an ID one (written first when sending, since the
    journal knows each graduate by ID)."""
    wb = load_workbook(store.read(), config.timezone)
    changes = ChangeSet()
    give_missing_ids(wb, changes)
    if changes.new_ids.get(TAB) and write_ids:
        store.apply(changes)
    return wb


def test_message(
    report: InviteReport, config: Config, year: int, now: pd.Timestamp, address: str
) -> EmailMessage:
    """One sample for the chair: the first real invitation, or one to a made-up graduate."""
    if report.outgoing:
        first = report.outgoing[0].message
        text, html = _bodies(first)
        subject = str(first["Subject"])
        name = report.outgoing[0].name
    else:
        rendered = Templates(config.mail.templates).render(
            TEMPLATE, "sv", _context(config, "Förnamn Efternamn", year)
        )
        subject, text, html, name = rendered.subject, rendered.text, rendered.html, "Test"
    return from_committee(
        config.mail,
        to_name=name,
        to_address=address,
        subject=f"[Test] {subject}",
        text=text,
        html=html,
        now=now,
    )


def _bodies(message: EmailMessage) -> tuple[str, str | None]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    text = plain.get_content() if plain is not None else ""
    return text, (html.get_content() if html is not None else None)


def stop_on_problems(problems: list[Finding]) -> None:
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "row" if len(problems) == 1 else "rows"
        raise DataError(
            f"nothing was sent: {len(problems)} {noun} cannot be invited as they are:\n{lines}"
        )
