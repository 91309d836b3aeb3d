"""The `status` job: the committee's key figures on one screen and in the Översikt tab."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alumni.clock import heartbeat_text
from alumni.config import Config
from alumni.contract import (
    APPLICATIONS,
    CONTACT_LOG,
    GRADUATES,
    OVERVIEW,
    VIOLATIONS,
    Decision,
    Figure,
    InviteStatus,
    Status,
    final_decision,
    mandate_start,
)
from alumni.findings import Finding
from alumni.rules.compliance import NEEDS, Gap, check_compliance
from alumni.rules.deadlines import ANSWERED, CONTACTED, REPLIED, flag_overdue
from alumni.sheet.changes import ChangeSet
from alumni.sheet.store import Store
from alumni.sheet.workbook import Value, Workbook, load_workbook
from alumni.timeparse import format_time, parse_time


@dataclass(frozen=True)
class StatusResult:
    """The figures as written to Översikt, the last daily run ("" if none), the policy gaps,
    and the rows or tabs a compliance rule could not judge."""

    location: str
    now: pd.Timestamp
    figures: dict[str, Value]
    last_run: str
    gaps: list[Gap]
    problems: list[Finding] = field(default_factory=list)

    @property
    def found_problems(self) -> bool:
        # Gaps are the committee's to close, not problems in the sheet; a rule that could
        # not judge a member (or anyone) is.
        return bool(self.problems)


@dataclass(frozen=True)
class Compliance:
    """The policy gaps, the cells that kept a rule from judging a row, and the rules that
    judged nothing (a tab or header they read is missing or doubled)."""

    gaps: list[Gap]
    problems: list[Finding]
    blocked: list[str]


def run(config: Config, store: Store, now: pd.Timestamp) -> StatusResult:
    """Compute the key figures and the policy gaps, and write the figures to Översikt."""
    wb = load_workbook(store.read(), config.timezone, now)
    figures = status_figures(wb, config, now)
    found = compliance(wb, config, now)
    changes = ChangeSet()
    for name, value in figures.items():
        changes.set(OVERVIEW.name, name, "Värde", value)
    store.apply(changes)
    return StatusResult(store.location, now, figures, last_run(wb), found.gaps, found.problems)


def compliance(wb: Workbook, config: Config, now: pd.Timestamp) -> Compliance:
    """§3.1, §3.2, §5 and §6 gaps, from the sheet and the configured policy revision date.

    Each rule judges only the rows whose cells it reads could be read, and nothing while a
    header it reads is missing or doubled: a member is never said to lack the training or a
    signature because a date could not be read or its column is gone.
    """
    revised = parse_time(config.policy.last_revised, config.timezone)
    judged: dict[str, Mapping[str, np.ndarray] | None] = {}
    problems: list[Finding] = []
    blocked: list[str] = []
    for rule, needs in NEEDS.items():
        verdicts = {tab: wb.judge(tab, columns, rule) for tab, columns in needs.items()}
        stopped = [v for v in verdicts.values() if v.blocked]
        if stopped:
            blocked.append(rule)
            judged[rule] = None
            problems += [p for v in stopped for p in v.problems]
        else:
            judged[rule] = {tab: v.mask for tab, v in verdicts.items()}
            problems += [p for v in verdicts.values() for p in v.problems]
    gaps = check_compliance(
        wb["Utskott"],
        wb["Projektgrupper"],
        wb["Kontaktlogg"],
        wb["Avgångsklass"],
        now,
        mandate_month_day=config.mandate_start,
        policy_last_revised=revised,
        invite_by=config.policy.invite_by,
        judged=judged,
    )
    return Compliance(gaps, problems, blocked)


def compliance_gaps(wb: Workbook, config: Config, now: pd.Timestamp) -> list[Gap]:
    """The gaps of `compliance`, for the chair's daily summary."""
    return compliance(wb, config, now).gaps


def _readable(wb: Workbook, tab: str, *columns: str) -> bool:
    """Whether the tab and these headers are there, once each: else a count would be a guess."""
    return not wb.judge(tab, columns, "the key figures").blocked


