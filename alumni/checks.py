"""Semantic checks of the read sheet: problems people can fix, each with its cell and a hint."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import cast

import numpy as np
import pandas as pd

from alumni import timeparse
from alumni.contract import (
    FUTURE_SLACK,
    ROW,
    Kind,
    Owner,
    active_mask,
    fold,
    fold_all,
    is_blank,
)
from alumni.findings import Finding, a1, sort_findings
from alumni.sheet import cells
from alumni.sheet.workbook import Sheet, Workbook

MAX_TEXT = 1_000
QUOTE = 60  # the most of a value a message repeats
FIRST_YEAR = 1970
YEARS_AHEAD = 6  # a graduation year further ahead than this is a typo, not a plan
NAME_COLUMNS = frozenset({"Namn", "Medlem", "Röstande", "Alumn", "Kontaktperson", "Projekt"})

# difflib compares a bad name with every known one; a sheet full of typos against a long
# list of alumni must not make `check` slow, so suggestions stop after this many comparisons.
SUGGESTION_BUDGET = 200_000
SIMILAR = 0.75

_TEXTUAL = (Kind.TEXT, Kind.DECISION)

Check = Callable[["_Book", pd.Timestamp], list[Finding]]


def check_workbook(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """Every problem in the workbook: those found while reading and the semantic checks.

    `now` (time-zone aware) is the moment times are compared with; nothing here reads a
    clock or the sheet, and the workbook is left as it was. The result is sorted by tab,
    row and column.
    """
    # Naive means local time, like a naive cell; the local year decides what "ahead" means.
    now = now.tz_localize(wb.tz) if now.tzinfo is None else now.tz_convert(wb.tz)
    book = _Book(wb)
    found = _long_texts(book, now)
    # One finding per overlong cell: whatever else is wrong with it can wait until it is short.
    long = {(f.tab, f.row, f.col) for f in found}
    for check in CHECKS:
        found.extend(f for f in check(book, now) if (f.tab, f.row, f.col) not in long)
    return sort_findings([*wb.findings, *found])


# --- helpers ---------------------------------------------------------------------------------


def _quote(value: object, limit: int = QUOTE) -> str:
    """A value as a message shows it: in quotes, on one line, cut to about `limit` characters."""
    text = " ".join(cells.clean_text(value).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"'{text}'"


def _where(mask: pd.Series | np.ndarray) -> list[int]:
    """The positions where a boolean (possibly nullable) mask is True."""
    if isinstance(mask, pd.Series):
        mask = mask.fillna(False).to_numpy(dtype=bool)
    return [int(pos) for pos in np.flatnonzero(mask)]


def _repeats(key: pd.Series) -> list[tuple[int, int]]:
    """(position, position of the first row with the same key) for every repeat of a key.

    `key` is indexed by row position and may hold only some of a tab's rows.
    """
    repeat = key.duplicated(keep="first").to_numpy(dtype=bool)
    if not repeat.any():
        return []
    positions = key.index.to_numpy()
    values = key.to_numpy()
    first_at = dict(zip(values[~repeat].tolist(), positions[~repeat].tolist(), strict=True))
    return [
        (int(pos), int(first_at[value]))
        for pos, value in zip(positions[repeat].tolist(), values[repeat].tolist(), strict=True)
    ]


class _View:
    """One tab as the checks see it: its columns, and how to name a row's cell in a finding.

    Rows are addressed by position in the frame (0..n-1), which is how `load_workbook` indexes
    them.
    """

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.tab = sheet.tab
        self.frame = sheet.frame
        self._texts: dict[str, pd.Series] = {}
        self._folded: dict[str, pd.Series] = {}
        self.layout = sheet.layout
        self.shown = sheet.layout.shown
        self.rows = sheet.frame[ROW].to_numpy()
        self.ids: np.ndarray | None = None
        if sheet.tab.id_prefix is not None and self.has("ID"):
            self.ids = self.text("ID").to_numpy()

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, *columns: str) -> bool:
        return all(c in self.layout.columns for c in columns)

    def row(self, pos: int) -> int:
        """The 1-based sheet row of a frame row."""
        return int(self.rows[pos])

    def cell(self, pos: int, column: str) -> str:
        """The A1 address of a row's cell, without the tab: `F7`."""
        return a1(self.row(pos), self.layout.columns[column])

    def finding(self, pos: int, column: str | None, message: str, hint: str) -> Finding:
        """A finding for one row, with the sheet's tab name, row, column and the row's ID."""
        key = (str(self.ids[pos]) or None) if self.ids is not None else None
        col = self.layout.columns.get(column) if column else None
        return Finding(self.shown, self.row(pos), col, message, hint, column, key)

    def header(self, column: str) -> str:
        """The header of a column as the sheet shows it (it may be the English alias)."""
        raw = self.sheet.raw
        if raw is not None and raw.rows:
            i = self.layout.columns[column]
            if i < len(raw.rows[0]):
                return cells.clean_text(raw.rows[0][i]) or column
        return column

    def text(self, column: str) -> pd.Series:
        """A column as text, "" for blank (text-like columns only)."""
        if column not in self._texts:
            values = self.frame[column]
            texts = values.to_numpy(dtype=object, copy=True)
            texts[pd.isna(texts)] = ""
            self._texts[column] = pd.Series(texts, index=values.index, dtype=object)
        return self._texts[column]

    def folded(self, column: str) -> pd.Series:
        """A text column folded for comparing names (case, NFC, spaces)."""
        if column not in self._folded:
            self._folded[column] = fold_all(self.text(column))
        return self._folded[column]

    def raw_blank(self, column: str, positions: list[int]) -> list[int]:
        """Those of `positions` where the cell of `column` was blank in the sheet.

        A parsed column holds NA for blank and unreadable cells alike; only blank ones are
        empty (reading reported the unreadable ones already).
        """
        raw = self.sheet.raw
        if raw is None:
            return positions
        i = self.layout.columns[column]
        lines = [(pos, raw.rows[self.row(pos) - 1]) for pos in positions]
        return [pos for pos, line in lines if i >= len(line) or is_blank(line[i])]

    def empty(self, column: str) -> list[int]:
        """The positions of rows that have nothing in `column`, whatever its kind."""
        values = self.frame[column]
        if self.sheet.tab.column(column).kind in (Kind.TEXT, Kind.EMAIL, Kind.DECISION):
            # text holds "" for blank; a bad e-mail keeps its text, so there NA means blank.
            # A cell that could not be read (under merged cells) was reported when reading.
            unread = self.sheet.unreadable.get(column, {})
            return [pos for pos in _where(self.text(column) == "") if pos not in unread]
        return self.raw_blank(column, _where(values.isna()))

    def names(self, column: str, also: str | None = None) -> _Names | None:
        """The names in a column, or None when the column is missing."""
        if not self.has(column):
            return None
        extra = self.text(also).tolist() if also and self.has(also) else []
        return _Names(self.text(column).tolist(), extra)


