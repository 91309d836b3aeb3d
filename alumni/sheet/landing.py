"""Where a plan's writes landed: values that a person's insert, delete or sort moved into
another row, found in the sheet as the write left it, and the plan that puts them right."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from alumni.contract import Owner, Tab, is_blank, tab
from alumni.findings import a1
from alumni.sheet import cells
from alumni.sheet.changes import ChangeSet
from alumni.sheet.plan import CellWrite, Plan, apply_plan, plan_changes, same_value
from alumni.sheet.workbook import (
    Cell,
    Layout,
    RawSheet,
    RawWorkbook,
    Value,
    locate_tabs,
    resolve_layout,
    row_fingerprint,
)

# -- where the writes landed ---------------------------------------------------------------------
#
# A backend that cannot write "the row whose ID is X" but only "row 7" (Google) writes in the
# instant after its re-read: a row a person inserts, deletes or sorts in that instant moves where
# a value lands. `landing` compares the sheet as the write left it with the sheet the plan was
# made for, and names every value that landed in a row (or column) other than its own, with
# what that cell held before when that can be known; `repair` plans putting those back and
# writing the values again in their own rows.

BLANK = -1
"""What `_TabLanding._source` says of a row holding nothing but the tool's values: one just
inserted, whose cells were all empty."""

_NAMES = ("Namn", "Alumn", "Nyckeltal")
"""The column that names a row for people, where it has no ID (the first a tab has)."""


@dataclass(frozen=True)
class Stray:
    """A value the tool wrote that landed in another row or column than the one it was for.

    `row` and `col` are 0-based, in the sheet as the write left it; `meant` names the row the
    value was for (row `meant_row` of the sheet the write was planned for), `found` the row it
    landed in; `before` is what the cell held before the value landed, when `known`.
    """

    title: str
    row: int
    col: int
    value: Value
    meant: str
    found: str
    before: Value = None
    known: bool = False
    meant_row: int = 0

    @property
    def cell(self) -> str:
        return f"{self.title}!{a1(self.row + 1, self.col)}"


@dataclass
class Landing:
    """Where a plan's writes landed: the values in the wrong place, and for removed rows, the
    keys asked for that are still there (`kept`) and rows gone that were not asked for (`lost`),
    both by tab title."""

    strays: list[Stray] = field(default_factory=list)
    kept: dict[str, list[str]] = field(default_factory=dict)
    lost: dict[str, list[str]] = field(default_factory=dict)
    missed: list[CellWrite] = field(default_factory=list)
    """The plan's writes (as planned) that did not land in their own row and column, whether
    or not the cell they landed in changed."""

    @property
    def right(self) -> bool:
        """Whether every write landed where it was meant."""
        return not (self.strays or self.kept or self.lost or self.missed)


def landing(plan: Plan, before: RawWorkbook, after: RawWorkbook) -> Landing:
    """Check each write of `plan`, made for the sheet `before`, in `after`: the written tabs as
    the write left them. Header cells (row 1) and appended rows are not checked: their place
    does not depend on where people's rows stand."""
    out = Landing()
    names = {title: name for name, title in locate_tabs(before)[0].items() if title}
    titles = {w.title for w in plan.writes if w.row > 0} | set(plan.deletions)
    for title in sorted(titles):
        if title in plan.new_sheets or title not in after or title not in names:
            continue
        _TabLanding(plan, tab(names[title]), before[title], after[title], out).check()
    return out