def status_figures(wb: Workbook, config: Config, now: pd.Timestamp) -> dict[str, Value]:
    """The key figures by their Swedish names, as the Översikt tab shows them.

    A figure whose tab or header is missing (or doubled) is "" rather than 0: a count of
    nothing would say "none" where the truth is "unknown". Rows with a cell that cannot be
    read are left out of the counts that need it; `alumni check` names each one.
    """
    tz = config.timezone
    figures: dict[str, Value] = {}
    unknown = ""
    apps = wb["Ansökningar"]
    this_year = apps[apps["Tidstämpel"].dt.year == now.year] if len(apps) else apps
    decided = pd.Series(
        [
            final_decision(d, a)
            for d, a in zip(this_year["Beslut"], this_year["Bedömning"], strict=True)
        ],
        dtype=object,
    )
    counted = _readable(wb, APPLICATIONS.name, "Tidstämpel")
    figures[Figure.APPLICATIONS] = len(this_year) if counted else unknown
    counted = _readable(wb, APPLICATIONS.name, "Tidstämpel", "Beslut", "Bedömning")
    for name, decision in (
        (Figure.APPLICATIONS_APPROVED, Decision.APPROVE),
        (Figure.APPLICATIONS_REJECTED, Decision.REJECT),
        (Figure.APPLICATIONS_REVIEW, Decision.REVIEW),
    ):
        figures[name] = int((decided == decision).sum()) if counted else unknown
    grads = wb["Avgångsklass"]
    status = grads.loc[(grads["Examensår"] == now.year).fillna(False), "Inbjudningsstatus"]
    counted = _readable(wb, GRADUATES.name, "Examensår", "Inbjudningsstatus")
    for name, count in (
        (Figure.INVITATIONS_SENT, (status.astype(str) == InviteStatus.SENT).sum()),
        (Figure.INVITATIONS_FAILED, status.map(InviteStatus.is_failed).sum()),
        (Figure.INVITATIONS_UNCERTAIN, (status.astype(str) == InviteStatus.UNCERTAIN).sum()),
    ):
        figures[name.format(year=now.year)] = int(count) if counted else unknown
    log = wb["Kontaktlogg"]
    figures[Figure.SELECTED] = len(log) if _readable(wb, CONTACT_LOG.name) else unknown
    # As the 24-hour rule judges them: a round whose times cannot be read is not counted open.
    times = wb.judge(CONTACT_LOG.name, (CONTACTED, REPLIED, ANSWERED), "the key figures")
    flags = flag_overdue(
        log[times.mask], now, config.deadlines.reply_hours, config.deadlines.warn_hours
    )
    open_rows = flags[flags["Status"].isin(Status.OPEN)]
    nearest = open_rows["Svara senast"].min() if len(open_rows) else pd.NaT
    figures[Figure.OPEN_REPLIES] = unknown if times.blocked else len(open_rows)
    figures[Figure.NEAREST_DUE] = format_time(nearest, tz) if not pd.isna(nearest) else ""
    start = mandate_start(now, config.mandate_start)
    breaches = wb["Överträdelser"]
    this_mandate = breaches[breaches["Datum"] >= start]
    counted = _readable(wb, VIOLATIONS.name, "Datum")
    figures[Figure.BREACHES] = len(this_mandate) if counted else unknown
    counted = _readable(wb, VIOLATIONS.name, "Datum", "Förklaring")
    explained = int((this_mandate["Förklaring"] != "").sum())
    figures[Figure.BREACHES_EXPLAINED] = explained if counted else unknown
    figures[Figure.BREACHES_UNEXPLAINED] = len(this_mandate) - explained if counted else unknown
    answered = log[(log["Alumnen svarade"] >= start) & log["Vi svarade"].notna()]
    hours = (answered["Vi svarade"] - answered["Alumnen svarade"]).dt.total_seconds() / 3600
    hours = hours[hours >= 0]
    figures[Figure.REPLY_MEDIAN] = round(float(hours.median()), 1) if len(hours) else ""
    figures[Figure.REPLY_P90] = round(float(hours.quantile(0.9)), 1) if len(hours) else ""
    found = compliance(wb, config, now)
    figures[Figure.GAPS] = unknown if found.blocked else len(found.gaps)
    return figures


def last_run(wb: Workbook) -> str:
    """The last successful daily run as the Översikt tab says it, "" when there is none."""
    return heartbeat_text(wb[OVERVIEW.name], Figure.LAST_DAILY_RUN)
