"""The sheet's colours, set by `init`: late contact rounds red, due soon amber, answered late
purple, assessments green/red/yellow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alumni.contract import Decision, Status
from alumni.contract import tab as contract_tab
from alumni.findings import column_letter
from alumni.sheet.helps import COLOUR
from alumni.sheet.workbook import RawSheet, locate_tabs, resolve_layout


@dataclass(frozen=True)
class ColourRule:
    """Colour a tab's rows (or one column) where `column` holds exactly `value`."""

    tab: str
    column: str
    value: str
    colour: str  # RGB hex, no '#'
    whole_row: bool


RED, AMBER, GREEN, YELLOW, PURPLE = "F4CCCC", "FCE5CD", "D9EAD3", "FFF2CC", "D9D2E9"

COLOUR_RULES: tuple[ColourRule, ...] = (
    ColourRule("Kontaktlogg", "Status", Status.LATE, RED, whole_row=True),
    ColourRule("Kontaktlogg", "Status", Status.DUE_SOON, AMBER, whole_row=True),
    # Answered, but late: a §4 breach, so the row stays marked after the round is closed.
    ColourRule("Kontaktlogg", "Status", Status.ANSWERED_LATE, PURPLE, whole_row=True),
    ColourRule("Ansökningar", "Bedömning", Decision.APPROVE, GREEN, whole_row=False),
    ColourRule("Ansökningar", "Bedömning", Decision.REJECT, RED, whole_row=False),
    ColourRule("Ansökningar", "Bedömning", Decision.REVIEW, YELLOW, whole_row=False),
)


@dataclass(frozen=True)
class Placement:
    """Where one colour rule goes in a sheet: its tab title and 0-based columns [first, last)."""

    rule: ColourRule
    title: str
    column: int
    first: int
    last: int

    @property
    def formula(self) -> str:
        """The condition, as both Excel and Google Sheets write it (without the leading '=')."""
        return f'${column_letter(self.column)}2="{self.rule.value}"'

    @property
    def label(self) -> str:
        return f"{COLOUR}: {self.title}!{self.rule.column} = {self.rule.value}"


def place_colours(headers: Mapping[str, Sequence[Any]]) -> list[Placement]:
    """Every colour rule placed by the header rows a sheet has (title → row 1's cells)."""
    sheets = {title: RawSheet(title, [list(row)]) for title, row in headers.items()}
    titles, _ = locate_tabs(sheets)
    placed: list[Placement] = []
    for rule in COLOUR_RULES:
        title = titles.get(rule.tab)
        if title is None:
            continue
        tab = contract_tab(rule.tab)
        index = resolve_layout(tab, sheets[title]).columns.get(rule.column)
        if index is None:
            continue
        width = max(len(headers[title]), len(tab.columns))
        first, last = (0, width) if rule.whole_row else (index, index + 1)
        placed.append(Placement(rule, title, index, first, last))
    return placed
