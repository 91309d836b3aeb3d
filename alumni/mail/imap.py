"""Reads the committee's mailbox over IMAP, read-only and headers only, to learn who wrote when."""

from __future__ import annotations

import contextlib
import email.policy
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError

from alumni.errors import AlumniError

FIELDS = ("MESSAGE-ID", "IN-REPLY-TO", "REFERENCES", "FROM", "TO", "CC", "SUBJECT", "DATE")
# PEEK: reading a message's headers must never set its \Seen flag.
_HEADERS = f"BODY.PEEK[HEADER.FIELDS ({' '.join(FIELDS)})]".encode()
BATCH = 500
"""UIDs per FETCH: a folder of years of mail is read in a few round trips, none of them huge."""

_ID = re.compile(r"<([^<>]*)>")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PARSER = HeaderParser(policy=email.policy.default)


class ImapUnavailable(AlumniError):
    """The mailbox could not be read (server unreachable, login refused, TLS failed, timeout,
    connection lost): nothing of this run's reading may be used."""


class ImapFolderMissing(ImapUnavailable):
    """A folder of [imap] folders cannot be opened: a reading without it would miss the
    committee's answers (or the alumni's replies), so none of it may be used."""


class _CannotOpen(Exception):
    def __init__(self, folder: str, exc: IMAPClientError) -> None:
        super().__init__(folder)
        self.folder, self.exc = folder, exc


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and what to read of it; the password is handed in by the caller.

    `first_days` is for the caller: how far back the first reading goes (it passes `since`).
    """

    host: str
    port: int
    user: str
    password: str
    security: Literal["ssl", "starttls", "plain"]
    folders: tuple[str, ...]
    first_days: int
    timeout: float
    ca_file: Path | None = None


@dataclass(frozen=True)
class HeaderRecord:
    """What one message's headers say; `problem` names what in them was malformed, if anything."""

    folder: str
    uid: int
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_addr: str | None
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...]
    subject: str
    date: datetime | None
    internaldate: datetime
    problem: str | None


@dataclass(frozen=True)
class FolderState:
    """How far a folder has been read: every UID up to `last_uid` under this UIDVALIDITY."""

    uidvalidity: int
    last_uid: int


def read_new(
    settings: ImapSettings, state: dict[str, FolderState], *, since: date | None
) -> tuple[list[HeaderRecord], dict[str, FolderState], list[str]]:
    """The headers of every message in `settings.folders` not read before, the state to pass
    next time, and notes for a person (a folder renumbered, ...).

    A folder is read from where `state` left it; with no state, or when its UIDVALIDITY changed
    (its UIDs were renumbered), it is read again whole, from `since` on (by arrival date) or all
    of it when `since` is None. The mailbox is opened read-only (EXAMINE) and nothing is marked.
    Any failure of the server or the connection raises ImapUnavailable and returns nothing; so
    does a folder that cannot be opened (ImapFolderMissing, naming the server's folders).
    """
    records: list[HeaderRecord] = []
    new_state = dict(state)
    notes: list[str] = []
    client = _connect(settings)
    try:
        for folder in settings.folders:
            try:
                read = _read_folder(client, folder, state.get(folder), since, notes)
            except _CannotOpen as missing:
                raise _folder_missing(client, missing, settings) from missing.exc
            if read is not None:
                records += read[0]
                new_state[folder] = read[1]
        _quietly(client.logout)
    except ImapFolderMissing:
        _quietly(client.logout)
        raise
    except (IMAPClientError, OSError) as exc:
        _quietly(client.shutdown)
        lost = isinstance(exc, IMAPClientAbortError | OSError)
        what = "lost the IMAP server" if lost else "an error from the IMAP server"
        text = f"{what} {settings.host}:{settings.port} while reading ({_describe(exc)}) — "
        raise ImapUnavailable(
            _hide(text + "nothing of it was kept; run again when the server answers.", settings)
        ) from exc
    return records, new_state, notes


