"""Text helpers every renderer shares: masking e-mail addresses, problem lists and plurals."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from alumni.findings import Finding

SHOWN_PROBLEMS = 10
"""How many problems a summary lists before it points to `alumni check` for the rest."""

_ADDRESS = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def mask_addresses(text: str) -> str:
    """Text with every e-mail address shortened to its first letter and domain (a…@example.org):
    output names people and shows where mail goes, but never prints whole addresses.

    A service account's address is no person's and must be copied into Share, so it stays.
    """

    def mask(match: re.Match[str]) -> str:
        if match.group(2).endswith(".gserviceaccount.com"):
            return match.group(0)
        return f"{match.group(1)}…@{match.group(2)}"

    return _ADDRESS.sub(mask, text)


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
