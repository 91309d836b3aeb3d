"""The in-process alternative to cron: `alumni schedule` runs the daily job and deadline check."""

from __future__ import annotations

import datetime
import functools
import logging
import re
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

import schedule

from alumni.errors import ConfigError
from alumni.lock import RunLock

OK, PROBLEMS, FAILED = 0, 1, 2
MEANING = {OK: "ok", PROBLEMS: "problems found", FAILED: "failed"}

# How long the daemon sleeps at a time while it waits: short enough that a stop request is
# seen within a second, long enough that waiting costs nothing.
POLL_SECONDS = 1.0

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")

_SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


@dataclass(frozen=True)
class Job:
    """One periodic job: a name for the log and a function returning the CLI's exit status
    (0 ok, 1 problems found in the sheet, 2 the run could not be done)."""

    name: str
    run: Callable[[], int]


class LocalTime(logging.Formatter):
    """Log lines stamped in the committee's time zone with the zone shown
    (`2026-12-05 13:30:00 CET`), whatever the machine's own zone is."""

    def __init__(self, tz: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.tz = ZoneInfo(tz)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        at = datetime.datetime.fromtimestamp(record.created, self.tz)
        return at.strftime(datefmt or "%Y-%m-%d %H:%M:%S %Z")


def log_in_local_time(tz: str, level: int = logging.INFO) -> None:
    """Send the tool's log lines to standard error, stamped in `tz` (see LocalTime)."""
    handler = logging.StreamHandler()
    handler.setFormatter(LocalTime(tz))
    logging.basicConfig(level=level, handlers=[handler])


def build_scheduler(
    jobs: tuple[Job, Job],
    daily_at: str,
    overdue_every_minutes: int,
    scheduler: schedule.Scheduler | None = None,
) -> schedule.Scheduler:
    """Put the two jobs, `(daily, overdue)`, on a scheduler of their own and return it.

    The daily job runs every day at `daily_at` ("HH:MM", the machine's local time, so the
    service sets TZ=Europe/Stockholm), and the deadline check every `overdue_every_minutes`
    minutes. Each job is tagged with its name, so `scheduler.get_jobs("daily")` finds it.
    Passing a scheduler adds the jobs to it instead of a new one; the module-level default
    scheduler of the `schedule` package is never touched.
    """
    daily, overdue = jobs
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", daily_at):
        raise ConfigError(
            f'[schedule] daily_at {daily_at!r} is not a time of day — write it as "HH:MM", '
            'for example "07:00".'
        )
    if isinstance(overdue_every_minutes, bool) or overdue_every_minutes < 1:
        raise ConfigError(
            f"[schedule] overdue_every_minutes is {overdue_every_minutes!r} — use a whole "
            "number of minutes, 1 or more (60 checks the deadlines hourly)."
        )
    scheduler = schedule.Scheduler() if scheduler is None else scheduler
    scheduler.every().day.at(daily_at).do(daily.run).tag(daily.name)
    scheduler.every(overdue_every_minutes).minutes.do(overdue.run).tag(overdue.name)
    return scheduler


def run_daemon(
    daily: Job,
    overdue: Job,
    *,
    daily_at: str = "07:00",
    overdue_every_minutes: int = 60,
    lock_path: Path,
    log: logging.Logger | None = None,
    scheduler: schedule.Scheduler | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
    max_ticks: int | None = None,
) -> int:
    """Run the daily job and the deadline check on time until asked to stop; returns 0.

    The deadline check runs once at start-up as well, so that a restarted daemon does not
    leave deadlines unchecked for an hour. Every run takes the lock at `lock_path` first:
    when cron's run holds it, this run is skipped with a warning and the next one is tried
    on time. A job that fails, even by raising, is logged and the daemon goes on.

    Jobs run one after the other in this thread, never two at once. SIGTERM and SIGINT
    (when this is the main thread), or setting `stop`, end the daemon after the job in
    progress; a second Ctrl-C ends it at once with KeyboardInterrupt. Each loop iteration
    waits for the next job that is due and runs it: `max_ticks` ends the loop after that
    many, for tests, as does driving the clock through `sleep` and `schedule`'s own
    `datetime.datetime.now()`.
    """
    log = logging.getLogger(__name__) if log is None else log
    stop = threading.Event() if stop is None else stop
    runner = functools.partial(_run_locked, lock_path=lock_path, log=log, stop=stop)
    guarded = tuple(Job(job.name, functools.partial(runner, job)) for job in (daily, overdue))
    scheduler = build_scheduler(
        (guarded[0], guarded[1]), daily_at, overdue_every_minutes, scheduler
    )
    with _stop_on_signals(stop) as received:
        log.info(
            "started: %s at %s, %s every %d minutes, lock %s",
            daily.name,
            daily_at,
            overdue.name,
            overdue_every_minutes,
            lock_path,
        )
        if not stop.is_set():
            guarded[1].run()
        ticks = 0
        while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
            _wait_until_due(scheduler, stop, sleep)
            if stop.is_set():
                break
            scheduler.run_pending()
            ticks += 1
    if received:
        log.info("stopped on %s, after the job in progress", signal.Signals(received[0]).name)
    else:
        log.info("stopped")
    return OK


def _run_locked(job: Job, *, lock_path: Path, log: logging.Logger, stop: threading.Event) -> int:
    # Returns the exit status the same run from cron would have had: 2 when it could not run.
    if stop.is_set():
        # Several jobs can fall due in one tick; after a stop request none more is started.
        log.info("%s: not started, stopping", job.name)
        return FAILED
    lock = RunLock(lock_path, owner=f"alumni schedule ({job.name})")
    try:
        taken = lock.acquire()
    except ConfigError as exc:
        log.error("%s: skipped: %s", job.name, exc)
        return FAILED
    if not taken:
        log.warning("%s: skipped, the next run tries again: %s", job.name, lock.busy_error())
        return FAILED
    try:
        log.info("%s: started", job.name)
        began = time.monotonic()
        status = _call(job, log)
        log.log(
            {OK: logging.INFO, PROBLEMS: logging.WARNING}.get(status, logging.ERROR),
            "%s: finished with exit status %d (%s) in %.1f s",
            job.name,
            status,
            MEANING.get(status, "failed"),
            time.monotonic() - began,
        )
        return status
    finally:
        lock.release()


def _call(job: Job, log: logging.Logger) -> int:
    try:
        status = job.run()
    except SystemExit as exc:
        # A job built on the CLI's main() exits instead of returning its status.
        status = exc.code if isinstance(exc.code, int) else (OK if exc.code is None else FAILED)
    except Exception as exc:
        # The message and traceback may quote the sheet, so addresses are blanked out.
        text = "".join(traceback.format_exception(exc)).rstrip()
        log.error("%s: raised an exception:\n%s", job.name, _ADDRESS.sub("<address>", text))
        return FAILED
    if isinstance(status, bool) or not isinstance(status, int):
        log.error("%s: returned no exit status; counted as failed", job.name)
        return FAILED
    return status


def _wait_until_due(
    scheduler: schedule.Scheduler, stop: threading.Event, sleep: Callable[[float], None]
) -> None:
    # Asking the scheduler again after each short sleep keeps the wait right when the clock
    # jumps (suspend, NTP) and lets a stop request end it within POLL_SECONDS.
    while not stop.is_set():
        idle = scheduler.idle_seconds
        if idle is not None and idle <= 0:
            return
        sleep(POLL_SECONDS if idle is None else min(idle, POLL_SECONDS))


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    # Yields the signals received, filled in by the handler; logging from inside a handler
    # could interleave with a log line being written, so the caller logs them afterwards.
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        # Python lets only the main thread install handlers; the caller stops us via `stop`.
        yield received
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signum)
        stop.set()

    previous: dict[signal.Signals, _SignalHandler] = {}
    try:
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, handle)
        yield received
    finally:
        for sig, handler in previous.items():
            # None is a handler set outside Python, which cannot be put back; the default is
            # the nearest thing.
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
