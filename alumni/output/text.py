"""Text helpers every renderer shares: masking e-mail addresses, problem lists and plurals."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from alumni.findings import Finding

SHOWN_PROBLEMS = 10
"""How many problems a summary lists before it points to `alumni check` for the rest."""

# An address as output masks it: one or more of these characters, "@", and a dotted domain.
_LOCAL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def mask_addresses(text: str) -> str:
    """Text with every e-mail address shortened to its first letter and domain (a…@example.org):
    output names people and shows where mail goes, but never prints whole addresses.

    A service account's address is no person's and must be copied into Share, so it stays.
    """
    # Found from each "@" outwards rather than by one regular expression, which would try every
    # letter of a long word as the start of an address: quadratic, seconds for one long cell.
    parts: list[str] = []
    done = 0  # the text before this is settled
    at = text.find("@")
    while at != -1:
        start = at
        while start > done and text[start - 1] in _LOCAL:
            start -= 1
        domain = _DOMAIN.match(text, at + 1) if start < at else None
        if domain is None:
            at = text.find("@", at + 1)
            continue
        shown = domain.group(0)
        kept = shown.endswith(".gserviceaccount.com")
        parts += [
            text[done:start],
            text[start : domain.end()] if kept else f"{text[start]}…@{shown}",
        ]
        done = domain.end()
        at = text.find("@", done)
    return "".join(parts) + text[done:] if parts else text


class Masked(io.TextIOBase):
    """A stream that masks e-mail addresses in everything written through it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(mask_addresses(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())

    def fileno(self) -> int:
        return int(self.stream.fileno())


def plural(count: int, noun: str) -> str:
    """`1 problem`, `2 problems`: the count with its noun."""
    return f"{count} {noun if count == 1 else noun + 's'}"


def problems(findings: Sequence[Finding], limit: int | None = None) -> str:
    """The findings, indented, one a line; past `limit` one line says how many more there are."""
    shown = findings if limit is None else findings[:limit]
    lines = [f"  {finding}" for finding in shown]
    if len(findings) > len(shown):
        lines.append(
            f"  … and {len(findings) - len(shown)} more: run `alumni check` to see them all."
        )
    return "\n".join(lines)


def not_done(skipped: Sequence[Finding], what: str = "Not written") -> list[str]:
    """One indented line per change the store could not make (`  Not written: …`)."""
    return [f"  {what}: {finding}" for finding in skipped]


def join(*parts: str) -> str:
    """Blocks of text, one after another; empty blocks (nothing to say) leave no blank line."""
    return "\n".join(part for part in parts if part)
