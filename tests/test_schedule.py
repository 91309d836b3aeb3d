"""The run lock between processes and the `alumni schedule` daemon, on a fake clock."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import schedule

from alumni.errors import AlumniError, ConfigError
from alumni.lock import RunLock, RunLocked, hold
from alumni.schedule import POLL_SECONDS, Job, LocalTime, build_scheduler, run_daemon

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2026, 11, 28, 6, 30)

# A stand-in for a cron run: takes the lock, says so, and waits for a line on stdin.
HOLDER = """
import sys
from pathlib import Path
from alumni.lock import RunLock
lock = RunLock(Path(sys.argv[1]), owner="alumni overdue (cron)")
assert lock.acquire()
print("held", flush=True)
if sys.stdin.readline().strip() == "release":
    lock.release()
    print("released", flush=True)
    sys.stdin.readline()
"""


@contextmanager
def other_process(path: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert proc.stdout.readline() == "held\n"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()


def holder_file(path: Path) -> Path:
    return path.with_name(path.name + ".holder")


def free_elsewhere(path: Path) -> bool:
    """Whether another thread could take the lock now (this thread might nest instead)."""
    result: list[bool] = []

    def attempt() -> None:
        other = RunLock(path)
        result.append(other.acquire())
        other.release()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return result[0]


class FakeClock:
    """The time as the `schedule` package sees it; sleeping moves it on, instantly."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(START)

    class FakeDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> FakeDatetime:  # type: ignore[override]
            assert tz is None, "the daemon uses local time, without pytz"
            return fake.now  # type: ignore[return-value]

    shim = SimpleNamespace(datetime=FakeDatetime, timedelta=dt.timedelta, time=dt.time)
    monkeypatch.setattr(schedule, "datetime", shim)
    return fake


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "alumni.lock"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="alumni.schedule")
    return caplog


def recording(
    name: str, clock: FakeClock, runs: list[tuple[str, dt.datetime]], status: int = 0
) -> Job:
    def run() -> int:
        runs.append((name, clock.now))
        return status

    return Job(name, run)


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "alumni.schedule"]


# The lock


def test_another_process_cannot_hold_the_lock(lock_path: Path) -> None:
    with other_process(lock_path) as proc:
        assert RunLock(lock_path).acquire() is False
        with pytest.raises(RunLocked) as info, hold(lock_path):
            pytest.fail("the lock was taken twice")
        message = str(info.value)
        assert str(lock_path) in message
        assert "another run (cron or `alumni schedule`) is still going" in message
        assert f"PID {proc.pid}" in message
        assert "by alumni overdue (cron)" in message
        assert isinstance(info.value, AlumniError) and info.value.exit_code == 2

        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("release\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "released\n"
        # Released while the other process still runs: now this one gets it.
        with hold(lock_path) as held:
            assert held.held


def test_lock_is_released_when_the_holder_exits(lock_path: Path) -> None:
    with other_process(lock_path) as proc:
        assert proc.stdin is not None
        proc.stdin.close()  # the holder exits without calling release()
        assert proc.wait(timeout=5) == 0
    assert RunLock(lock_path).acquire() is True


def test_lock_is_released_when_the_holder_is_killed(lock_path: Path) -> None:
    with other_process(lock_path) as proc:
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=5) == -signal.SIGKILL
        lock = RunLock(lock_path)
        assert lock.acquire() is True
        assert f"pid: {os.getpid()}\n" in holder_file(lock_path).read_text()
        lock.release()


def test_a_crashed_holders_note_never_blocks(lock_path: Path) -> None:
    # Only the OS lock decides: a note naming a run that is gone is overwritten, not obeyed.
    holder_file(lock_path).write_text("pid: 999999\nstarted: 2020-01-01 07:00:00+01:00\n")
    with hold(lock_path, owner="alumni daily"):
        assert "by: alumni daily" in holder_file(lock_path).read_text()
    assert not holder_file(lock_path).exists()


