"""Renders the sending jobs' results: invitations, first contacts, the deadline check, daily.

Each renderer returns the text to print without its last newline; "" means nothing to say.
"""

from __future__ import annotations

from collections import Counter
from email.message import EmailMessage
from typing import TYPE_CHECKING

from alumni.clock import shown
from alumni.config import Config
from alumni.contract import InviteStatus, Status
from alumni.mail.journal import DEFERRED, FAILED, SENT, UNCERTAIN
from alumni.mail.message import summary
from alumni.output.sheet import render_checklist, render_votes
from alumni.output.text import SHOWN_PROBLEMS, join, not_done, plural, problems

if TYPE_CHECKING:
    from alumni.jobs.contact import ContactResult
    from alumni.jobs.daily import DailyResult
    from alumni.jobs.invite import InviteResult
    from alumni.jobs.mailbox import MailboxResult
    from alumni.jobs.overdue import DeadlineReport, OverdueResult
    from alumni.jobs.uncertain import UncertainResult

RULE = "-" * 72
NOTICE_KINDS = ("reminder", "breach", "report", "summary")
UNCERTAIN_HINT = (
    "the message may have gone out; ask them, then use --resend-uncertain if it did not "
    "(see `alumni uncertain`)."
)


def mail_target(config: Config) -> str:
    """Where messages go, for the dry run's heading."""
    if config.mail.backend == "outbox":
        return f"the folder {config.mail.outbox} (.eml files; nothing leaves this computer)"
    return f"{config.smtp.host}:{config.smtp.port}"


def first_message(message: EmailMessage | None, heading: str, command: str) -> str:
    """A dry run's first message in full between rules, and how to send for real."""
    if message is None:
        return ""
    return join(
        heading,
        RULE,
        summary(message).rstrip(),
        RULE,
        f"Dry run: nothing was sent. Run `alumni {command} --send` to send them.",
    )


def render_invite_plan(result: InviteResult) -> str:
    """Who gets an invitation this run, and who waits for the chair; shown before sending."""
    lines = [
        f"Invitations for {result.year}: {result.graduates} graduates in Avgångsklass, "
        f"{result.already_sent} already invited, {len(result.outgoing)} to send."
    ]
    if result.failed_before:
        lines.append(
            "  Failed before (tried again once the address is corrected): "
            + ", ".join(result.failed_before)
        )
    if result.uncertain_before:
        lines.append(
            f"  Uncertain ({InviteStatus.UNCERTAIN}; not sent again without --resend-uncertain): "
            + ", ".join(result.uncertain_before)
        )
    return "\n".join(lines)


def render_invite(result: InviteResult, config: Config) -> str:
    """After the plan: the sample sent, the dry run's first message, or what the send did."""
    if result.sample_to:
        return (
            f"Sent one sample invitation to {result.sample_to} through {result.sample_through}.\n"
            "Nothing was sent to the graduates and the sheet was not changed."
        )
    batch = result.batch
    if batch is None:
        heading = f"\nThe first message, as it would go out through {mail_target(config)}:"
        return first_message(result.first, heading, "invite")
    failed, uncertain, deferred = (
        batch.reasons(FAILED),
        batch.names(UNCERTAIN),
        batch.reasons(DEFERRED),
    )
    lines = [
        f"Sent {len(batch.names(SENT))}, failed {len(failed)}, uncertain {len(uncertain)}, "
        f"skipped {len(deferred) + batch.not_reached}."
    ]
    lines += [
        f"  Failed: {name}: {reason} — correct the address in Avgångsklass; the next run "
        "tries it again."
        for name, reason in failed
    ]
    lines += [f"  Uncertain: {name} — {UNCERTAIN_HINT}" for name in uncertain]
    lines += [
        f"  Later: {name}: the server said {reason}; the next run tries again."
        for name, reason in deferred
    ]
    lines += not_done(result.skipped_writes)
    if batch.not_reached and not batch.capped_at and not batch.interrupted:
        lines.append(f"  Skipped: {batch.not_reached} beyond --limit; the next run sends them.")
    if batch.capped_at:
        lines.append(
            f"Stopped: the daily cap of {batch.capped_at} messages in 24 hours is reached; "
            "run again tomorrow to send the rest."
        )
    if batch.interrupted:
        lines.append("Interrupted: what was sent is recorded; run again to send the rest.")
    return "\n".join(lines)


