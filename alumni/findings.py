"""Findings: problems in the sheet's data, as data that names tab, cell and what to do."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from alumni.contract import TABS, match_tab


def column_letter(index: int) -> str:
    """The sheet's letter for a 0-based column index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def a1(row: int | None, col: int | None) -> str:
    """A1 notation for a 1-based sheet row and a 0-based column; either may be unknown."""
    letter = column_letter(col) if col is not None else "A"
    number = str(row) if row is not None else "1"
    return f"{letter}{number}"


@dataclass(frozen=True)
class Finding:
    """One problem in the sheet: where it is, what is wrong, and what to do about it.

    `tab` is the tab as the sheet names it (or the contract's name when it is missing),
    `row` the 1-based sheet row, `col` the 0-based column, `key` the row's ID where it has one.
    """

    tab: str
    row: int | None
    col: int | None
    message: str
    hint: str = ""
    column: str | None = None
    key: str | None = None

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    def __str__(self) -> str:
        # A problem with no cell (a missing tab, a vanished row) names just the tab.
        where = self.tab if self.row is None and self.col is None else f"{self.tab}!{self.cell}"
        text = f"{where}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


_ORDER = {t.name: i for i, t in enumerate(TABS)}


@functools.lru_cache(maxsize=256)
def _tab_rank(title: str) -> int:
    tab = match_tab(title)
    return _ORDER[tab.name] if tab else len(_ORDER)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings without repeats, sorted by tab (the contract's order), then row and column."""

    def key(f: Finding) -> tuple[int, str, int, int, str]:
        col = -1 if f.col is None else f.col
        return (_tab_rank(f.tab), f.tab, f.row or 0, col, f.message)

    return sorted(set(findings), key=key)
