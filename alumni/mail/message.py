"""Builds the committee's e-mails as standard MIME messages, safe against header injection."""

from __future__ import annotations

import base64
import email.policy
import string
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email import headerregistry
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from alumni.addresses import check_address
from alumni.config import MailConfig

KEY_HEADER = "X-Alumni-Key"

_LINE = 78  # RFC 5322's line length for headers
_EW_MAX = 75  # RFC 2047's longest encoded-word
_EW_OVERHEAD = len("=?utf-8?q??=")
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_Q_PLAIN = frozenset(string.ascii_letters + string.digits + "!*+-/")  # RFC 2047 5(3)


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
    message["Date"] = format_datetime(_in_zone(now, tz))
    # An explicit domain: make_msgid would otherwise ask DNS for this machine's name, which
    # can hang for seconds and leaks the laptop's name into every message.
    message["Message-ID"] = make_msgid(domain=sender.domain)
    if key is not None:
        message[KEY_HEADER] = clean_text(key)
    # Quoted-printable keeps every line 7-bit, so any server takes it whether or not it
    # offers 8BITMIME, and å/ä/ö stay readable in the raw .eml.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        # set_content stamps every part it makes; MIME-Version belongs on the top level only.
        for part in message.iter_parts():
            del part["MIME-Version"]
    return message


def _in_zone(now: datetime, tz: str | None) -> datetime:
    if tz is None:
        return now
    # pd.Timestamp is a datetime: its astimezone keeps the type, so format_datetime takes both.
    return now.astimezone(ZoneInfo(tz))


def clean_text(value: str) -> str:
    """`value` on one line: control, line-break and lone surrogate characters become spaces.

    Runs of spaces shrink to one, as a mail reader shows them anyway (and a parsed header
    would not give the same value back otherwise).
    """
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
    return Address(display_name=clean_text(name), addr_spec=check_address(address))


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


# -- header folding ------------------------------------------------------------------------------
#
# The standard library's own folding (Python 3.11) is not used for the headers that carry
# people's text: a long display name with a comma can lose its quotes, turning the rest of
# the name into extra recipients (CPython gh-80222, gh-121284), and a space between two
# encoded-words can be dropped, joining two words (gh-144156). These header classes write
# their value out themselves: plain words when they are plain ASCII, a quoted-string when a
# short ASCII name has specials, else RFC 2047 encoded-words that each hold whole characters
# and carry their spaces inside, so a reader that unfolds and joins them gets the exact text.


# The registry mixes these classes with BaseHeader itself; naming it here tells the type checker,
# whose stubs disagree in details about the mixins (hence the ignores).
class _AddressHeader(headerregistry.UniqueAddressHeader, headerregistry.BaseHeader):  # type: ignore[misc]
    def fold(self, *, policy: Policy) -> str:
        if any(group.display_name is not None for group in self.groups):
            return str(super().fold(policy=policy))  # groups are not used by this tool
        tokens: list[str] = []
        for address in self.addresses:
            if tokens:
                tokens[-1] += ","
            room = _first_line_room(self.name) if not tokens else _EW_MAX
            phrase = _phrase(address.display_name, room)
            tokens += [*phrase, f"<{address.addr_spec}>"] if phrase else [address.addr_spec]
        return _fold(self.name, tokens, policy)


class _TextHeader(headerregistry.UniqueUnstructuredHeader, headerregistry.BaseHeader):  # type: ignore[misc]
    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        # The text exactly as given: the standard parse would decode anything in it that looks
        # like an encoded-word, while this text is the committee's own.
        kwds["decoded"] = str(value)

    def fold(self, *, policy: Policy) -> str:
        return _fold(self.name, _text(str(self), _first_line_room(self.name)), policy)


_HEADERS = headerregistry.HeaderRegistry()
for _name in ("from", "to", "reply-to", "cc", "bcc"):
    _HEADERS.map_to_type(_name, _AddressHeader)
for _name in ("subject", KEY_HEADER.lower()):
    _HEADERS.map_to_type(_name, _TextHeader)

POLICY = email.policy.SMTP.clone(header_factory=_HEADERS)
"""The policy of built messages: SMTP's (CRLF line ends), with the header folding above."""


def _first_line_room(name: str) -> int:
    return min(_EW_MAX, _LINE - len(name) - len(": "))


def _fold(name: str, tokens: list[str], policy: Policy) -> str:
    """`Name: tokens`, broken between tokens so that lines stay within 78 characters."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) <= _LINE or lines[-1] == lines[0] == f"{name}:":
            lines[-1] += " " + token
        else:
            lines.append(" " + token)
    linesep = str(policy.linesep)
    return linesep.join(lines) + linesep


def _printable_ascii(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text) and "=?" not in text


def _words_fit(words: list[str], room: int) -> bool:
    return bool(words) and len(words[0]) <= room and all(0 < len(w) < _LINE for w in words)


def _phrase(name: str, room: int) -> list[str]:
    """A display name as words, one quoted-string, or encoded-words."""
    if not name:
        return []
    if _printable_ascii(name):
        words = name.split(" ")
        if all(set(word) <= _ATEXT for word in words) and _words_fit(words, room):
            return words
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(quoted) <= room:
            return [quoted]
    return _encoded_words(name, room)


def _text(text: str, room: int) -> list[str]:
    """Unstructured text (a subject) as plain words, or encoded-words."""
    if not text:
        return []
    words = text.split(" ")
    if _printable_ascii(text) and _words_fit(words, room):
        return words
    return _encoded_words(text, room)


def _encoded_words(text: str, room: int) -> list[str]:
    """`text` as UTF-8 encoded-words, the first at most `room` long, the rest at most 75."""
    data = text.encode("utf-8")
    kind = "b" if len(_b_encode(data)) < len(_q_encode(data)) else "q"
    words: list[str] = []
    chunk: list[str] = []
    size = 0  # what the chunk costs encoded: bytes for "b", characters for "q"
    for ch in text:
        cost = len(ch.encode("utf-8")) if kind == "b" else len(_q_encode(ch.encode("utf-8")))
        encoded = 4 * -(-(size + cost) // 3) if kind == "b" else size + cost
        # Counted, not re-encoded per character: long Swedish names stay cheap.
        if chunk and _EW_OVERHEAD + encoded > room:
            words.append(_encoded_word("".join(chunk), kind))
            chunk, size, room = [], 0, _EW_MAX
        chunk.append(ch)
        size += cost
    words.append(_encoded_word("".join(chunk), kind))
    return words


def _encoded_word(text: str, kind: str) -> str:
    data = text.encode("utf-8")
    return f"=?utf-8?{kind}?{_b_encode(data) if kind == 'b' else _q_encode(data)}?="


def _b_encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _q_encode(data: bytes) -> str:
    return "".join(
        chr(byte) if chr(byte) in _Q_PLAIN else "_" if byte == 0x20 else f"={byte:02X}"
        for byte in data
    )