def repair(
    changes: ChangeSet,
    plan: Plan,
    before: RawWorkbook,
    after: RawWorkbook,
    landed: Landing,
    max_cell_chars: int | None = None,
) -> tuple[Plan, RawWorkbook, list[CellWrite]]:
    """The writes that put back what the stray values replaced, where that is known, and write
    `changes` again where their rows stand now; the sheet they are planned for (`after`, and
    `before` as `plan` leaves it for the tabs not read back); and the values `plan` meant to put
    back whose rows cannot be found any more. `max_cell_chars` as for `plan_changes`."""
    state = apply_plan(plan, before)
    for title, sheet in after.items():
        state[title] = RawSheet(sheet.title, [list(r) for r in sheet.rows])
    restores = [CellWrite(s.title, s.row, s.col, s.before) for s in landed.strays if s.known]
    # A value put back that landed elsewhere is still owed to its own row, wherever it is now.
    owed = [w for w in landed.missed if (w.title, w.row, w.col) in plan.restoring]
    names = {title: name for name, title in locate_tabs(before)[0].items() if title}
    tabs: dict[str, _TabLanding] = {}
    lost: list[CellWrite] = []
    for w in owed:
        if w.title not in tabs:
            contract = tab(names[w.title])
            tabs[w.title] = _TabLanding(plan, contract, before[w.title], after[w.title], Landing())
        found_in = tabs[w.title]
        cols = {o.col for o in owed if (o.title, o.row) == (w.title, w.row)}
        where = found_in.locate(w.row, w.col, cols)
        if where is None and found_in.removed(w.row, landed):
            continue  # a person removed the row meanwhile: nothing to put back
        if where is None:
            lost.append(w)
        else:
            restores.append(CellWrite(w.title, where[0], where[1], w.value))
    for w in restores:
        rows = state[w.title].rows
        while len(rows) <= w.row:
            rows.append([])
        rows[w.row].extend([None] * (w.col + 1 - len(rows[w.row])))
        rows[w.row][w.col] = w.value
    fixed = plan_changes(changes, state, max_cell_chars)
    rewritten = {(w.title, w.row, w.col) for w in fixed.writes}
    kept = {
        (w.title, w.row, w.col): w for w in restores if (w.title, w.row, w.col) not in rewritten
    }
    fixed.writes = [*kept.values(), *fixed.writes]
    # Where a value of `changes` goes in a cell to put back, that cell is owed its row all the
    # same: if it misses too, what it replaced must not be left there.
    fixed.restoring = {(w.title, w.row, w.col) for w in restores}
    return fixed, state, lost


def describe(sheet: RawWorkbook, title: str, row: int) -> str:
    """Row `row` (0-based) of tab `title` for people: its ID and its name, as far as it has."""
    names = {t: name for name, t in locate_tabs(sheet)[0].items() if t}
    tab_ = _TabLanding(Plan(), tab(names[title]), sheet[title], sheet[title], Landing())
    return tab_.describe(row)


