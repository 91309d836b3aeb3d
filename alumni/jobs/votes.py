"""The `votes` job (§3.2): tally the project groups' votes and log each selected alumnus once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alumni.config import Config
from alumni.contract import CONTACT_LOG, Status, mandate_start
from alumni.findings import Finding
from alumni.rules.votes import propose_contacts, tally_votes
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import next_number
from alumni.sheet.store import Store
from alumni.sheet.workbook import Workbook, load_workbook

LOG = CONTACT_LOG.name


@dataclass
class VotesReport:
    """What a tally found: new contact-log rows, ties, ignored votes and warnings."""

    added: list[dict[str, Any]] = field(default_factory=list)
    ties: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VotesResult:
    """The tally of the sheet at `location`; votes not counted are problems in the sheet."""

    location: str
    now: pd.Timestamp
    report: VotesReport

    @property
    def found_problems(self) -> bool:
        return bool(self.report.findings)


def run(config: Config, store: Store, now: pd.Timestamp) -> VotesResult:
    """Tally the votes and append a Kontaktlogg row for each newly selected alumnus."""
    wb = load_workbook(store.read(), config.timezone)
    changes = ChangeSet()
    report = select_alumni(wb, config, now, changes)
    store.apply(changes)
    return VotesResult(store.location, now, report)


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
            "Status": Status.NOT_CONTACTED,
        }
        number += 1
        changes.append(LOG, new)
        report.added.append(new)
    return report
