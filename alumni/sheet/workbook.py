"""The sheet as the tool sees it: raw cells from a backend turned into typed frames per tab."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from alumni import timeparse
from alumni.contract import (
    ROW,
    TABS,
    Column,
    Decision,
    Kind,
    Owner,
    Tab,
    fold,
    is_blank,
    match_column,
    match_tab,
    read_decision,
)
from alumni.findings import Finding, a1
from alumni.sheet import cells

Cell = str | int | float | bool | datetime | date | None
Value = str | int | float | None


@dataclass
class RawSheet:
    """One tab's cells as a backend read them: rows[0] is the header row (sheet row 1).

    Rows may be ragged (trailing blanks dropped); trailing empty rows are not included.
    """

    title: str
    rows: list[list[Cell]]
    covered: dict[tuple[int, int], str] = field(default_factory=dict)
    """The cells hidden under merged cells, by (row, column) as in `rows`, each with its merged
    range ("B5:C5"); the top-left cell, which shows the value, is not among them. Empty where
    the backend cannot tell."""


RawWorkbook = dict[str, RawSheet]
"""Every tab of a sheet by its title, in the sheet's order."""


@dataclass
class Layout:
    """Where one contract tab stands in a sheet: its title and the index of each header."""

    tab: Tab
    title: str | None
    columns: dict[str, int] = field(default_factory=dict)
    extras: dict[str, int] = field(default_factory=dict)
    duplicates: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """The tab's name as people see it in the sheet (the contract's name when missing)."""
        return self.title or self.tab.name

    def address(self, row: int | None, column: str | None) -> str:
        """`Tab!F7` for a sheet row and a contract column."""
        col = self.columns.get(column) if column else None
        return f"{self.shown}!{a1(row, col)}"


def blank_row(row: list[Cell]) -> bool:
    return all(is_blank(v) for v in row)


def by_name_or_id(frame: pd.DataFrame) -> dict[str, dict[Any, Any]]:
    """Each row of a people tab (Alumner, Utskott) by its folded name and by its ID, as other
    tabs refer to people by either; the first row wins a name two rows share."""
    found: dict[str, dict[Any, Any]] = {}
    for row in frame.to_dict("records"):
        for key in (row.get("Namn", ""), row.get("ID", "")):
            if key:
                found.setdefault(fold(str(key)), row)
    return found


def trim_blank_tail(rows: list[list[Cell]]) -> list[list[Cell]]:
    """`rows` without the rows of blanks at the end: formatting people left below a table
    makes a workbook report rows that hold nothing, and they are not part of the tab."""
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    return rows


def locate_tabs(raw: RawWorkbook) -> tuple[dict[str, str | None], list[Finding]]:
    """Which sheet title holds each contract tab; findings for missing and doubled tabs."""
    found: dict[str, str | None] = {t.name: None for t in TABS}
    findings: list[Finding] = []
    unmatched = [title for title in raw if match_tab(title) is None]
    for title in raw:
        tab = match_tab(title)
        if tab is None:
            continue
        if found[tab.name] is None:
            found[tab.name] = title
        else:
            findings.append(
                Finding(
                    title,
                    None,
                    None,
                    f"a second tab for '{tab.name}' (the first is '{found[tab.name]}')",
                    "keep one of them; the tool reads only the first",
                )
            )
    for tab in TABS:
        if found[tab.name] is None and not tab.by_tool:
            hint = "add it (run `alumni init` to add missing tabs)"
            guess = _closest(
                tab.name, unmatched, {fold(tab.name): tab.name, fold(tab.alias): tab.name}
            )
            if guess:
                hint = f"did you mean '{guess}'? Rename it to '{tab.name}'"
            findings.append(Finding(tab.name, None, None, f"the tab '{tab.name}' is missing", hint))
    return found, findings


def _closest(want: str, candidates: list[str], names: dict[str, str]) -> str | None:
    """The candidate that is a near miss of any of `names` (folded), if one is close enough."""
    folded = {fold(c): c for c in candidates}
    for name in names:
        hits = difflib.get_close_matches(name, list(folded), n=1, cutoff=0.75)
        if hits:
            return folded[hits[0]]
    # A header with a word added ("Vi svarade (gammal)", "Kontaktad, datum") is the same column.
    for name in names:
        grown = [c for c in folded if c.startswith(name + " ") or c.startswith(name + ",")]
        if len(grown) == 1:
            return folded[grown[0]]
    return None


