"""The storage interface every backend implements, and the safe write path they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alumni.findings import Finding
from alumni.sheet.changes import ChangeSet
from alumni.sheet.plan import CellTooLong, Plan, plan_changes, too_long
from alumni.sheet.workbook import RawWorkbook, Value


@dataclass
class ApplyResult:
    """What a write did: cells written, rows added, IDs given, and what it had to skip."""

    cells: int = 0
    rows_added: int = 0
    rows_deleted: int = 0
    ids_given: int = 0
    tabs_created: list[str] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    trial: bool = False
    """True when the writes went to a trial's copy in memory, not to the sheet."""

    @property
    def too_long(self) -> list[CellTooLong]:
        """The values left out for their length: problems in the sheet's data."""
        return too_long(self.skipped)

    @classmethod
    def of(cls, plan: Plan) -> ApplyResult:
        """What writing `plan` does."""
        return cls(
            cells=plan.cells_written(),
            rows_added=sum(len(rows) for rows in plan.appends.values()),
            rows_deleted=plan.rows_deleted(),
            ids_given=plan.ids_given,
            tabs_created=list(plan.new_sheets),
            skipped=plan.skipped,
        )


@dataclass
class InitResult:
    """What `init` did to the sheet."""

    created: bool
    tabs_added: list[str] = field(default_factory=list)
    headers_added: list[str] = field(default_factory=list)
    rows_added: int = 0
    formatting_added: list[str] = field(default_factory=list)


class Store(ABC):
    """The committee's sheet: read every tab at once, apply a set of changes at once.

    `apply` locates every row again just before writing, so rows that people inserted,
    deleted or sorted since `read` never receive another row's values.
    """

    location: str
    """Where the sheet is, for people: a file path or a spreadsheet address."""

    max_cell_chars: int | None = None
    """The longest text a cell of this backend holds, in UTF-16 code units (None: no limit).
    The plan leaves a longer value out and reports it, rather than have the backend refuse or
    cut the whole write."""

    @abstractmethod
    def read(self) -> RawWorkbook:
        """Every tab's cells, as they are now."""

    def apply(self, changes: ChangeSet) -> ApplyResult:
        """Write a change set: locate rows again, plan, and write it in one go."""
        if not changes:
            return ApplyResult()
        fresh = self.reread(changes.tabs())
        plan = plan_changes(changes, fresh, self.max_cell_chars)
        if plan:
            self.write(plan)
        return ApplyResult.of(plan)

    @abstractmethod
    def reread(self, tabs: Sequence[str]) -> RawWorkbook:
        """The sheet as it is right now, at least the tabs named (by contract name)."""

    @abstractmethod
    def write(self, plan: Plan) -> None:
        """Carry out a plan as one unit: all of it or, on failure, none of it."""

    @abstractmethod
    def initialize(
        self, rows: Mapping[str, Sequence[Mapping[str, Value]]] | None, force: bool
    ) -> InitResult:
        """Create the sheet's tabs, headers and colours; with `rows`, fill in sample data."""
