"""Semantic checks of the read sheet: problems people can fix, each with its cell and a hint."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import cast

import pandas as pd

from alumni import cells, timeparse
from alumni.contract import Kind, Owner, fold
from alumni.findings import Finding, a1, sort_findings
from alumni.sheet import ROW, Sheet, Workbook

FUTURE_SLACK = pd.Timedelta(minutes=5)  # clocks of people, forms and the tool disagree a little
MAX_TEXT = 1_000
QUOTE = 60  # the most of a value a message repeats
FIRST_YEAR = 1970
YEARS_AHEAD = 6  # a graduation year further ahead than this is a typo, not a plan
DECISIONS = ("Godkänn", "Avslå")
NAME_COLUMNS = frozenset({"Namn", "Medlem", "Röstande", "Alumn", "Kontaktperson", "Projekt"})

# difflib compares a bad name with every known one; a sheet full of typos against a long
# list of alumni must not make `check` slow, so suggestions stop after this many comparisons.
SUGGESTION_BUDGET = 200_000
SIMILAR = 0.75

Check = Callable[[Workbook, pd.Timestamp], list[Finding]]


def check_workbook(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """Every problem in the workbook: those found while reading and the semantic checks.

    `now` (time-zone aware) is the moment times are compared with; nothing here reads a
    clock or the sheet. The result is sorted by tab, row and column.
    """
    found = check_long_texts(wb, now)
    # One finding per overlong cell: whatever else is wrong with it can wait until it is short.
    long = {(f.tab, f.row, f.col) for f in found}
    for check in CHECKS:
        found.extend(f for f in check(wb, now) if (f.tab, f.row, f.col) not in long)
    return sort_findings([*wb.findings, *found])


# --- helpers ---------------------------------------------------------------------------------


def _quote(value: object, limit: int = QUOTE) -> str:
    """A value as a message shows it: in quotes, on one line, cut to about `limit` characters."""
    text = " ".join(cells.clean_text(value).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"'{text}'"


def _has(sheet: Sheet, *columns: str) -> bool:
    return all(c in sheet.layout.columns for c in columns)


def _finding(sheet: Sheet, index: int, column: str | None, message: str, hint: str) -> Finding:
    """A finding for one frame row, with the sheet's tab name, row, column and row ID."""
    layout = sheet.layout
    key = None
    if sheet.tab.id_prefix is not None and "ID" in layout.columns:
        key = str(sheet.frame.at[index, "ID"]) or None
    col = layout.columns.get(column) if column else None
    return Finding(layout.shown, _row_of(sheet, index), col, message, hint, column, key)


def _cell(sheet: Sheet, index: int, column: str) -> str:
    """The A1 address of a row's cell, without the tab: `F7`."""
    return a1(_row_of(sheet, index), sheet.layout.columns[column])


def _header(sheet: Sheet, column: str) -> str:
    """The header of a column as the sheet shows it (it may be the English alias)."""
    if sheet.raw is not None and sheet.raw.rows:
        header = sheet.raw.rows[0]
        i = sheet.layout.columns[column]
        if i < len(header):
            return cells.clean_text(header[i]) or column
    return column


def _row_of(sheet: Sheet, index: int) -> int:
    """The 1-based sheet row of a frame row."""
    return int(cast(int, sheet.frame.at[index, ROW]))


def _raw_blank(sheet: Sheet, column: str, index: pd.Index) -> pd.Series:
    """Whether the cells of `column` in the rows `index` were blank in the sheet.

    A parsed column holds NA for blank and unreadable cells alike; only blank ones are
    "empty" (reading already reported the unreadable ones).
    """
    if sheet.raw is None:
        return pd.Series(True, index=index, dtype=bool)
    rows = sheet.raw.rows
    i = sheet.layout.columns[column]
    blank = [
        i >= len(rows[r - 1]) or cells.is_blank(rows[r - 1][i])
        for r in sheet.frame.loc[index, ROW].tolist()
    ]
    return pd.Series(blank, index=index, dtype=bool)