def test_the_side_file_names_the_holder_while_held(lock_path: Path) -> None:
    with hold(lock_path, owner="alumni daily"):
        lines = holder_file(lock_path).read_text().splitlines()
        assert lines[0] == f"pid: {os.getpid()}"
        started = dt.datetime.fromisoformat(lines[1].removeprefix("started: "))
        assert started.tzinfo is not None
        assert lines[2] == "by: alumni daily"
        assert "by alumni daily" in str(RunLock(lock_path).busy_error())
    # Gone with the lock, so it never names a run that has finished.
    assert not holder_file(lock_path).exists()
    assert str(RunLock(lock_path).busy_error()).endswith(
        f"{lock_path} is locked — let it finish, then try again."
    )


def test_the_holding_thread_may_nest_others_may_not(lock_path: Path) -> None:
    with hold(lock_path, owner="outer"):
        with hold(lock_path, owner="inner") as inner:
            assert inner.held
        assert not free_elsewhere(lock_path)  # the outer hold still counts
        assert "by: outer" in holder_file(lock_path).read_text()
    assert free_elsewhere(lock_path)


def test_a_lock_in_a_missing_folder_says_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot create the lock file .*\[schedule\] lock"):
        RunLock(tmp_path / "no-such-folder" / "alumni.lock").acquire()


# The scheduler


def test_build_scheduler_uses_its_own_scheduler(clock: FakeClock) -> None:
    jobs = (Job("daily", lambda: 0), Job("overdue", lambda: 0))
    scheduler = build_scheduler(jobs, daily_at="07:00", overdue_every_minutes=15)
    assert schedule.default_scheduler.jobs == []
    assert scheduler.get_jobs("daily")[0].next_run == dt.datetime(2026, 11, 28, 7, 0)
    assert scheduler.get_jobs("overdue")[0].next_run == dt.datetime(2026, 11, 28, 6, 45)


@pytest.mark.parametrize(
    ("daily_at", "minutes"), [("7:00", 60), ("24:00", 60), ("07:00:00", 60), ("07:00", 0)]
)
def test_build_scheduler_rejects_bad_settings(daily_at: str, minutes: int) -> None:
    jobs = (Job("daily", lambda: 0), Job("overdue", lambda: 0))
    with pytest.raises(ConfigError, match=r"\[schedule\]"):
        build_scheduler(jobs, daily_at=daily_at, overdue_every_minutes=minutes)


def test_two_ticks_run_daily_at_seven_and_overdue_at_start_and_hourly(
    clock: FakeClock, lock_path: Path
) -> None:
    runs: list[tuple[str, dt.datetime]] = []
    scheduler = schedule.Scheduler()
    status = run_daemon(
        recording("daily", clock, runs),
        recording("overdue", clock, runs),
        daily_at="07:00",
        overdue_every_minutes=60,
        lock_path=lock_path,
        scheduler=scheduler,
        sleep=clock.sleep,
        max_ticks=2,
    )
    assert status == 0
    assert runs == [
        ("overdue", dt.datetime(2026, 11, 28, 6, 30)),  # at start-up
        ("daily", dt.datetime(2026, 11, 28, 7, 0)),
        ("overdue", dt.datetime(2026, 11, 28, 7, 30)),
    ]
    assert scheduler.get_jobs("daily")[0].next_run == dt.datetime(2026, 11, 29, 7, 0)
    assert scheduler.get_jobs("overdue")[0].next_run == dt.datetime(2026, 11, 28, 8, 30)
    # It waited in short steps, so a stop request is never long unheard.
    assert max(clock.slept) <= POLL_SECONDS
    assert free_elsewhere(lock_path)


def test_overdue_runs_every_n_minutes(clock: FakeClock, lock_path: Path) -> None:
    runs: list[tuple[str, dt.datetime]] = []
    run_daemon(
        recording("daily", clock, runs),
        recording("overdue", clock, runs),
        daily_at="23:00",
        overdue_every_minutes=15,
        lock_path=lock_path,
        sleep=clock.sleep,
        max_ticks=3,
    )
    assert [when.strftime("%H:%M") for _, when in runs] == ["06:30", "06:45", "07:00", "07:15"]
    assert {name for name, _ in runs} == {"overdue"}


