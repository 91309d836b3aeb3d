"""The `votes` job (§3.2): tally the project groups' votes and log each selected alumnus once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alumni.config import Config
from alumni.contract import CONTACT_LOG, Status, mandate_start
from alumni.findings import Finding
from alumni.rules.votes import NEEDS, RULE, not_logged, propose_contacts, tally_votes
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import first_free, note_issued
from alumni.sheet.plan import too_long
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
    undecided: list[tuple[str, str]] = field(default_factory=list)
    """(Projekt, Alumn) whose count waits for a vote that could not be read."""
    problems: list[Finding] = field(default_factory=list)
    """Rows the count could not read, or why it counted nothing: each names the cell to fix."""
    blocked: bool = False
    """True when a tab or header the count reads is missing or doubled: nothing was counted."""


@dataclass(frozen=True)
class VotesResult:
    """The tally of the sheet at `location`; votes not counted are problems in the sheet."""

    location: str
    now: pd.Timestamp
    report: VotesReport
    skipped: list[Finding] = field(default_factory=list)
    """The contact-log cells the write left out, e.g. a value too long for a cell."""

    @property
    def found_problems(self) -> bool:
        return bool(self.report.findings or self.report.problems or too_long(self.skipped))


def run(config: Config, store: Store, now: pd.Timestamp) -> VotesResult:
    """Tally the votes and append a Kontaktlogg row for each newly selected alumnus."""
    wb = load_workbook(store.read(), config.timezone, now)
    changes = ChangeSet()
    report = select_alumni(wb, config, now, changes)
    written = store.apply(changes)
    return VotesResult(store.location, now, report, written.skipped)


def select_alumni(
    wb: Workbook, config: Config, now: pd.Timestamp, changes: ChangeSet
) -> VotesReport:
    """Append one Kontaktlogg row per newly selected alumnus, with a proposed contact person.

    The contact log itself remembers who was selected, so no run adds the same project and
    alumnus twice; a contact person already there, or typed by someone, is never changed.

    Nothing is counted or added while a tab or header the count reads (`NEEDS`) is missing or
    doubled: an absent Röst is not a "no", an absent Alumn in Kontaktlogg would select everyone
    again. A vote whose Röst or Tidstämpel cannot be read leaves its alumnus undecided, and a
    member whose Aktiv, Utbildad or Policy signerad cannot be read is not proposed; both are
    among the report's problems.
    """
    report = VotesReport()
    judged = {tab: wb.judge(tab, columns, RULE) for tab, columns in NEEDS.items()}
    blocked = [j for j in judged.values() if j.blocked]
    if blocked:
        report.problems = [p for j in blocked for p in j.problems]
        report.blocked = True
        return report
    # A round whose Vi svarade cannot be read counts as open (the proposal's tie-break only)
    # and its alumnus as logged: nothing is guessed, and `alumni check` names that cell.
    report.problems = [p for tab, j in judged.items() if tab != LOG for p in j.problems]
    votes = wb.sheets["Röster"].layout
    tally = tally_votes(
        wb["Röster"],
        wb["Projektgrupper"],
        wb["Alumner"],
        config.votes.majority,
        tab=votes.shown,
        columns=votes.columns,
        judged=judged["Röster"].mask,
    )
    report.findings = list(tally.findings)
    report.ties = list(zip(tally.ties["Projekt"], tally.ties["Alumn"], strict=True))
    # One already in the contact log is decided for good: what it waits for no longer matters.
    report.undecided = not_logged(tally.undecided, wb[LOG])
    start = mandate_start(now, config.mandate_start)
    proposals, report.warnings = propose_contacts(
        tally.selected,
        wb[LOG],
        wb["Projektgrupper"],
        wb["Utskott"],
        start,
        judged=judged["Utskott"].mask,
    )
    number = first_free(wb, wb[LOG]["ID"].tolist(), "KL")
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
        note_issued(changes, "KL", number - 1)
    return report