def _empty(sheet: Sheet, column: str) -> pd.Series:
    """Which rows have nothing in `column`, whatever its kind."""
    values = sheet.frame[column]
    kind = sheet.tab.column(column).kind
    if kind in (Kind.TEXT, Kind.EMAIL):
        # text columns hold "" for blank; a bad e-mail keeps its text, so NA means blank
        return values.isna() | (values.astype(object) == "")
    empty = pd.Series(False, index=values.index, dtype=bool)
    missing = values.index[values.isna().to_numpy()]
    if len(missing):
        empty[missing] = _raw_blank(sheet, column, missing)
    return empty


def _text(sheet: Sheet, column: str) -> pd.Series:
    return sheet.frame[column].astype(object).where(sheet.frame[column].notna(), "")


def _fold(values: pd.Series) -> pd.Series:
    """Names folded for comparison (case, NFC, spaces), once per distinct name."""
    table = {v: fold(v) for v in pd.unique(values)}
    return values.map(table)


def _first_rows(key: pd.Series) -> list[tuple[int, int]]:
    """(index, index of the first row with the same key) for every repeat of a key."""
    repeat = key.duplicated(keep="first")
    if not repeat.any():
        return []
    firsts = key[~repeat]
    first_at = dict(zip(firsts.tolist(), firsts.index.tolist(), strict=True))
    return [(i, first_at[key[i]]) for i in key.index[repeat.to_numpy()]]


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


def _names(sheet: Sheet, column: str) -> _Names | None:
    """The names in a column of another tab, or None when that column is missing."""
    if not _has(sheet, column):
        return None
    return _Names(_text(sheet, column).tolist())


def _unknown(
    sheet: Sheet, column: str, names: _Names, what: str, fix: str
) -> tuple[list[Finding], pd.Series]:
    """Findings for filled cells of `column` that are none of `names`; also the bad mask."""
    values = _text(sheet, column)
    folded = _fold(values)
    bad = (values != "") & ~folded.isin(names.known.keys())
    found = []
    for index in values.index[bad.to_numpy()]:
        guess = names.suggest(folded[index])
        hint = f"did you mean '{guess}'?" if guess else fix
        found.append(_finding(sheet, index, column, f"{_quote(values[index])} is not {what}", hint))
    return found, bad


# --- checks ----------------------------------------------------------------------------------


