"""A store for trial runs: reads the real sheet, keeps every write in a copy in memory.

`--now` without `--for-real` runs a job against this store. The job plans its writes as it
always does, and later steps of the same run see them (the copy is updated), but the real
sheet is never written; `would_write` says what the run would have done to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alumni.errors import StoreError
from alumni.sheet.changes import ChangeSet
from alumni.sheet.plan import Plan, apply_plan
from alumni.sheet.store import ApplyResult, InitResult, Store
from alumni.sheet.workbook import RawSheet, RawWorkbook, Value


class TrialStore(Store):
    """The real store for reading; writes go to a copy of what was read, never to the sheet."""

    def __init__(self, real: Store) -> None:
        self.real = real
        self.location = real.location
        self.max_cell_chars = real.max_cell_chars
        self._copy: RawWorkbook | None = None
        self.cells = 0
        self.rows_added = 0
        self.rows_deleted = 0

    def read(self) -> RawWorkbook:
        if self._copy is None:
            self._copy = self.real.read()
        return _clone(self._copy)

    def apply(self, changes: ChangeSet) -> ApplyResult:
        result = super().apply(changes)
        result.trial = True
        return result

    def reread(self, tabs: Sequence[str]) -> RawWorkbook:
        return self.read()

    def write(self, plan: Plan) -> None:
        self.cells += plan.cells_written()
        self.rows_added += sum(len(rows) for rows in plan.appends.values())
        self.rows_deleted += plan.rows_deleted()
        self._copy = apply_plan(plan, self.read())

    def initialize(
        self, rows: Mapping[str, Sequence[Mapping[str, Value]]] | None, force: bool
    ) -> InitResult:
        # `init` creates the sheet; a trial of it would have nothing to show.
        raise StoreError("`alumni init` is never a trial run: leave out --now.")

    def would_write(self) -> str:
        """What the run would have done to the real sheet, in words ("" when nothing)."""
        parts = []
        if self.cells:
            parts.append(f"{self.cells} cell{'s' * (self.cells != 1)}")
        if self.rows_added:
            parts.append(f"{self.rows_added} new row{'s' * (self.rows_added != 1)}")
        if self.rows_deleted:
            parts.append(f"{self.rows_deleted} row{'s' * (self.rows_deleted != 1)} removed")
        return ", ".join(parts)


def _clone(raw: RawWorkbook) -> RawWorkbook:
    # A job may change the rows it was given; the copy must stay what the sheet would be.
    return {title: RawSheet(s.title, [list(r) for r in s.rows]) for title, s in raw.items()}
