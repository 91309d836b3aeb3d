"""What `init` sets to help people type: dropdowns, date formats, a frozen header, fitted widths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from alumni.contract import TABS, Decision, Kind, Status
from alumni.contract import tab as contract_tab
from alumni.sheet.workbook import RawSheet, locate_tabs, resolve_layout

# What `InitResult.formatting_added` says, each label as "<what>: <where>".
COLOUR, DROPDOWN, DATE_FORMAT, FROZEN, WIDTHS = (
    "colour",
    "dropdown",
    "date format",
    "frozen header",
    "column widths",
)

YES_NO = ("Ja", "Nej")
"""The choices of a Ja/Nej dropdown (the reader also takes Yes/No and checkboxes)."""

TIME_PATTERN = "yyyy-mm-dd hh:mm"
DATE_PATTERN = "yyyy-mm-dd"

WIDEST = 40
"""The widest a fitted column gets, in characters: long names and links wrap off-screen."""
SAMPLE_ROWS = 500
"""How many rows a fitted width looks at; enough to see a column's typical content."""


@dataclass(frozen=True)
class Choice:
    """A column whose cells take one of `values`; `arrow` shows the dropdown people pick from.

    Script-owned columns get no arrow: people should not pick the tool's words, but a word
    typed there by hand that is not one of them is marked as not valid.
    """

    tab: str
    column: str
    values: tuple[str, ...]
    arrow: bool


CHOICES: tuple[Choice, ...] = (
    *(
        Choice(t.name, c.name, YES_NO, arrow=True)
        for t in TABS
        for c in t.columns
        if c.kind is Kind.YESNO
    ),
    *(
        Choice(t.name, c.name, Decision.CHAIR, arrow=True)
        for t in TABS
        for c in t.columns
        if c.kind is Kind.DECISION
    ),
    Choice("Ansökningar", "Bedömning", Decision.ASSESSMENTS, arrow=False),
    Choice("Kontaktlogg", "Status", Status.ALL, arrow=False),
)


@dataclass(frozen=True)
class Dropdown:
    """A choice placed in a sheet: the tab title and its 0-based column."""

    title: str
    column: int
    name: str
    values: tuple[str, ...]
    arrow: bool

    @property
    def label(self) -> str:
        return f"{DROPDOWN}: {self.title}!{self.name}"


@dataclass(frozen=True)
class DateFormat:
    """A date (`yyyy-mm-dd`) or date-time (`yyyy-mm-dd hh:mm`) column of a sheet."""

    title: str
    column: int
    name: str
    with_time: bool

    @property
    def pattern(self) -> str:
        return TIME_PATTERN if self.with_time else DATE_PATTERN

    @property
    def label(self) -> str:
        return f"{DATE_FORMAT}: {self.title}!{self.name}"


@dataclass
class TabHelp:
    """Everything `init` sets on one contract tab of a sheet."""

    title: str
    dropdowns: list[Dropdown] = field(default_factory=list)
    formats: list[DateFormat] = field(default_factory=list)
    widths: dict[int, int] = field(default_factory=dict)
    """Characters each contract column needs, by 0-based column."""

    @property
    def frozen_label(self) -> str:
        return f"{FROZEN}: {self.title}"

    @property
    def widths_label(self) -> str:
        return f"{WIDTHS}: {self.title}"


def place_help(
    headers: Mapping[str, Sequence[Any]], rows: Mapping[str, Sequence[Sequence[Any]]]
) -> list[TabHelp]:
    """What to set on each contract tab, placed by its header row (title → row 1's cells);
    `rows` (title → the rows below the header) are what the widths fit."""
    sheets = {title: RawSheet(title, [list(row)]) for title, row in headers.items()}
    titles, _ = locate_tabs(sheets)
    placed: list[TabHelp] = []
    for tab in TABS:
        title = titles.get(tab.name)
        if title is None:
            continue
        help_ = TabHelp(title)
        columns = resolve_layout(tab, sheets[title]).columns
        for choice in CHOICES:
            index = columns.get(choice.column)
            if choice.tab == tab.name and index is not None:
                help_.dropdowns.append(
                    Dropdown(title, index, choice.column, choice.values, choice.arrow)
                )
        body = list(rows.get(title, []))[:SAMPLE_ROWS]
        for column in contract_tab(tab.name).columns:
            index = columns.get(column.name)
            if index is None:
                continue
            if column.kind in (Kind.TIME, Kind.DATE):
                help_.formats.append(
                    DateFormat(title, index, column.name, column.kind is Kind.TIME)
                )
            header = headers[title][index] if index < len(headers[title]) else column.name
            texts = [_shown(r[index], column.kind) for r in body if index < len(r)]
            choices = [v for d in help_.dropdowns if d.column == index for v in d.values]
            if column.kind in (Kind.TIME, Kind.DATE):
                texts.append(_shown(date.min, column.kind))
            # Room for the dropdown's arrow beside the header.
            need = max([len(str(header)) + 2, *map(len, texts), *map(len, choices)])
            help_.widths[index] = max(6, min(need, WIDEST))
        placed.append(help_)
    return placed


def _shown(value: Any, kind: Kind) -> str:
    """A cell as people see it once formatted: dates and serial numbers by the column's pattern."""
    if value is None:
        return ""
    if kind in (Kind.TIME, Kind.DATE) and isinstance(value, date | datetime | int | float):
        return TIME_PATTERN if kind is Kind.TIME else DATE_PATTERN
    return str(value)