def test_log_lines_name_the_job_and_its_exit_status(
    clock: FakeClock, lock_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    runs: list[tuple[str, dt.datetime]] = []
    run_daemon(
        recording("daily", clock, runs, status=1),
        recording("overdue", clock, runs, status=0),
        daily_at="07:00",
        lock_path=lock_path,
        sleep=clock.sleep,
        max_ticks=1,
    )
    lines = messages(logs)
    assert lines[0] == f"started: daily at 07:00, overdue every 60 minutes, lock {lock_path}"
    assert lines[1] == "overdue: started"
    assert lines[2].startswith("overdue: finished with exit status 0 (ok) in ")
    assert lines[3] == "daily: started"
    assert lines[4].startswith("daily: finished with exit status 1 (problems found) in ")
    assert lines[4].endswith(" s")
    assert lines[5:] == ["stopped"]
    # Problems found in the sheet stand out in the journal; a clean run does not.
    assert [r.levelname for r in logs.records][2:5] == ["INFO", "INFO", "WARNING"]


def test_a_job_that_raises_is_logged_and_runs_again_next_tick(
    clock: FakeClock, lock_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    calls: list[dt.datetime] = []

    def overdue() -> int:
        calls.append(clock.now)
        if len(calls) == 1:
            raise RuntimeError("no reply from kalle.anka@example.org")
        return 0

    status = run_daemon(
        Job("daily", lambda: 0),
        Job("overdue", overdue),
        daily_at="23:00",
        lock_path=lock_path,
        sleep=clock.sleep,
        max_ticks=1,
    )
    assert status == 0
    assert calls == [START, START + dt.timedelta(minutes=60)]
    errors = [r for r in logs.records if r.levelno == logging.ERROR]
    assert errors[0].getMessage().startswith("overdue: raised an exception:\nTraceback")
    assert "RuntimeError: no reply from <address>" in errors[0].getMessage()
    assert errors[1].getMessage().startswith("overdue: finished with exit status 2 (failed)")
    assert any(m.startswith("overdue: finished with exit status 0") for m in messages(logs))
    assert not any("@" in m for m in messages(logs))
    assert free_elsewhere(lock_path)


def test_a_job_that_exits_counts_with_its_exit_code(
    clock: FakeClock, lock_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    def overdue() -> int:
        sys.exit(1)

    run_daemon(
        Job("daily", lambda: 0),
        Job("overdue", overdue),
        lock_path=lock_path,
        sleep=clock.sleep,
        max_ticks=0,
    )
    assert any(m.startswith("overdue: finished with exit status 1") for m in messages(logs))


def test_a_run_is_skipped_while_another_process_holds_the_lock(
    clock: FakeClock, lock_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    runs: list[tuple[str, dt.datetime]] = []
    with other_process(lock_path) as proc:

        def sleep_then_let_go(seconds: float) -> None:
            # The cron run finishes while the daemon waits for 07:00.
            if proc.poll() is None:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=5)
            clock.sleep(seconds)

        run_daemon(
            recording("daily", clock, runs),
            recording("overdue", clock, runs),
            daily_at="07:00",
            lock_path=lock_path,
            sleep=sleep_then_let_go,
            max_ticks=1,
        )
    assert runs == [("daily", dt.datetime(2026, 11, 28, 7, 0))]
    skipped = [r for r in logs.records if ": skipped" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].levelname == "WARNING"
    message = skipped[0].getMessage()
    assert message.startswith("overdue: skipped, the next run tries again: another run")
    assert f"PID {proc.pid}" in message and str(lock_path) in message


def test_never_two_jobs_at_once(clock: FakeClock, lock_path: Path) -> None:
    spans: list[tuple[str, float, float]] = []
    running: list[str] = []

    def job(name: str) -> Job:
        def run() -> int:
            assert not running, f"{name} started while {running} ran"
            running.append(name)
            began = time.perf_counter()
            assert not free_elsewhere(lock_path), "a job ran without the lock"
            running.remove(name)
            spans.append((name, began, time.perf_counter()))
            return 0

        return Job(name, run)

    # From 06:00 both fall due at 07:00, in the same tick.
    clock.now = dt.datetime(2026, 11, 28, 6, 0)
    run_daemon(
        job("daily"),
        job("overdue"),
        daily_at="07:00",
        lock_path=lock_path,
        sleep=clock.sleep,
        max_ticks=3,
    )
    assert sorted(name for name, _, _ in spans) == ["daily"] + ["overdue"] * 4
    for (_, _, end), (_, start, _) in itertools.pairwise(spans):
        assert end <= start


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_daemon_after_the_job_in_progress(
    sig: signal.Signals, clock: FakeClock, lock_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    before = signal.getsignal(sig)
    started, finished = threading.Event(), threading.Event()

    def overdue() -> int:
        started.set()
        time.sleep(0.1)  # the signal arrives now
        finished.set()
        return 0

    def send() -> None:
        started.wait(5)
        # Never let a missing handler kill the test run itself.
        if signal.getsignal(sig) is not before:
            os.kill(os.getpid(), sig)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        status = run_daemon(
            Job("daily", lambda: 0),
            Job("overdue", overdue),
            lock_path=lock_path,
            sleep=clock.sleep,
            max_ticks=5,  # only reached if the signal was missed
        )
    finally:
        sender.join()
    assert status == 0
    assert finished.is_set()
    assert clock.slept == []  # stopped before waiting for the next job
    lines = messages(logs)
    assert lines[-2].startswith("overdue: finished with exit status 0")
    assert lines[-1] == f"stopped on {sig.name}, after the job in progress"
    assert signal.getsignal(sig) is before
    lock = RunLock(lock_path)
    assert lock.acquire()
    lock.release()


def test_sigterm_while_waiting_stops_at_once(clock: FakeClock, lock_path: Path) -> None:
    runs: list[tuple[str, dt.datetime]] = []

    def sleep(seconds: float) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        clock.sleep(seconds)

    status = run_daemon(
        recording("daily", clock, runs),
        recording("overdue", clock, runs),
        lock_path=lock_path,
        sleep=sleep,
        max_ticks=5,
    )
    assert status == 0
    assert runs == [("overdue", START)]
    assert clock.slept == [POLL_SECONDS]


def test_a_second_ctrl_c_interrupts_the_job(clock: FakeClock, lock_path: Path) -> None:
    before = signal.getsignal(signal.SIGINT)

    def overdue() -> int:
        os.kill(os.getpid(), signal.SIGINT)  # please stop...
        os.kill(os.getpid(), signal.SIGINT)  # ...now
        time.sleep(1)
        pytest.fail("the second Ctrl-C did not interrupt the job")

    with pytest.raises(KeyboardInterrupt):
        run_daemon(
            Job("daily", lambda: 0),
            Job("overdue", overdue),
            lock_path=lock_path,
            sleep=clock.sleep,
            max_ticks=1,
        )
    assert signal.getsignal(signal.SIGINT) is before
    assert free_elsewhere(lock_path)


def test_the_stop_event_stops_a_daemon_in_another_thread(lock_path: Path) -> None:
    # Outside the main thread no handler is installed; the event is the way to stop it.
    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    ran = threading.Event()
    result: list[int] = []

    def overdue() -> int:
        ran.set()
        return 0

    def daemon() -> None:
        result.append(
            run_daemon(
                Job("daily", lambda: 0),
                Job("overdue", overdue),
                lock_path=lock_path,
                sleep=lambda seconds: time.sleep(min(seconds, 0.01)),
                stop=stop,
            )
        )

    thread = threading.Thread(target=daemon)
    thread.start()
    assert ran.wait(5)
    assert signal.getsignal(signal.SIGTERM) is before
    stop.set()
    thread.join(5)
    assert result == [0]


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        ("2026-12-05 11:30:00", "2026-12-05 12:30:00 CET"),
        ("2026-06-01 10:00:00", "2026-06-01 12:00:00 CEST"),
    ],
)
def test_log_lines_show_swedish_time_with_the_zone(utc: str, shown: str) -> None:
    record = logging.LogRecord("alumni", logging.INFO, __file__, 1, "daily: started", None, None)
    record.created = pd.Timestamp(utc, tz="UTC").timestamp()
    assert LocalTime("Europe/Stockholm").format(record) == f"{shown} INFO daily: started"


def test_schedule_send_refuses_example_settings_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from alumni.cli import run

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    (tmp_path / "config.toml").write_text('[mail]\nbackend = "smtp"\n', encoding="utf-8")
    assert run(["schedule", "--send"]) == 2
    assert capsys.readouterr().err == (
        "alumni: --send refused: not ready for real mail, nothing was sent and the sheet was not "
        "touched:\n  [mail] from_address in config.toml is still the example 'a…@example.org': "
        "write the committee's real address\nSee README, 'Before the first --send'.\n"
    )
