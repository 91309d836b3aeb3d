"""Renders the sheet jobs' results: checks, the chair's checklist, votes, status, purge, report."""

from __future__ import annotations

from typing import Any


def render_checklist(checklist: Any) -> str:
    """The chair's application checklist: what to approve in LinkedIn, what to look at by hand."""
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
    return "\n".join(lines)


def render_votes(report: Any) -> str:
    """The vote tally's news: who was selected, ties, warnings, votes not counted ("" if none)."""
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
    return "\n".join(lines)