def render_contact_plan(result: ContactResult) -> str:
    """How many first contacts are ready, and what keeps the others back; shown before sending."""
    held = [] if result.resend_uncertain else result.uncertain_before
    return join(
        f"First contacts: {len(result.outgoing) - len(held)} to send.",
        *(f"  Problem: {problem}" for problem in result.problems),
        *(f"  Informal: {finding}" for finding in result.informal),
        *(
            [f"  Uncertain (not sent again without --resend-uncertain): {', '.join(held)}"]
            if held
            else []
        ),
        *(
            [
                "  Failed before (tried again once the address in Alumner is corrected): "
                + ", ".join(result.failed_before)
            ]
            if result.failed_before
            else []
        ),
    )


def render_contact(result: ContactResult) -> str:
    """After the plan: why nothing went, the sample, the dry run's first message, or the send."""
    if result.blocked:
        return "Nothing was sent: correct the template, or add --allow-informal."
    if result.sample:
        if not result.sample_to:
            return "Nothing to send a sample of."
        return f"Sent one sample to {result.sample_to}; nothing else was sent or written."
    if result.batch is None:
        return first_message(result.first, "The first message, as it would go out:", "contact")
    return join(
        f"Sent {len(result.sent)}, failed {len(result.failed)}, "
        f"uncertain {len(result.uncertain)}, later {len(result.deferred)}.",
        *(
            f"  Failed: {name}: {reason} — correct the address in Alumner."
            for name, reason in result.failed
        ),
        *(f"  Uncertain: {name} — {UNCERTAIN_HINT}" for name in result.uncertain),
    )


def render_deadlines(report: DeadlineReport) -> str:
    """The deadline check: statuses, new breaches, the notices due or what became of them."""
    counts = ", ".join(f"{s} {report.statuses[s]}" for s in Status.ALL if report.statuses[s])
    lines = [f"  Kontaktlogg: {counts or 'no rows'}"]
    if report.unflagged:
        lines.append(
            f"  Not flagged: {report.unflagged} rows with inconsistent times (see `alumni check`)"
        )
    lines += [
        f"  New breach {breach['id']}: {breach['contact_id']}, {breach['person']} → "
        f"{breach['alumnus']}, {breach['hours_late'].replace(',', '.')} h late"
        for breach in report.new_breaches
    ]
    kinds = Counter(notice.kind for notice in report.notices)
    if not kinds:
        lines.append("  Notices: none due.")
    elif not report.sent:
        listed = ", ".join(f"{kinds[k]} {k}" for k in NOTICE_KINDS if kinds[k])
        lines.append(f"  Notices due: {listed} — dry run, nothing sent (add --send).")
    else:
        done = report.outcomes
        lines.append(
            f"  Notices: sent {done['sent']}, sent before {done['already']}, "
            f"failed {done['failed']}, later {done['deferred']}, uncertain {done['uncertain']}."
        )
        lines += [
            f"  Failed: {what}: {reason} — check the address in Utskott; the next run tries again."
            for what, reason in report.failed
        ]
        lines += [f"  Uncertain: {what} — {UNCERTAIN_HINT}" for what in report.uncertain]
    lines += [f"  Problem: {problem}" for problem in report.problems]
    return "\n".join(lines)


def render_overdue(result: OverdueResult) -> str:
    """`alumni overdue`: the deadline check under a heading, and any write that was skipped."""
    return join(
        f"Deadline check {result.now:%Y-%m-%d %H:%M} on {result.location}",
        *(mailbox_lines(result.mailbox) if result.mailbox is not None else []),
        *(f"  {finding}" for finding in (result.mailbox.problems if result.mailbox else [])),
        render_deadlines(result.report),
        *not_done(result.written.skipped),
    )


