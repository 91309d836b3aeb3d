"""The `purge` job (GDPR): list, and with `apply` remove, rows whose personal data is no longer
needed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from alumni.config import Config
from alumni.contract import APPLICATIONS, GRADUATES
from alumni.findings import Finding
from alumni.rules.purge import NEEDS, RULE, PurgeItem, select_purge
from alumni.sheet.changes import ChangeSet
from alumni.sheet.store import Store
from alumni.sheet.workbook import load_workbook


@dataclass(frozen=True)
class PurgeResult:
    """The rows selected for removal; with `applied`, how many went and which could not; and
    the rows the purge could not judge (kept), or why it judged nothing on a tab."""

    items: list[PurgeItem]
    applied: bool
    removed: int = 0
    skipped: list[Finding] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)

    @property
    def found_problems(self) -> bool:
        return bool(self.problems)


def run(config: Config, store: Store, now: pd.Timestamp, *, apply: bool = False) -> PurgeResult:
    """Select the rows no longer needed; with `apply`, delete them by ID (a dry run otherwise).

    A row with a cell the purge reads but cannot read is kept, and a tab without a header the
    purge reads (or with it twice) keeps every row; both are the result's problems.
    """
    wb = load_workbook(store.read(), config.timezone, now)
    apps = wb.judge(APPLICATIONS.name, NEEDS[APPLICATIONS.name], RULE)
    grads = wb.judge(GRADUATES.name, NEEDS[GRADUATES.name], RULE)
    items = select_purge(
        wb[APPLICATIONS.name],
        wb[GRADUATES.name],
        now,
        rejected_after_months=config.purge.rejected_after_months,
        judged_applications=apps.mask,
        judged_graduates=grads.mask,
    )
    problems = [*apps.problems, *grads.problems]
    if not apply:
        return PurgeResult(items, applied=False, problems=problems)
    changes = ChangeSet()
    for item in items:
        changes.delete(item.tab, item.key)
    written = store.apply(changes)
    return PurgeResult(
        items,
        applied=True,
        removed=written.rows_deleted,
        skipped=written.skipped,
        problems=problems,
    )