class _Book:
    """Every tab of a workbook as a view, shared by the checks so each column is prepared once."""

    def __init__(self, wb: Workbook) -> None:
        self.tz = wb.tz
        self.views = {name: _View(sheet) for name, sheet in wb.sheets.items()}

    def __getitem__(self, name: str) -> _View:
        return self.views[name]


class _Names:
    """Known names (folded → as first written), with "did you mean" among the suggestible.

    `also` are further spellings that count as known but are never suggested: a near miss of
    an ID such as AL-0009 is another alumnus's ID, not a typo of it.
    """

    def __init__(self, values: Iterable[str], also: Iterable[str] = ()) -> None:
        self.known: dict[str, str] = {}
        for value in values:
            if value:
                self.known.setdefault(fold(value), value)
        self._candidates = list(self.known)
        for value in also:
            if value:
                self.known.setdefault(fold(value), value)
        self._guesses: dict[str, str | None] = {}
        self._budget = SUGGESTION_BUDGET

    def suggest(self, folded: str) -> str | None:
        if folded in self._guesses:
            return self._guesses[folded]
        guess = None
        if self._budget >= len(self._candidates):
            self._budget -= len(self._candidates)
            hits = difflib.get_close_matches(folded, self._candidates, n=1, cutoff=SIMILAR)
            guess = self.known[hits[0]] if hits else None
        self._guesses[folded] = guess
        return guess


def _unknown(
    view: _View, column: str, names: _Names, what: str, fix: str
) -> tuple[list[Finding], np.ndarray]:
    """Findings for filled cells of `column` that are none of `names`; also the bad mask."""
    values, folded = view.text(column), view.folded(column)
    bad = ((values != "") & ~folded.isin(names.known.keys())).to_numpy(dtype=bool)
    found = []
    shown, keys = values.to_numpy(), folded.to_numpy()
    for pos in _where(bad):
        guess = names.suggest(keys[pos])
        hint = f"did you mean '{guess}'?" if guess else fix
        found.append(view.finding(pos, column, f"{_quote(shown[pos])} is not {what}", hint))
    return found, bad