def _connect(settings: ImapSettings) -> IMAPClient:
    if settings.security not in ("ssl", "starttls", "plain"):
        raise ValueError(f"security must be ssl, starttls or plain, not {settings.security!r}")
    context = None
    if settings.security != "plain":
        cafile = str(settings.ca_file) if settings.ca_file else None
        context = ssl.create_default_context(cafile=cafile)
    client, step = None, "connecting"
    try:
        client = IMAPClient(
            settings.host,
            settings.port,
            ssl=settings.security == "ssl",
            ssl_context=context,
            timeout=settings.timeout,
        )
        if settings.security == "starttls":
            step = "starting TLS"
            client.starttls(context)
        step = "logging in"
        client.normalise_times = False  # INTERNALDATE with the server's offset, made UTC below
        _login(client, settings)
        return client
    except (IMAPClientError, OSError) as exc:
        if client is not None:
            _quietly(client.shutdown)
        # A refused login is not chained (as in smtp.py): nothing near the password rides along.
        raise _unavailable(exc, settings, step) from (None if isinstance(exc, LoginError) else exc)


def _unavailable(exc: BaseException, settings: ImapSettings, step: str) -> ImapUnavailable:
    where = f"{settings.host}:{settings.port}"
    hint = "check [imap] host, port and security (ssl, starttls or plain)"
    if isinstance(exc, socket.gaierror):
        text = f"the IMAP server {settings.host} cannot be found ({exc.strerror}) — check [imap] "
        return ImapUnavailable(text + "host, and that this computer is online.")
    if isinstance(exc, ConnectionRefusedError):
        text = f"nothing answers at {where} (connection refused) — {hint}, and that it runs."
    elif isinstance(exc, ssl.SSLCertVerificationError):
        text = (
            f"the certificate of the IMAP server {where} is not trusted ({exc.verify_message}) "
            "— check [imap] host (it must be the name in the certificate), or set [imap] "
            "ca_file to the certificate authority that signed it."
        )
    elif isinstance(exc, LoginError):
        text = (
            f"the IMAP server {where} refused the login for {settings.user} ({exc}) — check "
            "[imap] user and the password."
        )
    elif isinstance(exc, CapabilityError):
        text = (
            f"the IMAP server {where} does not offer STARTTLS, so the password would travel "
            'unencrypted — check [imap] port, or security = "ssl" if it expects TLS at once.'
        )
    else:
        text = f"the IMAP server {where} failed while {step} ({_describe(exc)}) — {hint}."
    return ImapUnavailable(_hide(text, settings))


def _login(client: IMAPClient, settings: ImapSettings) -> None:
    # LOGIN carries ASCII only; AUTHENTICATE PLAIN carries UTF-8 (a password with å, ä, ö).
    if (settings.user + settings.password).isascii():
        client.login(settings.user, settings.password)
    else:
        client.plain_login(settings.user, settings.password)


def _read_folder(
    client: IMAPClient,
    folder: str,
    known: FolderState | None,
    since: date | None,
    notes: list[str],
) -> tuple[list[HeaderRecord], FolderState] | None:
    try:
        status = client.select_folder(folder, readonly=True)
    except IMAPClientAbortError:
        raise
    except IMAPClientError as exc:
        raise _CannotOpen(folder, exc) from exc
    uidvalidity = int(status.get(b"UIDVALIDITY", 0))
    if not uidvalidity:
        notes.append(f"folder {folder!r} has no UIDVALIDITY; it was not read")
        return None
    uidnext = int(status.get(b"UIDNEXT", 1))
    if known is not None and known.uidvalidity == uidvalidity:
        # "n+1:*" always matches the highest UID, even one at or below n.
        last = known.last_uid
        uids = [uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last]
    else:
        if known is not None:
            notes.append(f"folder {folder!r} was renumbered (UIDVALIDITY changed): read again")
        last = 0
        uids = client.search(["SINCE", since] if since is not None else ["ALL"])
    records = []
    for start in range(0, len(uids), BATCH):
        fetched = client.fetch(sorted(uids)[start : start + BATCH], [_HEADERS, b"INTERNALDATE"])
        records += [_record(folder, uid, data) for uid, data in sorted(fetched.items())]
    last_uid = max([last, uidnext - 1, *(r.uid for r in records)])
    return records, FolderState(uidvalidity, last_uid)


