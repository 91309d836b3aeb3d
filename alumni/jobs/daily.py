"""The `daily` job: read the sheet, check it, give rows their IDs and write the heartbeat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alumni.checks import check_workbook
from alumni.contract import OVERVIEW, TABS
from alumni.findings import Finding
from alumni.jobs.applicants import assess
from alumni.jobs.overdue import Mailing, check_deadlines, summary_notice
from alumni.jobs.status import compliance_gaps, status_figures
from alumni.jobs.votes import select_alumni
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.store import ApplyResult, Store
from alumni.sheet.workbook import Value, Workbook, load_workbook
from alumni.timeparse import format_time

LAST_DAILY_RUN = "Senaste dagliga körning"
PROBLEMS = "Problem i arket"


@dataclass
class DailyReport:
    """What one daily run saw and did."""

    rows: dict[str, int]
    problems: list[Finding]
    ids_given: dict[str, int]
    written: ApplyResult = field(default_factory=ApplyResult)
    deadlines: Any = None
    applicants: Any = None
    votes: Any = None


def overview_figures(wb: Workbook, problems: list[Finding], now: pd.Timestamp) -> dict[str, Value]:
    """The key figures for the Översikt tab, by their Swedish names."""
    figures: dict[str, Value] = {LAST_DAILY_RUN: format_time(now, wb.tz), PROBLEMS: len(problems)}
    for tab in TABS:
        if tab is not OVERVIEW:
            figures[f"Rader i {tab.name}"] = len(wb[tab.name])
    return figures


def run_daily(
    store: Store, tz: str, now: pd.Timestamp, mailing: Mailing | None = None
) -> DailyReport:
    """The main job, once a day: check the sheet, give IDs, and (with `mailing`) the deadline
    check with its notices and the chair's daily summary. Later steps join it here."""
    wb = load_workbook(store.read(), tz)
    problems = check_workbook(wb, now)
    changes = ChangeSet()
    ids = give_missing_ids(wb, changes)
    deadlines = checklist = votes = None
    if mailing is not None:
        checklist = assess(wb, mailing.config, now, changes)
        votes = select_alumni(wb, mailing.config, now, changes)
        deadlines = check_deadlines(wb, mailing.config, now, changes, mailing.entries())
        gaps = compliance_gaps(wb, mailing.config, now)
        sections = [
            {"title": "Ansökningar till LinkedIn-gruppen", "lines": checklist.lines()},
            {"title": "Brister mot policyn", "lines": [f"{g.rule}: {g.message}" for g in gaps]},
        ]
        for name, value in status_figures(wb, mailing.config, now).items():
            changes.set(OVERVIEW.name, name, "Värde", value)
        summary = summary_notice(wb, mailing.config, now, deadlines, sections)
        if summary is not None:
            deadlines.notices.append(summary)
        mailing.send(deadlines, changes, now)
    for name, value in overview_figures(wb, problems, now).items():
        changes.set(OVERVIEW.name, name, "Värde", value)
    written = store.apply(changes)
    rows = {t.name: len(wb[t.name]) for t in TABS if t is not OVERVIEW}
    return DailyReport(rows, problems, ids, written, deadlines, checklist, votes)
