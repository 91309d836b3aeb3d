"""The one front end: parse the command line, load config, open the store, run a job, print."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple

import pandas as pd

from alumni.clock import run_time
from alumni.config import Config, load_config
from alumni.errors import AlumniError, ConfigError
from alumni.lock import hold
from alumni.output import sheet
from alumni.output.text import Masked
from alumni.sheet.store import Store

OK, PROBLEMS, FAILED = 0, 1, 2
TRIED = (
    "daily",
    "overdue",
    "invite",
    "applicants",
    "votes",
    "contact",
    "status",
    "purge",
    "mailbox",
)
"""Commands that write the sheet or send mail, and that --now without --for-real only tries."""
LOCKED = ("init", *TRIED)
"""Commands that write the sheet or send mail: one at a time, under the run lock. `init` is
among them (it saves the sheet like any run) but is never a trial: it creates the sheet."""


def _version() -> str:
    # Imported here: importlib.metadata takes 40 ms to import, and only --version needs it.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("alumni")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """--version, as argparse's own, with the version looked up only when it is asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show program's version number and exit")
        super().__init__(
            option_strings, argparse.SUPPRESS, nargs=0, default=argparse.SUPPRESS, **kwargs
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"alumni {_version()}")
        parser.exit()


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


# Tables: the options every command takes, then each command's name, its line in
# `alumni --help`, its description and its own options.
# fmt: off
COMMON = (
    _value("--config", "PATH", "configuration file (default: $ALUMNI_CONFIG, then ./config.toml)"),
    _value("--now", "TIME",
           "try what would happen at this local time, e.g. '2026-11-28 14:05': a trial run, "
           "nothing is written to the sheet or sent"),
    _switch("--for-real",
            "with --now: write and send as if it were that time (e.g. to catch up a missed day)"),
)
RESEND = _switch(
    "--resend-uncertain",
    "with --send: also send again the messages that may or may not have gone out "
    "(listed by `alumni uncertain`)",
)
NEW_JOURNAL = _switch(
    "--new-journal",
    "with --send: the send journal is lost for good; start a new one and trust the sheet's "
    "marks of what was sent",
)
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
        _switch("--send", "send the notices that are due"),
        RESEND,
        NEW_JOURNAL),
    _command("overdue",
        "§3.2/§4: the 24-hour rule on Kontaktlogg (reminders and breaches with --send)",
        """Flag every Kontaktlogg row (Svara senast, Status, Försening), record new breaches in
        Överträdelser, and list the reminders and breach notices that are due. With --send they
        go out, each exactly once (recorded in Påmind and Rapporterad).""",
        _switch("--send", "send the notices that are due"),
        RESEND,
        NEW_JOURNAL),
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
        language, and with --send send it with Reply-To the contact person and the committee's
        mailbox ([mail] committee_address, else from_address), exactly once each, writing
        Kontaktad.""",
        _value("--project", "P", "only this project's rows"),
        _switch("--send", "really send the messages"),
        _value("--limit", "N", "send at most N messages", type=int),
        _value("--test-to", "ADDRESS", "send one sample to ADDRESS only"),
        _switch("--allow-informal", "send even if the language check objects"),
        RESEND,
        NEW_JOURNAL),
    _command("mailbox",
        "§3.2: log reply times in Kontaktlogg from the committee's mailbox (IMAP, read-only)",
        """Read the mail that arrived since the last run ([imap] in the config; headers only,
        read-only) and tie each message to its contact round by its In-Reply-To/References
        chain to the first contact the tool sent (or the alumnus's address and the thread's
        subject). Fills Alumnen svarade (the alumnus's first reply) and Vi svarade (the
        committee's first answer after it) where the cell is empty or was filled by the tool;
        a time a person typed is never overwritten, and one the mail contradicts by more than
        an hour is reported. A message that fits two rounds is listed for a person. `alumni
        daily` runs this first when [imap] host is set.""",
        _value("--since", "YYYY-MM-DD",
               "how far back a first or full reading looks (default: [imap] first_days)")),
    _command("uncertain",
        "list the messages that may or may not have gone out; confirm those that arrived",
        """A message is uncertain when a run stopped after handing it to the mail server and
        before the server's answer was recorded (killed, a lost connection, a torn line in the
        send journal). None is sent again on a guess. This lists each one with a reference,
        the person and when it was tried. Ask the person; if it arrived, `--arrived REF`
        records it as sent; if it did not, the sending command with --resend-uncertain sends
        it again.""",
        _value("--arrived", "REF",
               "record these uncertain messages as arrived (e.g. invite:AK-0007)", nargs="+")),
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
        RESEND,
        NEW_JOURNAL),
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
    parser.add_argument("--version", action=_VersionAction)
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
    common = ("command", "config", "now", "for_real")
    options = {k: v for k, v in vars(args).items() if k not in common}
    result = job.run(config, store, now, **options)
    _say(SHEET_JOBS[args.command](result))
    return PROBLEMS if result.found_problems else OK


@contextlib.contextmanager
def _sending(
    args: argparse.Namespace, config: Config, now: pd.Timestamp, test_to: str | None = None
) -> Iterator[Any]:
    """A mail job's send side: None for a dry run, a sample to `test_to`, or with --send the
    journal (held for the run) and the mailer."""
    from alumni.clock import Clock
    from alumni.mail.batch import Sending

    if not (args.send or test_to):
        yield None
        return
    resend = getattr(args, "resend_uncertain", False)
    new = getattr(args, "new_journal", False)
    with Sending.open(config, Clock(now, real=not args.now), test_to, resend, new) as sending:
        try:
            yield sending
        finally:
            for damage in sending.journal.damaged:
                print(f"alumni: {damage}", file=sys.stderr)


def cmd_contact(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs import contact
    from alumni.output.mailing import render_contact, render_contact_plan

    with _sending(args, config, now, args.test_to) as sending:
        result = contact.run(
            config,
            store,
            now,
            project=args.project,
            sending=sending,
            limit=args.limit,
            allow_informal=args.allow_informal,
            resend_uncertain=args.resend_uncertain,
            announce=lambda plan: _say(render_contact_plan(plan)),
        )
    _say(render_contact(result))
    return PROBLEMS if result.found_problems else OK


def _reader(config: Config) -> Any:
    """Reading the committee's mailbox as [imap] says, for a job that takes a reader."""
    from alumni.mail.imap import read_new
    from alumni.mail.imap_open import open_imap_settings

    settings = open_imap_settings(config)
    return lambda state, since: read_new(settings, state, since=since)


