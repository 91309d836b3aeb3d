"""The `init` job: create the sheet's tabs, headers and colours, optionally with demo data."""

from __future__ import annotations

from datetime import datetime

from alumni.demo import demo_rows
from alumni.sheet.store import InitResult, Store


def run_init(store: Store, demo: bool, force: bool, now: datetime) -> InitResult:
    """Add what the sheet lacks; with `demo`, sample rows dated relative to `now`."""
    rows = demo_rows(now) if demo else None
    return store.initialize(rows, force)