def resolve_layout(tab: Tab, sheet: RawSheet | None) -> Layout:
    """Find the contract's headers in row 1 of `sheet`, by name or alias, in any order."""
    if sheet is None:
        return Layout(tab, None)
    layout = Layout(tab, sheet.title)
    header = sheet.rows[0] if sheet.rows else []
    if blank_row(header):
        if not tab.by_tool:
            has_data = any(not blank_row(r) for r in sheet.rows[1:])
            if has_data:
                # init will not guess which column is which: a person types them.
                what = "the tab has data but no header row"
                hint = "type the headers in row 1, each above the column it names"
            else:
                what = "the tab has no header row"
                hint = "put the headers in row 1 (`alumni init` adds them)"
            layout.findings.append(Finding(sheet.title, 1, 0, what, hint))
        return layout
    unknown: dict[int, str] = {}
    for index, value in enumerate(header):
        text = cells.clean_text(value)
        if not text:
            continue
        column = match_column(tab, text)
        name = column.name if column else text
        seen = layout.columns if column else layout.extras
        if name in seen:
            layout.duplicates.add(name)
            first = a1(1, seen[name])
            layout.findings.append(
                Finding(
                    sheet.title,
                    1,
                    index,
                    f"the header '{text}' appears twice (also in {first})",
                    "rename or remove one; the tool reads the first and writes neither",
                )
            )
            continue
        seen[name] = index
        if column is None:
            unknown[index] = text
    for column in tab.columns:
        if column.name in layout.columns:
            continue
        if tab.by_tool:
            continue
        # Point at the first free cell of row 1: where the header can go.
        where: int | None = (
            max((i for i, v in enumerate(header) if not is_blank(v)), default=-1) + 1
        )
        hint = (
            f"type '{column.name}' in {a1(1, where)}, or if you renamed its column, rename it "
            f"back (`alumni init` adds missing headers)"
        )
        spellings = {fold(column.name): column.name, fold(column.alias): column.name}
        guess = _closest(column.name, list(unknown.values()), spellings)
        if guess:
            hint = f"did you mean '{guess}'? Rename it to '{column.name}' (exactly that)"
            where = next(i for i, t in unknown.items() if t == guess)
        layout.findings.append(
            Finding(sheet.title, 1, where, f"the header '{column.name}' is missing", hint)
        )
    return layout


@dataclass
class Judged:
    """The rows a rule may judge (`mask`, by frame position) and why the others are not."""

    mask: np.ndarray
    problems: list[Finding]
    blocked: bool = False
    """True when the tab or a needed column is missing or doubled: no row may be judged."""


@dataclass
class Sheet:
    """One contract tab as read: where it stands, its typed frame, and its raw cells."""

    layout: Layout
    frame: pd.DataFrame
    raw: RawSheet | None
    unreadable: dict[str, dict[int, Finding]] = field(default_factory=dict)
    """Per contract column, the frame positions whose cell could not be read, each with the
    reader's finding for it (what was there, an example of what is accepted)."""

    @property
    def tab(self) -> Tab:
        return self.layout.tab

    def judge(self, columns: Iterable[str], rule: str) -> Judged:
        """Which rows `rule` may judge: those whose cells in `columns` were all read.

        A rule never acts on a guess. When the tab, or one of `columns`, is missing or its
        header appears twice, no row is judged; otherwise a row with an unreadable cell in
        `columns` is left out. Each left-out row, and each missing column, gives a finding
        that says which rule stopped and why, so the run can say so and exit 1.
        """
        needed = list(dict.fromkeys(columns))
        mask = np.ones(len(self.frame), dtype=bool)
        shown = self.layout.shown
        if self.layout.title is None:
            message = f"{rule} judged nothing: the tab '{shown}' is missing"
            hint = "add it (`alumni init` adds missing tabs)"
            return Judged(np.zeros_like(mask), [Finding(shown, None, None, message, hint)], True)
        blocked = [
            (name, "appears twice" if name in self.layout.duplicates else "is missing")
            for name in needed
            if name in self.layout.duplicates or name not in self.layout.columns
        ]
        if blocked:
            found = []
            for name, what in blocked:
                said = next(
                    (f for f in self.layout.findings if f"'{name}'" in f.message and f.hint), None
                )
                hint = (
                    said.hint
                    if said is not None
                    else f"put the header '{name}' in row 1 once "
                    "(`alumni init` adds missing headers)"
                )
                # Point at the header itself, or where the reader found its renamed column.
                col = self.layout.columns.get(name)
                if col is None and said is not None and said.row == 1:
                    col = said.col
                found.append(
                    Finding(
                        shown,
                        1,
                        col,
                        f"{rule} judged nothing on this tab: the header '{name}' {what}",
                        hint,
                        name,
                    )
                )
            return Judged(np.zeros_like(mask), found, True)
        found = []
        for name in needed:
            for pos, finding in self.unreadable.get(name, {}).items():
                mask[pos] = False
                found.append(
                    Finding(
                        finding.tab,
                        finding.row,
                        finding.col,
                        f"{rule} did not judge this row: {finding.message}",
                        f"{finding.hint}; until then the row is left as it is",
                        finding.column,
                        finding.key,
                    )
                )
        return Judged(mask, found)

    def address(self, row: int | None, column: str | None) -> str:
        return self.layout.address(row, column)

    def raw_row(self, sheet_row: int) -> list[Cell]:
        """The raw cells of a 1-based sheet row."""
        assert self.raw is not None
        return self.raw.rows[sheet_row - 1]

    def fingerprint(self, sheet_row: int) -> tuple[str, ...]:
        """What people typed in a row: every cell the tool does not own, as text.

        A row without an ID is found again by this, since its position may change.
        """
        return row_fingerprint(self.layout, self.raw_row(sheet_row))