def _record(folder: str, uid: int, data: dict[bytes, Any]) -> HeaderRecord:
    raw = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), None)
    problems: list[str] = []
    try:
        text = (raw or b"").decode("utf-8")
    except UnicodeDecodeError:
        text = (raw or b"").decode("latin-1")
        problems.append("headers in 8-bit text that is not UTF-8 (read as Latin-1)")
    msg = _PARSER.parsestr(text)
    message_id = _first_id(msg, "Message-ID", problems)
    if message_id is None:
        problems.append("no Message-ID")
    senders = _addresses(msg, "From", problems)
    arrived = data.get(b"INTERNALDATE")
    if not isinstance(arrived, datetime):
        problems.append("the server gave no INTERNALDATE")
        arrived = _EPOCH
    return HeaderRecord(
        folder=folder,
        uid=uid,
        message_id=message_id,
        in_reply_to=_first_id(msg, "In-Reply-To", problems),
        references=tuple(_ids(_raw(msg, "References"))),
        from_addr=senders[0] if senders else None,
        to_addrs=tuple(_addresses(msg, "To", problems)),
        cc_addrs=tuple(_addresses(msg, "Cc", problems)),
        subject=_subject(msg, problems),
        date=_date(_raw(msg, "Date"), problems),
        internaldate=arrived.astimezone(UTC),
        problem="; ".join(problems) or None,
    )


def _raw(msg: Message, name: str) -> str | None:
    """Header `name` as it came, unfolded (Gmail folds long References over lines)."""
    found = next((value for key, value in msg.raw_items() if key.lower() == name.lower()), None)
    return None if found is None else " ".join(str(found).split())


def _ids(text: str | None) -> list[str]:
    """Every <message-id> in `text`, separated by blanks or (as Outlook writes them) commas."""
    return [f"<{''.join(found.split())}>" for found in _ID.findall(text or "") if found.strip()]


def _first_id(msg: Message, name: str, problems: list[str]) -> str | None:
    text = _raw(msg, name)
    if not text:
        return None
    found = _ids(text)
    if found:
        return found[0]
    if " " not in text:
        problems.append(f"{name} {text!r} lacks its <>")
        return f"<{text}>"
    problems.append(f"{name} {text!r} is not a message id")
    return None


def _subject(msg: Message, problems: list[str]) -> str:
    """The subject with its encoded-words (=?utf-8?q?...?=) decoded, unfolded."""
    try:
        header = msg.get("Subject")
        return "" if header is None else " ".join(str(header).split())
    except Exception as exc:  # the email package's parser has raised on odd input before
        problems.append(f"Subject cannot be decoded ({exc})")
        return _raw(msg, "Subject") or ""


def _addresses(msg: Message, name: str, problems: list[str]) -> list[str]:
    """The bare addresses in header `name`, lower-cased, groups opened."""
    raw = _raw(msg, name)
    if raw is None:
        return []
    # The legacy parser: only the bare addresses are wanted, and it reads them four times
    # faster than the header registry, which is most of a first reading's time.
    try:
        found = [addr for _, addr in getaddresses([raw]) if addr]
    except Exception as exc:  # the email package's parser has raised on odd input before
        problems.append(f"{name} cannot be read ({exc})")
        return []
    good = [addr.lower() for addr in found if "@" in addr]
    if len(good) < len(found):
        problems.append(f"{name} {_raw(msg, name)!r} holds what is not an address")
    return good


def _date(text: str | None, problems: list[str]) -> datetime | None:
    if text is None:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        problems.append(f"Date {text!r} is not a date")
        return None
    # "-0000" (RFC 5322: the sender's zone is unknown) parses naive: it is UTC.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _folder_missing(
    client: IMAPClient, missing: _CannotOpen, settings: ImapSettings
) -> ImapFolderMissing:
    """What to write in [imap] folders, with the folders the server has; the ones it marks as
    its sent mail (RFC 6154's \\Sent) are named so."""
    try:
        listed = client.list_folders()
    except (IMAPClientError, OSError):
        listed = []
    names = [
        f"{name} (its sent mail)" if b"\\Sent" in flags else str(name)
        for flags, _, name in sorted(
            listed, key=lambda f: (str(f[2]) != "INBOX", str(f[2]).casefold())
        )
        if b"\\Noselect" not in flags and b"\\NonExistent" not in flags
    ]
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    text = (
        f"the folder {missing.folder!r} cannot be opened on the IMAP server "
        f"{settings.host}:{settings.port} ({_describe(missing.exc)}) — nothing of this reading "
        "was used, since without it answers would be missed. "
        + (f"The server's folders: {shown}. " if shown else "")
        + "Set [imap] folders to the inbox and the folder of sent mail."
    )
    return ImapFolderMissing(_hide(text, settings))


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _hide(text: str, settings: ImapSettings) -> str:
    return text.replace(settings.password, "***") if settings.password else text


def _quietly(close: Callable[[], object]) -> None:
    with contextlib.suppress(IMAPClientError, OSError):
        close()
