"""The one front end: parse the command line, load config, open the store, run a job, print."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd

from alumni.config import Config, load_config
from alumni.errors import AlumniError, ConfigError
from alumni.findings import Finding
from alumni.lock import hold
from alumni.output.sheet import render_checklist, render_votes
from alumni.output.text import SHOWN_PROBLEMS, Masked, problems
from alumni.sheet.changes import ChangeSet
from alumni.sheet.store import Store

OK, PROBLEMS, FAILED = 0, 1, 2
LOCKED = ("daily", "overdue", "invite", "applicants", "votes", "contact", "status", "purge")
"""Commands that write the sheet and send mail: one at a time, under the run lock."""


def _version() -> str:
    try:
        return version("alumni")
    except PackageNotFoundError:
        return "unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse's own exit code 2 is ours too; the message says what to do.
        self.print_usage(sys.stderr)
        raise ConfigError(
            f"{message} — see `alumni {self.prog.split()[-1]} --help`."
            if " " in self.prog
            else f"{message} — see `alumni --help`."
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alumni",
        description=(
            "Runs I-sektionen's alumni policy around the committee's shared sheet: "
            "checks, e-mails and reminders."
        ),
        epilog=(
            "Exit status: 0 success, 1 problems found in the sheet, 2 the run could not be done."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"alumni {_version()}")
    _add_common(parser, None)
    # The same options after the command name, so `alumni daily --config x` works as well.
    common = _Parser(add_help=False)
    _add_common(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    init = commands.add_parser(
        "init",
        parents=[common],
        help="create the sheet's tabs, headers and colours",
        description=(
            "Create the local workbook with every tab and header, or add the missing tabs and "
            "headers to a Google Sheet (existing data is never touched). Sets the colours for "
            "late contact rounds and assessments once."
        ),
    )
    init.add_argument("--demo", action="store_true", help="fill in realistic sample data")
    init.add_argument(
        "--force",
        action="store_true",
        help="replace an existing local workbook (the old file is kept as a .bak copy)",
    )
    commands.add_parser(
        "check",
        parents=[common],
        help="list every problem in the sheet",
        description=(
            "Validate the whole sheet against its layout and print every problem as "
            "'Tab!A1: what is wrong — what to do'. Writes nothing."
        ),
    )
    daily = commands.add_parser(
        "daily",
        parents=[common],
        help="the daily job: checks, IDs, votes, applications, deadlines (notices with --send)",
        description=(
            "The main job, run once a day by cron or `alumni schedule`: reads the sheet, checks "
            "it, gives new rows their IDs, tallies the votes (`alumni votes`), assesses the "
            "LinkedIn requests (`alumni applicants`), runs the deadline check (`alumni overdue`) "
            "and writes the time of the run to the Översikt tab. With --send it also sends the "
            "reminders, breach notices and the chair's daily summary that are due."
        ),
    )
    daily.add_argument("--send", action="store_true", help="send the notices that are due")
    overdue = commands.add_parser(
        "overdue",
        parents=[common],
        help="§3.2/§4: the 24-hour rule on Kontaktlogg (reminders and breaches with --send)",
        description=(
            "Flag every Kontaktlogg row (Svara senast, Status, Försening), record new breaches "
            "in Överträdelser, and list the reminders and breach notices that are due. With "
            "--send they go out, each exactly once (recorded in Påmind and Rapporterad)."
        ),
    )
    overdue.add_argument("--send", action="store_true", help="send the notices that are due")
    commands.add_parser(
        "applicants",
        parents=[common],
        help="§3.1: assess LinkedIn-group requests and print the chair's checklist",
        description=(
            "Assess every Ansökningar row without the chair's Beslut against the graduate "
            "roster (Avgångsklass) and the programme and university given: Godkänn, Avslå or "
            "Granska, with a reason (Bedömning, Motivering, Bedömd). Then print what to approve "
            "in LinkedIn now, what to look at by hand, and approvals still waiting."
        ),
    )
    commands.add_parser(
        "votes",
        parents=[common],
        help="§3.2: tally the project groups' votes; log selected alumni with a contact person",
        description=(
            "Per project, each group member's latest vote per alumnus counts; an alumnus is "
            "selected when more than half the group voted yes ([votes] majority). Each newly "
            "selected alumnus gets one Kontaktlogg row with a proposed Kontaktperson (an active, "
            "trained member of the group with the fewest open contacts). Ties and ignored votes "
            "are reported."
        ),
    )
    contact = commands.add_parser(
        "contact",
        parents=[common],
        help="§3.2: the formal first e-mail to selected alumni (dry run unless --send)",
        description=(
            "For Kontaktlogg rows not yet contacted, render the committee's formal template "
            "(templates/alumni_contact.sv.j2 or .en.j2 by the alumnus's Språk), check it for "
            "informal language, and with --send send it with Reply-To the contact person, "
            "exactly once each, writing Kontaktad."
        ),
    )
    contact.add_argument("--project", metavar="P", help="only this project's rows")
    contact.add_argument("--send", action="store_true", help="really send the messages")
    contact.add_argument("--limit", type=int, metavar="N", help="send at most N messages")
    contact.add_argument("--test-to", metavar="ADDRESS", help="send one sample to ADDRESS only")
    contact.add_argument(
        "--allow-informal", action="store_true", help="send even if the language check objects"
    )
    lint = commands.add_parser(
        "lint",
        parents=[common],
        help="check e-mail templates for informal language",
        description=(
            "Check templates (default: every template in the templates folder) for informal "
            "greetings and sign-offs, slang, emoji, '!!', shouting, and a missing greeting or "
            "signature. The word lists are templates/lint/informal.sv.txt and .en.txt."
        ),
    )
    lint.add_argument("templates", nargs="*", metavar="TEMPLATE", help="template files to check")
    commands.add_parser(
        "status",
        parents=[common],
        help="the committee's key figures on one screen (also written to Översikt)",
        description=(
            "Applications this year, invitations, selected alumni, open replies and the nearest "
            "deadline, breaches this mandate, reply times (median and 90th percentile), gaps "
            "against the policy (§3.1, §3.2 training, §5 revision, §6 signatures) and the last "
            "successful daily run. The figures are written to the Översikt tab as well."
        ),
    )
    report = commands.add_parser(
        "report",
        parents=[common],
        help="a self-contained HTML page with the year's charts",
        description=(
            "One HTML page that works offline: reply times against the 24-hour line, breaches "
            "per month, applications per graduation year (approved against rejected) and the "
            "invitation-to-application conversion, with the tables behind them."
        ),
    )
    report.add_argument("--year", type=int, metavar="YYYY", help="the year (default: this year)")
    report.add_argument(
        "--out", metavar="FILE", help="where to write it (default: report-YYYY.html)"
    )
    purge = commands.add_parser(
        "purge",
        parents=[common],
        help="remove personal data no longer needed (dry run unless --apply)",
        description=(
            "Lists, and with --apply removes, rejected applications older than [purge] "
            "rejected_after_months and graduates' rows once their invitation year is over."
        ),
    )
    purge.add_argument("--apply", action="store_true", help="really remove the rows listed")
    schedule = commands.add_parser(
        "schedule",
        parents=[common],
        help="run the daily job and the deadline check on time, until stopped",
        description=(
            "A long-running alternative to cron: the daily job at [schedule] daily_at (local "
            "time of this computer), the deadline check every [schedule] overdue_every_minutes "
            "and once at start. Logs every run; a failed run is logged and the next tick runs "
            "again. Stops cleanly on SIGTERM or Ctrl-C. A lock file keeps it and cron from "
            "running two jobs at once."
        ),
    )
    schedule.add_argument(
        "--send", action="store_true", help="let the jobs send the notices that are due"
    )
    invite = commands.add_parser(
        "invite",
        parents=[common],
        help="§3.1: send the graduating class the sign-up link (dry run unless --send)",
        description=(
            "Send every graduate of the year in Avgångsklass the invitation to the LinkedIn "
            "alumni group, exactly once each. Without --send nothing is sent: you see how many "
            "would get it and the first message in full."
        ),
    )
    invite.add_argument(
        "--year", type=int, metavar="YYYY", help="graduation year (default: this year)"
    )
    invite.add_argument("--send", action="store_true", help="really send the messages")
    invite.add_argument(
        "--limit", type=int, metavar="N", help="send at most N messages in this run"
    )
    invite.add_argument(
        "--test-to",
        metavar="ADDRESS",
        help="send one sample message to ADDRESS only (e.g. yourself)",
    )
    invite.add_argument(
        "--resend-uncertain",
        action="store_true",
        help="also send to those whose earlier message may or may not have gone out (osäker)",
    )
    return parser


def _add_common(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="configuration file (default: $ALUMNI_CONFIG, then ./config.toml)",
    )
    parser.add_argument(
        "--now",
        metavar="TIME",
        default=default,
        help="run as if it were this local time, e.g. '2026-11-28 14:05' (for trying things out)",
    )


def _now(args: argparse.Namespace, config: Config) -> pd.Timestamp:
    if not args.now:
        return pd.Timestamp.now(tz=config.timezone).floor("s")
    from alumni.timeparse import parse_time

    try:
        now = parse_time(args.now, config.timezone)
    except ValueError:
        now = None
    if now is None:
        raise ConfigError(f"--now {args.now!r} is not a time — write it as '2026-11-28 14:05'.")
    return now


def _say(text: str) -> None:
    """Print a renderer's text; an empty text (nothing to say) prints no blank line."""
    if text:
        print(text)


