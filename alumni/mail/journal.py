"""The send journal: an append-only file that records each message before and after it is sent.

A message is noted as `sending` (flushed to disk) before it is handed to the mail server, and
as `sent`, `failed`, `deferred` or `uncertain` afterwards. A run that was killed in between
leaves `sending` as the last word on that message: its outcome is unknown, so it is never
sent again without the chair's say-so. The sheet is only a view of this record.

The file is private (mode 0600): it knows who was written to. A line torn by a crash or a full
disk is never silently dropped: if it names its message, that message is taken as uncertain
(never sent again on a guess), and the torn line is reported; the next entry starts on a line
of its own. A journal that cannot be opened or read, or that holds lines of another format,
stops the run before anything is sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from alumni.errors import AlumniError

SENDING, SENT, FAILED, DEFERRED, UNCERTAIN = "sending", "sent", "failed", "deferred", "uncertain"

try:  # Not on Windows: there the lock is left out, nothing else changes.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class JournalBusy(AlumniError):
    """Another run is sending right now."""


class JournalError(AlumniError):
    """The journal cannot be used: sending without a record could mail someone twice."""


class JournalWriteFailed(JournalError):
    """An entry could not be written or made durable (`reason`, e.g. "No space left on
    device"); the send loop says what the run had sent by then."""

    answered: str | None = None
    """The state the server's answer gave the message in hand, when it was that answer that
    could not be written (the message went, or was refused, without a record of it)."""

    def __init__(self, message: str, path: Path, reason: str) -> None:
        super().__init__(message)
        self.path, self.reason = path, reason


class JournalLost(AlumniError):
    """The journal is new, but the sheet says mail went out: it was deleted or moved."""


STARTED = "started"
NEW_JOURNAL = "journal:new"
"""The first entry of a journal the chair started anew (`--new-journal`): not a message."""


# A line this tool began to write: json.dumps puts "at" first and "key" second.
_START = '{"at": "'
_OURS = re.compile(re.escape(_START))
_TORN_KEY = re.compile(r'"key": "((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Entry:
    """The latest word on one message."""

    key: str
    state: str
    at: datetime
    reason: str = ""

    @property
    def unknown(self) -> bool:
        """Whether the message may or may not have gone out."""
        return self.state in (SENDING, UNCERTAIN)


def address_tag(address: str) -> str:
    """A short, stable tag for an address: the journal notices a changed address without
    holding the address itself."""
    return hashlib.sha256(address.strip().casefold().encode()).hexdigest()[:12]


def person_key(kind: str, row_id: str, address: str) -> str:
    """The key of the message of one `kind` to one row's person at one address
    (`invite:AK-0001:<tag>`): a new address is a new message."""
    return f"{kind}:{row_id}:{address_tag(address)}"


class Journal:
    """The journal file, opened for one run; only one run may hold it at a time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None
        self.damaged: list[str] = []
        """What reading found torn, one line each for the run's output."""
        self.fresh = False
        """Whether the file was missing or empty when this run opened it."""
        self.uncommitted = False
        """Whether a "sending" entry was marked that is not yet on disk (see `commit`)."""
        self._created = False

    def __enter__(self) -> Journal:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._created = not os.path.lexists(self.path)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            mode = os.fstat(fd).st_mode
            self.fresh = os.fstat(fd).st_size == 0
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                os.fchmod(fd, 0o600)  # an older journal made readable by everyone
            self._file = os.fdopen(fd, "a+", encoding="utf-8")
        except OSError as exc:
            raise self._unusable("opened", exc) from exc
        if fcntl is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                self._file.close()
                self._file = None
                raise JournalBusy(
                    f"another run is sending e-mail right now (it holds {self.path}) — wait "
                    "until it has finished, then run again."
                ) from exc
        try:
            self._end_torn_line()
        except OSError as exc:
            self.close()
            raise self._unusable("written", exc) from exc

    def _end_torn_line(self) -> None:
        """Start the next entry on a line of its own after a line torn by a crash; appended
        to the torn text, it would be unreadable and its message could go out twice."""
        assert self._file is not None
        size = os.fstat(self._file.fileno()).st_size
        if size == 0:
            return
        with open(self.path, "rb") as f:
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
        self._file.write("\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _unwritable(self, exc: OSError) -> JournalWriteFailed:
        reason = exc.strerror or str(exc)
        return JournalWriteFailed(str(self._unusable("written", exc)), self.path, reason)

    def _unusable(self, done: str, exc: OSError) -> JournalError:
        return JournalError(
            f"the send journal {self.path} cannot be {done} ({exc.strerror or exc}) — nothing "
            "was sent. Check that it is a file this user may read and write and that the disk "
            "is not full, or set [mail] journal to another file."
        )

    def forget_created(self) -> None:
        """Remove the empty file this run's `open` made, so that a refused run leaves no journal
        in the place where the lost one is to be put back."""
        if self._created and self._file is not None and os.fstat(self._file.fileno()).st_size == 0:
            with contextlib.suppress(OSError):
                self.path.unlink()
        self.close()

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def entries(self) -> dict[str, Entry]:
        """The latest entry for every key.

        A line torn by a crash or a full disk makes its message uncertain when the line
        names it (and is listed in `damaged`); a line of another format stops the run.
        """
        latest: dict[str, Entry] = {}
        self.damaged = []
        for number, line in self._lines():
            entry = _parse(line)
            if entry is not None:
                latest[entry.key] = entry
                continue
            if not line.strip():
                continue
            if not (_OURS.match(line) or _START.startswith(line.rstrip("\n"))):
                raise JournalError(
                    f"the send journal {self.path} has a line this version does not write "
                    f"(line {number}) — it may be another program's file or an older format. "
                    "Nothing was sent. Move it aside and set [mail] journal, or restore the "
                    "journal from a backup."
                )
            torn = _TORN_KEY.search(line)
            if torn is None:
                # Cut before its key: if it was a "sending" entry it never reached the disk
                # whole, so the send after it never began; an outcome leaves "sending" last.
                self.damaged.append(
                    f"the send journal {self.path} has a torn line {number} that names no "
                    "message; nothing depends on it"
                )
                continue
            key = json.loads(f'"{torn[1]}"')
            at = latest[key].at if key in latest else datetime.fromtimestamp(0).astimezone()
            latest[key] = Entry(key, UNCERTAIN, at, "a torn line in the send journal")
            self.damaged.append(
                f"the send journal {self.path} has a torn line {number}: its message is "
                "taken as uncertain (see --resend-uncertain)"
            )
        return latest

    def _lines(self) -> list[tuple[int, str]]:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                return list(enumerate(f, start=1))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise self._unusable("read", exc) from exc

    def message_ids(self) -> dict[str, list[str]]:
        """Every Message-ID handed to the server under each key, oldest first (a message sent
        again after an uncertain first try has two, and a reply may answer either)."""
        found: dict[str, list[str]] = {}
        for _, line in self._lines():
            if '"message_id"' not in line:
                continue
            try:
                record = json.loads(line)
                key, message_id = record["key"], record["message_id"]
            except (ValueError, KeyError, TypeError):
                continue  # a torn line: `entries` reports it
            if isinstance(key, str) and isinstance(message_id, str):
                ids = found.setdefault(key, [])
                if message_id not in ids:
                    ids.append(message_id)
        return found

    def attempts_since(self, since: datetime) -> int:
        """How many messages were handed to the server since `since` (for the daily cap)."""
        count = 0
        for _, line in self._lines():
            entry = _parse(line)
            if entry is not None and entry.state == SENDING and entry.at >= since:
                count += 1
        return count

    def mark(
        self, key: str, state: str, at: datetime, reason: str = "", message_id: str = ""
    ) -> None:
        """Append one entry. `message_id` is the Message-ID of the message handed over, kept
        so that replies can be tied to it.

        A "sending" entry waits for `commit`, which writes it and makes it durable, and which
        must be called before the message can be delivered (the mailer does, see Mailer, while
        the server reads MAIL FROM): a run that dies before then handed nothing over, so the
        entry is not missed. Every other entry is written at once, so a killed run keeps it;
        one lost to a power cut only leaves its message looking uncertain, which never sends
        it twice, so no other entry waits for the disk.
        """
        if self._file is None:
            raise RuntimeError("the journal is not open")
        record: dict[str, Any] = {"at": at.isoformat(), "key": key, "state": state}
        if reason:
            record["reason"] = reason
        if message_id:
            record["message_id"] = message_id
        try:
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
            if state != SENDING:
                self._file.flush()
        except OSError as exc:
            # Before a send: it does not happen. After one: "sending" stays its last word,
            # so the message counts as uncertain and is never sent again on a guess.
            raise self._unwritable(exc) from exc
        if state == SENDING:
            self.uncommitted = True

    def commit(self) -> None:
        """Write the entries marked so far and make them durable (fsync), if a "sending" one
        is among them.

        Raises JournalError when the disk refuses: the message must then not be delivered.
        """
        if not self.uncommitted:
            return
        if self._file is None:
            raise RuntimeError("the journal is not open")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise self._unwritable(exc) from exc
        self.uncommitted = False


def _parse(line: str) -> Entry | None:
    try:
        record = json.loads(line)
        return Entry(
            record["key"],
            record["state"],
            datetime.fromisoformat(record["at"]),
            record.get("reason", ""),
        )
    except (ValueError, KeyError, TypeError):
        return None
