"""The `daily` job: checks, IDs, the committee's daily steps and the heartbeat, in one write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alumni.checks import check_workbook
from alumni.clock import heartbeat
from alumni.config import Config
from alumni.contract import COMMITTEE, OVERVIEW, TABS, Figure, Role
from alumni.findings import Finding
from alumni.jobs import mailbox as mailbox_job
from alumni.jobs.applicants import Checklist, assess
from alumni.jobs.mailbox import MailboxResult, Reader
from alumni.jobs.overdue import DeadlineReport, check_deadlines, send_notices, summary_notice
from alumni.jobs.status import compliance_gaps, status_figures
from alumni.jobs.votes import VotesReport, select_alumni
from alumni.mail.batch import Sending
from alumni.mail.marks import marks_of_sending
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.plan import apply_plan, plan_changes
from alumni.sheet.store import ApplyResult, Store
from alumni.sheet.workbook import Value, Workbook, load_workbook
from alumni.timeparse import format_time


@dataclass
class DailyResult:
    """What one daily run saw and did on the sheet at `location`."""

    location: str
    now: pd.Timestamp
    rows: dict[str, int]
    problems: list[Finding]
    ids_given: dict[str, int]
    written: ApplyResult = field(default_factory=ApplyResult)
    deadlines: DeadlineReport | None = None
    applicants: Checklist | None = None
    votes: VotesReport | None = None
    mailbox: MailboxResult | None = None

    @property
    def found_problems(self) -> bool:
        steps = (
            self.mailbox is not None and self.mailbox.found_problems,
            self.deadlines is not None
            and bool(self.deadlines.problems or self.deadlines.uncertain or self.deadlines.failed),
            self.votes is not None and bool(self.votes.findings or self.votes.problems),
            self.applicants is not None and bool(self.applicants.problems),
        )
        return bool(self.problems or self.written.too_long) or any(steps)


def mail_section(logged: MailboxResult) -> dict[str, Any]:
    """The chair's summary section on the mailbox: how many times were logged from mail, and
    each message that could not be placed (in Swedish, as the summary is)."""
    lines = [f"Tider loggade från e-posten: {len(logged.filled)}"]
    lines += [
        f"Kunde inte placeras: meddelande {u.uid} i {u.folder} ({u.at:%Y-%m-%d %H:%M}, "
        f"'{u.subject}') passar {', '.join(u.rows)} — fyll i tiden för hand."
        for u in logged.unplaced
    ]
    return {"title": "Svar i utskottets brevlåda", "lines": lines}


def _summary_sent_today(wb: Workbook, tz: str, now: pd.Timestamp) -> bool:
    """Whether Översikt says today's summary went: the journal says so too, unless it was
    lost, and then the sheet keeps the chair from a second summary the same day."""
    last = heartbeat(wb[OVERVIEW.name], Figure.LAST_SUMMARY, tz)
    return last is not None and last.tz_convert(tz).date() == now.tz_convert(tz).date()


def overview_figures(wb: Workbook, problems: list[Finding], now: pd.Timestamp) -> dict[str, Value]:
    """The key figures for the Översikt tab, by their Swedish names."""
    figures: dict[str, Value] = {
        Figure.LAST_DAILY_RUN: format_time(now, wb.tz),
        Figure.PROBLEMS: len(problems),
    }
    for tab in TABS:
        if tab is not OVERVIEW:
            figures[Figure.ROWS_IN.format(tab=tab.name)] = len(wb[tab.name])
    return figures


def run(
    config: Config,
    store: Store,
    now: pd.Timestamp,
    sending: Sending | None = None,
    *,
    steps: bool = True,
    reader: Reader | None = None,
) -> DailyResult:
    """The main job, once a day: check the sheet and give IDs; with `steps` also the votes,
    the applications, the deadline check and the status figures, and the notices that are
    due with the chair's daily summary (sent with `sending`; else a dry run). Writes once,
    after the mailbox's reply times are logged when there is a mailbox `reader` (a mailbox
    that cannot be read stops the run: the deadline check must not judge stale times).

    The Översikt figures describe the sheet as this run leaves it, not as it found it.
    """
    logged = mailbox_job.run(config, store, now, reader) if reader is not None else None
    raw = store.read()
    wb = load_workbook(raw, config.timezone, now)
    if sending is not None:
        sending.check_kept(marks_of_sending(wb))
    problems = check_workbook(wb, now)
    changes = ChangeSet()
    ids = give_missing_ids(wb, changes)
    result = DailyResult(store.location, now, {}, problems, ids, mailbox=logged)
    deadlines: DeadlineReport | None = None
    if steps:
        result.applicants = assess(wb, config, now, changes)
        result.votes = select_alumni(wb, config, now, changes)
        deadlines = check_deadlines(
            wb,
            config,
            now,
            changes,
            sending.known() if sending else {},
            resend=sending is not None and sending.resend_unknown,
        )
        result.deadlines = deadlines
    planned = plan_changes(changes, raw, store.max_cell_chars)
    after = load_workbook(apply_plan(planned, raw), config.timezone, now)
    if steps:
        for name, value in status_figures(after, config, now).items():
            changes.set(OVERVIEW.name, name, "Värde", value)
    for name, value in overview_figures(after, problems, now).items():
        changes.set(OVERVIEW.name, name, "Värde", value)
    if deadlines is not None and result.applicants is not None:
        gaps = compliance_gaps(after, config, now)
        sections = [
            *([mail_section(logged)] if logged is not None else []),
            {"title": "Ansökningar till LinkedIn-gruppen", "lines": result.applicants.lines()},
            {"title": Figure.GAPS, "lines": [f"{g.rule}: {g.message}" for g in gaps]},
        ]
        summary = summary_notice(wb, config, now, deadlines, sections, problems)
        if summary is not None:
            if not _summary_sent_today(wb, config.timezone, now):
                deadlines.notices.append(summary)
        else:
            deadlines.problems.append(
                Finding(
                    COMMITTEE.name,
                    None,
                    None,
                    f"no active {Role.CHAIR} with an e-mail address: the chair's daily summary "
                    "cannot be sent",
                    f"write {Role.CHAIR} in Post and the address in E-post for the chair",
                )
            )
        if sending is not None:
            send_notices(deadlines, config, sending, changes, now)
    result.written = store.apply(changes)
    result.rows = {t.name: len(wb[t.name]) for t in TABS if t is not OVERVIEW}
    return result
