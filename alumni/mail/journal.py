"""The send journal: an append-only file that records each message before and after it is sent.

A message is noted as `sending` (flushed to disk) before it is handed to the mail server, and
as `sent`, `failed`, `deferred` or `uncertain` afterwards. A run that was killed in between
leaves `sending` as the last word on that message: its outcome is unknown, so it is never
sent again without the chair's say-so. The sheet is only a view of this record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
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

    def __enter__(self) -> Journal:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the run
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

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def entries(self) -> dict[str, Entry]:
        """The latest entry for every key (a line torn by a crash is passed over)."""
        latest: dict[str, Entry] = {}
        if not self.path.exists():
            return latest
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for line in f:
                entry = _parse(line)
                if entry is not None:
                    latest[entry.key] = entry
        return latest

    def attempts_since(self, since: datetime) -> int:
        """How many messages were handed to the server since `since` (for the daily cap)."""
        count = 0
        if not self.path.exists():
            return 0
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for line in f:
                entry = _parse(line)
                if entry is not None and entry.state == SENDING and entry.at >= since:
                    count += 1
        return count

    def mark(self, key: str, state: str, at: datetime, reason: str = "") -> None:
        """Append one entry and make sure it is on disk before going on."""
        if self._file is None:
            raise RuntimeError("the journal is not open")
        record: dict[str, Any] = {"at": at.isoformat(), "key": key, "state": state}
        if reason:
            record["reason"] = reason
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        if state == SENDING:
            # On disk before the hand-over. A later entry lost to a power cut only leaves the
            # message looking uncertain, which never sends it twice.
            os.fsync(self._file.fileno())


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