def row_fingerprint(layout: Layout, row: list[Cell]) -> tuple[str, ...]:
    script = {
        layout.columns[c.name]
        for c in layout.tab.columns
        if c.owner is Owner.SCRIPT and c.name in layout.columns
    }
    texts = [cells.clean_text(v) for i, v in enumerate(row) if i not in script]
    while texts and not texts[-1]:
        texts.pop()
    return tuple(texts)


@dataclass
class Workbook:
    """Every contract tab as a typed DataFrame, with the findings reading them produced."""

    sheets: dict[str, Sheet]
    findings: list[Finding]
    tz: str

    def __getitem__(self, tab: str) -> pd.DataFrame:
        return self.sheets[tab].frame

    def address(self, tab: str, row: int | None, column: str | None) -> str:
        return self.sheets[tab].address(row, column)

    def judge(self, tab: str, columns: Iterable[str], rule: str) -> Judged:
        """`Sheet.judge` for the tab called `tab`."""
        return self.sheets[tab].judge(columns, rule)


Parser = Callable[[pd.Series], tuple[pd.Series, pd.Series]]

_MESSAGES: dict[Kind, tuple[str, str]] = {
    Kind.TIME: ("is not a date/time", "write it as 2026-11-28 14:05"),
    Kind.DATE: ("is not a date", "write it as 2026-11-28"),
    Kind.YEAR: ("is not a year", "write four digits, e.g. 2026"),
    Kind.EMAIL: ("is not an e-mail address", "correct it, e.g. namn@exempel.se"),
    Kind.YESNO: ("is not yes or no", "write Ja or Nej"),
    Kind.LANGUAGE: ("is not a language the templates have", "write sv or en"),
    Kind.NUMBER: ("is not a number", "write a number, e.g. 2.5"),
    Kind.DECISION: (
        "is not a decision",
        f"write {Decision.APPROVE} or {Decision.REJECT}, or leave it empty",
    ),
}