def mailbox_lines(result: MailboxResult) -> list[str]:
    """What a reading of the mailbox logged, and what a person must decide."""
    lines = [
        f"  Mailbox: {plural(result.read, 'new message')}, {result.placed} in contact threads, "
        f"{plural(len(result.filled), 'time')} logged."
    ]
    for row_id, column, at, how in result.filled:
        by = result.answered_by.get(row_id) if column == "Vi svarade" else ""
        who = f" by {by}" if by else ""
        lines.append(f"  Logged: {row_id} {column} {at}{who} (from the {_SOURCE[how]})")
    for u in result.unplaced:
        lines.append(
            f"  Could not place: {u.folder} message {u.uid} of {u.at:%Y-%m-%d %H:%M} "
            f"'{u.subject}' fits {', '.join(u.rows)} — fill in that row's time by hand."
        )
    lines += [f"  Note: {note}" for note in result.notes]
    return lines


_SOURCE = {"Date-huvudet": "Date header", "serverns ankomsttid": "server's arrival time"}


def render_mailbox(result: MailboxResult) -> str:
    """`alumni mailbox`: what was read and logged, then the times it could not log."""
    lines = [f"Mailbox read {result.now:%Y-%m-%d %H:%M} for {result.location}"]
    lines += mailbox_lines(result)
    if result.problems:
        lines.append(f"{plural(len(result.problems), 'problem')}:")
        lines.append(problems(result.problems))
    return join(*lines)


def render_daily(result: DailyResult) -> str:
    """`alumni daily`: rows, IDs, every step's news, then the sheet's problems."""
    lines = [
        f"Daily run {result.now:%Y-%m-%d %H:%M} on {result.location}",
        "  Rows: " + ", ".join(f"{tab} {n}" for tab, n in result.rows.items()),
    ]
    if result.ids_given:
        given = ", ".join(f"{tab} {n}" for tab, n in result.ids_given.items())
        lines.append(f"  IDs given to new rows: {given}")
    lines += not_done(result.written.skipped)
    if result.mailbox is not None:
        lines += mailbox_lines(result.mailbox)
        lines += [f"  {finding}" for finding in result.mailbox.problems]
    if result.votes is not None:
        lines.append(render_votes(result.votes))
    if result.applicants is not None:
        lines.append(render_checklist(result.applicants))
    if result.deadlines is not None:
        lines.append(render_deadlines(result.deadlines))
    lines.append(
        "  Översikt: not written (trial run)."
        if result.written.trial
        else "  Översikt: heartbeat written."
    )
    if result.problems:
        lines.append(f"{plural(len(result.problems), 'problem')} in the sheet:")
        lines.append(problems(result.problems, SHOWN_PROBLEMS))
    else:
        lines.append("No problems in the sheet.")
    return join(*lines)


def render_uncertain(result: UncertainResult) -> str:
    """`alumni uncertain`: what the chair just confirmed, then each message of unknown fate
    with its reference, and what to do."""
    lines = [
        f"Recorded as arrived (never sent again): {item.ref} {item.kind.noun}"
        + (f" to {item.who}" if item.who else "")
        for item in result.confirmed
    ]
    lines += [f"Note: {damage}" for damage in result.damaged]
    if not result.unsure:
        lines.append(
            "No message of unknown fate: every message in the send journal was sent, failed, "
            "or waits for the next run."
        )
        return "\n".join(lines)
    lines.append(
        f"Uncertain: {plural(len(result.unsure), 'message')} may or may not have gone out "
        "(none is sent again on a guess):"
    )
    for item in result.unsure:
        who = f" to {item.who}" if item.who else ""
        lines.append(
            f"  {item.ref}  {item.kind.noun}{who}, tried {shown(item.at, result.tz)} "
            f"({item.reason})"
        )
        lines.append(f"      if it did not arrive: {item.kind.resend}")
    lines.append(
        "Ask the person, or look in the sending account's Sent folder. If it arrived: "
        "`alumni uncertain --arrived REF` (e.g. "
        f"{result.unsure[0].ref}); if it did not: the command shown sends it again."
    )
    return "\n".join(lines)
