"""Renders the sheet jobs' results: init, check, the chair's checklist, votes, status, purge,
the report and the template lint.

Each renderer returns the text to print without its last newline; "" means nothing to say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from alumni.contract import Figure
from alumni.output.text import join, not_done, plural
from alumni.sheet.colours import COLOUR_RULES
from alumni.sheet.helps import COLOUR, DATE_FORMAT, DROPDOWN, FROZEN, WIDTHS

if TYPE_CHECKING:
    from alumni.jobs.applicants import ApplicantsResult, Checklist
    from alumni.jobs.check import CheckResult
    from alumni.jobs.init import InitResult
    from alumni.jobs.lint import LintResult
    from alumni.jobs.purge import PurgeResult
    from alumni.jobs.report import ReportResult
    from alumni.jobs.status import StatusResult
    from alumni.jobs.votes import VotesReport, VotesResult

NEXT_STEPS = "Next: `alumni daily` runs the daily job; `alumni check` lists problems in the sheet."


def render_init(result: InitResult) -> str:
    """What `alumni init` created or added, and what to run next."""
    added, where = result.added, result.location
    if added.created:
        lines = [f"Created {where} with {len(added.tabs_added)} tabs."]
    elif added.tabs_added or added.headers_added:
        lines = [f"Updated {where}; no existing cell was changed."]
    else:
        lines = [f"{where} already has every tab and header; nothing to add."]
    if not added.created and added.tabs_added:
        lines.append(f"  Tabs added: {', '.join(added.tabs_added)}")
    if added.headers_added:
        lines.append(f"  Headers added: {', '.join(added.headers_added)}")
    if added.rows_added:
        lines.append(
            f"  Sample rows: {added.rows_added} (made-up people; addresses at example.org)"
        )
    lines.extend(_formatting_lines(added.formatting_added))
    lines.append(NEXT_STEPS)
    return "\n".join(lines)


_FORMATTING = (
    (COLOUR, "Colours set", "rule"),
    (DROPDOWN, "Dropdowns set", "column"),
    (DATE_FORMAT, "Date formats set", "column"),
    (FROZEN, "Header row frozen", "tab"),
    (WIDTHS, "Column widths fitted", "tab"),
)


def _formatting_lines(labels: Sequence[str]) -> list[str]:
    """One line per kind of formatting init added; each label reads '<kind>: <where>'."""
    where: dict[str, list[str]] = {}
    for label in labels:
        kind, _, place = label.partition(": ")
        where.setdefault(kind, []).append(place)
    lines = []
    for kind, title, noun in _FORMATTING:
        places = where.get(kind, [])
        if kind == COLOUR and len(places) == len(COLOUR_RULES):
            lines.append(
                f"  {title}: {plural(len(places), noun)} (late red, due soon amber, answered "
                "late purple, assessments green/red/yellow)"
            )
        elif len(places) > 5:
            lines.append(f"  {title}: {plural(len(places), noun)}")
        elif places:
            lines.append(f"  {title}: {', '.join(places)}")
    known = {kind for kind, _, _ in _FORMATTING}
    other = [label for label in labels if label.partition(": ")[0] not in known]
    if other:
        lines.append(f"  Formatting set: {', '.join(other)}")
    return lines


def render_check(result: CheckResult) -> str:
    """Every problem, one a line as 'Tab!A1: what — what to do', then how many."""
    if not result.findings:
        return f"No problems in {result.location}."
    count = f"{plural(len(result.findings), 'problem')} in {result.location}."
    return join(*(str(finding) for finding in result.findings), count)


def render_status(result: StatusResult) -> str:
    """The key figures as a two-column table, the last daily run and the policy gaps."""
    width = max(len(name) for name in result.figures)
    rows = [*result.figures.items(), (Figure.LAST_DAILY_RUN, result.last_run or "aldrig")]
    return join(
        f"Status {result.now:%Y-%m-%d %H:%M} on {result.location}",
        *(f"  {name:<{width}}  {value}" for name, value in rows),
        *(f"  {gap.rule}: {gap.message}" for gap in result.gaps),
        *(f"  Not judged, fix the sheet first: {finding}" for finding in result.problems),
    )


def render_checklist(checklist: Checklist) -> str:
    """The chair's application checklist: what to approve in LinkedIn, what to look at by hand."""
    if checklist.blocked:
        # Zero counts would read as "nothing to do"; say instead that nothing was looked at.
        return "\n".join(
            ["  No request was assessed:", *(f"    {finding}" for finding in checklist.problems)]
        )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(checklist.counts.items()))
    lines = [
        f"  Assessed: {counts or 'none'}; decided by the chair: {checklist.decided}",
        f"  Approve now in LinkedIn ({len(checklist.approve_now)}):",
    ]
    lines += [
        f"    {name} ({row_id}) {url or '(no LinkedIn link)'}"
        for row_id, name, url in checklist.approve_now
    ]
    lines.append(f"  Look at by hand ({len(checklist.review)}):")
    lines += [f"    {name} ({row_id}): {reason}" for row_id, name, reason in checklist.review]
    if checklist.waiting:
        lines.append(f"  Approved but still not in LinkedIn ({len(checklist.waiting)}):")
        lines += [f"    {name} ({row_id}), {days} days" for row_id, name, days in checklist.waiting]
    if checklist.problems:
        lines.append(f"  Not judged, fix the sheet first ({len(checklist.problems)}):")
        lines += [f"    {finding}" for finding in checklist.problems]
    return "\n".join(lines)