def _parse_decisions(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The chair's decisions as typed (read them with `read_decision`); bad where a filled
    cell is neither decision."""
    text = values.map(cells.clean_text).astype(object)
    bad = (text != "") & (text.map(read_decision) == "")
    return text, bad.astype(bool)


def _parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = values.map(cells.clean_text)
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    return numbers.astype("Float64"), numbers.isna() & (text != "")


def _parser(kind: Kind, tz: str, now: pd.Timestamp | None) -> Parser:
    parsers: dict[Kind, Parser] = {
        Kind.TIME: lambda v: timeparse.parse_times(v, tz, today=now),
        Kind.DATE: lambda v: timeparse.parse_times(v, tz, today=now),
        Kind.YEAR: cells.parse_years,
        Kind.EMAIL: cells.parse_emails,
        Kind.YESNO: cells.parse_yes_no,
        Kind.LANGUAGE: cells.parse_languages,
        Kind.NUMBER: _parse_numbers,
        Kind.DECISION: _parse_decisions,
    }
    return parsers[kind]


def _empty_column(column: Column, tz: str, index: pd.Index) -> pd.Series:
    if column.kind in (Kind.TIME, Kind.DATE):
        return pd.Series(pd.NaT, index=index, dtype=f"datetime64[ns, {tz}]")
    if column.kind is Kind.YEAR:
        return pd.Series(pd.NA, index=index, dtype="Int64")
    if column.kind is Kind.YESNO:
        return pd.Series(pd.NA, index=index, dtype="boolean")
    if column.kind is Kind.NUMBER:
        return pd.Series(pd.NA, index=index, dtype="Float64")
    if column.kind is Kind.LANGUAGE:
        return pd.Series("sv", index=index, dtype=object)
    return pd.Series("", index=index, dtype=object)


def build_frame(
    layout: Layout, sheet: RawSheet | None, tz: str, now: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, list[Finding], dict[str, dict[int, Finding]]]:
    """One typed DataFrame for a tab: contract columns, extra columns as text, and `_row`;
    with the findings for cells that could not be read, also by column and frame position.

    `now` lets a date typed without a year ("30/11 16.02") be read as the latest such day;
    without it such a date is unreadable."""
    findings: list[Finding] = []
    unreadable: dict[str, dict[int, Finding]] = {}
    rows: list[list[Cell]] = []
    numbers: list[int] = []
    if sheet is not None and layout.columns:
        for offset, row in enumerate(sheet.rows[1:], start=2):
            if row and not blank_row(row):
                rows.append(row)
                numbers.append(offset)
    index = pd.RangeIndex(len(rows))
    data: dict[str, Any] = {}

    def raw_column(i: int) -> pd.Series:
        return pd.Series([r[i] if i < len(r) else None for r in rows], index=index, dtype=object)

    for column in layout.tab.columns:
        i = layout.columns.get(column.name)
        if i is None:
            data[column.name] = _empty_column(column, tz, index)
            continue
        raw = raw_column(i)
        if column.name == layout.tab.key and layout.tab.id_prefix:
            ids = [cells.canonical_id(v, layout.tab.id_prefix) for v in raw.tolist()]
            data[column.name] = pd.Series(ids, index=index, dtype=object)
            continue
        if column.kind is Kind.TEXT:
            data[column.name] = raw.map(cells.clean_text).astype(object)
            continue
        parsed, bad = _parser(column.kind, tz, now)(raw)
        if column.kind is Kind.EMAIL:
            # Like every text column: "" for a blank cell, never NaN.
            parsed = parsed.astype(object).where(parsed.notna(), "")
        data[column.name] = parsed
        if bad.any():
            what, hint = _MESSAGES[column.kind]
            for pos in bad[bad].index:
                text = cells.clean_text(raw[pos])
                shown = text if len(text) <= 60 else text[:57] + "..."
                reason = None
                if column.kind in (Kind.TIME, Kind.DATE):
                    reason = timeparse.explain(raw[pos], today=now)
                message = f"'{shown}' {what}" + (f" ({reason})" if reason else "")
                key = _row_key(layout, rows[pos])
                finding = Finding(layout.shown, numbers[pos], i, message, hint, column.name, key)
                findings.append(finding)
                unreadable.setdefault(column.name, {})[int(pos)] = finding
    if sheet is not None and sheet.covered:
        _cells_under_merges(layout, sheet, rows, numbers, findings, unreadable)
    for name, i in layout.extras.items():
        if name not in data:
            data[name] = raw_column(i).map(cells.clean_text).astype(object)
    data[ROW] = pd.Series(numbers, index=index, dtype="int64")
    return pd.DataFrame(data, index=index), findings, unreadable


def _cells_under_merges(
    layout: Layout,
    sheet: RawSheet,
    rows: list[list[Cell]],
    numbers: list[int],
    findings: list[Finding],
    unreadable: dict[str, dict[int, Finding]],
) -> None:
    """A contract cell hidden under merged cells cannot be read: what the sheet shows there is
    another cell's value, and what the file keeps there (if anything) nobody sees."""
    for column in layout.tab.columns:
        i = layout.columns.get(column.name)
        if i is None:
            continue
        for pos, number in enumerate(numbers):
            where = sheet.covered.get((number - 1, i))
            if where is None or pos in unreadable.get(column.name, {}):
                continue
            finding = Finding(
                layout.shown,
                number,
                i,
                f"lies under the merged cells {where}, so it cannot be read on its own",
                f"unmerge {where} and write each value in its own cell",
                column.name,
                _row_key(layout, rows[pos]),
            )
            findings.append(finding)
            unreadable.setdefault(column.name, {})[pos] = finding


def _row_key(layout: Layout, row: list[Cell]) -> str | None:
    i = layout.columns.get(layout.tab.key) if layout.tab.key else None
    if i is None or i >= len(row):
        return None
    return cells.canonical_id(row[i], layout.tab.id_prefix) or None


def load_workbook(raw: RawWorkbook, tz: str, now: pd.Timestamp | None = None) -> Workbook:
    """Turn a backend's raw tabs into typed frames, collecting every finding on the way.

    Pass the run's `now` so that dates typed without a year can be read (see build_frame)."""
    titles, findings = locate_tabs(raw)
    sheets: dict[str, Sheet] = {}
    for tab in TABS:
        title = titles[tab.name]
        sheet = raw.get(title) if title else None
        layout = resolve_layout(tab, sheet)
        frame, parse_findings, unreadable = build_frame(layout, sheet, tz, now)
        findings.extend(layout.findings)
        findings.extend(parse_findings)
        sheets[tab.name] = Sheet(layout, frame, sheet, unreadable)
    return Workbook(sheets, findings, tz)