def _problems(findings: list[Finding], limit: int | None = None) -> None:
    _say(problems(findings, limit))


def cmd_init(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs.init import run_init

    result = run_init(store, demo=args.demo, force=args.force, now=now.to_pydatetime())
    if result.created:
        print(f"Created {store.location} with {len(result.tabs_added)} tabs.")
    elif result.tabs_added or result.headers_added:
        print(f"Updated {store.location}; no existing cell was changed.")
    else:
        print(f"{store.location} already has every tab and header; nothing to add.")
    if not result.created and result.tabs_added:
        print(f"  Tabs added: {', '.join(result.tabs_added)}")
    if result.headers_added:
        print(f"  Headers added: {', '.join(result.headers_added)}")
    if result.rows_added:
        print(f"  Sample rows: {result.rows_added} (made-up people; addresses at example.org)")
    if result.formatting_added:
        print(
            f"  Colours set: {len(result.formatting_added)} rules (late red, due soon amber, "
            "assessments green/red/yellow)"
        )
    print("Next: `alumni daily` runs the daily job; `alumni check` lists problems in the sheet.")
    return OK


def cmd_check(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs.check import run_check

    findings = run_check(store, config.timezone, now)
    if not findings:
        print(f"No problems in {store.location}.")
        return OK
    for finding in findings:
        print(finding)
    noun = "problem" if len(findings) == 1 else "problems"
    print(f"{len(findings)} {noun} in {store.location}.")
    return PROBLEMS


@contextlib.contextmanager
def _mailing(args: argparse.Namespace, config: Config, now: pd.Timestamp) -> Iterator[Any]:
    """The notices' send path: a dry run, or with --send the journal and the mailer."""
    from alumni.clock import Clock
    from alumni.jobs.overdue import Mailing
    from alumni.mail.journal import Journal
    from alumni.mail.open import open_mailer

    clock = Clock(now, real=not args.now)
    if not args.send:
        yield Mailing(config, clock)
        return
    with Journal(config.mail.journal) as journal, open_mailer(config) as mailer:
        yield Mailing(config, clock, mailer, journal)


def _print_deadlines(report: Any, sent: bool) -> None:
    from alumni.rules.deadlines import STATUSES

    counts = ", ".join(f"{s} {report.statuses[s]}" for s in STATUSES if report.statuses[s])
    print(f"  Kontaktlogg: {counts or 'no rows'}")
    if report.unflagged:
        print(
            f"  Not flagged: {report.unflagged} rows with inconsistent times (see `alumni check`)"
        )
    for breach in report.new_breaches:
        print(
            f"  New breach {breach['id']}: {breach['contact_id']}, {breach['person']} → "
            f"{breach['alumnus']}, {breach['hours_late'].replace(',', '.')} h late"
        )
    kinds = Counter(n.kind for n in report.notices)
    if not kinds:
        print("  Notices: none due.")
    elif not sent:
        listed = ", ".join(
            f"{kinds[k]} {k}" for k in ("reminder", "breach", "report", "summary") if kinds[k]
        )
        print(f"  Notices due: {listed} — dry run, nothing sent (add --send).")
    else:
        done = report.outcomes
        print(
            f"  Notices: sent {done['sent']}, sent before {done['already']}, "
            f"failed {done['failed']}, later {done['deferred']}, uncertain {done['uncertain']}."
        )
    for problem in report.problems:
        print(f"  Problem: {problem}")


def _print_checklist(checklist: Any) -> None:
    _say(render_checklist(checklist))


def cmd_applicants(
    args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp
) -> int:
    from alumni.jobs.applicants import assess
    from alumni.sheet.ids import give_missing_ids
    from alumni.sheet.workbook import load_workbook

    wb = load_workbook(store.read(), config.timezone)
    changes = ChangeSet()
    give_missing_ids(wb, changes)
    checklist = assess(wb, config, now, changes)
    written = store.apply(changes)
    print(f"Applications {now:%Y-%m-%d %H:%M} on {store.location}")
    _print_checklist(checklist)
    for skipped in written.skipped:
        print(f"  Not written: {skipped}")
    return OK


def _print_votes(report: Any) -> None:
    _say(render_votes(report))


def cmd_votes(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs.votes import select_alumni
    from alumni.sheet.workbook import load_workbook

    wb = load_workbook(store.read(), config.timezone)
    changes = ChangeSet()
    report = select_alumni(wb, config, now, changes)
    store.apply(changes)
    print(f"Votes {now:%Y-%m-%d %H:%M} on {store.location}: {len(report.added)} newly selected")
    _print_votes(report)
    return PROBLEMS if report.findings else OK


def cmd_contact(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.clock import Clock
    from alumni.jobs import contact as job
    from alumni.mail.journal import Journal
    from alumni.mail.message import summary
    from alumni.mail.open import open_mailer
    from alumni.sheet.workbook import load_workbook

    wb = load_workbook(store.read(), config.timezone)
    report = job.prepare_contacts(wb, config, now, args.project)
    print(f"First contacts: {len(report.outgoing)} to send.")
    for problem in report.problems:
        print(f"  Problem: {problem}")
    for finding in report.informal:
        print(f"  Informal: {finding}")
    if report.informal and not args.allow_informal and (args.send or args.test_to):
        print("Nothing was sent: correct the template, or add --allow-informal.")
        return PROBLEMS
    if args.test_to:
        if not report.outgoing:
            print("Nothing to send a sample of.")
            return OK
        message = report.outgoing[0].build()
        del message["To"]
        message["To"] = args.test_to
        subject = str(message["Subject"])
        del message["Subject"]
        message["Subject"] = f"[Test] {subject}"
        with open_mailer(config) as mailer:
            mailer.send(message)
        print(f"Sent one sample to {args.test_to}; nothing else was sent or written.")
        return OK
    if not args.send:
        if report.outgoing:
            print("The first message, as it would go out:")
            print("-" * 72)
            print(summary(report.outgoing[0].build()).rstrip())
            print("-" * 72)
            print("Dry run: nothing was sent. Run `alumni contact --send` to send them.")
        return PROBLEMS if report.problems else OK
    changes = ChangeSet()
    with Journal(config.mail.journal) as journal, open_mailer(config) as mailer:
        job.send_contacts(
            report, config, mailer, journal, changes, Clock(now, real=not args.now), args.limit
        )
    store.apply(changes)
    print(
        f"Sent {len(report.sent)}, failed {len(report.failed)}, uncertain {len(report.uncertain)}, "
        f"later {len(report.deferred)}."
    )
    for name, reason in report.failed:
        print(f"  Failed: {name}: {reason} — correct the address in Alumner.")
    waiting = report.problems or report.failed or report.uncertain
    return PROBLEMS if waiting else OK


def cmd_lint(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from pathlib import Path

    from alumni.jobs.contact import word_lists
    from alumni.mail.lint import lint_template_file

    lists = word_lists(config)
    paths = [Path(p) for p in args.templates] or sorted(config.mail.templates.glob("*.j2"))
    findings = []
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path}: no such template file.")
        findings += lint_template_file(path, lists)
    for finding in findings:
        print(finding)
    print(f"{len(paths)} templates checked, {len(findings)} findings.")
    return PROBLEMS if findings else OK


def cmd_status(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.contract import OVERVIEW
    from alumni.jobs.status import compliance_gaps, last_run, status_figures
    from alumni.sheet.workbook import load_workbook

    wb = load_workbook(store.read(), config.timezone)
    figures = status_figures(wb, config, now)
    gaps = compliance_gaps(wb, config, now)
    changes = ChangeSet()
    for name, value in figures.items():
        changes.set(OVERVIEW.name, name, "Värde", value)
    store.apply(changes)
    print(f"Status {now:%Y-%m-%d %H:%M} on {store.location}")
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"  {name:<{width}}  {value}")
    print(f"  {'Senaste dagliga körning':<{width}}  {last_run(wb) or 'aldrig'}")
    for gap in gaps:
        print(f"  {gap.rule}: {gap.message}")
    return OK


def cmd_report(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from pathlib import Path

    from alumni.report import build_report
    from alumni.sheet.workbook import load_workbook

    year = args.year or now.year
    wb = load_workbook(store.read(), config.timezone)
    page = build_report(wb, now, year, config.deadlines.reply_hours)
    out = Path(args.out or f"report-{year}.html")
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror} — choose another --out.") from exc
    print(f"Wrote {out} ({len(page) // 1024 + 1} kB): open it in any browser; it works offline.")
    return OK


def cmd_purge(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.rules.purge import select_purge
    from alumni.sheet.workbook import load_workbook

    wb = load_workbook(store.read(), config.timezone)
    items = select_purge(
        wb["Ansökningar"],
        wb["Avgångsklass"],
        now,
        rejected_after_months=config.purge.rejected_after_months,
    )
    verb = "Removing" if args.apply else "Would remove"
    print(f"{verb} {len(items)} rows of personal data no longer needed:")
    for item in items:
        print(f"  {item.tab} {item.key} ({item.name}): {item.reason}")
    if not args.apply:
        if items:
            print("Dry run: nothing was removed. Run `alumni purge --apply` to remove them.")
        return OK
    changes = ChangeSet()
    for item in items:
        changes.delete(item.tab, item.key)
    result = store.apply(changes)
    print(f"Removed {result.rows_deleted} rows.")
    for skipped in result.skipped:
        print(f"  Not removed: {skipped}")
    return OK


def cmd_overdue(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs.overdue import run_overdue

    with _mailing(args, config, now) as mailing:
        report, written = run_overdue(store, mailing, now)
    print(f"Deadline check {now:%Y-%m-%d %H:%M} on {store.location}")
    _print_deadlines(report, sent=args.send)
    for skipped in written.skipped:
        print(f"  Not written: {skipped}")
    return PROBLEMS if report.problems or report.unflagged else OK


def cmd_daily(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs.daily import run_daily

    with _mailing(args, config, now) as mailing:
        report = run_daily(store, config.timezone, now, mailing)
    print(f"Daily run {now:%Y-%m-%d %H:%M} on {store.location}")
    print("  Rows: " + ", ".join(f"{tab} {n}" for tab, n in report.rows.items()))
    if report.ids_given:
        given = ", ".join(f"{tab} {n}" for tab, n in report.ids_given.items())
        print(f"  IDs given to new rows: {given}")
    for skipped in report.written.skipped:
        print(f"  Not written: {skipped}")
    if report.votes is not None:
        _print_votes(report.votes)
    if report.applicants is not None:
        _print_checklist(report.applicants)
    if report.deadlines is not None:
        _print_deadlines(report.deadlines, sent=args.send)
    print("  Översikt: heartbeat written.")
    if report.problems:
        noun = "problem" if len(report.problems) == 1 else "problems"
        print(f"{len(report.problems)} {noun} in the sheet:")
        _problems(report.problems, SHOWN_PROBLEMS)
        return PROBLEMS
    print("No problems in the sheet.")
    return OK


def cmd_invite(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.clock import Clock
    from alumni.jobs import invite as job
    from alumni.mail.journal import Journal
    from alumni.mail.message import summary
    from alumni.mail.open import open_mailer
    from alumni.progress import progress_bar

    year = args.year or now.year
    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit must be 1 or more.")
    journal = Journal(config.mail.journal)
    if not args.send:
        wb = job.load_for_invite(store, config, write_ids=False)
        report, _, problems = job.prepare(
            wb, config, year, journal.entries(), now, args.resend_uncertain
        )
        job.stop_on_problems(problems)
        if args.test_to:
            try:
                message = job.test_message(report, config, year, now, args.test_to)
            except ValueError as exc:
                raise ConfigError(f"--test-to: {exc} — give one plain e-mail address.") from exc
            with open_mailer(config) as mailer:
                mailer.send(message)
            print(f"Sent one sample invitation to {args.test_to} through {mailer.description}.")
            print("Nothing was sent to the graduates and the sheet was not changed.")
            return OK
        _print_invite_plan(report, config)
        if report.outgoing:
            print(f"\nThe first message, as it would go out through {_mail_target(config)}:")
            print("-" * 72)
            print(summary(report.outgoing[0].message).rstrip())
            print("-" * 72)
            print("Dry run: nothing was sent. Run `alumni invite --send` to send them.")
        return OK
    with journal:
        wb = job.load_for_invite(store, config, write_ids=True)
        report, rows, problems = job.prepare(
            wb, config, year, journal.entries(), now, args.resend_uncertain
        )
        job.stop_on_problems(problems)
        _print_invite_plan(report, config)
        changes = ChangeSet()
        job.reconcile(rows, changes, config.timezone)
        clock = Clock(now, real=not args.now)
        with open_mailer(config) as mailer:
            sender = job.Sender(store, mailer, journal, config, clock, progress=progress_bar())
            sender.run(report, changes, args.limit)
    return _print_invite_result(report)


def _mail_target(config: Config) -> str:
    if config.mail.backend == "outbox":
        return f"the folder {config.mail.outbox} (.eml files; nothing leaves this computer)"
    return f"{config.smtp.host}:{config.smtp.port}"


def _print_invite_plan(report: object, config: Config) -> None:
    from alumni.jobs.invite import InviteReport

    assert isinstance(report, InviteReport)
    print(
        f"Invitations for {report.year}: {report.graduates} graduates in Avgångsklass, "
        f"{report.already_sent} already invited, {len(report.outgoing)} to send."
    )
    if report.failed_before:
        print(
            "  Failed before (tried again once the address is corrected): "
            + ", ".join(report.failed_before)
        )
    if report.uncertain_before:
        print(
            "  Uncertain (osäker; not sent again without --resend-uncertain): "
            + ", ".join(report.uncertain_before)
        )


def _print_invite_result(report: object) -> int:
    from alumni.jobs.invite import InviteReport

    assert isinstance(report, InviteReport)
    print(
        f"Sent {len(report.sent)}, failed {len(report.failed)}, uncertain {len(report.uncertain)}, "
        f"skipped {len(report.deferred) + report.not_reached}."
    )
    for name, reason in report.failed:
        print(
            f"  Failed: {name}: {reason} — correct the address in Avgångsklass; the next run "
            "tries it again."
        )
    for name in report.uncertain:
        print(
            f"  Uncertain: {name} — the message may have gone out; ask them, then use "
            "--resend-uncertain if it did not."
        )
    for name, reason in report.deferred:
        print(f"  Later: {name}: the server said {reason}; the next run tries again.")
    for skipped in report.skipped_writes:
        print(f"  Not written: {skipped}")
    if report.not_reached and not report.stop_reason and not report.interrupted:
        print(f"  Skipped: {report.not_reached} beyond --limit; the next run sends them.")
    if report.stop_reason:
        print(f"Stopped: {report.stop_reason}.")
    if report.interrupted:
        print("Interrupted: what was sent is recorded; run again to send the rest.")
    # Addresses to correct and messages to ask about both wait for the chair.
    waiting = report.failed or report.uncertain or report.failed_before or report.uncertain_before
    return PROBLEMS if waiting else OK


def cmd_schedule(args: argparse.Namespace, config: Config) -> int:
    import logging

    from alumni.schedule import Job, run_daemon

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    pinned = ["--config", str(config.source)] if config.source else []
    send = ["--send"] if args.send else []

    def job(command: str) -> Job:
        # In this process: a child `alumni daily` would find the daemon's own lock taken.
        return Job(command, lambda: run([command, *send, *pinned]))

    return run_daemon(
        job("daily"),
        job("overdue"),
        daily_at=config.schedule.daily_at,
        overdue_every_minutes=config.schedule.overdue_every_minutes,
        lock_path=config.schedule.lock,
    )


COMMANDS: dict[str, Callable[[argparse.Namespace, Config, Store, pd.Timestamp], int]] = {
    "init": cmd_init,
    "check": cmd_check,
    "daily": cmd_daily,
    "invite": cmd_invite,
    "overdue": cmd_overdue,
    "applicants": cmd_applicants,
    "votes": cmd_votes,
    "contact": cmd_contact,
    "lint": cmd_lint,
    "status": cmd_status,
    "report": cmd_report,
    "purge": cmd_purge,
}


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status instead of exiting.

    Everything it prints passes through a mask: output and logs name people, and never show
    a whole e-mail address (`a…@example.org`).
    """
    with (
        contextlib.redirect_stdout(Masked(sys.stdout)),
        contextlib.redirect_stderr(Masked(sys.stderr)),
    ):
        return _run(argv)


def _run(argv: Sequence[str] | None = None) -> int:
    from alumni.sheet.open import open_store

    try:
        args = build_parser().parse_args(argv)
        config = load_config(args.config)
        if args.command == "schedule":
            return cmd_schedule(args, config)
        now = _now(args, config)
        if args.command in LOCKED:
            # Cron's runs and `alumni schedule` never work on the sheet at the same time.
            with hold(config.schedule.lock, owner=f"alumni {args.command}"):
                return COMMANDS[args.command](args, config, open_store(config), now)
        return COMMANDS[args.command](args, config, open_store(config), now)
    except AlumniError as exc:
        print(f"alumni: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`alumni check | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(
            "alumni: interrupted; nothing half-written (each write is all or nothing).",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        if os.environ.get("ALUMNI_DEBUG"):
            raise
        print(
            f"alumni: unexpected error ({type(exc).__name__}: {exc}). This is a bug in the tool: "
            "run again with ALUMNI_DEBUG=1 and report the output.",
            file=sys.stderr,
        )
        return FAILED


def main(argv: Sequence[str] | None = None) -> None:
    """The console entry point."""
    sys.exit(run(argv))


if __name__ == "__main__":
    main()