def render_applicants(result: ApplicantsResult) -> str:
    """`alumni applicants`: the checklist under a heading, and any write that was skipped."""
    return join(
        f"Applications {result.now:%Y-%m-%d %H:%M} on {result.location}",
        render_checklist(result.checklist),
        *not_done(result.skipped),
    )


def render_votes(report: VotesReport) -> str:
    """The vote tally's news: who was selected, ties, warnings, votes not counted ("" if none)."""
    if report.blocked:
        # No selections would read as "nobody was selected"; say that nothing was counted.
        return "\n".join(
            ["  No vote was counted:", *(f"    {finding}" for finding in report.problems)]
        )
    lines = []
    for row in report.added:
        who = row["Kontaktperson"] or "no one yet"
        lines.append(
            f"  Selected: {row['Alumn']} for {row['Projekt']} ({row['ID']}), contact person {who}"
        )
    for project, alumnus in report.ties:
        lines.append(f"  Tie, not selected: {alumnus} for {project} — the group votes again")
    lines += [f"  Warning: {warning}" for warning in report.warnings]
    lines += [f"  Vote not counted: {finding}" for finding in report.findings]
    lines += [
        f"  Not decided until a vote can be read: {alumnus} for {project}"
        for project, alumnus in report.undecided
    ]
    lines += [f"  Not judged, fix the sheet first: {finding}" for finding in report.problems]
    return "\n".join(lines)


def render_tally(result: VotesResult) -> str:
    """`alumni votes`: how many were newly selected, then the tally's news (`render_votes`)."""
    return join(
        f"Votes {result.now:%Y-%m-%d %H:%M} on {result.location}: "
        f"{len(result.report.added)} newly selected",
        render_votes(result.report),
        *not_done(result.skipped),
    )


def render_purge(result: PurgeResult) -> str:
    """The rows that go (or would go), and with --apply how many went and which could not."""
    verb = "Removing" if result.applied else "Would remove"
    lines = [f"{verb} {len(result.items)} rows of personal data no longer needed:"]
    lines += [f"  {i.tab} {i.key} ({i.name}): {i.reason}" for i in result.items]
    if result.problems:
        lines.append(f"Kept, since the purge could not judge them ({len(result.problems)}):")
        lines += [f"  {finding}" for finding in result.problems]
    if not result.applied:
        if result.items:
            lines.append("Dry run: nothing was removed. Run `alumni purge --apply` to remove them.")
        return "\n".join(lines)
    lines.append(f"Removed {result.removed} rows.")
    lines += not_done(result.skipped, "Not removed")
    return "\n".join(lines)


def render_report(result: ReportResult) -> str:
    """Where the page is and how big (in kB, rounded up)."""
    size = result.length // 1024 + 1
    return f"Wrote {result.path} ({size} kB): open it in any browser; it works offline."


def render_lint(result: LintResult) -> str:
    """Every finding as 'file:line: what — what to write instead', then the counts."""
    return join(
        *(str(finding) for finding in result.findings),
        f"{result.checked} templates checked, {len(result.findings)} findings.",
    )