class _TabLanding:
    """`landing` for one tab: `before` is what the plan was made for, `after` the tab as the
    write left it (its rows shifted up by the plan's deletions)."""

    def __init__(
        self, plan: Plan, tab_: Tab, before: RawSheet, after: RawSheet, out: Landing
    ) -> None:
        self.tab, self.title, self.out = tab_, before.title, out
        self.old, self.new = before.rows, after.rows
        self.old_layout = resolve_layout(tab_, before)
        self.new_layout = resolve_layout(tab_, after)
        self.gone = sorted(set(plan.deletions.get(self.title, [])))
        self.writes = [w for w in plan.writes if w.title == self.title and w.row > 0]
        self.headers = {w.col: w.value for w in plan.writes if w.title == self.title and not w.row}
        self.width = max((len(r) for r in self.new), default=0)
        self.same_columns, self.columns = self._columns()
        self.old_keys = Counter(self._key(self.old_layout, r) for r in self.old[1:])
        self.new_keys = Counter(self._key(self.new_layout, r) for r in self.new[1:])
        del self.old_keys[""], self.new_keys[""]
        self.written: dict[int, set[int]] = {}
        for w in self.writes:
            self.written.setdefault(self._after(w.row), set()).add(w.col)
        # Columns where earlier values put back may not have landed: their cells may still
        # hold the tool's stray values, so rows are not told apart by them.
        self.unsettled = {c for t, _, c in plan.restoring if t == self.title}
        self._sources: dict[int, int | None] = {}
        self._script: frozenset[int] | None = None
        self._prints: dict[tuple[str, ...], list[int]] | None = None
        self._rows_by_key: dict[str, int] | None = None
        self._index: dict[frozenset[int], dict[tuple[str, ...], list[int]]] = {}

    # -- rows and columns ------------------------------------------------------------------

    def _columns(self) -> tuple[bool, dict[int, int]]:
        """Whether no header moved (the header cells the plan wrote aside), and else for each
        column of `after` the column of `before` that has its header, where there is one."""
        old, new = self._row(self.old, 0), self._row(self.new, 0)
        width = max(len(old), len(new))
        if all(_text(old, c) == _text(new, c) for c in range(width) if c not in self.headers):
            return True, {}
        where: dict[str, list[int]] = {}
        for c in range(len(old)):
            if _text(old, c):
                where.setdefault(_text(old, c), []).append(c)
        found = {c: where.get(_text(new, c), []) for c in range(len(new)) if c not in self.headers}
        mapped = {c: cs[0] for c, cs in found.items() if len(cs) == 1}
        # A header now in two columns (one inserted with a header already there): neither is
        # known to be the column read.
        twice = {o for o, n in Counter(mapped.values()).items() if n > 1}
        return False, {c: o for c, o in mapped.items() if o not in twice}

    def _old_column(self, c: int) -> int | None:
        """The column of `before` that column `c` of `after` was (None: one not read)."""
        return c if self.same_columns else self.columns.get(c)

    def _right_column(self, w: CellWrite) -> bool:
        if self.same_columns or self.columns.get(w.col) == w.col:
            return True
        # A header the plan wrote itself: its column is the tool's if the header is there.
        return w.col in self.headers and same_value(
            self._cell(self._row(self.new, 0), w.col), self.headers[w.col]
        )

    def _key(self, layout: Layout, row: Sequence[object]) -> str:
        col = layout.columns.get(self.tab.key) if self.tab.key else None
        return cells.canonical_id(self._cell(row, col), self.tab.id_prefix)

    def _key_column(self, layout: Layout) -> int | None:
        return layout.columns.get(self.tab.key) if self.tab.key else None

    @staticmethod
    def _row(rows: list[list[Cell]], r: int) -> list[Cell]:
        return rows[r] if 0 <= r < len(rows) else []

    @staticmethod
    def _cell(row: Sequence[object], c: int | None) -> object:
        return row[c] if c is not None and c < len(row) else None

    def written_at(self, r: int) -> set[int]:
        """The columns the plan writes in row `r` of `before`."""
        return self.written.get(self._after(r), set())

    def _after(self, r: int) -> int:
        """Where row `r` of `before` is in `after`: up by the rows deleted above it."""
        return r - bisect_left(self.gone, r)

    def _name(self, layout: Layout, row: Sequence[object]) -> str:
        """What names the row for people, besides its ID."""
        for column in _NAMES:
            if column in layout.columns:
                return cells.clean_text(self._cell(row, layout.columns[column]))
        key_col = self._key_column(layout)
        texts = (cells.clean_text(v) for i, v in enumerate(row) if i != key_col)
        return next((t for t in texts if t), "")

    # -- checking --------------------------------------------------------------------------

    def check(self) -> None:
        by_row: dict[int, list[CellWrite]] = {}
        for w in self.writes:
            by_row.setdefault(w.row, []).append(w)
        key_col = self._key_column(self.old_layout)
        for r, writes in sorted(by_row.items()):
            p = self._after(r)
            mine = self._row(self.old, r)
            given = [str(w.value) for w in writes if w.col == key_col]
            meant = self._key(self.old_layout, mine) or (given or [""])[0]
            meant = meant or self._name(self.old_layout, mine) or f"row {r + 1}"
            if self._same_row(r, p):
                writes = [w for w in writes if not self._right_column(w)]
            for w in writes:
                self.out.missed.append(w)
                self._stray(r, p, w, meant)
        if self.gone:
            self._check_deletions()

    def _same_row(self, r: int, p: int) -> bool:
        """Whether row `p` of `after` is row `r` of `before`: by its ID where that is its own,
        else by what people typed in it, with no row of the same text having lost its ID."""
        mine, there = self._row(self.old, r), self._row(self.new, p)
        key = self._key(self.old_layout, mine)
        key_col = self._key_column(self.old_layout)
        # A row whose ID the tool writes now holds that ID wherever it landed: not a sign.
        if key and self.old_keys[key] == 1 and key_col not in self.written_at(r):
            return self._key(self.new_layout, there) == key
        if self._typed(mine, old=True) != self._typed(there, old=False):
            return False
        if self._prints is None:
            self._prints = {}
            for i, row in enumerate(self.old[1:], start=1):
                self._prints.setdefault(row_fingerprint(self.old_layout, row), []).append(i)
        twins = self._prints.get(row_fingerprint(self.old_layout, mine), [])
        keys = (self._key(self.old_layout, self.old[i]) for i in twins if i != r)
        return all(self.new_keys[k] for k in keys if k)

    def _typed(self, row: Sequence[object], old: bool) -> tuple[str, ...]:
        """What people typed in a row (the tool's columns left out), by the columns of `after`
        that `before` has too: a row is the same row when a person inserts a column."""
        if self._script is None:
            script = {
                self.old_layout.columns[c.name]
                for c in self.tab.columns
                if c.owner is Owner.SCRIPT and c.name in self.old_layout.columns
            }
            self._script = frozenset(
                n for n in range(self.width + 1) if self._old_column(n) in script | {None}
            )
        return self._texts(row, self._script, old)

    def _stray(self, r: int, p: int, w: CellWrite, meant: str) -> None:
        before, known = self._before(p, w.col)
        if known and same_value(before, w.value):
            return  # the cell held that very value: nothing changed
        found = self._found(p)
        self.out.strays.append(Stray(self.title, p, w.col, w.value, meant, found, before, known, r))

    def removed(self, r: int, landed: Landing) -> bool:
        """Whether row `r` of `before`, known by its ID, is in `after` no more: not there but
        where one of the tool's values landed, and not gone because one landed on its ID."""
        key = self._key(self.old_layout, self._row(self.old, r))
        key_col = self._key_column(self.new_layout)
        overwritten = any(
            s.title == self.title
            and s.col == key_col
            and (not s.known or cells.canonical_id(s.before, self.tab.id_prefix) == key)
            for s in landed.strays
        )
        strays = sum(
            1
            for w in landed.missed
            if w.title == self.title
            and w.col == key_col
            and cells.canonical_id(w.value, self.tab.id_prefix) == key
        )
        return (
            bool(key)
            and self.old_keys[key] == 1
            and self.new_keys[key] <= strays
            and not overwritten
        )

    def locate(self, r: int, c: int, unlike: set[int]) -> tuple[int, int] | None:
        """Where cell (`r`, `c`) of `before` is in `after`, its row found by its ID or else by
        its cells (those in columns `unlike` left out); None when that cannot be told."""
        new_c = (
            c if self.same_columns else next((n for n, o in self.columns.items() if o == c), None)
        )
        mine = self._row(self.old, r)
        key = self._key(self.old_layout, mine)
        key_col = self._key_column(self.old_layout)
        found: list[int] = []
        if key and self.old_keys[key] == 1 and key_col not in unlike | self.unsettled:
            found = [
                p for p, row in enumerate(self.new) if p and self._key(self.new_layout, row) == key
            ]
        if len(found) != 1:
            left_out = unlike | self.unsettled | ({key_col} if key_col is not None else set())
            skip = frozenset(n for n in range(self.width + 1) if self._old_column(n) in left_out)
            text = self._texts(mine, skip, old=True)
            found = [
                p
                for p, row in enumerate(self.new)
                if p and self._texts(row, skip, old=False) == text
            ]
        if new_c is None or len(found) != 1:
            return None
        return found[0], new_c

    def describe(self, r: int) -> str:
        row = self._row(self.old, r)
        key, name = self._key(self.old_layout, row), self._name(self.old_layout, row)
        return ", ".join(t for t in (key, name) if t) or f"row {r + 1}"

    def _found(self, p: int) -> str:
        """The row `p` of `after` for people: its ID as it was, and its name."""
        there = self._row(self.new, p)
        key_col = self._key_column(self.new_layout)
        key = self._key(self.new_layout, there)
        if key_col is not None and key_col in self.written.get(p, set()):
            before, known = self._before(p, key_col)
            key = cells.canonical_id(before, self.tab.id_prefix) if known else ""
        name = self._name(self.new_layout, there)
        return ", ".join(t for t in (key, name) if t) or "an empty row"

    def _before(self, p: int, c: int) -> tuple[Value, bool]:
        """What cell (`p`, `c`) of `after` held before the write, and whether that is known."""
        old_c = self._old_column(c)
        if old_c is None:
            # A column the tool never read: known (empty) only if it holds nothing else.
            empty = all(
                is_blank(self._cell(row, c))
                for q, row in enumerate(self.new[1:], start=1)
                if c not in self.written.get(q, set())
            )
            return None, empty
        source = self._source(p)
        if source is None:
            return None, False
        if source == BLANK:
            return None, True
        held = self._cell(self._row(self.old, source), old_c)
        if is_blank(held):
            return None, True
        return held, True  # type: ignore[return-value]

    def _source(self, p: int) -> int | None:
        """The row of `before` that row `p` of `after` was before the write landed in it:
        BLANK for a row holding nothing else, None when it cannot be told."""
        if p not in self._sources:
            self._sources[p] = self._find_source(p)
        return self._sources[p]

    def _find_source(self, p: int) -> int | None:
        there = self._row(self.new, p)
        mine = self.written.get(p, set())
        if all(is_blank(v) for c, v in enumerate(there) if c not in mine):
            return BLANK  # inserted empty: the tool's values are all it holds
        key_col = self._key_column(self.new_layout)
        if key_col is not None and key_col not in mine and key_col not in self.unsettled:
            key = self._key(self.new_layout, there)
            if key and self.old_keys[key] == 1:
                if self._rows_by_key is None:
                    self._rows_by_key = {
                        self._key(self.old_layout, row): r
                        for r, row in enumerate(self.old[1:], start=1)
                    }
                return self._rows_by_key[key]
            if key:
                return None  # an ID the tool never read, or one that stands in several rows
        unsettled = {n for n in range(self.width + 1) if self._old_column(n) in self.unsettled}
        candidates = self._alike(p, frozenset(mine | unsettled))
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        if key_col is not None and key_col in mine:
            # The tool's ID replaced the row's own: the row is the one whose ID is gone.
            vanished = [
                r
                for r in candidates
                if (k := self._key(self.old_layout, self.old[r])) and not self.new_keys[k]
            ]
            if len(vanished) == 1:
                return vanished[0]
        held = {
            tuple(_text(self.old[r], self._old_column(c)) for c in sorted(mine)) for r in candidates
        }
        return candidates[0] if len(held) == 1 else None

    def _alike(self, p: int, mine: frozenset[int]) -> list[int]:
        """The rows of `before` that hold what row `p` of `after` holds outside `mine`."""
        index = self._index.get(mine)
        if index is None:
            index = {}
            for r, row in enumerate(self.old[1:], start=1):
                index.setdefault(self._texts(row, mine, old=True), []).append(r)
            self._index[mine] = index
        return index.get(self._texts(self._row(self.new, p), mine, old=False), [])

    def _texts(self, row: Sequence[object], mine: frozenset[int], old: bool) -> tuple[str, ...]:
        """A row's cells as text, by the columns of `after`, those in `mine` left out."""
        width = max(self.width, len(row)) if old and self.same_columns else self.width
        out = [_text(row, self._old_column(c) if old else c) for c in range(width) if c not in mine]
        while out and not out[-1]:
            out.pop()
        return tuple(out)

    def _check_deletions(self) -> None:
        asked = {self._key(self.old_layout, self._row(self.old, d)) for d in self.gone}
        kept = sorted(k for k in asked if k and self.new_keys[k])
        lost = []
        for row in self.old[1:]:
            key = self._key(self.old_layout, row)
            if key and key not in asked and self.old_keys[key] == 1 and not self.new_keys[key]:
                name = self._name(self.old_layout, row)
                lost.append(f"{key} ({name})" if name else key)
        if lost and not kept and all(self._removed_in_place(d) for d in self.gone):
            lost = []  # each row removed sat between its own neighbours: the others went by hand
        if kept:
            self.out.kept[self.title] = kept
        if lost:
            self.out.lost[self.title] = lost

    def _removed_in_place(self, d: int) -> bool:
        """Whether the rows around row `d` of `before` are still each other's neighbours in
        `after`, with nothing between them: then the row removed was row `d` itself."""
        above = next((r for r in range(d - 1, 0, -1) if r not in self.gone), None)
        below = next((r for r in range(d + 1, len(self.old)) if r not in self.gone), None)
        return all(r is None or self._same_row(r, self._after(r)) for r in (above, below))


def _text(row: Sequence[object], c: int | None) -> str:
    return cells.clean_text(row[c] if c is not None and c < len(row) else None)
