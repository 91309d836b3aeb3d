"""The `applicants` job (§3.1): assess every join request, and the chair's checklist."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from alumni.config import Config
from alumni.contract import APPLICATIONS, GRADUATES, Decision, read_decision
from alumni.findings import Finding
from alumni.rules.eligibility import NEEDS, RULE, Aliases, assess_applications
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.plan import too_long
from alumni.sheet.store import Store
from alumni.sheet.workbook import Workbook, load_workbook
from alumni.timeparse import format_time

TAB = APPLICATIONS.name
ROSTER = GRADUATES.name


@dataclass
class Checklist:
    """What the chair does next in the LinkedIn group, by name (never by address)."""

    counts: dict[str, int] = field(default_factory=dict)
    decided: int = 0
    approve_now: list[tuple[str, str, str]] = field(default_factory=list)  # ID, name, LinkedIn
    review: list[tuple[str, str, str]] = field(default_factory=list)  # ID, name, reason
    waiting: list[tuple[str, str, int]] = field(default_factory=list)  # ID, name, days
    problems: list[Finding] = field(default_factory=list)
    """Requests the check did not judge, or why it judged none: each names the cell to fix."""
    blocked: bool = False
    """True when a header the check reads is missing or doubled: no request was judged."""

    def lines(self) -> list[str]:
        """The checklist as lines of Swedish text, for the chair's daily summary."""
        if self.blocked:
            return [
                "Inga ansökningar bedömdes: en rubrik som bedömningen läser saknas eller finns två"
                " gånger (se problemen)."
            ]
        out = [
            f"{Decision.APPROVE} nu: {name} ({url or 'ingen LinkedIn-länk'})"
            for _, name, url in self.approve_now
        ]
        out += [f"{Decision.REVIEW}: {name} ({key}): {why}" for key, name, why in self.review]
        out += [
            f"Ännu inte godkänd i LinkedIn efter {days} dagar: {name} ({row_id})"
            for row_id, name, days in self.waiting
        ]
        if self.problems:
            out.append(f"Inte bedömda förrän arket är rättat: {len(self.problems)} (se problemen)")
        return out


@dataclass(frozen=True)
class ApplicantsResult:
    """The chair's checklist after assessing the sheet at `location`, and writes it skipped."""

    location: str
    now: pd.Timestamp
    checklist: Checklist
    skipped: list[Finding]

    @property
    def found_problems(self) -> bool:
        # Requests to look at by hand are the chair's daily work, not problems in the sheet;
        # a request the check could not judge is, and so is a value too long to write.
        return bool(self.checklist.problems or too_long(self.skipped))


def run(config: Config, store: Store, now: pd.Timestamp) -> ApplicantsResult:
    """Give new rows their IDs, assess every undecided request and write the assessments."""
    wb = load_workbook(store.read(), config.timezone, now)
    changes = ChangeSet()
    give_missing_ids(wb, changes)
    checklist = assess(wb, config, now, changes)
    written = store.apply(changes)
    return ApplicantsResult(store.location, now, checklist, written.skipped)


def aliases(config: Config) -> Aliases:
    """The built-in alias lists, extended by the committee's own from the config."""
    base = Aliases()
    return dataclasses.replace(
        base,
        programme=(*base.programme, *config.applicants.programme_aliases),
        university=(*base.university, *config.applicants.university_aliases),
    )


def assess(wb: Workbook, config: Config, now: pd.Timestamp, changes: ChangeSet) -> Checklist:
    """Assess every request without a chair's decision and build the checklist.

    `Bedömd` changes only when `Bedömning` or `Motivering` does, so a run that finds nothing
    new writes nothing. The chair's `Beslut` always wins and is never written. A request with
    a cell the check needs but could not read is not judged: nothing is written for it, it is
    not on the checklist, and it is among the checklist's problems. When a header the check
    reads is missing or doubled in either tab, nothing is judged at all.
    """
    judged = wb.judge(TAB, NEEDS[TAB], RULE)
    roster = wb.judge(ROSTER, NEEDS[ROSTER], RULE)
    checklist = Checklist()
    if judged.blocked or roster.blocked:
        # The roster's unreadable cells are the reader's to report (`alumni check`): they
        # only take evidence away, and a request is never approved without evidence.
        checklist.problems = [*judged.problems] + (roster.problems if roster.blocked else [])
        checklist.blocked = True
        return checklist
    checklist.problems = list(judged.problems)
    apps = wb[TAB]
    result = assess_applications(
        apps,
        wb[ROSTER],
        aliases(config),
        config.applicants.name_threshold,
        judged=judged.mask,
    )
    assessed = (result["Bedömning"] != "").to_numpy()
    counts = result.loc[assessed, "Bedömning"].value_counts()
    checklist.counts = {str(k): int(v) for k, v in counts.items()}
    checklist.decided = int((~assessed & judged.mask).sum())
    tz = config.timezone
    limit = now - pd.Timedelta(days=config.applicants.approve_within_days)
    rows = apps.to_dict("records")
    for row, ok, (verdict, reason, handled) in zip(
        rows,
        judged.mask,
        zip(result["Bedömning"], result["Motivering"], result["handled"], strict=True),
        strict=True,
    ):
        if not ok:
            continue
        row_id = str(row["ID"])
        if verdict and (verdict, reason) != (row["Bedömning"], row["Motivering"]):
            changes.set(TAB, row_id, "Bedömning", verdict)
            changes.set(TAB, row_id, "Motivering", reason)
            changes.set(TAB, row_id, "Bedömd", format_time(now, tz))
        decision = read_decision(row["Beslut"]) or verdict
        approved_in_linkedin = not pd.isna(row["Godkänd i LinkedIn"])
        if handled or approved_in_linkedin:
            continue
        if decision == Decision.APPROVE:
            checklist.approve_now.append((row_id, str(row["Namn"]), str(row["LinkedIn"])))
            since = row["Tidstämpel"] if not pd.isna(row["Tidstämpel"]) else row["Bedömd"]
            if not pd.isna(since) and since < limit:
                checklist.waiting.append((row_id, str(row["Namn"]), int((now - since).days)))
        elif decision == Decision.REVIEW:
            checklist.review.append((row_id, str(row["Namn"]) or "(namn saknas)", reason))
    return checklist
