"""The header classes of the committee's messages: how each header is read in and folded out.

Two jobs, both through the standard library's documented extension point (a policy's
`header_factory`, a `HeaderRegistry` of `BaseHeader` classes):

- **Folding people's text.** The standard library's own folding (Python 3.11) is not used for
  the headers that carry people's text: a long display name with a comma can lose its quotes,
  turning the rest of the name into extra recipients (CPython gh-80222, gh-121284), and a
  space between two encoded-words can be dropped, joining two words (gh-144156). The address
  and text classes below write their value out themselves: plain words when they are plain
  ASCII, a quoted-string when a short ASCII name has specials, else RFC 2047 encoded-words
  that each hold whole characters and carry their spaces inside, so a reader that unfolds and
  joins them gets the exact text.
- **Not parsing what the tool made itself.** The standard classes parse every value into a
  token tree, even one the program built from parts (an `Address`, a `datetime`,
  `text/plain; charset="utf-8"`), and the registry makes a new class for every header it
  creates: together four fifths of the time to build and write out a message. Here each name's
  class is made once, and a value of a shape this tool writes (checked by a strict pattern,
  else parsed in full as before) is taken as it is. The bytes on the wire are the same as with
  the full parse (tests/test_mail.py builds every kind of message both ways and compares).
"""

from __future__ import annotations

import base64
import email.policy
import functools
import re
import string
from collections.abc import Sequence
from datetime import datetime
from email import headerregistry
from email.policy import Policy
from email.utils import format_datetime
from typing import Any, cast

_LINE = 78  # RFC 5322's line length for headers
_EW_MAX = 75  # RFC 2047's longest encoded-word
_EW_OVERHEAD = len("=?utf-8?q??=")
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_Q_PLAIN = frozenset(string.ascii_letters + string.digits + "!*+-/")  # RFC 2047 5(3)
# Each byte as RFC 2047's "Q" encoding writes it.
_Q_BYTE = tuple(
    chr(b) if chr(b) in _Q_PLAIN else "_" if b == 0x20 else f"={b:02X}" for b in range(256)
)
_Q_LENGTH = tuple(len(q) for q in _Q_BYTE)

# The values this tool writes into the MIME headers, in the standard library's own spelling
# (what `set_content` and the generator make); anything else is parsed in full.
_MIME_VERSION = "1.0"
_CONTENT_TYPE = re.compile(r'(text|multipart)/([a-z]+)((?:; [a-z]+="[A-Za-z0-9=._-]+")*)')
_PARAM = re.compile(r'; ([a-z]+)="([A-Za-z0-9=._-]+)"')
_ENCODINGS = frozenset({"7bit", "8bit", "quoted-printable", "base64"})
_MESSAGE_ID = re.compile(r"<[0-9.]+@[A-Za-z0-9.-]+>")


