"""The `status` job: the committee's key figures on one screen and in the Översikt tab."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alumni.clock import heartbeat_text
from alumni.config import Config
from alumni.contract import (
    OVERVIEW,
    Decision,
    Figure,
    InviteStatus,
    Status,
    final_decision,
    mandate_start,
)
from alumni.rules.compliance import Gap, check_compliance
from alumni.rules.deadlines import flag_overdue
from alumni.sheet.changes import ChangeSet
from alumni.sheet.store import Store
from alumni.sheet.workbook import Value, Workbook, load_workbook
from alumni.timeparse import format_time, parse_time


@dataclass(frozen=True)
class StatusResult:
    """The figures as written to Översikt, the last daily run ("" if none) and the policy gaps."""

    location: str
    now: pd.Timestamp
    figures: dict[str, Value]
    last_run: str
    gaps: list[Gap]

    @property
    def found_problems(self) -> bool:
        # Gaps are the committee's to close, not problems in the sheet: status always succeeds.
        return False


def run(config: Config, store: Store, now: pd.Timestamp) -> StatusResult:
    """Compute the key figures and the policy gaps, and write the figures to Översikt."""
    wb = load_workbook(store.read(), config.timezone)
    figures = status_figures(wb, config, now)
    gaps = compliance_gaps(wb, config, now)
    changes = ChangeSet()
    for name, value in figures.items():
        changes.set(OVERVIEW.name, name, "Värde", value)
    store.apply(changes)
    return StatusResult(store.location, now, figures, last_run(wb), gaps)


def compliance_gaps(wb: Workbook, config: Config, now: pd.Timestamp) -> list[Gap]:
    """§3.1, §3.2, §5 and §6 gaps, from the sheet and the configured policy revision date."""
    revised = parse_time(config.policy.last_revised, config.timezone)
    return check_compliance(
        wb["Utskott"],
        wb["Projektgrupper"],
        wb["Kontaktlogg"],
        wb["Avgångsklass"],
        now,
        mandate_month_day=config.mandate_start,
        policy_last_revised=revised,
        invite_by=config.policy.invite_by,
    )


def status_figures(wb: Workbook, config: Config, now: pd.Timestamp) -> dict[str, Value]:
    """The key figures by their Swedish names, as the Översikt tab shows them."""
    tz = config.timezone
    figures: dict[str, Value] = {}
    apps = wb["Ansökningar"]
    this_year = apps[apps["Tidstämpel"].dt.year == now.year] if len(apps) else apps
    decided = pd.Series(
        [
            final_decision(d, a)
            for d, a in zip(this_year["Beslut"], this_year["Bedömning"], strict=True)
        ],
        dtype=object,
    )
    figures[Figure.APPLICATIONS] = len(this_year)
    figures[Figure.APPLICATIONS_APPROVED] = int((decided == Decision.APPROVE).sum())
    figures[Figure.APPLICATIONS_REJECTED] = int((decided == Decision.REJECT).sum())
    figures[Figure.APPLICATIONS_REVIEW] = int((decided == Decision.REVIEW).sum())
    grads = wb["Avgångsklass"]
    status = grads.loc[grads["Examensår"] == now.year, "Inbjudningsstatus"]
    figures[Figure.INVITATIONS_SENT.format(year=now.year)] = int(
        (status.astype(str) == InviteStatus.SENT).sum()
    )
    figures[Figure.INVITATIONS_FAILED.format(year=now.year)] = int(
        status.map(InviteStatus.is_failed).sum()
    )
    figures[Figure.INVITATIONS_UNCERTAIN.format(year=now.year)] = int(
        (status.astype(str) == InviteStatus.UNCERTAIN).sum()
    )
    log = wb["Kontaktlogg"]
    figures[Figure.SELECTED] = len(log)
    flags = flag_overdue(log, now, config.deadlines.reply_hours, config.deadlines.warn_hours)
    open_rows = flags[flags["Status"].isin(Status.OPEN)]
    figures[Figure.OPEN_REPLIES] = len(open_rows)
    nearest = open_rows["Svara senast"].min() if len(open_rows) else pd.NaT
    figures[Figure.NEAREST_DUE] = format_time(nearest, tz) if not pd.isna(nearest) else ""
    start = mandate_start(now, config.mandate_start)
    breaches = wb["Överträdelser"]
    this_mandate = breaches[breaches["Datum"] >= start]
    figures[Figure.BREACHES] = len(this_mandate)
    figures[Figure.BREACHES_EXPLAINED] = int((this_mandate["Förklaring"] != "").sum())
    figures[Figure.BREACHES_UNEXPLAINED] = int((this_mandate["Förklaring"] == "").sum())
    answered = log[(log["Alumnen svarade"] >= start) & log["Vi svarade"].notna()]
    hours = (answered["Vi svarade"] - answered["Alumnen svarade"]).dt.total_seconds() / 3600
    hours = hours[hours >= 0]
    figures[Figure.REPLY_MEDIAN] = round(float(hours.median()), 1) if len(hours) else ""
    figures[Figure.REPLY_P90] = round(float(hours.quantile(0.9)), 1) if len(hours) else ""
    figures[Figure.GAPS] = len(compliance_gaps(wb, config, now))
    return figures


def last_run(wb: Workbook) -> str:
    """The last successful daily run as the Översikt tab says it, "" when there is none."""
    return heartbeat_text(wb[OVERVIEW.name], Figure.LAST_DAILY_RUN)
