"""The `init` job: create the sheet's tabs and headers, add its dropdowns, formats and colours,
optionally with demo data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alumni.config import Config
from alumni.demo import demo_rows
from alumni.sheet import store as stores
from alumni.sheet.store import Store


@dataclass(frozen=True)
class InitResult:
    """What `init` added to the sheet at `location`."""

    location: str
    added: stores.InitResult

    @property
    def found_problems(self) -> bool:
        return False


def run(
    config: Config, store: Store, now: pd.Timestamp, *, demo: bool = False, force: bool = False
) -> InitResult:
    """Add what the sheet lacks (with `force`, start a new local workbook); with `demo`, sample
    rows dated relative to `now`."""
    rows = demo_rows(now.to_pydatetime()) if demo else None
    return InitResult(store.location, store.initialize(rows, force))
