"""The `votes` job (§3.2): tally the project groups' votes and log each selected alumnus once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alumni.config import Config
from alumni.findings import Finding
from alumni.rules.votes import propose_contacts, tally_votes
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import next_number
from alumni.sheet.workbook import Workbook

LOG = "Kontaktlogg"


@dataclass
class VotesReport:
    """What a tally found: new contact-log rows, ties, ignored votes and warnings."""

    added: list[dict[str, Any]] = field(default_factory=list)
    ties: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def mandate_start(now: pd.Timestamp, month_day: str) -> pd.Timestamp:
    """The latest start of a committee year (mandate) on or before `now`."""
    month, day = (int(p) for p in month_day.split("-"))
    start = pd.Timestamp(year=now.year, month=month, day=day, tz=now.tz)
    return start if start <= now else start.replace(year=now.year - 1)


def select_alumni(
    wb: Workbook, config: Config, now: pd.Timestamp, changes: ChangeSet
) -> VotesReport:
    """Append one Kontaktlogg row per newly selected alumnus, with a proposed contact person.

    The contact log itself remembers who was selected, so no run adds the same project and
    alumnus twice; a contact person already there, or typed by someone, is never changed.
    """
    report = VotesReport()
    votes = wb.sheets["Röster"].layout
    tally = tally_votes(
        wb["Röster"],
        wb["Projektgrupper"],
        wb["Alumner"],
        config.votes.majority,
        tab=votes.shown,
        columns=votes.columns,
    )
    report.findings = list(tally.findings)
    report.ties = list(zip(tally.ties["Projekt"], tally.ties["Alumn"], strict=True))
    start = mandate_start(now, config.mandate_start)
    proposals, report.warnings = propose_contacts(
        tally.selected, wb[LOG], wb["Projektgrupper"], wb["Utskott"], start
    )
    number = next_number(wb[LOG]["ID"].tolist(), "KL")
    for row in proposals.to_dict("records"):
        new = {
            "ID": f"KL-{number:04d}",
            "Projekt": row["Projekt"],
            "Alumn": row["Alumn"],
            "Kontaktperson": row["Kontaktperson"] or None,
            "Status": "Ej kontaktad",
        }
        number += 1
        changes.append(LOG, new)
        report.added.append(new)
    return report
