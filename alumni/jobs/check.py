"""The `check` job: the whole sheet validated against the contract, nothing written."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alumni.checks import check_workbook
from alumni.config import Config
from alumni.findings import Finding
from alumni.sheet.store import Store
from alumni.sheet.workbook import load_workbook


@dataclass(frozen=True)
class CheckResult:
    """Every problem in the sheet at `location`, sorted by tab and row."""

    location: str
    findings: list[Finding]

    @property
    def found_problems(self) -> bool:
        return bool(self.findings)


def run(config: Config, store: Store, now: pd.Timestamp) -> CheckResult:
    """Read the sheet and list every problem in it; writes nothing."""
    wb = load_workbook(store.read(), config.timezone, now)
    return CheckResult(store.location, check_workbook(wb, now))
