"""The outbox backend: each message becomes an .eml file in a folder instead of being sent."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from alumni.mail.base import Mailer, MailError, nothing
from alumni.mail.message import wire_bytes

_SLUG_MAX = 40


class OutboxMailer(Mailer):
    """Writes messages as .eml files that any mail program opens, for checking or sending by hand.

    Names are `<YYYYmmdd-HHMMSS>-<n>-<recipient>.eml` from the message's Date, `n` counting the
    messages of this run; an existing file is never replaced (`n` grows instead).
    """

    paced = False

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.description = f"the folder {self.folder}"
        self.connections = 0
        self._count = 0

    def __repr__(self) -> str:
        return f"OutboxMailer({str(self.folder)!r})"

    def send(
        self,
        message: EmailMessage,
        *,
        commit: Callable[[], None] = nothing,
        meanwhile: Callable[[], None] = nothing,
    ) -> None:
        data = wire_bytes(message)
        stamp = _sent_at(message).strftime("%Y%m%d-%H%M%S")
        slug = _slug(message)
        try:
            # Private: the messages name people and their addresses.
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            temp = self._write_temp(data)
            try:
                commit()  # the file is delivered when it gets its name
                while True:
                    self._count += 1
                    target = self.folder / f"{stamp}-{self._count}-{slug}.eml"
                    if _place(temp, target):
                        return
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
        except OSError as exc:
            raise MailError(
                f"cannot write to the outbox {self.folder} ({exc.strerror or exc}) — check that "
                "the folder can be written to and the disk is not full, or set [mail] outbox."
            ) from exc

    def _write_temp(self, data: bytes) -> Path:
        # The temp file lives in the target folder so that placing it is a rename on one
        # file system; the dot keeps half-written files out of sight.
        fd, name = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
        except BaseException:
            os.unlink(name)
            raise
        return Path(name)


def _place(temp: Path, target: Path) -> bool:
    """Give the finished file its name unless that name is taken; False when it is taken."""
    try:
        # A hard link never replaces an existing file, and appears complete or not at all.
        os.link(temp, target)
        return True
    except FileExistsError:
        return False
    except OSError:
        # File systems without hard links (FAT on a USB stick, some network drives).
        if target.exists():
            return False
        os.replace(temp, target)
        return True


def _sent_at(message: EmailMessage) -> datetime:
    header = message["Date"]
    stamp = getattr(header, "datetime", None)
    return stamp if isinstance(stamp, datetime) else datetime.now()


def _slug(message: EmailMessage) -> str:
    """The recipient's name (else the address before the @) in plain ASCII, safe in any folder."""
    addresses = getattr(message["To"], "addresses", ())
    if not addresses:
        return "message"
    for text in (addresses[0].display_name, addresses[0].username):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:_SLUG_MAX].rstrip("-")
        if slug:
            return slug
    return "message"
