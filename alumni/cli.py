"""The one front end: parse the command line, load config, open the store, run a job, print."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NamedTuple

import pandas as pd

from alumni.clock import run_time
from alumni.config import Config, load_config
from alumni.errors import AlumniError, ConfigError
from alumni.findings import Finding
from alumni.lock import hold
from alumni.output import sheet
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


Option = tuple[str, dict[str, Any]]


class Command(NamedTuple):
    """One subcommand as `alumni --help` and `alumni NAME --help` describe it."""

    name: str
    help: str
    description: str
    options: tuple[Option, ...]


def _command(name: str, help: str, description: str, *options: Option) -> Command:
    # Written across lines in the table below; argparse fills the text to the terminal anyway.
    return Command(name, help, " ".join(description.split()), options)


def _switch(name: str, text: str) -> Option:
    return name, {"action": "store_true", "help": text}


def _value(name: str, metavar: str, text: str, **kind: Any) -> Option:
    return name, {"metavar": metavar, "help": text, **kind}


COMMON = (
    _value("--config", "PATH", "configuration file (default: $ALUMNI_CONFIG, then ./config.toml)"),
    _value(
        "--now",
        "TIME",
        "run as if it were this local time, e.g. '2026-11-28 14:05' (for trying things out)",
    ),
)

# A table: each command's name, its line in `alumni --help`, its description, its own options.
# fmt: off
COMMAND_LINE = (
    _command("init",
        "create the sheet's tabs, headers and colours",
        """Create the local workbook with every tab and header, or add the missing tabs and headers
        to a Google Sheet (existing data is never touched). Sets the colours for late contact
        rounds and assessments once.""",
        _switch("--demo", "fill in realistic sample data"),
        _switch("--force",
                "replace an existing local workbook (the old file is kept as a .bak copy)")),
    _command("check",
        "list every problem in the sheet",
        """Validate the whole sheet against its layout and print every problem as 'Tab!A1: what is
        wrong — what to do'. Writes nothing."""),
    _command("daily",
        "the daily job: checks, IDs, votes, applications, deadlines (notices with --send)",
        """The main job, run once a day by cron or `alumni schedule`: reads the sheet, checks it,
        gives new rows their IDs, tallies the votes (`alumni votes`), assesses the LinkedIn
        requests (`alumni applicants`), runs the deadline check (`alumni overdue`) and writes the
        time of the run to the Översikt tab. With --send it also sends the reminders, breach
        notices and the chair's daily summary that are due.""",
        _switch("--send", "send the notices that are due")),
    _command("overdue",
        "§3.2/§4: the 24-hour rule on Kontaktlogg (reminders and breaches with --send)",
        """Flag every Kontaktlogg row (Svara senast, Status, Försening), record new breaches in
        Överträdelser, and list the reminders and breach notices that are due. With --send they
        go out, each exactly once (recorded in Påmind and Rapporterad).""",
        _switch("--send", "send the notices that are due")),
    _command("applicants",
        "§3.1: assess LinkedIn-group requests and print the chair's checklist",
        """Assess every Ansökningar row without the chair's Beslut against the graduate roster
        (Avgångsklass) and the programme and university given: Godkänn, Avslå or Granska, with a
        reason (Bedömning, Motivering, Bedömd). Then print what to approve in LinkedIn now, what
        to look at by hand, and approvals still waiting."""),
    _command("votes",
        "§3.2: tally the project groups' votes; log selected alumni with a contact person",
        """Per project, each group member's latest vote per alumnus counts; an alumnus is selected
        when more than half the group voted yes ([votes] majority). Each newly selected alumnus
        gets one Kontaktlogg row with a proposed Kontaktperson (an active, trained member of the
        group with the fewest open contacts). Ties and ignored votes are reported."""),
    _command("contact",
        "§3.2: the formal first e-mail to selected alumni (dry run unless --send)",
        """For Kontaktlogg rows not yet contacted, render the committee's formal template
        (templates/alumni_contact.sv.j2 or .en.j2 by the alumnus's Språk), check it for informal
        language, and with --send send it with Reply-To the contact person, exactly once each,
        writing Kontaktad.""",
        _value("--project", "P", "only this project's rows"),
        _switch("--send", "really send the messages"),
        _value("--limit", "N", "send at most N messages", type=int),
        _value("--test-to", "ADDRESS", "send one sample to ADDRESS only"),
        _switch("--allow-informal", "send even if the language check objects")),
    _command("lint",
        "check e-mail templates for informal language",
        """Check templates (default: every template in the templates folder) for informal greetings
        and sign-offs, slang, emoji, '!!', shouting, and a missing greeting or signature. The
        word lists are templates/lint/informal.sv.txt and .en.txt.""",
        _value("templates", "TEMPLATE", "template files to check", nargs="*")),
    _command("status",
        "the committee's key figures on one screen (also written to Översikt)",
        """Applications this year, invitations, selected alumni, open replies and the nearest
        deadline, breaches this mandate, reply times (median and 90th percentile), gaps against
        the policy (§3.1, §3.2 training, §5 revision, §6 signatures) and the last successful
        daily run. The figures are written to the Översikt tab as well."""),
    _command("report",
        "a self-contained HTML page with the year's charts",
        """One HTML page that works offline: reply times against the 24-hour line, breaches per
        month, applications per graduation year (approved against rejected) and the
        invitation-to-application conversion, with the tables behind them.""",
        _value("--year", "YYYY", "the year (default: this year)", type=int),
        _value("--out", "FILE", "where to write it (default: report-YYYY.html)")),
    _command("purge",
        "remove personal data no longer needed (dry run unless --apply)",
        """Lists, and with --apply removes, rejected applications older than [purge]
        rejected_after_months and graduates' rows once their invitation year is over.""",
        _switch("--apply", "really remove the rows listed")),
    _command("schedule",
        "run the daily job and the deadline check on time, until stopped",
        """A long-running alternative to cron: the daily job at [schedule] daily_at (local time of
        this computer), the deadline check every [schedule] overdue_every_minutes and once at
        start. Logs every run; a failed run is logged and the next tick runs again. Stops cleanly
        on SIGTERM or Ctrl-C. A lock file keeps it and cron from running two jobs at once.""",
        _switch("--send", "let the jobs send the notices that are due")),
    _command("invite",
        "§3.1: send the graduating class the sign-up link (dry run unless --send)",
        """Send every graduate of the year in Avgångsklass the invitation to the LinkedIn alumni
        group, exactly once each. Without --send nothing is sent: you see how many would get it
        and the first message in full.""",
        _value("--year", "YYYY", "graduation year (default: this year)", type=int),
        _switch("--send", "really send the messages"),
        _value("--limit", "N", "send at most N messages in this run", type=int),
        _value("--test-to", "ADDRESS", "send one sample message to ADDRESS only (e.g. yourself)"),
        _switch("--resend-uncertain",
                "also send to those whose earlier message may or may not have gone out (osäker)")),
)
# fmt: on


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
    # The same options after the command name, so `alumni daily --config x` works as well.
    common = _Parser(add_help=False)
    for name, settings in COMMON:
        parser.add_argument(name, default=None, **settings)
        common.add_argument(name, default=argparse.SUPPRESS, **settings)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for command in COMMAND_LINE:
        sub = commands.add_parser(
            command.name, parents=[common], help=command.help, description=command.description
        )
        for name, settings in command.options:
            sub.add_argument(name, **settings)
    return parser


