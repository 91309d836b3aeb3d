"""The `init` job: create the sheet's tabs and headers, add its dropdowns, formats and colours,
optionally with demo data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alumni.config import Config
from alumni.demo import demo_rows
from alumni.mail.journal import NEW_JOURNAL, STARTED, Journal
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
    result = InitResult(store.location, store.initialize(rows, force))
    if demo:
        # The demo's rows say mail went out (`skickad`, Påmind): they were typed, not sent, so
        # its journal starts here, or the first --send would take the journal for lost.
        with Journal(config.mail.journal) as journal:
            if journal.fresh:
                journal.mark(NEW_JOURNAL, STARTED, now.to_pydatetime(), "the demo's sample data")
    return result