# --- checks ----------------------------------------------------------------------------------


def _required(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """A required cell that is empty in a row that has something in it."""
    found = []
    for view in book.views.values():
        for column in view.tab.columns:
            if not column.required or not view.has(column.name) or not len(view):
                continue
            message = f"{view.header(column.name)} is empty"
            for pos in view.empty(column.name):
                found.append(
                    view.finding(pos, column.name, message, "fill it in or delete the row")
                )
    return found


def _duplicate_ids(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """An ID in more than one row: the tool could no longer tell those rows apart."""
    found = []
    for view in book.views.values():
        if view.ids is None:
            continue
        # Exact text, as the tool matches IDs when it writes.
        ids = pd.Series(view.ids)
        for pos, first in _repeats(ids[ids != ""]):
            shown = view.ids[pos] if len(view.ids[pos]) <= QUOTE else _quote(view.ids[pos])
            found.append(
                view.finding(
                    pos,
                    "ID",
                    f"the ID {shown} is also in row {view.row(first)}",
                    "empty this ID cell; the tool gives the row a new one",
                )
            )
    return found


def _graduate_emails(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """The same address twice in one graduating class: that person would be invited twice."""
    view = book["Avgångsklass"]
    if not view.has("E-post", "Examensår"):
        return []
    email = view.text("E-post")
    year = view.frame["Examensår"]
    usable = ((email != "") & year.notna()).to_numpy(dtype=bool)
    key = email[usable].str.casefold() + "\x1f" + year[usable].astype(str)
    return [
        view.finding(
            pos,
            "E-post",
            f"{_quote(email.iat[pos])} is also in row {view.row(first)} "
            f"for graduation year {year.iat[pos]}",
            "delete the duplicate row, or correct the address",
        )
        for pos, first in _repeats(key)
    ]


def _references(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """Names of members, alumni and projects that the tabs they point into do not have."""
    committee = book["Utskott"]
    alumni = book["Alumner"]
    groups = book["Projektgrupper"]
    votes = book["Röster"]
    log = book["Kontaktlogg"]

    found: list[Finding] = []
    unknown_voters = np.zeros(len(votes), dtype=bool)
    members = committee.names("Namn")
    if members is not None:
        what = f"a member in {committee.shown}"
        fix = f"add them in {committee.shown} or correct the name"
        for view, column in ((groups, "Medlem"), (votes, "Röstande"), (log, "Kontaktperson")):
            if view.has(column):
                more, bad = _unknown(view, column, members, what, fix)
                found.extend(more)
                if view is votes:
                    unknown_voters = bad

    if alumni.has("Namn") or alumni.has("ID"):
        if alumni.has("Namn"):
            known = alumni.names("Namn", also="ID")
        else:
            known = _Names((), also=alumni.text("ID").tolist())
        assert known is not None
        what = f"an alumnus in {alumni.shown} (by name or ID)"
        fix = f"add them in {alumni.shown} or correct the name"
        for view in (votes, log):
            if view.has("Alumn"):
                found.extend(_unknown(view, "Alumn", known, what, fix)[0])
                found.extend(_ambiguous_alumni(view, alumni))

    projects = groups.names("Projekt")
    if projects is not None and votes.has("Projekt"):
        what = f"a project in {groups.shown}"
        fix = f"add the project group in {groups.shown} or correct the name"
        more, unknown_projects = _unknown(votes, "Projekt", projects, what, fix)
        found.extend(more)
        if groups.has("Medlem") and votes.has("Röstande"):
            found.extend(_votes_outside_group(votes, groups, unknown_projects | unknown_voters))
    return found


def _ambiguous_alumni(view: _View, alumni: _View) -> list[Finding]:
    """A reference by a name that several alumni share: the tool cannot tell which one."""
    if not alumni.has("Namn"):
        return []
    names = alumni.folded("Namn")
    counts = names[names != ""].value_counts()
    shared = set(counts.index[counts > 1])
    if not shared:
        return []
    values, folded = view.text("Alumn"), view.folded("Alumn")
    ids = set(alumni.folded("ID")) if alumni.has("ID") else set()
    bad = folded.isin(shared) & ~folded.isin(ids)
    found = []
    rows_of: dict[str, list[int]] = {}
    for pos in _where(bad):
        name = str(folded.iat[pos])
        if name not in rows_of:
            rows_of[name] = _where(names == name)
        same = rows_of[name]
        rows = ", ".join(str(alumni.row(p)) for p in same)
        hint = "write the alumnus's ID instead of the name"
        if alumni.ids is not None and alumni.ids[same[0]]:
            hint += f", e.g. {alumni.ids[same[0]]}"
        message = f"{_quote(values.iat[pos])} names several alumni in {alumni.shown} (rows {rows})"
        found.append(view.finding(pos, "Alumn", message, hint))
    return found


def _votes_outside_group(votes: _View, groups: _View, reported: np.ndarray) -> list[Finding]:
    """A vote by a member who is not in the voted project's group."""
    pairs = set(groups.folded("Projekt") + "\x1f" + groups.folded("Medlem"))
    project = votes.text("Projekt")
    voter = votes.text("Röstande")
    key = votes.folded("Projekt") + "\x1f" + votes.folded("Röstande")
    outside = ((project != "") & (voter != "") & ~key.isin(pairs)).to_numpy(dtype=bool)
    return [
        votes.finding(
            pos,
            "Röstande",
            f"{_quote(voter.iat[pos])} is not in the project group of {_quote(project.iat[pos])}",
            f"add them in {groups.shown} or remove the vote",
        )
        for pos in _where(outside & ~reported)
    ]


def _conflicting_votes(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """Votes that disagree where one has no time: which one counts cannot be told."""
    view = book["Röster"]
    if not view.has("Tidstämpel", "Projekt", "Alumn", "Röstande", "Röst") or not len(view):
        return []
    voter, alumnus = view.text("Röstande"), view.text("Alumn")
    key = view.folded("Projekt") + "\x1f" + view.folded("Alumn") + "\x1f" + view.folded("Röstande")
    vote = view.frame["Röst"]
    usable = (vote.notna() & (voter != "") & (alumnus != "")).to_numpy(dtype=bool)
    votes = pd.DataFrame(
        {"key": key.to_numpy()[usable], "vote": vote.to_numpy(dtype=object)[usable]},
        index=np.flatnonzero(usable),
    )
    differ = votes.groupby("key")["vote"].transform("nunique").to_numpy() > 1
    untimed = view.frame["Tidstämpel"].isna().to_numpy()[votes.index.to_numpy()]
    bad = votes[differ & untimed]
    if bad.empty:
        return []
    # Each bad vote names the first vote of its group that says otherwise.
    group = votes[votes["key"].isin(set(bad["key"]))]
    first_of: dict[tuple[object, object], int] = {}
    for pos, key, value in zip(group.index.tolist(), group["key"], group["vote"], strict=True):
        first_of.setdefault((key, value), pos)
    found = []
    for pos, key, value in zip(bad.index.tolist(), bad["key"], bad["vote"], strict=True):
        other = first_of[(key, not value)]
        found.append(
            view.finding(
                pos,
                "Tidstämpel",
                f"the vote by {_quote(voter.iat[pos])} on {_quote(alumnus.iat[pos])} has no "
                f"time and differs from the one in row {view.row(other)}",
                "fill in Tidstämpel or delete the wrong vote",
            )
        )
    return found


def _future_times(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """A time that people (or a form) wrote and that has not happened yet."""
    latest = now + FUTURE_SLACK
    found = []
    for view in book.views.values():
        for column in view.tab.columns:
            if column.kind not in (Kind.TIME, Kind.DATE) or column.owner is Owner.SCRIPT:
                continue
            if not view.has(column.name):
                continue
            times = view.frame[column.name]
            show = timeparse.format_date if column.kind is Kind.DATE else timeparse.format_time
            for pos in _where(times > latest):
                message = f"'{show(cast(pd.Timestamp, times.iat[pos]), book.tz)}' is in the future"
                found.append(view.finding(pos, column.name, message, "correct the date"))
    return found


# (earlier column, later column, "is earlier than" message, "is missing" message, fill hint)
_CONTACT_STEPS = (
    (
        "Kontaktad",
        "Alumnen svarade",
        "the reply is earlier than the contact ({after} before {before})",
        "a reply but no contact time ({before} is empty)",
        "fill in when the alumnus was contacted in {before}",
    ),
    (
        "Alumnen svarade",
        "Vi svarade",
        "our reply is earlier than the alumnus's reply ({after} before {before})",
        "our reply but no time for the alumnus's reply ({before} is empty)",
        "fill in when the alumnus replied in {before}",
    ),
)


def _contact_times(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """Contact-log times in an impossible order, or a reply without what it answers."""
    view = book["Kontaktlogg"]
    found = []
    for before, after, earlier, missing, fill in _CONTACT_STEPS:
        if not view.has(before, after) or not len(view):
            continue
        first, then = view.frame[before], view.frame[after]
        for pos in _where(then < first):
            where = {"after": view.cell(pos, after), "before": view.cell(pos, before)}
            message = earlier.format(**where)
            found.append(view.finding(pos, after, message, "correct one of the times"))
        # An unreadable earlier cell was reported when reading; only a blank one is missing.
        for pos in view.raw_blank(before, _where(then.notna() & first.isna())):
            where = {"after": view.cell(pos, after), "before": view.cell(pos, before)}
            found.append(view.finding(pos, after, missing.format(**where), fill.format(**where)))
    return found


def _committee(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """Members listed twice, and active members the tool cannot e-mail."""
    view = book["Utskott"]
    found = []
    has_names = view.has("Namn")
    names = view.text("Namn") if has_names else pd.Series("", index=view.frame.index)
    folded = view.folded("Namn") if has_names else names
    for pos, first in _repeats(folded[folded != ""]):
        found.append(
            view.finding(
                pos,
                "Namn",
                f"{_quote(names.iat[pos])} is also in row {view.row(first)}",
                "keep one row per member, or tell them apart (e.g. a surname initial)",
            )
        )
    if view.has("Aktiv", "E-post"):
        # A blank (or unreadable) Aktiv is active, as everywhere: the policy binds the member.
        active = active_mask(view.frame["Aktiv"])
        for pos in view.empty("E-post"):
            if not active[pos]:
                continue
            who = _quote(names.iat[pos]) if names.iat[pos] else "this member"
            found.append(
                view.finding(
                    pos,
                    "E-post",
                    f"{who} is active but has no e-mail",
                    "add their address; the tool cannot remind them without one",
                )
            )
    return found


def _years(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """A graduation year that is readable but unlikely, such as a typo'd decade."""
    last = now.year + YEARS_AHEAD
    found = []
    for view in book.views.values():
        for column in view.tab.columns:
            if column.kind is not Kind.YEAR or not view.has(column.name):
                continue
            years = view.frame[column.name]
            for pos in _where((years < FIRST_YEAR) | (years > last)):
                message = (
                    f"'{years.iat[pos]}' is not a likely graduation year ({FIRST_YEAR}–{last})"
                )
                found.append(view.finding(pos, column.name, message, "correct the year"))
    return found


def _long_texts(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """Text cells too long for anyone to read in a sheet (often a paste gone wrong)."""
    found = []
    for view in book.views.values():
        for column in view.tab.columns:
            if column.kind not in _TEXTUAL or not view.has(column.name):
                continue
            values = view.text(column.name).to_numpy()
            lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
            for pos in _where(lengths > MAX_TEXT):
                message = f"{_quote(values[pos], 30)} is {lengths[pos]:,} characters long"
                found.append(view.finding(pos, column.name, message, "shorten it"))
    return found


def _formulas(book: _Book, now: pd.Timestamp) -> list[Finding]:
    """A formula in a text cell people own: the tool would read the formula, not its result."""
    found = []
    for view in book.views.values():
        for column in view.tab.columns:
            if column.kind not in _TEXTUAL or column.owner is Owner.SCRIPT:
                continue
            if not view.has(column.name):
                continue
            values = view.text(column.name)
            hint = (
                f"type {'the name' if column.name in NAME_COLUMNS else 'the value'} as plain text"
            )
            for pos in _where(values.str.startswith("=")):
                message = f"{_quote(values.iat[pos])} looks like a formula"
                found.append(view.finding(pos, column.name, message, hint))
    return found


CHECKS: tuple[Check, ...] = (
    _required,
    _duplicate_ids,
    _graduate_emails,
    _references,
    _conflicting_votes,
    _future_times,
    _contact_times,
    _committee,
    _years,
    _formulas,
)
"""Every check but _long_texts, which check_workbook runs first."""
