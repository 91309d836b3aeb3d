"""A pytest plugin that answers a live store-contract run from the fake, to rehearse it offline.

tests/test_live_sheet.py runs, in a child process, the very command a chair runs::

    LIVE_REHEARSAL='{"title": "alumni-test", "tabs": {"Blad1": []}, "report": "state.json"}' \\
    ALUMNI_TEST_SHEET=<a key> ALUMNI_TEST_CREDENTIALS=<a fake key file> \\
    python -m pytest -p tests.live_on_fake tests/test_store_contract.py -k live

The plugin makes the spreadsheet of that key in a fake, sends every Google request of the
process there, and at the end writes the spreadsheet's tabs and values to ``report``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from alumni.sheet.google import spreadsheet_key
from tests.fakes.sheets import DRIVE_ROOT, SHEETS_ROOT, TOKEN_ROOT, FakeSheets, FakeSheetsAdapter
from tests.live_sheet import SHEET_VAR

_FAKE = FakeSheets()
_PATCH = pytest.MonkeyPatch()


def pytest_configure(config: Any) -> None:
    setup = json.loads(os.environ["LIVE_REHEARSAL"])
    _FAKE.create_spreadsheet(setup["title"], setup["tabs"], key=_key())
    original = requests.Session.get_adapter

    # Like FakeSheets.intercept, but a session already mounted on a fake of its own (the
    # "google" backend's) keeps it, so the whole contract file can run beside "live".
    def get_adapter(session: requests.Session, url: str) -> BaseAdapter:
        adapter = original(session, url)
        if isinstance(adapter, FakeSheetsAdapter):
            return adapter
        return (
            _FAKE.adapter
            if url.lower().startswith((SHEETS_ROOT, TOKEN_ROOT, DRIVE_ROOT))
            else adapter
        )

    _PATCH.setattr(requests.Session, "get_adapter", get_adapter)


def pytest_unconfigure(config: Any) -> None:
    _PATCH.undo()
    setup = json.loads(os.environ["LIVE_REHEARSAL"])
    key = _key()
    state = {title: _FAKE.values(key, title) for title in _FAKE.sheet_titles(key)}
    Path(setup["report"]).write_text(json.dumps(state, default=str), encoding="utf-8")


def _key() -> str:
    return spreadsheet_key(os.environ[SHEET_VAR])