def check_required(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """A required cell that is empty in a row that has something in it."""
    found = []
    for sheet in wb.sheets.values():
        for column in sheet.tab.columns:
            if not column.required or not _has(sheet, column.name) or sheet.frame.empty:
                continue
            empty = _empty(sheet, column.name)
            header = _header(sheet, column.name)
            for index in empty.index[empty.to_numpy()]:
                found.append(
                    _finding(
                        sheet,
                        index,
                        column.name,
                        f"{header} is empty",
                        "fill it in or delete the row",
                    )
                )
    return found


def check_duplicate_ids(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """An ID in more than one row: the tool could no longer tell those rows apart."""
    found = []
    for sheet in wb.sheets.values():
        if sheet.tab.id_prefix is None or not _has(sheet, "ID"):
            continue
        # Exact text, as the tool matches IDs when it writes.
        ids = _text(sheet, "ID")
        for index, first in _first_rows(ids[ids != ""]):
            shown = ids[index] if len(ids[index]) <= QUOTE else _quote(ids[index])
            found.append(
                _finding(
                    sheet,
                    index,
                    "ID",
                    f"the ID {shown} is also in row {_row_of(sheet, first)}",
                    "empty this ID cell; the tool gives the row a new one",
                )
            )
    return found


def check_graduate_emails(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """The same address twice in one graduating class: that person would be invited twice."""
    sheet = wb.sheets["Avgångsklass"]
    if not _has(sheet, "E-post", "Examensår"):
        return []
    frame = sheet.frame
    email = _text(sheet, "E-post").str.casefold()
    year = frame["Examensår"]
    usable = (email != "") & year.notna()
    key = email[usable] + "\x1f" + year[usable].astype(str)
    found = []
    for index, first in _first_rows(key):
        found.append(
            _finding(
                sheet,
                index,
                "E-post",
                f"{_quote(frame.at[index, 'E-post'])} is also in row {_row_of(sheet, first)} "
                f"for graduation year {year[index]}",
                "delete the duplicate row, or correct the address",
            )
        )
    return found


def check_references(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """Names of members, alumni and projects that the tabs they point into do not have."""
    committee = wb.sheets["Utskott"]
    alumni = wb.sheets["Alumner"]
    groups = wb.sheets["Projektgrupper"]
    votes = wb.sheets["Röster"]
    log = wb.sheets["Kontaktlogg"]

    members = _names(committee, "Namn")
    member_what = f"a member in {committee.layout.shown}"
    member_fix = f"add them in {committee.layout.shown} or correct the name"
    alumni_names = _names(alumni, "Namn")
    alumni_ids = _names(alumni, "ID")
    alumnus_what = f"an alumnus in {alumni.layout.shown} (by name or ID)"
    alumnus_fix = f"add them in {alumni.layout.shown} or correct the name"
    projects = _names(groups, "Projekt")

    found: list[Finding] = []
    unknown_voters = pd.Series(False, index=votes.frame.index, dtype=bool)
    if members is not None:
        for sheet, column in ((groups, "Medlem"), (votes, "Röstande"), (log, "Kontaktperson")):
            if _has(sheet, column):
                more, bad = _unknown(sheet, column, members, member_what, member_fix)
                found.extend(more)
                if sheet is votes:
                    unknown_voters = bad

    if alumni_names is not None or alumni_ids is not None:
        both = _Names(
            alumni_names.known.values() if alumni_names else (),
            also=alumni_ids.known.values() if alumni_ids else (),
        )
        for sheet in (votes, log):
            if _has(sheet, "Alumn"):
                found.extend(_unknown(sheet, "Alumn", both, alumnus_what, alumnus_fix)[0])
                found.extend(_ambiguous_alumni(sheet, alumni, alumni_ids))

    if projects is not None and _has(votes, "Projekt"):
        what = f"a project in {groups.layout.shown}"
        fix = f"add the project group in {groups.layout.shown} or correct the name"
        more, unknown_projects = _unknown(votes, "Projekt", projects, what, fix)
        found.extend(more)
        if _has(groups, "Medlem") and _has(votes, "Röstande"):
            found.extend(_votes_outside_group(votes, groups, unknown_projects | unknown_voters))
    return found


def _ambiguous_alumni(sheet: Sheet, alumni: Sheet, ids: _Names | None) -> list[Finding]:
    """A reference by a name that several alumni share: the tool cannot tell which one."""
    if not _has(alumni, "Namn"):
        return []
    names = _fold(_text(alumni, "Namn"))
    counts = names[names != ""].value_counts()
    shared = counts[counts > 1]
    if shared.empty:
        return []
    values = _text(sheet, "Alumn")
    folded = _fold(values)
    id_known = ids.known.keys() if ids is not None else set()
    bad = folded.isin(shared.index) & ~folded.isin(id_known)
    found = []
    for index in values.index[bad.to_numpy()]:
        rows = alumni.frame.loc[names == folded[index], ROW].tolist()
        where = ", ".join(str(r) for r in rows)
        hint = "write the alumnus's ID instead of the name"
        if ids is not None:
            first = alumni.frame.index[(names == folded[index]).to_numpy()][0]
            an_id = str(alumni.frame.at[first, "ID"])
            if an_id:
                hint = f"write the alumnus's ID instead of the name, e.g. {an_id}"
        found.append(
            _finding(
                sheet,
                index,
                "Alumn",
                f"{_quote(values[index])} names several alumni in {alumni.layout.shown} "
                f"(rows {where})",
                hint,
            )
        )
    return found


def _votes_outside_group(votes: Sheet, groups: Sheet, reported: pd.Series) -> list[Finding]:
    """A vote by someone who is not in the voted project's group."""
    pairs = set(
        (_fold(_text(groups, "Projekt")) + "\x1f" + _fold(_text(groups, "Medlem"))).tolist()
    )
    project = _text(votes, "Projekt")
    voter = _text(votes, "Röstande")
    key = _fold(project) + "\x1f" + _fold(voter)
    bad = (project != "") & (voter != "") & ~reported & ~key.isin(pairs)
    return [
        _finding(
            votes,
            index,
            "Röstande",
            f"{_quote(voter[index])} is not in the project group of {_quote(project[index])}",
            f"add them in {groups.layout.shown} or remove the vote",
        )
        for index in votes.frame.index[bad.to_numpy()]
    ]


def check_conflicting_votes(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """Votes that disagree where one has no time: which one counts cannot be told."""
    sheet = wb.sheets["Röster"]
    if not _has(sheet, "Tidstämpel", "Projekt", "Alumn", "Röstande", "Röst"):
        return []
    frame = sheet.frame
    vote = frame["Röst"]
    key = (
        _fold(_text(sheet, "Projekt"))
        + "\x1f"
        + _fold(_text(sheet, "Alumn"))
        + "\x1f"
        + _fold(_text(sheet, "Röstande"))
    )
    usable = vote.notna() & (frame["Röstande"] != "") & (frame["Alumn"] != "")
    votes = pd.DataFrame({"key": key, "vote": vote.astype(object)})[usable.to_numpy()]
    differ = votes.groupby("key")["vote"].transform("nunique") > 1
    bad = differ & frame.loc[votes.index, "Tidstämpel"].isna()
    found = []
    for index in votes.index[bad.to_numpy()]:
        others = votes.index[
            ((votes["key"] == votes.at[index, "key"]) & (votes["vote"] != vote[index])).to_numpy()
        ]
        found.append(
            _finding(
                sheet,
                index,
                "Tidstämpel",
                f"the vote by {_quote(frame.at[index, 'Röstande'])} on "
                f"{_quote(frame.at[index, 'Alumn'])} has no time and differs from the one in "
                f"row {_row_of(sheet, others[0])}",
                "fill in Tidstämpel or delete the wrong vote",
            )
        )
    return found


def check_future_times(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """A time people wrote that has not happened yet."""
    latest = now + FUTURE_SLACK
    found = []
    for sheet in wb.sheets.values():
        for column in sheet.tab.columns:
            if column.kind not in (Kind.TIME, Kind.DATE) or column.owner is Owner.SCRIPT:
                continue
            if not _has(sheet, column.name):
                continue
            times = sheet.frame[column.name]
            future = times.notna() & (times > latest)
            show = timeparse.format_date if column.kind is Kind.DATE else timeparse.format_time
            for index in times.index[future.to_numpy()]:
                found.append(
                    _finding(
                        sheet,
                        index,
                        column.name,
                        f"'{show(times[index], wb.tz)}' is in the future",
                        "correct the date",
                    )
                )
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


def check_contact_times(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """Contact-log times in an impossible order, or a reply without what it answers."""
    sheet = wb.sheets["Kontaktlogg"]
    frame = sheet.frame
    found = []
    for before, after, earlier, missing, fill in _CONTACT_STEPS:
        if not _has(sheet, before, after) or frame.empty:
            continue
        first, then = frame[before], frame[after]
        for index in frame.index[(then < first).fillna(False).to_numpy(dtype=bool)]:
            cells_ = {"after": _cell(sheet, index, after), "before": _cell(sheet, index, before)}
            found.append(
                _finding(sheet, index, after, earlier.format(**cells_), "correct one of the times")
            )
        # An unreadable earlier cell was reported when reading; only a blank one is missing.
        candidates = frame.index[(then.notna() & first.isna()).to_numpy(dtype=bool)]
        blank = _raw_blank(sheet, before, candidates)
        for index in candidates[blank.to_numpy()]:
            cells_ = {"after": _cell(sheet, index, after), "before": _cell(sheet, index, before)}
            found.append(
                _finding(sheet, index, after, missing.format(**cells_), fill.format(**cells_))
            )
    return found


def check_committee(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """Members listed twice, and active members the tool cannot e-mail."""
    sheet = wb.sheets["Utskott"]
    frame = sheet.frame
    found = []
    if _has(sheet, "Namn"):
        names = _text(sheet, "Namn")
        folded = _fold(names)
        for index, first in _first_rows(folded[folded != ""]):
            found.append(
                _finding(
                    sheet,
                    index,
                    "Namn",
                    f"{_quote(names[index])} is also in row {_row_of(sheet, first)}",
                    "keep one row per member, or tell them apart (e.g. a surname initial)",
                )
            )
    if _has(sheet, "Aktiv", "E-post"):
        active = frame["Aktiv"].fillna(False).astype(bool)
        silent = active & _empty(sheet, "E-post")
        for index in frame.index[silent.to_numpy()]:
            who = _quote(frame.at[index, "Namn"]) if _has(sheet, "Namn") else "''"
            if who == "''":
                who = "this member"
            found.append(
                _finding(
                    sheet,
                    index,
                    "E-post",
                    f"{who} is active but has no e-mail",
                    "add their address; the tool cannot remind them without one",
                )
            )
    return found


def check_decisions(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """A chair's decision that is neither of the two the tool understands."""
    sheet = wb.sheets["Ansökningar"]
    if not _has(sheet, "Beslut"):
        return []
    values = _text(sheet, "Beslut")
    bad = (values != "") & ~_fold(values).isin({fold(d) for d in DECISIONS})
    return [
        _finding(
            sheet,
            index,
            "Beslut",
            f"{_quote(values[index])} is not a decision",
            f"write {DECISIONS[0]} or {DECISIONS[1]}, or leave it empty",
        )
        for index in values.index[bad.to_numpy()]
    ]


def check_years(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """A graduation year that is readable but unlikely, such as a typo'd decade."""
    last = now.year + YEARS_AHEAD
    found = []
    for sheet in wb.sheets.values():
        for column in sheet.tab.columns:
            if column.kind is not Kind.YEAR or not _has(sheet, column.name):
                continue
            years = sheet.frame[column.name]
            odd = years.notna() & ((years < FIRST_YEAR) | (years > last))
            for index in years.index[odd.fillna(False).to_numpy(dtype=bool)]:
                found.append(
                    _finding(
                        sheet,
                        index,
                        column.name,
                        f"'{years[index]}' is not a likely graduation year ({FIRST_YEAR}–{last})",
                        "correct the year",
                    )
                )
    return found


def check_long_texts(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """Text cells too long for anyone to read in a sheet (often a paste gone wrong)."""
    found = []
    for sheet in wb.sheets.values():
        for column in sheet.tab.columns:
            if column.kind is not Kind.TEXT or not _has(sheet, column.name):
                continue
            values = _text(sheet, column.name)
            lengths = values.str.len()
            for index in values.index[(lengths > MAX_TEXT).to_numpy(dtype=bool)]:
                found.append(
                    _finding(
                        sheet,
                        index,
                        column.name,
                        f"{_quote(values[index], 30)} is {lengths[index]:,} characters long",
                        "shorten it",
                    )
                )
    return found


def check_formulas(wb: Workbook, now: pd.Timestamp) -> list[Finding]:
    """A formula in a text cell people own: the tool would read the formula, not its result."""
    found = []
    for sheet in wb.sheets.values():
        for column in sheet.tab.columns:
            if column.kind is not Kind.TEXT or column.owner is Owner.SCRIPT:
                continue
            if not _has(sheet, column.name):
                continue
            values = _text(sheet, column.name)
            what = "the name" if column.name in NAME_COLUMNS else "the value"
            for index in values.index[values.str.startswith("=").to_numpy(dtype=bool)]:
                found.append(
                    _finding(
                        sheet,
                        index,
                        column.name,
                        f"{_quote(values[index])} looks like a formula",
                        f"type {what} as plain text",
                    )
                )
    return found


CHECKS: tuple[Check, ...] = (
    check_required,
    check_duplicate_ids,
    check_graduate_emails,
    check_references,
    check_conflicting_votes,
    check_future_times,
    check_contact_times,
    check_committee,
    check_decisions,
    check_years,
    check_formulas,
)
"""Every check but check_long_texts, which check_workbook runs first."""