def _since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is not a date — write it as YYYY-MM-DD, e.g. 2026-09-01."
        ) from None


def cmd_mailbox(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs import mailbox
    from alumni.output.mailing import render_mailbox

    result = mailbox.run(config, store, now, _reader(config), since=_since(args.since))
    _say(render_mailbox(result))
    return PROBLEMS if result.found_problems else OK


def cmd_uncertain(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs import uncertain
    from alumni.output.mailing import render_uncertain

    result = uncertain.run(config, store, now, arrived=args.arrived)
    _say(render_uncertain(result))
    return PROBLEMS if result.found_problems else OK


def cmd_notices(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    """`daily` and `overdue`: the job, with --send its notices, then what it found."""
    from alumni.output import mailing

    job = importlib.import_module(f"alumni.jobs.{args.command}")
    # Both read the mailbox first, so the deadline check judges the mail's times.
    reader = {"reader": _reader(config)} if config.imap.enabled else {}
    with _sending(args, config, now) as sending:
        result = job.run(config, store, now, sending, **reader)
    _say(getattr(mailing, f"render_{args.command}")(result))
    return PROBLEMS if result.found_problems else OK


def cmd_invite(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    from alumni.jobs import invite
    from alumni.output.mailing import render_invite, render_invite_plan
    from alumni.output.progress import progress_bar

    with _sending(args, config, now, args.test_to) as sending:
        result = invite.run(
            config,
            store,
            now,
            year=args.year,
            sending=sending,
            limit=args.limit,
            resend_uncertain=args.resend_uncertain,
            announce=lambda plan: _say(render_invite_plan(plan)),
            progress=progress_bar(),
        )
    _say(render_invite(result, config))
    return PROBLEMS if result.found_problems else OK


def cmd_schedule(args: argparse.Namespace, config: Config) -> int:
    from alumni.schedule import Job, log_in_local_time, run_daemon

    _check_ready(args, config, "daily")
    log_in_local_time(config.timezone)
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


EARLIEST = pd.Timestamp("2000-01-01")
"""No run happens before this: an earlier --now or year is a typing mistake."""


def _check_options(args: argparse.Namespace) -> None:
    """Refuse, before anything is read, an option whose value cannot be meant."""
    from alumni.addresses import check_address

    limit = getattr(args, "limit", None)
    if limit is not None and limit < 1:
        raise ConfigError(
            f"--limit must be 1 or more, not {limit} — it is the most messages this run sends; "
            "leave it out to send all that are due."
        )
    test_to = getattr(args, "test_to", None)
    if test_to is not None:
        if getattr(args, "send", False):
            raise ConfigError(
                "--test-to and --send: choose one — --test-to sends one sample to that address "
                "only, --send sends to everyone."
            )
        try:
            check_address(test_to)
        except ValueError as exc:
            raise ConfigError(f"--test-to: {exc} — give one address, e.g. your own.") from exc
    if args.for_real and not args.now:
        raise ConfigError(
            "--for-real goes with --now only (a run without --now is always for real)."
        )


def _run_time(args: argparse.Namespace, config: Config) -> pd.Timestamp:
    """The run's time, --now only within 2000-01-01 and a year from today."""
    today = pd.Timestamp.now(tz=config.timezone)
    latest = today + pd.DateOffset(years=1)
    too_far = (
        f"--now {args.now!r} is outside the years the tool can run at — give a time between "
        f"{EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d}, e.g. '{today:%Y-%m-%d} 07:00'."
    )
    try:
        now = run_time(args.now, config.timezone)
    except ConfigError:
        year = re.match(r"\s*(\d{4,})\b", args.now or "")
        if year and not EARLIEST.year <= int(year.group(1)) <= latest.year:
            raise ConfigError(too_far) from None
        raise
    if args.now and not (EARLIEST.tz_localize(config.timezone) <= now <= latest):
        raise ConfigError(too_far)
    return now


def _check_years(args: argparse.Namespace, config: Config) -> None:
    year = getattr(args, "year", None)
    latest = pd.Timestamp.now(tz=config.timezone).year + 1
    if year is not None and not EARLIEST.year <= year <= latest:
        raise ConfigError(
            f"--year {year}: give a year between {EARLIEST.year} and {latest}, "
            "e.g. the graduation year (leave it out for this year)."
        )


def _check_ready(args: argparse.Namespace, config: Config, command: str = "") -> None:
    """--send and --test-to stop here while a setting or template still holds an example;
    a dry run says in one line what would stop --send."""
    from alumni.mail.readiness import not_ready

    found = not_ready(config, command or args.command)
    real = getattr(args, "send", False) or getattr(args, "test_to", None)
    # A dry run of the daily jobs (cron's, often) stays quiet; invite and contact show the
    # message itself, so that is where a note about it belongs.
    if not found or not (real or args.command in ("invite", "contact")):
        return
    # The outbox only writes .eml files on this computer: an example there reaches nobody.
    if real and config.mail.backend != "outbox":
        flag = "--send" if getattr(args, "send", False) else "--test-to"
        lines = "\n".join(f"  {item}" for item in found)
        raise ConfigError(
            f"{flag} refused: not ready for real mail, nothing was sent and the sheet was not "
            f"touched:\n{lines}\nSee README, 'Before the first --send'."
        )
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    if config.mail.backend == "outbox":
        note = "not ready for real mail (the outbox takes it, a mail server would not)"
    else:
        note = "--send would be refused"
    print(f"alumni: {note}: {found[0]}{more}.", file=sys.stderr)


def _is_trial(args: argparse.Namespace) -> bool:
    """--now without --for-real: a command that writes or sends only tries."""
    return bool(args.now) and not args.for_real and args.command in TRIED


def _trial(args: argparse.Namespace, config: Config, store: Store, now: pd.Timestamp) -> int:
    """Run the command against a copy of the sheet in memory; say so first and last."""
    from alumni.sheet.trial import TrialStore

    for flag in ("send", "apply"):
        if getattr(args, flag, False):
            raise ConfigError(
                f"--now with --{flag}: --now is a trial, nothing is written or sent — add "
                f"--for-real to {flag} as if it were {now:%Y-%m-%d %H:%M} (e.g. to catch up a "
                f"missed day), or leave out --{flag} to try."
            )
    head = f"Trial run as of {now:%Y-%m-%d %H:%M} (--now)"
    sample = bool(getattr(args, "test_to", None))
    print(
        f"{head}: nothing is written to the sheet; only the sample goes to --test-to."
        if sample
        else f"{head}: nothing is written to the sheet and nothing is sent."
    )
    trial = TrialStore(store)
    code = COMMANDS[args.command](args, config, trial, now)
    would = trial.would_write()
    unwritten = "nothing was written to the sheet" + (
        f" (a real run would have written {would})" if would else ""
    )
    print(
        f"{head}: {unwritten}; only the sample was sent."
        if sample
        else f"{head}: {unwritten} and nothing was sent."
    )
    return code


COMMANDS: dict[str, Callable[[argparse.Namespace, Config, Store, pd.Timestamp], int]] = {
    **dict.fromkeys(SHEET_JOBS, cmd_sheet_job),
    "daily": cmd_notices,
    "invite": cmd_invite,
    "overdue": cmd_notices,
    "contact": cmd_contact,
    "uncertain": cmd_uncertain,
    "mailbox": cmd_mailbox,
}


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status instead of exiting.

    Everything it prints passes through a mask: output and logs name people, and never show
    a whole e-mail address (`a…@example.org`).
    """
    with (
        contextlib.redirect_stdout(Masked(sys.stdout)),
        contextlib.redirect_stderr(Masked(sys.stderr)),
        warnings.catch_warnings(),
    ):
        warnings.showwarning = _show_warning
        return _run(argv)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A library's warning is for the tool's developers, not the committee: one line (masked,
    like all output) under ALUMNI_DEBUG, else nothing."""
    if os.environ.get("ALUMNI_DEBUG"):
        where = f"{os.path.basename(filename)}:{lineno}"
        text = " ".join(str(message).split())
        print(f"alumni: debug: {category.__name__} at {where}: {text}", file=sys.stderr)


def _run(argv: Sequence[str] | None = None) -> int:
    from alumni.sheet.open import open_store

    try:
        args = build_parser().parse_args(argv)
        config = load_config(args.config)
        _check_options(args)
        if args.command == "schedule":
            return cmd_schedule(args, config)
        now = _run_time(args, config)
        _check_years(args, config)
        _check_ready(args, config)
        if _is_trial(args):
            return _trial(args, config, open_store(config), now)
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
    code = run(argv)
    # Left is the interpreter's shutdown, whose garbage collections would walk every object
    # pandas and openpyxl made at import: a tenth of a second of a run, for memory the end of
    # the process frees anyway. Frozen objects are left out of them. Nothing is lost by it:
    # every file the tool writes is closed by now (each is written in a with-block), and the
    # shutdown still flushes standard output and error.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    main()