def _say(text: str) -> None:
    """Print a renderer's text; an empty text (nothing to say) prints no blank line."""
    if text:
        print(text)


def _problems(findings: list[Finding], limit: int | None = None) -> None:
    _say(problems(findings, limit))


SHEET_JOBS: dict[str, Callable[[Any], str]] = {
    "init": sheet.render_init,
    "check": sheet.render_check,
    "applicants": sheet.render_applicants,
    "votes": sheet.render_tally,
    "lint": sheet.render_lint,
    "status": sheet.render_status,
    "report": sheet.render_report,
    "purge": sheet.render_purge,
}
"""The commands whose job is `alumni.jobs.<command>.run`, and the renderer of its result."""


def cmd_sheet_job(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    """Run `alumni.jobs.<command>` with the command's own options, print what it found."""
    job = importlib.import_module(f"alumni.jobs.{args.command}")
    options = {k: v for k, v in vars(args).items() if k not in ("command", "config", "now")}
    result = job.run(config, store, now, **options)
    _say(SHEET_JOBS[args.command](result))
    return PROBLEMS if result.found_problems else OK


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
    _say(sheet.render_checklist(checklist))


def _print_votes(report: Any) -> None:
    _say(sheet.render_votes(report))


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
    **dict.fromkeys(SHEET_JOBS, cmd_sheet_job),
    "daily": cmd_daily,
    "invite": cmd_invite,
    "overdue": cmd_overdue,
    "contact": cmd_contact,
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
        now = run_time(args.now, config.timezone)
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
