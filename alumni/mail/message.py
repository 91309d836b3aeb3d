"""Builds the committee's e-mails as standard MIME messages, safe against header injection."""

from __future__ import annotations

import email.policy
import functools
import random
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email import quoprimime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from alumni.addresses import check_address
from alumni.config import MailConfig
from alumni.mail.headers import KEY_HEADER, POLICY

__all__ = ["KEY_HEADER", "POLICY", "build_message", "clean_text", "from_committee", "summary"]


def build_message(
    *,
    sender_name: str,
    sender_address: str,
    to_name: str,
    to_address: str,
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: Sequence[tuple[str, str]] = (),
    now: datetime,
    tz: str | None = None,
    key: str | None = None,
) -> EmailMessage:
    """One message from the committee to one person, dated `now` (shown in the zone `tz`,
    the committee's local time with its offset, when given; else in `now`'s own zone).

    `reply_to` is a list of (name, address) pairs, all of them in one Reply-To header (none:
    no Reply-To); an address given twice, in any case, is listed once, with its first name.
    Names, subject and key lose control characters (they become spaces), so no value can add
    a header. Addresses must each be one plain address, else ValueError. The body is
    text/plain in UTF-8; with `html` (already escaped by the caller) the message becomes
    multipart/alternative with both versions.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (with a time zone)")
    sender = _address(sender_name, sender_address)
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = _address(to_name, to_address)
    replies = _distinct(reply_to)
    if replies:
        message["Reply-To"] = replies
    message["Subject"] = clean_text(subject)
    # A reader's mail program converts the Date to its own zone anyway; the raw header in the
    # committee's zone is what someone reading an .eml or a server log compares with the sheet.
    message["Date"] = _in_zone(now, tz)
    # An explicit domain: make_msgid would otherwise ask DNS for this machine's name, which
    # can hang for seconds and leaks the laptop's name into every message.
    message["Message-ID"] = make_msgid(domain=sender.domain)
    if key is not None:
        message[KEY_HEADER] = clean_text(key)
    _set_body(message, text, html)
    return message


def _set_body(message: EmailMessage, text: str, html: str | None) -> None:
    """The text, or the text and the HTML as multipart/alternative: the headers, their order
    and the bytes that `set_content` and then `add_alternative` give (tests/test_headers.py
    compares the two), without the content manager's general machinery, which took half the
    time of building a message."""
    if html is None:
        _text_part(message, text, "plain")
        message["MIME-Version"] = "1.0"
        return
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'multipart/alternative; boundary="{_boundary()}"'
    for content, subtype in ((text, "plain"), (html, "html")):
        part = EmailMessage(policy=message.policy)
        _text_part(part, content, subtype)
        message.attach(part)


def _text_part(part: EmailMessage, content: str, subtype: str) -> None:
    # Quoted-printable keeps every line 7-bit, so any server takes it whether or not it
    # offers 8BITMIME, and å/ä/ö stay readable in the raw .eml. Encoded as the content
    # manager encodes: the UTF-8 of each line, whatever its line end, each ended by "\n".
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    lines = content.encode("utf-8").splitlines()
    body = (b"\n".join(lines) + b"\n").decode("latin-1")
    width = part.policy.max_line_length
    assert width is not None, "the tool's policy limits the line length"
    part.set_payload(quoprimime.body_encode(body, width))


def _boundary() -> str:
    """A multipart boundary in the standard library's own form ("=" * 15, 19 digits, "==").

    Quoted-printable text never holds "==" (each "=" in it starts an escape or ends a line), so
    this cannot appear in a part; left to the generator, the boundary would be searched for in
    the text with a regular expression compiled anew for every message.
    """
    return "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="


@functools.lru_cache(maxsize=8)
def _in_zone(now: datetime, tz: str | None) -> datetime:
    """`now` as a plain datetime in the zone `tz` (else in its own zone).

    A run dates all its messages with one `now`, often a pd.Timestamp, whose conversions cost
    more than building the rest of a header: hence plain datetimes, made once a run.
    """
    zone = now.tzinfo if tz is None else ZoneInfo(tz)
    return datetime.fromtimestamp(now.timestamp(), zone)


def clean_text(value: str) -> str:
    """`value` on one line: control, line-break and lone surrogate characters become spaces.

    Runs of spaces shrink to one, as a mail reader shows them anyway (and a parsed header
    would not give the same value back otherwise).
    """
    if value.isprintable():
        # No character of those kinds (isprintable is false for all of Cc, Cs, Zl and Zp):
        # the common case, without looking at each character's category.
        return " ".join(value.split())
    return " ".join("".join(" " if _unsafe(ch) else ch for ch in value).split())


def _unsafe(ch: str) -> bool:
    # Cc covers CR, LF, TAB, NUL and NEL; Zl/Zp are the Unicode line and paragraph separators
    # that some mail readers treat as line breaks; Cs cannot be encoded at all.
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as it goes over SMTP or into an .eml file (CRLF line ends)."""
    return message.as_bytes(policy=email.policy.SMTP)


def from_committee(mail: MailConfig, **fields: Any) -> EmailMessage:
    """A message from the committee's own address ([mail] from_name, from_address); `fields`
    are the rest of build_message's arguments."""
    return build_message(sender_name=mail.from_name, sender_address=mail.from_address, **fields)


def _address(name: str, address: str) -> Address:
    # The checked address has one @ and a plain local part (see check_address), so its two
    # halves are the parts the standard parser would find, without parsing it again.
    local, _, domain = check_address(address).partition("@")
    return Address(display_name=clean_text(name), username=local, domain=domain)


def _distinct(pairs: Sequence[tuple[str, str]]) -> tuple[Address, ...]:
    """The (name, address) pairs as addresses, each address once (the first pair's name)."""
    if len(pairs) == 2 and all(isinstance(p, str) for p in pairs):
        # One bare (name, address) pair, as reply_to once took: it would read as two names.
        raise TypeError("reply_to takes a list of (name, address) pairs, e.g. [(name, address)]")
    found: dict[str, Address] = {}
    for name, address in pairs:
        built = _address(name, address)
        found.setdefault(built.addr_spec.lower(), built)
    return tuple(found.values())


def summary(message: EmailMessage) -> str:
    """The message as a person checks it in a dry run: the main headers, decoded, then the text."""
    lines = [
        f"{name}: {message[name]}"
        for name in ("From", "To", "Reply-To", "Subject")
        if message[name] is not None
    ]
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    if message.get_body(("html",)) is not None:
        lines.append("(with an HTML version of the same text)")
    return "\n".join(lines) + "\n\n" + text