class _AddressHeader(headerregistry.UniqueAddressHeader, headerregistry.BaseHeader):  # type: ignore[misc]
    """From, To, Reply-To, Cc, Bcc: folded by this module."""

    # The registry mixes these classes with BaseHeader itself; naming it here tells the type
    # checker, whose stubs disagree in details about the mixins (hence the ignores).

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
    """Subject and the message's key: folded by this module."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        # The text exactly as given: the standard parse would decode anything in it that looks
        # like an encoded-word, while this text is the committee's own.
        kwds["decoded"] = str(value)

    def fold(self, *, policy: Policy) -> str:
        return _fold(self.name, _text(str(self), _first_line_room(self.name)), policy)


# -- values the tool made: taken as they are ------------------------------------------------------


class _QuickAddressHeader(_AddressHeader):
    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        # Address objects (not text): their parts are known, and this class's fold does not
        # use the token tree the standard parse would make from their text.
        if isinstance(value, headerregistry.Address):
            value = (value,)
        if (
            isinstance(value, tuple)
            and value
            and all(isinstance(a, headerregistry.Address) for a in value)
        ):
            kwds["groups"] = [headerregistry.Group(None, [a]) for a in value]
            kwds["decoded"] = ", ".join(str(a) for a in value)
            kwds["parse_tree"] = None
            return
        super().parse(value, kwds)


class _QuickTextHeader(_TextHeader):
    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        if not isinstance(value, str) or not value:
            return super().parse(value, kwds)
        # The fold above works on the text itself, never on a token tree.
        kwds["decoded"] = value
        kwds["parse_tree"] = None


class _AsMade:
    """A header whose value may have been taken as it is (no token tree): then it folds as the
    plain ASCII words it is, broken between words past 78 characters; a value parsed in full
    folds as the standard class folds it. Comes after the standard class, before BaseHeader."""

    _parse_tree: Any

    def fold(self, *, policy: Policy) -> str:
        if self._parse_tree is None:
            name = cast(headerregistry.BaseHeader, self).name
            return _fold(name, str(self).split(" "), policy)
        return str(super().fold(policy=policy))  # type: ignore[misc]


class _QuickDate(headerregistry.UniqueDateHeader, _AsMade, headerregistry.BaseHeader):  # type: ignore[misc]
    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if not isinstance(value, datetime) or value.tzinfo is None:
            return super().parse(value, kwds)
        kwds["datetime"] = value
        kwds["decoded"] = format_datetime(value)
        kwds["parse_tree"] = None


class _QuickMessageId(headerregistry.MessageIDHeader, _AsMade, headerregistry.BaseHeader):  # type: ignore[misc]
    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if not (
            isinstance(value, str) and _MESSAGE_ID.fullmatch(value) and _fits("Message-ID", value)
        ):
            return super().parse(value, kwds)
        kwds["decoded"] = value
        kwds["parse_tree"] = None


class _QuickMimeVersion(headerregistry.MIMEVersionHeader, _AsMade, headerregistry.BaseHeader):  # type: ignore[misc]
    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if value != _MIME_VERSION:
            return super().parse(value, kwds)
        kwds.update(decoded=value, parse_tree=None, version=value, major=1, minor=0)


class _QuickContentType(headerregistry.ContentTypeHeader, _AsMade, headerregistry.BaseHeader):  # type: ignore[misc]
    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        shape = _CONTENT_TYPE.fullmatch(value) if isinstance(value, str) else None
        if shape is None:
            return super().parse(value, kwds)
        kwds.update(decoded=value, parse_tree=None, maintype=shape[1], subtype=shape[2])
        kwds["params"] = dict(_PARAM.findall(shape[3]))

    def init(self, *args: Any, **kw: Any) -> None:
        if kw["parse_tree"] is not None:
            return super().init(*args, **kw)
        self._maintype, self._subtype = kw.pop("maintype"), kw.pop("subtype")
        # The parameters' and the base class's own init, past ContentTypeHeader's (which reads
        # the types from the token tree).
        headerregistry.ParameterizedMIMEHeader.init(self, *args, **kw)  # type: ignore[misc]


class _QuickTransferEncoding(  # type: ignore[misc]
    headerregistry.ContentTransferEncodingHeader, _AsMade, headerregistry.BaseHeader
):
    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if value not in _ENCODINGS:
            return super().parse(value, kwds)
        kwds.update(decoded=value, parse_tree=None)

    def init(self, *args: Any, **kw: Any) -> None:
        if kw["parse_tree"] is not None:
            return super().init(*args, **kw)
        headerregistry.BaseHeader.init(self, *args, **kw)
        self._cte = str(self)


class _Registry(headerregistry.HeaderRegistry):
    """The standard registry, except that each header name's class is made once, not per header."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[headerregistry.BaseHeader]] = {}

    def map_to_type(self, name: str, cls: type) -> None:
        super().map_to_type(name, cls)
        self._made.clear()

    def __getitem__(self, name: str) -> type[headerregistry.BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


KEY_HEADER = "X-Alumni-Key"

_HEADERS = _Registry()
for _name in ("from", "to", "reply-to", "cc", "bcc"):
    _HEADERS.map_to_type(_name, _QuickAddressHeader)
for _name in ("subject", KEY_HEADER.lower()):
    _HEADERS.map_to_type(_name, _QuickTextHeader)
_HEADERS.map_to_type("date", _QuickDate)
_HEADERS.map_to_type("message-id", _QuickMessageId)
_HEADERS.map_to_type("mime-version", _QuickMimeVersion)
_HEADERS.map_to_type("content-type", _QuickContentType)
_HEADERS.map_to_type("content-transfer-encoding", _QuickTransferEncoding)

POLICY = email.policy.SMTP.clone(header_factory=_HEADERS)
"""The policy of built messages: SMTP's (CRLF line ends), with the header classes above."""


# -- folding ---------------------------------------------------------------------------------------


def _first_line_room(name: str) -> int:
    return min(_EW_MAX, _LINE - len(name) - len(": "))


def _fits(name: str, value: str) -> bool:
    return len(name) + len(": ") + len(value) <= _LINE


def _fold(name: str, tokens: Sequence[str], policy: Policy) -> str:
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


def _phrase(name: str, room: int) -> Sequence[str]:
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


def _text(text: str, room: int) -> Sequence[str]:
    """Unstructured text (a subject) as plain words, or encoded-words."""
    if not text:
        return []
    words = text.split(" ")
    if _printable_ascii(text) and _words_fit(words, room):
        return words
    return _encoded_words(text, room)


@functools.lru_cache(maxsize=64)
def _encoded_words(text: str, room: int) -> tuple[str, ...]:
    """`text` as UTF-8 encoded-words, the first at most `room` long, the rest at most 75.

    Remembered for the last few texts: a run's messages share their subject."""
    data = text.encode("utf-8")
    kind = "b" if len(_b_encode(data)) < len(_q_encode(data)) else "q"
    words: list[str] = []
    chunk: list[str] = []
    size = 0  # what the chunk costs encoded: bytes for "b", characters for "q"
    for ch in text:
        cost = len(ch.encode("utf-8")) if kind == "b" else _q_cost(ch)
        encoded = 4 * -(-(size + cost) // 3) if kind == "b" else size + cost
        # Counted, not re-encoded per character: long Swedish names stay cheap.
        if chunk and _EW_OVERHEAD + encoded > room:
            words.append(_encoded_word("".join(chunk), kind))
            chunk, size, room = [], 0, _EW_MAX
        chunk.append(ch)
        size += cost
    words.append(_encoded_word("".join(chunk), kind))
    return tuple(words)


def _encoded_word(text: str, kind: str) -> str:
    data = text.encode("utf-8")
    return f"=?utf-8?{kind}?{_b_encode(data) if kind == 'b' else _q_encode(data)}?="


def _b_encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _q_cost(ch: str) -> int:
    """How many characters `ch` takes in the "Q" encoding."""
    if ch < "\x80":
        return _Q_LENGTH[ord(ch)]
    return 3 * len(ch.encode("utf-8"))  # each byte of a non-ASCII character is "=XX"


def _q_encode(data: bytes) -> str:
    return "".join([_Q_BYTE[byte] for byte in data])
