"""One run at a time: an OS lock on a file, shared by cron's runs and `alumni schedule`."""

from __future__ import annotations

import contextlib
import errno
import os
from datetime import datetime
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from alumni.errors import AlumniError, ConfigError


class RunLocked(AlumniError):
    """Another run holds the lock, so this one must not start."""

    def __init__(self, path: Path, holder: str = "") -> None:
        super().__init__(path, holder)
        self.path = path
        self.holder = holder

    def __str__(self) -> str:
        held_by = f" ({self.holder})" if self.holder else ""
        return (
            f"another run (cron or `alumni schedule`) is still going: {self.path} is "
            f"locked{held_by} — let it finish, then try again."
        )


class RunLock:
    """An exclusive, non-blocking lock between processes, held on one file.

    The operating system owns the lock (filelock: `flock` on Linux and macOS, `msvcrt.locking`
    on Windows), so it goes away with its holder however that ends, even by SIGKILL or a power
    cut: no run ever has to guess whether a lock is stale.

    While it holds the lock, the holder writes who it is and since when to a side file
    (`alumni.lock.holder` beside `alumni.lock`), only for the message that another run shows.
    That file never decides anything: one left behind by a crash is simply overwritten.
    The same thread may take a lock it already holds (nested), as when the daemon runs the
    code that cron runs; the lock is let go when the outermost holder releases it.

        with RunLock(Path("alumni.lock"), owner="alumni daily"):
            ...  # raises RunLocked when another run is going

        lock = RunLock(Path("alumni.lock"))
        if lock.acquire():
            try:
                ...
            finally:
                lock.release()
    """

    def __init__(self, path: Path, *, owner: str = "") -> None:
        self.path = Path(path)
        self.owner = owner
        self.holder_path = self.path.with_name(self.path.name + ".holder")
        # One instance per file, its hold counted per thread: that is what makes nesting work
        # across RunLock objects while another thread of this process still finds it taken.
        self._lock = FileLock(self.path.resolve(), is_singleton=True)
        self._held = False

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._held

    def acquire(self) -> bool:
        """Take the lock without waiting: True when taken, False when another run holds it.

        Raises ConfigError when the lock file cannot be created at all (no such folder,
        no permission), which waiting would not cure.
        """
        if self._held:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        nested = self._lock.is_locked
        # filelock would create a missing folder; a wrong `[schedule] lock` should be said instead.
        if not nested and not self.path.parent.is_dir():
            raise self._cannot_create(os.strerror(errno.ENOENT))
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            return False
        except OSError as exc:
            raise self._cannot_create(exc.strerror or str(exc)) from exc
        self._held = True
        if not nested:
            self._write_holder()
        return True

    def release(self) -> None:
        """Let the lock go; releasing a lock not held does nothing."""
        if not self._held:
            return
        self._held = False
        if self._lock.lock_counter == 1:
            # Removed while still locked, so it never names a holder that has gone, nor
            # deletes the next holder's.
            with contextlib.suppress(OSError):
                self.holder_path.unlink(missing_ok=True)
        self._lock.release()

    def holder(self) -> str:
        """Who holds the lock, e.g. "PID 4711, started 2026-11-28 07:00:02+01:00, by alumni
        daily"; empty when the side file says nothing."""
        try:
            text = self.holder_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""
        fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
        labels = {"pid": "PID", "started": "started", "by": "by"}
        return ", ".join(f"{label} {fields[key]}" for key, label in labels.items() if key in fields)

    def busy_error(self) -> RunLocked:
        """The error that says who holds the lock."""
        return RunLocked(self.path, self.holder())

    def __enter__(self) -> RunLock:
        if not self.acquire():
            raise self.busy_error()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _cannot_create(self, reason: str) -> ConfigError:
        return ConfigError(
            f"{self.path}: cannot create the lock file ({reason}) — check [schedule] lock in "
            "the configuration and that the folder exists and is writable."
        )

    def _write_holder(self) -> None:
        started = datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")
        text = f"pid: {os.getpid()}\nstarted: {started}\n"
        if self.owner:
            text += f"by: {self.owner}\n"
        # Written aside and renamed into place, so a reader never sees half of it. Only for
        # people to read: a lock whose note could not be written still locks.
        draft = self.holder_path.with_name(f"{self.holder_path.name}.{os.getpid()}")
        try:
            draft.write_text(text, encoding="utf-8")
            os.replace(draft, self.holder_path)
        except OSError:
            with contextlib.suppress(OSError):
                draft.unlink(missing_ok=True)


def hold(path: Path, *, owner: str = "") -> RunLock:
    """The lock on `path` as a context manager that raises RunLocked when another run holds it.

    This is what a command run by cron wraps itself in:

        with hold(lock_path, owner="alumni daily"):
            ...
    """
    return RunLock(path, owner=owner)
