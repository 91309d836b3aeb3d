"""One run at a time: an exclusive lock on a file, shared by cron's runs and `alumni schedule`."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from types import TracebackType

from alumni.errors import AlumniError, ConfigError

try:
    import fcntl
except ImportError:  # Windows: no flock, so the lock is the file's very existence.
    HAVE_FLOCK = False
else:
    HAVE_FLOCK = True

# A daily run takes seconds and a full invitation round well under an hour, so a lock older
# than this almost certainly belongs to a run that died or hangs.
STALE_AFTER_SECONDS = 2 * 3600.0

# Locks this process holds, by (file, process, thread), with how deeply each is nested. The
# daemon takes the lock and then calls the very code cron runs, which takes it again; without
# this the second attempt would find the first and give up.
_held: dict[tuple[Path, int, int], int] = {}
_held_guard = threading.Lock()


class RunLocked(AlumniError):
    """Another run holds the lock, so this one must not start."""

    def __init__(self, path: Path, holder: str = "", note: str = "") -> None:
        super().__init__(path, holder, note)
        self.path = path
        self.holder = holder
        self.note = note

    def __str__(self) -> str:
        held_by = f" ({self.holder})" if self.holder else ""
        message = (
            f"another run (cron or `alumni schedule`) is still going: {self.path} is "
            f"locked{held_by} — let it finish, then try again."
        )
        return f"{message} {self.note}" if self.note else message


class RunLock:
    """An exclusive, non-blocking lock between processes, held on one file.

    Where the platform has `flock` (Linux, macOS) the kernel owns the lock, so it goes away
    with its holder however that ends, even by SIGKILL, and the file itself is left in place
    (removing it would let a late-comer lock a file nobody else can see). Elsewhere the lock
    is the file: created exclusively and removed on release, so a crash leaves it behind;
    a lock file older than `stale_after` seconds is then pointed out in the error message.

    While it holds the lock, the file says who holds it and since when, for people to read.
    The same thread may take a lock it already holds (nested), as when the daemon runs the
    code that cron runs; the file is let go when the outermost holder releases it.

        with RunLock(Path("alumni.lock"), owner="alumni daily"):
            ...  # raises RunLocked when another run is going

        lock = RunLock(Path("alumni.lock"))
        if lock.acquire():
            try:
                ...
            finally:
                lock.release()
    """

    def __init__(
        self, path: Path, *, owner: str = "", stale_after: float = STALE_AFTER_SECONDS
    ) -> None:
        self.path = Path(path)
        self.owner = owner
        self.stale_after = stale_after
        self._fd: int | None = None
        self._nested = False
        self._key: tuple[Path, int, int] | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None or self._nested

    def acquire(self) -> bool:
        """Take the lock without waiting: True when taken, False when another run holds it.

        Raises ConfigError when the lock file cannot be created at all (no such folder,
        no permission), which waiting would not cure.
        """
        if self.held:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        key = (self.path.resolve(), os.getpid(), threading.get_ident())
        with _held_guard:
            if key in _held:
                _held[key] += 1
                self._nested, self._key = True, key
                return True
        fd = self._lock_with_flock() if HAVE_FLOCK else self._lock_by_creating()
        if fd is None:
            return False
        self._write_holder(fd)
        with _held_guard:
            _held[key] = 1
        self._fd, self._key = fd, key
        return True

    def release(self) -> None:
        """Let the lock go; releasing a lock not held does nothing."""
        if self._nested:
            with _held_guard:
                if self._key in _held:
                    _held[self._key] -= 1
            self._nested, self._key = False, None
            return
        fd = self._fd
        if fd is None:
            return
        with _held_guard:
            if self._key is not None:
                _held.pop(self._key, None)
        self._fd, self._key = None, None
        if HAVE_FLOCK:
            # Emptied before unlocking, so the file never names a holder that has gone.
            try:
                os.ftruncate(fd, 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        else:
            os.close(fd)
            self.path.unlink(missing_ok=True)

    def holder(self) -> str:
        """What the lock file says about its holder, e.g. "PID 4711, started 2026-11-28
        07:00:02+01:00, by alumni daily"; empty when it says nothing."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""
        fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
        parts = []
        if "pid" in fields:
            parts.append(f"PID {fields['pid']}")
        if "started" in fields:
            parts.append(f"started {fields['started']}")
        if "by" in fields:
            parts.append(f"by {fields['by']}")
        return ", ".join(parts)

    def age(self) -> float | None:
        """Seconds since the lock file was last written, or None when there is none."""
        try:
            return max(0.0, datetime.now().timestamp() - self.path.stat().st_mtime)
        except OSError:
            return None

    @property
    def stale(self) -> bool:
        """Whether the lock file is older than any run should take."""
        age = self.age()
        return age is not None and age > self.stale_after

    def busy_error(self) -> RunLocked:
        """The error that says who holds the lock, with a hint when it looks abandoned."""
        note = ""
        age = self.age()
        if age is not None and age > self.stale_after:
            if HAVE_FLOCK:
                note = (
                    f"It has been held for {_duration(age)}, longer than any run takes: "
                    "check that the process named is not stuck, and stop it if it is."
                )
            else:
                note = (
                    f"The lock file is {_duration(age)} old, so the run that made it may have "
                    f"died: if no alumni run is going, delete {self.path}."
                )
        return RunLocked(self.path, self.holder(), note)

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

    def _lock_with_flock(self) -> int | None:
        fd = self._open(os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _lock_by_creating(self) -> int | None:
        try:
            return self._open(os.O_RDWR | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return None

    def _open(self, flags: int) -> int:
        try:
            return os.open(self.path, flags, 0o644)
        except FileExistsError:
            raise
        except OSError as exc:
            raise ConfigError(
                f"{self.path}: cannot create the lock file ({exc.strerror}) — check "
                "[schedule] lock in the configuration and that the folder exists and is "
                "writable."
            ) from exc

    def _write_holder(self, fd: int) -> None:
        started = datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")
        text = f"pid: {os.getpid()}\nstarted: {started}\n"
        if self.owner:
            text += f"by: {self.owner}\n"
        # Only for people to read: a lock whose note could not be written still locks.
        try:
            os.ftruncate(fd, 0)
            os.write(fd, text.encode("utf-8"))
        except OSError:
            pass


def hold(path: Path, *, owner: str = "", stale_after: float = STALE_AFTER_SECONDS) -> RunLock:
    """The lock on `path` as a context manager that raises RunLocked when another run holds it.

    This is what a command run by cron wraps itself in:

        with hold(lock_path, owner="alumni daily"):
            ...
    """
    return RunLock(path, owner=owner, stale_after=stale_after)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
