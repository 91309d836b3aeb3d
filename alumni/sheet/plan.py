"""Turns a set of changes into exact cell writes against the sheet as it is right now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alumni.contract import Owner, Tab, is_blank, tab
from alumni.findings import Finding
from alumni.sheet import cells
from alumni.sheet.changes import ChangeSet
from alumni.sheet.workbook import (
    Layout,
    RawSheet,
    RawWorkbook,
    Value,
    blank_row,
    locate_tabs,
    resolve_layout,
    row_fingerprint,
)


@dataclass(frozen=True)
class CellWrite:
    """One cell to write: sheet title, 0-based grid row and column, and the value."""

    title: str
    row: int
    col: int
    value: Value


@dataclass(frozen=True)
class CellTooLong(Finding):
    """A value the plan left out because it is longer than a cell of the backend holds.

    Unlike the other findings in `Plan.skipped` (a row removed meanwhile, a header missing),
    it is a problem in the sheet's data to fix: a command that meets one exits with 1.
    """

    length: int = 0
    limit: int = 0


def cell_chars(value: Value) -> int:
    """How long a text is to a spreadsheet: in UTF-16 code units, as Excel counts (an emoji
    is two); 0 for a value that is not text."""
    if not isinstance(value, str):
        return 0
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le")) // 2


def too_long(findings: Sequence[Finding]) -> list[CellTooLong]:
    """The findings that name a value left out for its length."""
    return [f for f in findings if isinstance(f, CellTooLong)]


@dataclass
class Plan:
    """Exactly what a backend must write, in one go, for a change set.

    `new_sheets` are tabs to create (their headers are among `writes`); `appends[title]`
    holds the rows to add after the last row that has data, `first_row` the 0-based grid row
    where they land if nobody adds rows meanwhile (counted after `deletions`, which are
    0-based grid rows to remove, in ascending order, once the writes are made: row numbers in
    `writes` are those before any deletion). `skipped` says what could not be written.
    """

    new_sheets: list[str] = field(default_factory=list)
    writes: list[CellWrite] = field(default_factory=list)
    appends: dict[str, list[list[Value]]] = field(default_factory=dict)
    first_row: dict[str, int] = field(default_factory=dict)
    deletions: dict[str, list[int]] = field(default_factory=dict)
    skipped: list[Finding] = field(default_factory=list)
    ids_given: int = 0
    restoring: set[tuple[str, int, int]] = field(default_factory=set)
    """The cells among `writes` (title, row, column) that put back what a value of the tool
    replaced when it landed in another row (see `repair`)."""

    def __bool__(self) -> bool:
        return bool(self.new_sheets or self.writes or self.appends or self.deletions)

    def cells_written(self) -> int:
        appended = sum(
            sum(v is not None for v in row) for rows in self.appends.values() for row in rows
        )
        return len(self.writes) + appended

    def rows_deleted(self) -> int:
        return sum(len(rows) for rows in self.deletions.values())

    def deletion_runs(self, title: str) -> list[tuple[int, int]]:
        """The rows to delete in `title` as runs (first, count) of adjacent rows, bottom first.

        Deleting bottom-up means each deletion leaves the rows still to delete where they were.
        """
        runs: list[tuple[int, int]] = []
        for r in sorted(set(self.deletions.get(title, [])), reverse=True):
            if runs and runs[-1][0] == r + 1:
                runs[-1] = (r, runs[-1][1] + 1)
            else:
                runs.append((r, 1))
        return runs


def same_value(old: object, new: Value) -> bool:
    """Whether writing `new` over `old` would change what the cell shows."""
    if isinstance(new, int | float) and not isinstance(new, bool):
        try:
            return float(cells.clean_text(old).replace(",", ".")) == float(new)
        except ValueError:
            return False
    return cells.clean_text(old) == cells.clean_text(new)


def holds_anything(value: object) -> bool:
    """Whether a cell holds anything at all, even only spaces: such a cell is never written
    over to make room for a header."""
    return value is not None and value != ""


def first_empty_column(rows: Sequence[Sequence[object]]) -> int:
    """The 0-based column right of every column that holds anything, in any row."""
    return max((i + 1 for row in rows for i, v in enumerate(row) if holds_anything(v)), default=0)


def complete_header(
    tab_: Tab, title: str, rows: Sequence[Sequence[object]], columns: Mapping[str, int]
) -> list[CellWrite]:
    """Header cells for the contract columns not in `columns`, appended to row 1 of `rows` (the
    tab's cells) right of every column that holds anything: a header the tool adds lands on an
    empty cell, and never names a column of cells someone typed without a header."""
    start = first_empty_column(rows)
    missing = [column for column in tab_.columns if column.name not in columns]
    return [CellWrite(title, 0, start + i, column.name) for i, column in enumerate(missing)]


class _TabPlanner:
    """Plans one tab's part of a change set against that tab's fresh cells."""

    def __init__(
        self, plan: Plan, tab_: Tab, sheet: RawSheet | None, max_cell_chars: int | None = None
    ) -> None:
        self.plan = plan
        self.tab = tab_
        self.max_cell_chars = max_cell_chars
        self.missing_columns: set[str] = set()
        if sheet is None:
            sheet = RawSheet(tab_.name, [])
            plan.new_sheets.append(tab_.name)
        self.sheet = sheet
        self.layout: Layout = resolve_layout(tab_, sheet)
        if tab_.by_tool:
            self._complete_header()
        self.rows: dict[str, list[int]] = {}
        self.unkeyed: dict[tuple[str, ...], list[int]] = {}
        key_col = self.layout.columns.get(tab_.key) if tab_.key else None
        self.key_col = key_col
        if key_col is not None:
            for r, row in enumerate(sheet.rows[1:], start=1):
                if blank_row(row):
                    continue
                key = cells.canonical_id(
                    row[key_col] if key_col < len(row) else None, tab_.id_prefix
                )
                if key:
                    self.rows.setdefault(key, []).append(r)
                else:
                    self.unkeyed.setdefault(row_fingerprint(self.layout, row), []).append(r)
        self.next_row = len(sheet.rows) if sheet.rows else 1
        self.deleting: set[str] = set()
        self.deleted_rows: list[int] = []

    def _complete_header(self) -> None:
        taken = {**self.layout.columns, **dict.fromkeys(self.layout.duplicates, -1)}
        writes = complete_header(self.tab, self.sheet.title, self.sheet.rows, taken)
        self.layout.columns.update({str(w.value): w.col for w in writes})
        self.plan.writes.extend(writes)

    def _skip(self, row: int | None, message: str, hint: str = "", key: str | None = None) -> None:
        self.plan.skipped.append(Finding(self.layout.shown, row, None, message, hint, key=key))

    def _column(self, name: str) -> int | None:
        if name in self.layout.duplicates:
            if name not in self.missing_columns:
                self.missing_columns.add(name)
                self._skip(
                    1,
                    f"the header '{name}' appears twice: nothing was written in it",
                    "rename or remove one of them",
                )
            return None
        index = self.layout.columns.get(name)
        if index is None and name not in self.missing_columns:
            self.missing_columns.add(name)
            self._skip(
                1,
                f"the header '{name}' is missing: nothing was written in it",
                f"add '{name}' in row 1 (`alumni init` adds missing headers)",
            )
        return index

    def _cell(self, r: int, c: int) -> object:
        row = self.sheet.rows[r]
        return row[c] if c < len(row) else None

    def _fits(self, r: int, c: int, name: str, value: Value, key: str | None) -> bool:
        """Whether `value` fits in a cell; if not, say so, naming grid row `r`, column `c`."""
        limit = self.max_cell_chars
        length = cell_chars(value) if limit is not None else 0
        if limit is None or length <= limit:
            return True
        of = f" of {key}" if key else ""
        self.plan.skipped.append(
            CellTooLong(
                self.layout.shown,
                r + 1,
                c,
                f"the value for {name}{of} is {length:,} characters long, more than the "
                f"{limit:,} a cell holds, so it was left out (it begins {str(value)[:40]!r})",
                "shorten the text it is made from (a long name or a text pasted into another "
                "cell) and run again; the rest was written",
                column=name,
                key=key or None,
                length=length,
                limit=limit,
            )
        )
        return False

    def _write(
        self, r: int, name: str, value: Value, key: str, guards: dict[str, Value] | None = None
    ) -> None:
        c = self._column(name)
        if c is None:
            return
        owner = self.tab.column(name).owner
        old = self._cell(r, c)
        if owner is Owner.FILL and not is_blank(old):
            return  # a person's value wins over the tool's proposal
        if owner is Owner.HUMAN:
            if guards is None or name not in guards:
                raise ValueError(f"{self.tab.name}.{name} belongs to the committee: fill only")
            over = guards[name]
            if not (is_blank(old) or (over is not None and same_value(old, over))):
                self.plan.skipped.append(
                    Finding(
                        self.layout.shown,
                        r + 1,
                        c,
                        f"{name} of {key} was typed by a person after the run read the sheet: "
                        f"'{old}' was kept",
                        "nothing to do; check the time against the mail",
                        name,
                        key,
                    )
                )
                return
        if not same_value(old, value) and self._fits(r, c, name, value, key):
            self.plan.writes.append(CellWrite(self.sheet.title, r, c, value))

    def give_ids(self, new_ids: list[tuple[str, tuple[str, ...]]]) -> None:
        if self.key_col is None:
            self._column(self.tab.key or "ID")
            return
        for new_id, fingerprint in new_ids:
            candidates = self.unkeyed.get(fingerprint)
            if not candidates:
                continue  # edited or removed since it was read: it gets an ID next run
            r = candidates.pop(0)
            self.plan.writes.append(CellWrite(self.sheet.title, r, self.key_col, new_id))
            self.rows.setdefault(new_id, []).append(r)
            self.plan.ids_given += 1

    def _doubled(self, key: str, found: list[int], what: str) -> bool:
        if len(found) <= 1:
            return False
        where = ", ".join(str(r + 1) for r in found)
        self._skip(
            found[0] + 1,
            f"the ID {key} stands in several rows ({where}): {what}",
            "give each row its own ID (empty the copy's ID cell)",
            key,
        )
        return True

    def delete(self, keys: list[str]) -> None:
        """Plan the removal of the rows keyed `keys`; call before `update` and `append`."""
        # Judged on the change set, not on the fresh cells, so that a retry of a write that
        # did land neither re-creates the row by an upsert nor appends it again.
        if not keys:
            return
        keys = [self._key(k) for k in keys]
        self.deleting.update(keys)
        if self.key_col is None:
            self._column(self.tab.key or "ID")
            return
        rows: list[int] = []
        for key in keys:
            found = self.rows.get(key, [])
            if self._doubled(key, found, "not deleted"):
                continue
            # A key no longer there was removed already, by a person or an earlier attempt.
            rows.extend(found)
        if rows:
            self.deleted_rows = sorted(set(rows))
            self.plan.deletions[self.sheet.title] = self.deleted_rows

    def drop_writes_to_deleted_rows(self) -> None:
        gone = set(self.deleted_rows)
        if gone:
            title = self.sheet.title
            self.plan.writes = [
                w for w in self.plan.writes if not (w.title == title and w.row in gone)
            ]

    def _key(self, key: str) -> str:
        # A change may name a row as it was typed ("KL-3"); rows are indexed as read.
        return cells.canonical_id(key, self.tab.id_prefix)

    def update(
        self, key: str, values: dict[str, Value], guards: dict[str, Value] | None = None
    ) -> None:
        key = self._key(key)
        if key in self.deleting:
            return  # the row is going away: writing it first would be wasted
        found = self.rows.get(key, [])
        if self._doubled(key, found, "not written"):
            return
        if not found:
            if self.tab.by_tool:
                self.append({self.tab.key or "": key, **values})
            else:
                self._skip(
                    None,
                    f"the row {key} was removed before the tool could write it: skipped",
                    "nothing to do if that was intended",
                    key,
                )
            return
        for name, value in values.items():
            self._write(found[0], name, value, key, guards)

    def append(self, values: dict[str, Value]) -> None:
        key = self._key(cells.clean_text(values.get(self.tab.key or ""))) if self.tab.key else ""
        if key and (key in self.rows or key in self.deleting):
            return  # already there, e.g. written by an earlier attempt of this same run
        # Appends land after the last row that is left once the deletions are made.
        lands = self.next_row - len(self.deleted_rows)
        row: list[Value] = []
        for name, value in values.items():
            c = self._column(name)
            if c is None or not self._fits(lands, c, name, value, key):
                continue
            row.extend([None] * (c + 1 - len(row)))
            row[c] = value
        if not any(v is not None for v in row):
            return
        title = self.sheet.title
        self.plan.appends.setdefault(title, []).append(row)
        self.plan.first_row.setdefault(title, lands)
        if key:
            self.rows[key] = [self.next_row]
        self.next_row += 1


def plan_changes(changes: ChangeSet, fresh: RawWorkbook, max_cell_chars: int | None = None) -> Plan:
    """Locate every changed row again, by key, in `fresh`, and say what to write where.

    Rows that moved are followed; rows that vanished or whose key is doubled are skipped and
    reported; a filled cell in a column the tool only fills is left alone; unchanged values
    are not written again; appends whose key is already present are dropped. A deleted key
    found in exactly one row removes that row; one found in several rows is reported and
    kept; one that vanished is already gone. Updates and appends of a deleted key are dropped.
    A text longer than `max_cell_chars` (the backend's `Store.max_cell_chars`) is left out
    and reported as a `CellTooLong`; the rest of its row is written all the same.
    """
    plan = Plan()
    titles, _ = locate_tabs(fresh)
    for name in changes.tabs():
        tab_ = tab(name)
        title = titles[name]
        if title is None and not tab_.by_tool:
            plan.skipped.append(
                Finding(
                    name,
                    None,
                    None,
                    f"the tab '{name}' is missing: nothing was written in it",
                    "add it (`alumni init` adds missing tabs)",
                )
            )
            continue
        planner = _TabPlanner(plan, tab_, fresh.get(title) if title else None, max_cell_chars)
        planner.delete(changes.deletions.get(name, []))
        planner.give_ids(changes.new_ids.get(name, []))
        guarded: dict[str, dict[str, Value]] = {}
        for (t, key, column), over in changes.guards.items():
            if t == name:
                guarded.setdefault(key, {})[column] = over
        for key, values in changes.updates.get(name, {}).items():
            planner.update(key, values, guarded.get(key))
        for values in changes.appends.get(name, []):
            planner.append(values)
        planner.drop_writes_to_deleted_rows()
    return plan


def apply_plan(plan: Plan, raw: RawWorkbook) -> RawWorkbook:
    """The workbook `raw` as it will be once `plan` is written: a copy, `raw` is untouched.

    Jobs use it to report on the sheet as their own run leaves it (the Översikt figures)
    before anything is written.
    """
    after: RawWorkbook = {
        title: RawSheet(s.title, [list(r) for r in s.rows]) for title, s in raw.items()
    }
    for title in plan.new_sheets:
        after.setdefault(title, RawSheet(title, []))
    for write in plan.writes:
        rows = after[write.title].rows
        while len(rows) <= write.row:
            rows.append([])
        row = rows[write.row]
        row.extend([None] * (write.col + 1 - len(row)))
        row[write.col] = write.value
    for title, numbers in plan.deletions.items():
        rows = after[title].rows
        for r in sorted(set(numbers), reverse=True):
            if r < len(rows):
                del rows[r]
    for title, added in plan.appends.items():
        rows = after[title].rows
        while rows and blank_row(rows[-1]):
            rows.pop()
        rows.extend(list(r) for r in added)
    return after
