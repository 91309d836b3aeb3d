"""Decides what one e-mail address is, the same for `alumni check` and for the mail layer."""

from __future__ import annotations

import re
import string
import unicodedata
from email.errors import MessageError
from email.headerregistry import Address

# Characters that are special in an address (RFC 5322 "specials"), or that would let a value
# escape its header: an address holding one is not a single plain address.
_SPECIALS = frozenset(' ,;:<>()[]\\"')
# What may stand between the dots of a domain once it is in its ASCII (IDNA) form.
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
# The dots IDNA splits a domain on: the full stop and its ideographic and full-width twins.
_DOTS = re.compile("[.\u3002\uff0e\uff61]")
MAX_LENGTH = 254  # RFC 5321's longest path
# The shape nearly every real address has. Everything it admits passes every step below (a plain
# dot-atom, an ASCII domain of short labels ending in letters), so it skips the slow steps: the
# full check costs ~80 µs an address, which a roster of 20,000 graduates would feel.
_PLAIN = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}"
)


def check_address(text: str) -> str:
    """`text` if it is one plain address the mail layer can send to, else ValueError saying why.

    What comes back is the address as it is sent: the domain in its ASCII (IDNA) form, so
    "asa@hörby.se" gives "asa@xn--hrby-5qa.se"; the rest is kept as written, case included.
    `text` is taken as it is: a cell's surrounding blanks are the caller's to strip.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("an e-mail address is missing")
    if len(text) <= MAX_LENGTH and _PLAIN.fullmatch(text):
        return text
    bad = sorted({ch for ch in text if ch in _SPECIALS or _invisible(ch)})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise ValueError(f"{text!r} is not one e-mail address: it contains {shown}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{text[:40]!r}...: too long for an e-mail address")
    if text.count("@") != 1:
        raise ValueError(f"{text!r} is not one e-mail address: it needs exactly one @")
    local, domain = text.split("@")
    if not local or not domain:
        raise ValueError(f"{text!r} is not an e-mail address: text is missing around the @")
    if not local.isascii():
        # Sending to such an address needs SMTPUTF8, which many servers (and smtp.py) lack.
        raise ValueError(f"{text!r}: letters such as å, ä, ö before the @ are not supported")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError(f"{text!r} is not an e-mail address: misplaced dot before the @")
    if "=?" in text:
        # A word that starts so is decoded by mail programs as encoded text (RFC 2047).
        raise ValueError(f"{text!r} is not an e-mail address: it contains '=?'")
    labels = _DOTS.split(domain)
    if "" in labels:
        raise ValueError(f"{text!r} is not an e-mail address: misplaced dot after the @")
    if len(labels) < 2:
        raise ValueError(
            f"{text!r} is not an e-mail address: the part after the @ needs a dot, "
            "as in namn@exempel.se"
        )
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{text!r} is not an e-mail address: bad domain") from exc
    if not set(domain) <= _ATEXT | {"."}:
        # A full-width or compatibility form that IDNA turns into punctuation, such as "＠".
        raise ValueError(f"{text!r} is not an e-mail address: bad domain")
    if not re.fullmatch(r"[A-Za-z]{2,}", domain.rsplit(".", 1)[-1]):
        raise ValueError(
            f"{text!r} is not an e-mail address: it must end in a dot and two or more "
            "letters, as in .se or .com"
        )
    address = f"{local}@{domain}"
    if len(address) > MAX_LENGTH:
        raise ValueError(f"{text[:40]!r}...: too long for an e-mail address")
    try:
        # The last word goes to the parser that will read the address back out of the
        # message, so that nothing this accepts can fail later in the mail layer.
        parsed = Address(addr_spec=address).addr_spec
    except (ValueError, IndexError, MessageError) as exc:
        raise ValueError(f"{text!r} is not an e-mail address") from exc
    if parsed != address:
        raise ValueError(f"{text!r} is not an e-mail address")
    return address


def is_email(text: str) -> bool:
    """Whether `text` is one e-mail address the mail layer can send to (see check_address)."""
    try:
        check_address(text)
    except ValueError:
        return False
    return True


def _invisible(ch: str) -> bool:
    # Whitespace of any kind, control characters (CR, LF, TAB, NUL, NEL: Cc), invisible
    # formatting such as zero-width spaces (Cf), line and paragraph separators (Zl/Zp) and
    # lone surrogates (Cs), which cannot be encoded at all.
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Zs")
