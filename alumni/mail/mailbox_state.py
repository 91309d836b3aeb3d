"""The mailbox reader's memory between runs: how far each folder was read, what is known of
each contact round's thread, and which reply cells the tool filled. A private JSON file."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from alumni.errors import AlumniError

VERSION = 1


class MailboxStateError(AlumniError):
    """The state file cannot be used: reading on would fill cells on a guess."""


def load_state(path: Path) -> dict[str, Any]:
    """The state as saved (`folders`, `threads`, `filled`), or an empty one when there is no
    file yet. A file this version cannot read stops the run with what to do."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"version": VERSION, "folders": {}, "threads": {}, "filled": {}}
    except OSError as exc:
        raise MailboxStateError(
            f"the mailbox state file {path} cannot be read ({exc.strerror or exc}) — "
            "check its permissions, or set [imap] state to another file."
        ) from exc
    try:
        state = json.loads(text)
        ok = isinstance(state, dict) and state.get("version") == VERSION
        ok = ok and all(isinstance(state.get(k), dict) for k in ("folders", "threads", "filled"))
    except ValueError:
        ok = False
    if not ok:
        raise MailboxStateError(
            f"the mailbox state file {path} is damaged or of another version — move it aside "
            "and run again: the mailbox is then read anew from [imap] first_days back, and "
            "reply times the tool filled before count as typed by a person (never overwritten)."
        )
    return dict(state)


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Replace the state file whole (written beside it, then renamed), readable by its owner
    only: it names the rounds the committee wrote to."""
    data = json.dumps({**state, "version": VERSION}, ensure_ascii=False, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise MailboxStateError(
            f"the mailbox state file {path} could not be written ({exc.strerror or exc}) — "
            "the sheet is written; the next run reads the same mail again and writes nothing "
            "twice. Free space or fix the permissions of its folder."
        ) from exc
