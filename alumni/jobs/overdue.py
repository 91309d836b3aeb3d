"""The `overdue` job (§3.2, §4): the 24-hour rule on the contact log, reminders and breaches."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import numpy as np
import pandas as pd

from alumni.addresses import is_email
from alumni.clock import heartbeat, shown
from alumni.config import Config
from alumni.contract import (
    COMMITTEE,
    CONTACT_LOG,
    OVERVIEW,
    VIOLATIONS,
    Figure,
    Role,
    Status,
    active_mask,
    fold,
    fold_all,
)
from alumni.findings import Finding
from alumni.jobs import mailbox as mailbox_job
from alumni.jobs.mailbox import MailboxResult, Reader
from alumni.mail.batch import ALREADY, Outcome, Prepared, Sending
from alumni.mail.journal import FAILED, SENT, UNCERTAIN, Entry
from alumni.mail.marks import marks_of_sending
from alumni.mail.message import from_committee
from alumni.mail.render import Rendered, TemplateProblem, Templates
from alumni.rules.deadlines import (
    DELAY,
    DUE,
    FLAGGED,
    NEEDS,
    NOT_FLAGGED,
    RULE,
    STATUS,
    flag_overdue,
)
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import first_free, give_missing_ids, note_issued
from alumni.sheet.store import ApplyResult, Store
from alumni.sheet.workbook import ROW, Judged, Value, Workbook, load_workbook
from alumni.timeparse import format_time

LOG, BREACHES, MEMBERS = CONTACT_LOG.name, VIOLATIONS.name, COMMITTEE.name
SUMMARY_PROBLEMS = 10
"""How many of the sheet's problems the chair's summary lists; `alumni check` lists them all."""
TO_TELL = (Status.DUE_SOON, *Status.BREACHES)
"""The statuses somebody hears about: a reminder before the deadline, a notice after it."""


@dataclass
class Notice:
    """One message the run would send (or sent), and what to record when it goes."""

    key: str
    kind: str  # reminder, breach, report, summary
    to_name: str
    to_address: str
    template: str
    context: dict[str, Any]
    marks: list[tuple[str, str, str]] = field(default_factory=list)  # (tab, ID, column)
    settles: tuple[str, ...] = ()  # further journal keys it answers for once sent


NOUNS = {
    "reminder": "reminder",
    "breach": "breach notice",
    "report": "breach report",
    "summary": "daily summary",
}
"""What each kind of notice is called in the run's output."""


