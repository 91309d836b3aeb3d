"""The `check` job: the whole sheet validated against the contract, nothing written."""

from __future__ import annotations

import pandas as pd

from alumni.checks import check_workbook
from alumni.findings import Finding
from alumni.sheet.store import Store
from alumni.sheet.workbook import load_workbook


def run_check(store: Store, tz: str, now: pd.Timestamp) -> list[Finding]:
    """Every problem in the sheet, sorted by tab and row."""
    return check_workbook(load_workbook(store.read(), tz), now)