@dataclass
class DeadlineReport:
    """What a deadline check saw and did; names people, never their addresses.

    `outcomes` counts the notices by what became of them once sent (`sent` stays False in a
    dry run, which sends nothing).
    """

    statuses: Counter[str] = field(default_factory=Counter)
    new_breaches: list[dict[str, Any]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    sent: bool = False
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[Finding] = field(default_factory=list)
    unflagged: int = 0
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncertain: list[str] = field(default_factory=list)
    """Notices that may or may not have gone out (this run or an earlier one), for the chair."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """Notices the server refused, with its reason: an address in Utskott to check."""


@dataclass
class OverdueResult:
    """One deadline check on its own, on the sheet at `location`: the report and the write."""

    location: str
    now: pd.Timestamp
    report: DeadlineReport
    written: ApplyResult
    mailbox: MailboxResult | None = None

    @property
    def found_problems(self) -> bool:
        report = self.report
        return bool(
            (self.mailbox is not None and self.mailbox.found_problems)
            or report.problems
            or report.unflagged
            or report.uncertain
            or report.failed
            or self.written.too_long
        )


def run(
    config: Config,
    store: Store,
    now: pd.Timestamp,
    sending: Sending | None = None,
    reader: Reader | None = None,
) -> OverdueResult:
    """The deadline check on its own, as run every hour: flag, record, notify (with
    `sending`; else a dry run that reads no journal), write. With a mailbox `reader` the
    reply times are logged from the mail first, so that no answer already sent is judged
    late on a stale sheet."""
    logged = mailbox_job.run(config, store, now, reader) if reader is not None else None
    wb = load_workbook(store.read(), config.timezone, now)
    if sending is not None:
        sending.check_kept(marks_of_sending(wb))
    changes = ChangeSet()
    report = check_deadlines(
        wb,
        config,
        now,
        changes,
        sending.known() if sending else {},
        resend=sending is not None and sending.resend_unknown,
    )
    if sending is not None:
        send_notices(report, config, sending, changes, now)
    return OverdueResult(store.location, now, report, store.apply(changes), logged)


def _hours(value: Any) -> str:
    """Hours with one decimal, as Swedish text writes them (6,5)."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.1f}".replace(".", ",")


class Committee:
    """Who is who in Utskott: addresses by name, and the chair and Näringslivsansvarig."""

    def __init__(self, wb: Workbook, config: Config) -> None:
        members = wb[MEMBERS]
        active = active_mask(members["Aktiv"])
        self.address = {
            fold(n): str(e) for n, e in zip(members["Namn"], members["E-post"], strict=True) if e
        }
        self.shown = {fold(n): str(n) for n in members["Namn"]}
        posts = fold_all(members["Post"])

        def holder(post: str) -> tuple[str, str] | None:
            rows = members[(posts == fold(post)).to_numpy(dtype=bool) & active]
            for name, address in zip(rows["Namn"], rows["E-post"], strict=True):
                if address:
                    return str(name), str(address)
            return None

        self.chair = holder(Role.CHAIR)
        self.business = holder(Role.BUSINESS)
        if self.business is None and config.deadlines.naringslivsansvarig:
            self.business = (Role.BUSINESS, config.deadlines.naringslivsansvarig)

    def of(self, name: object) -> tuple[str, str] | None:
        address = self.address.get(fold(str(name)))
        return (self.shown[fold(str(name))], address) if address and is_email(address) else None


def check_deadlines(
    wb: Workbook,
    config: Config,
    now: pd.Timestamp,
    changes: ChangeSet,
    journal: Mapping[str, Entry],
    resend: bool = False,
) -> DeadlineReport:
    """Flag every contact-log row, record new breaches, and list the notices that are due.

    Writes go into `changes` (script-owned columns only, by ID); nothing is sent here.
    `journal` says which notices went; with `resend`, a breach report of unknown fate is due
    again (--resend-uncertain).
    """
    report = DeadlineReport()
    if wb.sheets[MEMBERS].layout.title is None:
        report.problems.append(
            Finding(
                MEMBERS,
                None,
                None,
                f"the tab '{MEMBERS}' is missing: nobody can be told about deadlines",
                "add it (`alumni init` adds missing tabs)",
            )
        )
    judged = _judge(wb)
    report.problems.extend(judged.problems)
    give_missing_ids(wb, changes)
    log = wb[LOG]
    sheet = wb.sheets[LOG]
    tz = config.timezone
    flags = flag_overdue(log, now, config.deadlines.reply_hours, config.deadlines.warn_hours)
    # A row the rule may not judge is left exactly as it is: no status, colour, breach or notice.
    unjudged = ~pd.Series(judged.mask, index=flags.index)
    flags.loc[unjudged, STATUS] = NOT_FLAGGED
    flags.loc[unjudged, DELAY] = pd.NA
    flags.loc[unjudged, DUE] = pd.NaT
    flags.loc[unjudged, FLAGGED] = False
    report.flags = flags
    report.unflagged = int((~flags["flagged"] & judged.mask).sum())
    committee = Committee(wb, config)
    breaches = wb[BREACHES]
    recorded = dict(zip(breaches["Kontakt-ID"], breaches["ID"], strict=True))
    # A breach already explained or handled needs no notice, even if Rapporterad is empty.
    handled = set(
        breaches.loc[(breaches["Förklaring"] != "") | breaches["Behandlad"].notna(), "Kontakt-ID"]
    )
    number = first_free(wb, breaches["ID"].tolist(), "OV")
    unreported: list[dict[str, Any]] = []
    flagged = flags["flagged"].to_numpy(dtype=bool)
    rows = log[flagged].to_dict("records")
    # Formatted for the whole column at once: a Python call per row costs seconds at 20,000.
    due_times = flags.loc[flagged, "Svara senast"].dt.tz_convert(tz)
    # The sheet keeps plain local time (its contract); a mail names the zone, as clock.shown does.
    due_texts = due_times.dt.strftime("%Y-%m-%d %H:%M").fillna("").tolist()
    due_shown = due_times.dt.strftime("%Y-%m-%d %H:%M %Z").fillna("").tolist()
    lates = flags.loc[flagged, "Försening (h)"].astype(object).tolist()
    statuses = flags.loc[flagged, "Status"].tolist()
    report.statuses.update(statuses)
    for row, status, due, shown_due, late, due_time in zip(
        rows, statuses, due_texts, due_shown, lates, due_times.tolist(), strict=True
    ):
        contact_id = str(row["ID"])
        late_value: Value = None if late is None or pd.isna(late) else round(float(late), 1)
        changes.set(LOG, contact_id, "Svara senast", due or None)
        changes.set(LOG, contact_id, "Status", status)
        changes.set(LOG, contact_id, "Försening (h)", late_value)
        if status not in TO_TELL:
            continue  # nothing to tell anyone
        person = committee.of(row["Kontaktperson"])
        base = {
            "contact_id": contact_id,
            "alumnus": row["Alumn"],
            "project": row["Projekt"],
            "person": row["Kontaktperson"] or "(ingen kontaktperson)",
            "due": shown_due,
            "signature": config.mail.signature,
        }
        if status == Status.DUE_SOON and pd.isna(row["Påmind"]):
            if person is None:
                report.problems.append(_no_address(sheet, row, "a reminder"))
            else:
                hours_left = (due_time - now).total_seconds() / 3600
                report.notices.append(
                    Notice(
                        f"remind:{contact_id}",
                        "reminder",
                        *person,
                        "reply_reminder",
                        {**base, "person": person[0], "hours_left": _hours(hours_left)},
                        [(LOG, contact_id, "Påmind")],
                    )
                )
        if status in Status.BREACHES:
            breach_id = recorded.get(contact_id)
            if breach_id is None:
                breach_id = f"OV-{number:04d}"
                note_issued(changes, "OV", number)
                number += 1
                recorded[contact_id] = breach_id
                changes.append(
                    BREACHES,
                    {
                        "ID": breach_id,
                        "Kontakt-ID": contact_id,
                        "Datum": format_time(now, tz),
                        "Kontaktperson": row["Kontaktperson"],
                        "Alumn": row["Alumn"],
                        "Projekt": row["Projekt"],
                        "Försening (h)": late_value,
                    },
                )
                report.new_breaches.append(
                    {"id": breach_id, **base, "hours_late": _hours(late_value)}
                )
            else:
                changes.set(BREACHES, breach_id, "Försening (h)", late_value)
            if contact_id in handled:
                continue
            if pd.isna(row["Rapporterad"]):
                _breach_notices(report, committee, sheet, row, base, breach_id, late_value)
            # Rapporterad says the notices went; the report to Näringslivsansvarig is the
            # journal's to remember, and one not yet accepted is still due.
            if pd.isna(row["Rapporterad"]) or _report_pending(journal.get(f"report:{contact_id}")):
                unreported.append({"id": breach_id, **base, "hours_late": _hours(late_value)})
    _report_to_nla(report, committee, config, journal, unreported, resend)
    if not judged.blocked:
        # The heartbeat says the rule ran; a rule that could judge nothing did not.
        changes.set(OVERVIEW.name, Figure.LAST_CHECK, "Värde", format_time(now, tz))
    return report


def _judge(wb: Workbook) -> Judged:
    """The contact-log rows the 24-hour rule may judge.

    A row is left out when one of its own cells cannot be read, and also when a breach
    recorded for it cannot be read: the rule could not tell whether it was handled.
    """
    log = wb.judge(LOG, NEEDS[LOG], RULE)
    breaches = wb.judge(BREACHES, NEEDS[BREACHES], RULE)
    if breaches.blocked:
        return Judged(np.zeros_like(log.mask), [*log.problems, *breaches.problems], True)
    frame = wb[BREACHES]
    unsure = set(frame.loc[~breaches.mask, "Kontakt-ID"].astype(str))
    mask = log.mask & ~wb[LOG]["ID"].astype(str).isin(unsure).to_numpy(dtype=bool)
    return Judged(mask, [*log.problems, *breaches.problems], log.blocked)


def _no_address(sheet: Any, row: Mapping[Any, Any], what: str) -> Finding:
    col = sheet.layout.columns.get("Kontaktperson")
    return Finding(
        sheet.layout.shown,
        int(row[ROW]),
        col,
        f"{what} for {row['ID']} cannot be sent: '{row['Kontaktperson']}' has no e-mail in Utskott",
        "fill in their E-post in Utskott, or the right Kontaktperson",
        "Kontaktperson",
        row["ID"],
    )


def _breach_notices(
    report: DeadlineReport,
    committee: Committee,
    sheet: Any,
    row: Mapping[Any, Any],
    base: dict[str, Any],
    breach_id: str,
    late: Value,
) -> None:
    contact_id = str(row["ID"])
    context = {**base, "hours_late": _hours(late), "breach_id": breach_id}
    person = committee.of(row["Kontaktperson"])
    if person is None:
        report.problems.append(_no_address(sheet, row, "the breach notice"))
    recipients = [("person", person), ("chair", committee.chair)]
    for role, who in recipients:
        if who is None:
            continue
        report.notices.append(
            Notice(
                f"breach:{contact_id}:{role}",
                "breach",
                *who,
                "breach_notice",
                {**context, "recipient": who[0]},
                [(LOG, contact_id, "Rapporterad")],
            )
        )


def _report_pending(entry: Entry | None) -> bool:
    """Whether the journal knows of a report of this breach that was not accepted (yet)."""
    return entry is not None and entry.state != SENT


def _report_to_nla(
    report: DeadlineReport,
    committee: Committee,
    config: Config,
    journal: Mapping[str, Entry],
    unreported: list[dict[str, Any]],
    resend: bool,
) -> None:
    # Each breach is reported once: the journal remembers it by its contact-log ID. One the
    # server refused or put off goes again; one of unknown fate only when the chair says so.
    def due(entry: Entry | None) -> bool:
        return entry is None or (entry.state != SENT and (resend or not entry.unknown))

    keys = [f"report:{b['contact_id']}" for b in unreported]
    fresh = [b for b, key in zip(unreported, keys, strict=True) if due(journal.get(key))]
    if committee.business is None:
        return
    name, address = committee.business
    if any(key in journal and journal[key].unknown and not resend for key in keys):
        report.uncertain.append(f"{NOUNS['report']} to {name}")  # held back, not made anew
    if not fresh:
        return
    key = "report:" + ",".join(b["contact_id"] for b in fresh)
    report.notices.append(
        Notice(
            key,
            "report",
            name,
            address,
            "breach_report",
            {"recipient": name, "breaches": fresh, "signature": config.mail.signature},
            settles=tuple(f"report:{b['contact_id']}" for b in fresh),
        )
    )


def send_notices(
    report: DeadlineReport,
    config: Config,
    sending: Sending,
    changes: ChangeSet,
    now: pd.Timestamp,
) -> None:
    """Send each due notice once, and record it in Påmind or Rapporterad once it went (or an
    earlier run sent it).

    Every notice is rendered before the first goes: one whose template cannot be rendered is
    a problem and is not sent, the rest are. A mark is written once every notice that carries
    it went (a breach is Rapporterad when both the contact person and the chair have theirs),
    so a notice of unknown fate is still due, and can be sent again with --resend-uncertain.
    """
    templates = Templates(config.mail.templates)
    by_key = {notice.key: notice for notice in report.notices}
    items = []
    waiting: dict[tuple[str, str, str], set[str]] = {}
    for notice in report.notices:
        for mark in notice.marks:
            waiting.setdefault(mark, set()).add(notice.key)
        try:
            rendered = templates.render(notice.template, "sv", notice.context)
        except TemplateProblem as exc:
            report.problems.append(
                Finding(
                    notice.marks[0][0] if notice.marks else LOG,
                    None,
                    None,
                    f"the {NOUNS[notice.kind]} to {notice.to_name} was not sent: {exc}",
                    "fix the template (see README, 'E-mail templates'); the next run sends it",
                )
            )
            continue
        build = functools.partial(_message, config, notice, rendered, now)
        items.append(Prepared(notice.key, notice.to_name, build, settles=notice.settles))

    def record(outcome: Outcome) -> None:
        notice = by_key[outcome.item.key]
        if outcome.in_doubt:
            report.uncertain.append(f"{NOUNS[notice.kind]} to {notice.to_name}")
            return
        if outcome.state == FAILED:
            report.failed.append((f"{NOUNS[notice.kind]} to {notice.to_name}", outcome.reason))
            return
        if outcome.state in (SENT, ALREADY):
            when = format_time(outcome.at, config.timezone)
            for mark in notice.marks:
                waiting[mark].discard(notice.key)
                if not waiting[mark]:
                    changes.set(*mark, when)

    batch = sending.send(items, on_outcome=record)
    # One of unknown fate from an earlier run is counted as uncertain, not as sent before.
    report.outcomes = Counter(UNCERTAIN if o.in_doubt else o.state for o in batch.outcomes)
    report.sent = True


def _message(config: Config, notice: Notice, rendered: Rendered, now: pd.Timestamp) -> EmailMessage:
    return from_committee(
        config.mail,
        to_name=notice.to_name,
        to_address=notice.to_address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        now=now,
        tz=config.timezone,
        key=notice.key,
    )


def summary_notice(
    wb: Workbook,
    config: Config,
    now: pd.Timestamp,
    report: DeadlineReport,
    sections: list[dict[str, Any]] | None = None,
    problems: list[Finding] | None = None,
) -> Notice | None:
    """The chair's daily summary: first the sheet's problems (the same `alumni check` lists),
    then open replies, new and unexplained breaches, stopped checks and rows not judged."""
    chair = Committee(wb, config).chair
    if chair is None:
        return None
    tz = config.timezone
    log = wb[LOG]
    flags = report.flags
    open_rows = flags[flags["Status"].isin(Status.OPEN)].sort_values("Svara senast")
    open_replies = [
        {
            "contact_id": log.at[i, "ID"],
            "person": log.at[i, "Kontaktperson"],
            "alumnus": log.at[i, "Alumn"],
            "due": shown(due, tz),
            "status": status,
        }
        for i, due, status in zip(
            open_rows.index, open_rows["Svara senast"], open_rows["Status"], strict=True
        )
    ]
    breaches = wb[BREACHES]
    day_ago = now - pd.Timedelta(hours=24)
    recent = [
        {
            "id": r["ID"],
            "person": r["Kontaktperson"],
            "alumnus": r["Alumn"],
            "hours_late": _hours(r["Försening (h)"]),
        }
        for r in breaches[breaches["Datum"] >= day_ago].to_dict("records")
    ] + [{k: b[k] for k in ("id", "person", "alumnus", "hours_late")} for b in report.new_breaches]
    limit = now - pd.Timedelta(days=config.deadlines.unexplained_days)
    waiting = breaches[(breaches["Förklaring"] == "") & (breaches["Datum"] < limit)]
    unexplained = [
        {
            "id": r["ID"],
            "person": r["Kontaktperson"],
            "alumnus": r["Alumn"],
            "days": int((now - r["Datum"]).days),
        }
        for r in waiting.to_dict("records")
    ]
    stopped = []
    for figure, what in (
        (Figure.LAST_DAILY_RUN, "Den dagliga körningen"),
        (Figure.LAST_CHECK, "Deadlinekontrollen"),
    ):
        previous = heartbeat(wb[OVERVIEW.name], figure, tz)
        if previous is not None and now - previous > pd.Timedelta(
            hours=config.deadlines.stale_hours
        ):
            stopped.append(
                f"{what} hade stannat: förra lyckade körningen var {shown(previous, tz)}."
            )
    today = now.tz_convert(tz).strftime("%Y-%m-%d")
    context = {
        "recipient": chair[0],
        "today": today,
        "open": open_replies,
        "new_breaches": recent,
        "unexplained": unexplained,
        "stopped": stopped,
        "sections": sections or [],
        "signature": config.mail.signature,
        "problem_count": len(problems or []),
        "problems": [str(p) for p in (problems or [])[:SUMMARY_PROBLEMS]],
        "not_judged": [str(p) for p in report.problems],
    }
    return Notice(
        f"summary:{today}",
        "summary",
        *chair,
        "daily_summary",
        context,
        [(OVERVIEW.name, Figure.LAST_SUMMARY, "Värde")],
    )
