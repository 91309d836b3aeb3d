"""The Google Sheets backend's own promises, shown through real gspread on a fake Sheets API."""

from __future__ import annotations

import dataclasses
import functools
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gspread
import pandas as pd
import pytest
import requests
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2.service_account import Credentials
from requests.adapters import BaseAdapter, HTTPAdapter

from alumni.cli import run
from alumni.config import Config, GoogleConfig
from alumni.contract import CONTACT_LOG, GRADUATES, TABS, Column, Kind, Tab
from alumni.errors import ConfigError, StoreError
from alumni.findings import a1
from alumni.jobs import daily
from alumni.sheet import google as google_store
from alumni.sheet.changes import ChangeSet
from alumni.sheet.google import SCOPES, GoogleStore, quote_title, spreadsheet_key
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.store import ApplyResult
from alumni.sheet.workbook import load_workbook
from tests.fakes.sheets import (
    TOKEN_ROOT,
    Cell,
    FakeSheets,
    client_for,
    fake_service_account_info,
)

TZ = "Europe/Stockholm"
NOW_TEXT = "2026-11-28 14:05"
NOW = pd.Timestamp(NOW_TEXT, tz=TZ)

GET, BATCH_GET, WRITE = "spreadsheets.get", "values.batchGet", "spreadsheets.batchUpdate"
DAILY = [GET, BATCH_GET, BATCH_GET, WRITE]  # metadata, read, re-read of changed tabs, write
STEPS = ["metadata", "read", "re-read", "write"]
HEARTBEAT = "Senaste dagliga körning"

READ_TAIL = "Google is busy or unreachable; nothing was written. Wait a few minutes and run again."
WRITE_TAIL = "the changes were not written (Google applies all of them or none). Run again later."


# -- helpers ---------------------------------------------------------------------------------


class RealNetworkUsed(AssertionError):
    """A request left for the real internet: every test must stay on the fake."""


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> None:
        raise RealNetworkUsed(f"{request.method} {request.url} went to the real network")

    monkeypatch.setattr(HTTPAdapter, "send", refuse)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses without their random ±50 %, so that their growth can be read exactly."""
    monkeypatch.setattr(google_store, "random", SimpleNamespace(uniform=lambda a, b: (a + b) / 2))


FAKE = FakeSheets()
"""One fake Sheets API for the whole module: each test gets its own spreadsheets on it."""


@functools.cache
def _client() -> gspread.Client:
    return client_for(FAKE)  # signing a client in costs some 30 ms: once is enough


@pytest.fixture(autouse=True)
def _fresh_fake() -> Iterator[None]:
    FAKE.clear_faults()
    FAKE.reset_counts()
    yield
    FAKE.clear_faults()


def new_sheet(tabs: dict[str, list[list[Any]]] | None = None) -> tuple[FakeSheets, str]:
    return FAKE, FAKE.create_spreadsheet("Alumniutskottet", tabs)


def store_for(fake: FakeSheets, key: str, **options: Any) -> tuple[GoogleStore, list[float]]:
    """A store on the fake whose pauses are recorded instead of slept."""
    pauses: list[float] = []
    client = _client() if fake is FAKE else client_for(fake)
    return GoogleStore(client, key, sleep=pauses.append, **options), pauses


def snapshot(fake: FakeSheets, key: str) -> dict[str, list[list[Any]]]:
    return {title: fake.values(key, title) for title in fake.sheet_titles(key)}


def figures(fake: FakeSheets, key: str) -> dict[str, Any]:
    """The Översikt tab as figure → value, each figure in exactly one row."""
    rows = fake.values(key, "Översikt")
    assert rows[0] == ["Nyckeltal", "Värde"]
    names = [row[0] for row in rows[1:]]
    assert len(names) == len(set(names)), f"a figure appears twice: {names}"
    return {row[0]: row[1] for row in rows[1:]}


def _value(tab: Tab, column: Column, i: int) -> Any:
    """A plausible cell for row i; names that point at other tabs point at rows that exist."""
    if column.name == "ID":
        return f"{tab.id_prefix}-{i:04d}"
    if column.name in ("Medlem", "Röstande", "Kontaktperson") or (
        tab.name == "Utskott" and column.name == "Namn"
    ):
        return f"Ledamot {i}"
    if column.name == "Alumn" or (tab.name == "Alumner" and column.name == "Namn"):
        return f"Alumn {i}"
    by_kind: dict[Kind, Any] = {
        Kind.TIME: datetime(2026, 10, 1, 12, 0),
        Kind.DATE: date(2026, 9, 1),
        Kind.YEAR: 2020,
        Kind.EMAIL: f"person{i}@example.org",
        Kind.YESNO: "Ja",
        Kind.LANGUAGE: "sv",
        Kind.NUMBER: 1.5,
    }
    return by_kind.get(column.kind, f"{column.name} {i}")


def full_sheet(rows: int) -> dict[str, list[list[Any]]]:
    """Every contract tab with its header; `rows` rows in each tab but Översikt."""
    tabs: dict[str, list[list[Any]]] = {}
    for tab in TABS:
        count = 0 if tab.by_tool else rows
        body = [[_value(tab, c, i) for c in tab.columns] for i in range(1, count + 1)]
        tabs[tab.name] = [tab.header, *body]
    return tabs


def graduates(*rows: list[Any]) -> dict[str, list[list[Any]]]:
    return {"Avgångsklass": [GRADUATES.header, *rows]}


# -- 1. the request budget -------------------------------------------------------------------


@pytest.mark.parametrize("rows", [10, 2_000])
def test_a_daily_run_costs_four_requests_however_big_the_sheet(rows: int) -> None:
    fake, key = new_sheet(full_sheet(rows))
    store, _ = store_for(fake, key)

    daily.run(Config(), store, NOW, steps=False)

    assert fake.ops() == DAILY
    assert fake.requests[1].params["ranges"] == [quote_title(t.name) for t in TABS]
    assert fake.requests[2].params["ranges"] == ["'Översikt'"], "re-reads only the tabs it writes"
    assert figures(fake, key)[HEARTBEAT] == NOW_TEXT
    assert figures(fake, key)["Rader i Kontaktlogg"] == rows


def test_reading_costs_two_requests_and_an_empty_change_set_none() -> None:
    fake, key = new_sheet(full_sheet(10))
    store, _ = store_for(fake, key)

    store.read()
    assert fake.ops() == [GET, BATCH_GET]

    fake.reset_counts()
    assert store.apply(ChangeSet()) == ApplyResult()
    assert fake.ops() == []


def test_a_second_run_in_the_same_minute_finds_nothing_to_write_and_sends_no_write() -> None:
    fake, key = new_sheet(full_sheet(10))
    store, _ = store_for(fake, key)
    daily.run(Config(), store, NOW, steps=False)
    fake.reset_counts()

    daily.run(Config(), store, NOW, steps=False)

    assert fake.ops() == [GET, BATCH_GET, BATCH_GET]


def test_every_request_carries_the_configured_time_out(monkeypatch: pytest.MonkeyPatch) -> None:
    fake, key = new_sheet(full_sheet(3))
    timeouts: list[Any] = []
    send = fake.adapter.send

    def recording(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not (request.url or "").startswith(TOKEN_ROOT):
            timeouts.append(kwargs.get("timeout"))
        return send(request, **kwargs)

    monkeypatch.setattr(fake.adapter, "send", recording)
    store, _ = store_for(fake, key, timeout=12.5)

    daily.run(Config(), store, NOW, steps=False)

    assert timeouts == [12.5] * 4


# -- 2. writes are RAW -----------------------------------------------------------------------


def _entered_value_kinds(body: Any) -> set[str]:
    """Every kind of userEnteredValue (stringValue, formulaValue, ...) anywhere in a body."""
    kinds: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name == "userEnteredValue" and isinstance(value, dict):
                    kinds.update(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return kinds


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("https://example.org/phish","Klicka här")',
        "=1+1",
        "+46 70 123 45 67",
        "0123",
        "1,5",
        "TRUE",
        "2026-11-28 14:05",
        "'citerad",
    ],
)
def test_the_tool_writes_plain_values_that_google_never_parses(text: str) -> None:
    fake, key = new_sheet(
        graduates(
            ["AK-0001", "Anna", "anna@example.org", 2026, "sv"],
            ["", "Bo", "bo@example.org", 2026, "sv"],
        )
    )
    store, _ = store_for(fake, key)
    daily.run(Config(), store, NOW, steps=False)  # gives Bo an ID and writes the Översikt figures
    changes = ChangeSet()
    changes.set("Avgångsklass", "AK-0001", "Inbjudningsstatus", text)
    changes.set("Översikt", "Anteckning", "Värde", text)

    store.apply(changes)

    status = fake.cell(key, "Avgångsklass", "G2")
    assert status is not None and (status.kind, status.value) == ("string", text)
    assert fake.cell(key, "Avgångsklass", "A3") == Cell("string", "AK-0002")
    beat = [row[0] for row in fake.values(key, "Översikt")].index(HEARTBEAT) + 1
    assert fake.cell(key, "Översikt", f"B{beat}") == Cell("string", NOW_TEXT)
    noted = fake.values(key, "Översikt").index(["Anteckning", text]) + 1
    assert fake.cell(key, "Översikt", f"B{noted}") == Cell("string", text)
    writes = [call for call in fake.requests if call.op == WRITE]
    assert len(writes) == 2
    for call in writes:
        assert _entered_value_kinds(call.body) <= {"stringValue", "numberValue"}
        for request in call.body["requests"]:
            ((kind, arg),) = request.items()
            if kind in ("updateCells", "appendCells"):
                assert arg["fields"] == "userEnteredValue", "formats people set are kept"
    assert set(fake.ops()) <= {GET, BATCH_GET, WRITE}, "no values-API write endpoint"


def test_a_tab_too_narrow_for_the_write_is_widened_in_the_same_request() -> None:
    fake, key = new_sheet(graduates(["AK-0001", "Anna", "anna@example.org", 2026]))
    fake.add_sheet(key, "Översikt", [["Nyckeltal"]], row_count=1, col_count=1)
    store, _ = store_for(fake, key)

    daily.run(Config(), store, NOW, steps=False)

    assert fake.ops() == DAILY
    kinds = [next(iter(request)) for request in fake.requests[-1].body["requests"]]
    assert kinds[0] == "appendDimension", "Google refuses cells past the grid's last column"
    figures = fake.values(key, "Översikt")
    assert figures[0] == ["Nyckeltal", "Värde"] and [HEARTBEAT, NOW_TEXT] in figures


# -- 3. reading quirks -----------------------------------------------------------------------


def test_ragged_rows_a_header_only_tab_and_an_empty_tab_read_fine() -> None:
    fake, key = new_sheet(
        {
            "Avgångsklass": [
                GRADUATES.header,
                ["AK-0001", "Anna", "anna@example.org", 2026],
                ["AK-0002", "Bo", "bo@example.org", 2026, "en", None, "skickad"],
                ["AK-0003", "Cilla"],
            ],
            "Kontaktlogg": [CONTACT_LOG.header],
            "Anteckningar": [],  # Google leaves `values` out of an empty range
        }
    )
    store, _ = store_for(fake, key)

    raw = store.read()

    assert [len(row) for row in raw["Avgångsklass"].rows] == [7, 4, 7, 2]
    assert raw["Kontaktlogg"].rows == [CONTACT_LOG.header]
    assert raw["Anteckningar"].rows == []
    wb = load_workbook(raw, TZ)
    frame = wb["Avgångsklass"]
    assert frame["Namn"].tolist() == ["Anna", "Bo", "Cilla"]
    assert frame["Språk"].tolist() == ["sv", "en", "sv"]
    assert frame["Inbjudningsstatus"].tolist() == ["", "skickad", ""]
    assert wb["Kontaktlogg"].empty


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (datetime(2026, 11, 28, 14, 5), "2026-11-28 14:05:00+01:00"),
        (datetime(2026, 7, 1, 9, 30), "2026-07-01 09:30:00+02:00"),
        (datetime(2026, 11, 28, 14, 5, 33), "2026-11-28 14:05:33+01:00"),
        (date(2026, 11, 28), "2026-11-28 00:00:00+01:00"),
    ],
    ids=["winter", "summer", "Forms timestamp with seconds", "date only"],
)
def test_date_cells_arrive_as_serial_numbers_and_read_as_stockholm_time(
    typed: date, expected: str
) -> None:
    fake, key = new_sheet(
        graduates(["AK-0001", "Anna", "anna@example.org", 2026, "sv", typed, "skickad"])
    )
    store, _ = store_for(fake, key)

    raw = store.read()

    params = fake.requests[1].params
    assert (params["valueRenderOption"], params["dateTimeRenderOption"]) == (
        "UNFORMATTED_VALUE",
        "SERIAL_NUMBER",
    )
    serial = raw["Avgångsklass"].rows[1][5]
    naive = typed if isinstance(typed, datetime) else datetime(typed.year, typed.month, typed.day)
    assert isinstance(serial, int | float)
    assert serial == pytest.approx((naive - datetime(1899, 12, 30)).total_seconds() / 86_400)
    read = load_workbook(raw, TZ)["Avgångsklass"].loc[0, "Inbjuden"]
    assert str(read) == expected
    assert str(read.tz) == TZ


@pytest.mark.parametrize(
    ("title", "quoted"),
    [
        ("Kontaktlogg", "'Kontaktlogg'"),
        ("Contact log", "'Contact log'"),
        ("Överträdelser", "'Överträdelser'"),
        ("Anna's anteckningar", "'Anna''s anteckningar'"),
        ("''", "''''''"),
        ("A1", "'A1'"),  # a title that looks like a cell must not be read as one
        ("Blad1!A1", "'Blad1!A1'"),
    ],
)
def test_tab_titles_are_always_quoted_with_apostrophes_doubled(title: str, quoted: str) -> None:
    assert quote_title(title) == quoted


def test_titles_with_spaces_swedish_letters_apostrophes_and_english_names_work() -> None:
    tabs = {
        "Avgångsklass": [
            GRADUATES.header,
            ["AK-0001", "Anna", "anna@example.org", 2026],
            ["", "Åsa Öberg", "asa@example.org", 2026],
        ],
        "Anna's anteckningar": [["Att göra"], ["ring Bo"]],
        "Contact log": [
            ["ID", "Project", "Alumnus", "Contact person", "Status"],
            ["KL-0001", "Branschdag", "Alva", "Märta Ek", "Inväntar alumn"],
        ],
        "Alumner ": [["ID", "Namn"], ["AL-0001", "Alva"]],
    }
    fake, key = new_sheet(tabs)
    store, _ = store_for(fake, key)

    daily.run(Config(), store, NOW, steps=False)

    assert fake.ops() == DAILY
    assert fake.requests[1].params["ranges"] == [
        "'Avgångsklass'",
        "'Anna''s anteckningar'",
        "'Contact log'",
        "'Alumner '",
    ]
    assert fake.values(key, "Avgångsklass")[2][:2] == ["AK-0002", "Åsa Öberg"]
    assert figures(fake, key)["Rader i Kontaktlogg"] == 1
    assert figures(fake, key)["Rader i Alumner"] == 1

    changes = ChangeSet()
    changes.append("Kontaktlogg", {"ID": "KL-0002", "Alumn": "Alva", "Status": "Ej kontaktad"})
    store.apply(changes)

    assert fake.values(key, "Contact log")[2] == ["KL-0002", "", "Alva", "", "Ej kontaktad"]
    assert "Kontaktlogg" not in fake.sheet_titles(key)
    assert fake.values(key, "Anna's anteckningar") == [["Att göra"], ["ring Bo"]]


# -- 4. retries ------------------------------------------------------------------------------

Fault = Callable[[FakeSheets, int, int | None], None]
FAULTS: dict[str, Fault] = {
    "429": lambda fake, at, times: fake.fail(429, times=times, at=at, message="Quota exceeded"),
    "500": lambda fake, at, times: fake.fail(500, times=times, at=at),
    "502 with an HTML page": lambda fake, at, times: fake.fail(502, times=times, at=at),
    "503": lambda fake, at, times: fake.fail(503, times=times, at=at),
    "read time-out": lambda fake, at, times: fake.timeout(times=times, at=at),
    "connect time-out": lambda fake, at, times: fake.timeout(times=times, at=at, connect=True),
}

# What a daily run sends when the request at each position fails once: a failed read is sent
# again; a failed re-read or write makes the whole write step start over, from the tabs that
# exist (the failed write may have added one) and a fresh re-read.
ONE_FAILURE = {
    0: [GET, GET, BATCH_GET, BATCH_GET, WRITE],
    1: [GET, BATCH_GET, BATCH_GET, BATCH_GET, WRITE],
    2: [GET, BATCH_GET, BATCH_GET, GET, BATCH_GET, WRITE],
    3: [GET, BATCH_GET, BATCH_GET, WRITE, GET, BATCH_GET, WRITE],
}


@pytest.mark.parametrize("position", range(4), ids=STEPS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_passing_failure_is_tried_again_after_a_pause(fault: str, position: int) -> None:
    fake, key = new_sheet(full_sheet(10))
    store, pauses = store_for(fake, key)
    FAULTS[fault](fake, position, 1)

    daily.run(Config(), store, NOW, steps=False)

    assert fake.ops() == ONE_FAILURE[position]
    assert len(pauses) == 1 and 0.5 <= pauses[0] <= 1.5  # backoff_seconds = 1, jitter ±50 %
    assert figures(fake, key)[HEARTBEAT] == NOW_TEXT


@pytest.mark.parametrize(
    "position",
    [
        pytest.param(0, id="metadata"),
        pytest.param(1, id="read"),
        pytest.param(2, id="re-read"),
        pytest.param(3, id="write"),
    ],
)
@pytest.mark.parametrize(("backoff", "expected"), [(1.0, [1, 2, 4]), (2.5, [2.5, 5, 10])])
def test_pauses_double_while_google_keeps_failing(
    no_jitter: None, backoff: float, expected: list[float], position: int
) -> None:
    fake, key = new_sheet(full_sheet(3))
    store, pauses = store_for(fake, key, backoff=backoff)
    fake.fail(503, times=3, at=position)

    daily.run(Config(), store, NOW, steps=False)

    assert pauses == expected
    assert figures(fake, key)[HEARTBEAT] == NOW_TEXT


def test_pauses_stop_growing_at_a_minute(no_jitter: None) -> None:
    fake, key = new_sheet(full_sheet(1))
    store, pauses = store_for(fake, key, retries=6, backoff=10)
    fake.fail(503, times=None)

    with pytest.raises(StoreError):
        store.read()

    assert pauses == [10, 20, 40, 60, 60, 60]


def test_each_pause_is_its_doubling_step_give_or_take_half() -> None:
    fake, key = new_sheet(full_sheet(1))
    store, pauses = store_for(fake, key, retries=5)
    fake.fail(503, times=None)

    with pytest.raises(StoreError):
        store.read()

    assert len(pauses) == 5
    for step, pause in enumerate(pauses):
        assert 0.5 * 2**step <= pause <= 1.5 * 2**step


GAVE_UP = {
    "429": "Google answered 429 (Quota exceeded) to ",
    "502 with an HTML page": "Google answered 502 (Bad Gateway) to ",
    "503": "Google answered 503 (The service is currently unavailable.) to ",
    "read time-out": "Google did not answer ",
}


@pytest.mark.parametrize("position", range(4), ids=STEPS)
@pytest.mark.parametrize("fault", list(GAVE_UP))
def test_when_google_keeps_failing_the_run_stops_and_the_sheet_is_untouched(
    fault: str, position: int
) -> None:
    fake, key = new_sheet(full_sheet(10))
    before = snapshot(fake, key)
    store, pauses = store_for(fake, key, retries=3)
    FAULTS[fault](fake, position, None)  # from this request on, every request fails

    with pytest.raises(StoreError) as info:
        daily.run(Config(), store, NOW, steps=False)

    message = str(info.value)
    assert message.startswith(GAVE_UP[fault]), message
    assert ", 4 times — " in message, message
    assert message.endswith((READ_TAIL, WRITE_TAIL)), "says that nothing was written"
    assert snapshot(fake, key) == before
    tries = Counter(fake.ops()[position:])
    assert max(tries.values()) <= 4, f"retries + 1 tries of a request at most: {tries}"
    assert pauses and max(pauses) <= 60


@pytest.mark.parametrize("retries", [0, 1, 5])
def test_the_retries_setting_bounds_the_attempts_of_a_read(retries: int) -> None:
    fake, key = new_sheet(full_sheet(1))
    store, pauses = store_for(fake, key, retries=retries)
    fake.fail(503, times=None)

    with pytest.raises(StoreError) as info:
        store.read()

    assert str(info.value) == (
        "Google answered 503 (The service is currently unavailable.) to the request for the "
        f"sheet's tabs, {retries + 1} times — {READ_TAIL}"
    )

    assert fake.ops() == [GET] * (retries + 1)
    assert len(pauses) == retries


@pytest.mark.parametrize("retries", [0, 2])
def test_a_write_that_keeps_failing_is_tried_retries_plus_one_times_each_after_a_re_read(
    retries: int,
) -> None:
    fake, key = new_sheet(full_sheet(3))
    before = snapshot(fake, key)
    store, _ = store_for(fake, key, retries=retries)
    fake.fail(503, times=None, when=lambda method, path: path.endswith(":batchUpdate"))

    with pytest.raises(StoreError) as info:
        daily.run(Config(), store, NOW, steps=False)

    assert str(info.value) == (
        "Google answered 503 (The service is currently unavailable.) to the write, "
        f"{retries + 1} times — {WRITE_TAIL}"
    )
    assert fake.ops() == [GET, BATCH_GET, BATCH_GET, WRITE, *[GET, BATCH_GET, WRITE] * retries]
    assert snapshot(fake, key) == before


def test_a_failed_write_that_creates_the_overview_tab_is_tried_again() -> None:
    fake, key = new_sheet(graduates(["AK-0001", "Anna", "anna@example.org", 2026]))
    store, _ = store_for(fake, key)
    fake.fail(503, at=2)  # the write: no re-read before it, as no tab being written exists yet

    daily.run(Config(), store, NOW, steps=False)

    assert fake.ops() == [GET, BATCH_GET, WRITE, GET, WRITE]
    assert figures(fake, key)[HEARTBEAT] == NOW_TEXT
    assert fake.sheet_titles(key) == ["Avgångsklass", "Översikt"]


# -- 5. a write applied but answered with an error ------------------------------------------

AMBIGUOUS: dict[str, Callable[[FakeSheets, int], None]] = {
    "500": lambda fake, at: fake.fail(500, at=at, after_apply=True),
    "503": lambda fake, at: fake.fail(503, at=at, after_apply=True),
    "read time-out": lambda fake, at: fake.timeout(at=at, after_apply=True),
}


@pytest.mark.parametrize("overview", ["Översikt exists", "Översikt missing"])
@pytest.mark.parametrize("fault", list(AMBIGUOUS))
def test_a_write_google_applied_but_answered_with_an_error_is_not_repeated(
    fault: str, overview: str
) -> None:
    header = ["ID", "Projekt", "Alumn", "Status"]
    tabs = {"Kontaktlogg": [header, ["KL-0001", "Branschdag", "Alva", "Inväntar alumn"]]}
    if overview == "Översikt exists":
        tabs["Översikt"] = [["Nyckeltal", "Värde"]]
    fake, key = new_sheet(tabs)
    store, pauses = store_for(fake, key)
    store.read()
    changes = ChangeSet()
    changes.append(
        "Kontaktlogg", {"ID": "KL-0002", "Projekt": "Branschdag", "Alumn": "Bert", "Status": "x"}
    )
    changes.set("Översikt", HEARTBEAT, "Värde", NOW_TEXT)
    changes.set("Översikt", "Problem i arket", "Värde", 0)
    AMBIGUOUS[fault](fake, 1)  # the write, after the re-read

    store.apply(changes)

    assert fake.ops() == [GET, BATCH_GET, BATCH_GET, WRITE, GET, BATCH_GET], (
        "found done: not sent again"
    )
    assert len(pauses) == 1
    assert fake.values(key, "Kontaktlogg") == [
        header,
        ["KL-0001", "Branschdag", "Alva", "Inväntar alumn"],
        ["KL-0002", "Branschdag", "Bert", "x"],
    ]
    assert fake.values(key, "Översikt") == [
        ["Nyckeltal", "Värde"],
        [HEARTBEAT, NOW_TEXT],
        ["Problem i arket", 0],
    ]
    assert fake.sheet_titles(key).count("Översikt") == 1


# -- 6. errors a person can act on -----------------------------------------------------------

GRID_ERROR = "Invalid requests[0].updateCells: GridCoordinate.columnIndex[30] is after last column"


@pytest.mark.parametrize(
    ("status", "position", "message"),
    [
        (
            403,
            0,
            "Google refused access to the spreadsheet {key} (403: The caller does not have "
            "permission) — share the sheet with {email} as Editor (Share button in Google Sheets).",
        ),
        (
            403,
            3,  # shared as Viewer: reading works, writing is refused
            "Google refused access to the spreadsheet {key} (403: The caller does not have "
            "permission) — share the sheet with {email} as Editor (Share button in Google Sheets).",
        ),
        (
            404,
            0,
            "Google has no spreadsheet with the key {key} (404) — check google.spreadsheet in "
            "the config (the part of the address after /d/).",
        ),
        (400, 0, f"Google refused the request for the sheet's tabs (400: {GRID_ERROR})."),
        (400, 3, f"Google refused the write (400: {GRID_ERROR})."),
    ],
)
def test_errors_a_person_must_fix_are_explained_and_not_retried(
    status: int, position: int, message: str
) -> None:
    fake, key = new_sheet(full_sheet(3))
    before = snapshot(fake, key)
    email = fake_service_account_info()["client_email"]
    store, pauses = store_for(fake, key, account=email)
    fake.fail(status, at=position, message=GRID_ERROR if status == 400 else None)

    with pytest.raises(StoreError) as info:
        daily.run(Config(), store, NOW, steps=False)

    assert str(info.value) == message.format(key=key, email=email)
    assert fake.ops() == DAILY[: position + 1]
    assert pauses == []
    assert snapshot(fake, key) == before


def test_a_spreadsheet_that_does_not_exist_is_named_in_the_message() -> None:
    fake, _ = new_sheet(full_sheet(1))
    store, pauses = store_for(fake, "1NoSuchSheet")

    with pytest.raises(StoreError, match=r"no spreadsheet with the key 1NoSuchSheet \(404\)"):
        store.read()

    assert (fake.request_count, pauses) == (1, [])


def test_a_403_without_a_known_account_says_where_to_find_its_address() -> None:
    fake, key = new_sheet(full_sheet(1))
    store, _ = store_for(fake, key)
    fake.fail(403)

    with pytest.raises(StoreError) as info:
        store.read()

    assert "share the sheet with the service account's client_email (in its JSON key)" in str(
        info.value
    )


def test_a_key_google_does_not_accept_is_not_retried() -> None:
    fake, key = new_sheet(full_sheet(1))
    store, pauses = store_for(fake, key)
    fake.fail(401, times=None)

    with pytest.raises(StoreError) as info:
        store.read()

    assert str(info.value).startswith("Google did not accept the service account's key (401: ")
    assert str(info.value).endswith("— create a new key and point google.credentials at it.")
    assert pauses == []
    assert set(fake.ops()) == {GET}, "only google-auth's own token refresh tries again"


class _TokenEndpoint(BaseAdapter):
    """Google's token endpoint when it cannot be reached, or when it refuses the key."""

    def __init__(self, reachable: bool) -> None:
        super().__init__()
        self.reachable = reachable

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not self.reachable:
            raise requests.exceptions.ConnectionError(
                "Failed to resolve 'oauth2.googleapis.com'", request=request
            )
        response = requests.Response()
        response.status_code = 400
        response._content = json.dumps(
            {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        ).encode()
        response.headers["Content-Type"] = "application/json"
        response.request, response.url = request, request.url or ""
        return response

    def close(self) -> None:
        pass


def _client_with_token_endpoint(fake: FakeSheets, token: _TokenEndpoint) -> gspread.Client:
    credentials = Credentials.from_service_account_info(fake_service_account_info(), scopes=SCOPES)
    token_session = requests.Session()
    token_session.mount(TOKEN_ROOT, token)
    session = AuthorizedSession(credentials, auth_request=Request(token_session))
    fake.mount(session)
    return gspread.Client(auth=None, session=session)  # type: ignore[arg-type]


def test_no_connection_to_the_token_endpoint_is_retried_and_explained() -> None:
    fake, key = new_sheet(full_sheet(1))
    pauses: list[float] = []
    client = _client_with_token_endpoint(fake, _TokenEndpoint(reachable=False))
    store = GoogleStore(client, key, retries=2, sleep=pauses.append)

    with pytest.raises(StoreError, match="no connection to Google"):
        store.read()

    assert len(pauses) == 2


def test_a_revoked_key_is_explained() -> None:
    fake, key = new_sheet(full_sheet(1))
    client = _client_with_token_endpoint(fake, _TokenEndpoint(reachable=True))
    store = GoogleStore(client, key, sleep=lambda pause: None)

    with pytest.raises(StoreError, match="create a new key"):
        store.read()


# -- 7. the spreadsheet setting ---------------------------------------------------------------

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-abcd"


@pytest.mark.parametrize(
    "setting",
    [
        KEY,
        f"  {KEY}\n",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit?usp=sharing",
        f"https://docs.google.com/spreadsheets/d/{KEY}",
        pytest.param(
            f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/edit#gid=0",
            id="signed in to two Google accounts",
        ),
    ],
)
def test_the_spreadsheet_is_given_by_its_key_or_its_address(setting: str) -> None:
    assert spreadsheet_key(setting) == KEY


@pytest.mark.parametrize(
    "address",
    [
        f"https://docs.google.com/document/d/{KEY}/edit",
        "https://docs.google.com/forms/d/e/1FAIpQLSe/viewform",
        f"https://drive.google.com/file/d/{KEY}/view",
        "https://example.org/alumni",
        pytest.param(
            "https://maps.googleapis.com/maps/api/js?key=AIzaSyExample",
        ),
    ],
)
def test_an_address_that_is_not_a_google_sheet_is_refused(address: str) -> None:
    with pytest.raises(ConfigError) as info:
        spreadsheet_key(address)

    assert str(info.value) == (
        f"google.spreadsheet {address!r} is not a Google Sheets address — copy the address of "
        "the sheet from the browser."
    )


# -- 8. credentials from the configuration --------------------------------------------------


def write_key(folder: Path, mode: int = 0o600, text: str | None = None) -> Path:
    path = folder / "alumniutskottet-1234abcd.json"
    path.write_text(json.dumps(fake_service_account_info()) if text is None else text)
    path.chmod(mode)
    return path


def google_config(spreadsheet: str, credentials: Path | None, **options: Any) -> Config:
    google = GoogleConfig(spreadsheet=spreadsheet, credentials=credentials, **options)
    return dataclasses.replace(Config(), backend="google", google=google)


def test_from_config_with_mount_keeps_every_request_on_the_fake(tmp_path: Path) -> None:
    fake, key = new_sheet(graduates(["AK-0001", "Anna", "anna@example.org", 2026]))
    config = google_config(key, write_key(tmp_path))

    store = GoogleStore.from_config(config, mount=fake.mount, warn=[].append)

    assert store.read()["Avgångsklass"].rows[1][:2] == ["AK-0001", "Anna"]


def test_from_config_opens_the_sheet_with_the_key_file(tmp_path: Path) -> None:
    fake, key = new_sheet(graduates(["AK-0001", "Anna", "anna@example.org", 2026]))
    config = google_config(
        f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0",
        write_key(tmp_path),
        retries=2,
        backoff_seconds=0.25,
        timeout_seconds=7.0,
    )
    warnings: list[str] = []

    with fake.intercept():
        store = GoogleStore.from_config(config, mount=fake.mount, warn=warnings.append)
        raw = store.read()

    assert raw["Avgångsklass"].rows[1][:2] == ["AK-0001", "Anna"]
    assert warnings == []
    assert fake.token_requests == 1
    assert (store.key, store.account) == (key, fake_service_account_info()["client_email"])
    assert (store.retries, store.backoff, store.http.timeout) == (2, 0.25, 7.0)
    assert store.location == f"https://docs.google.com/spreadsheets/d/{key}"


@pytest.mark.parametrize(
    ("mode", "warned"),
    [(0o600, False), (0o400, False), (0o644, True), (0o640, True), (0o604, True)],
    ids=["600", "400", "644", "640", "604"],
)
def test_a_key_file_others_can_read_is_warned_about_without_showing_the_key(
    tmp_path: Path, mode: int, warned: bool
) -> None:
    path = write_key(tmp_path, mode)
    warnings: list[str] = []

    GoogleStore.from_config(google_config("KEY", path), warn=warnings.append)

    expected = (
        f"warning: {path} can be read by other users of this computer; it holds a private key "
        f"— run: chmod 600 {path}"
    )
    assert warnings == ([expected] if warned else [])
    secret = fake_service_account_info()["private_key"]
    for warning in warnings:
        assert secret not in warning and "PRIVATE KEY" not in warning


OAUTH_CLIENT = json.dumps({"installed": {"client_id": "x.apps.googleusercontent.com"}})


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda folder: google_config("KEY", folder / "saknas.json"),
            "the credentials file {folder}/saknas.json does not exist — check google.credentials in the config.",
        ),
        (
            lambda folder: google_config("KEY", write_key(folder, text="not json {")),
            "{folder}/alumniutskottet-1234abcd.json is not a service account key (JSON with "
            "client_email and private_key) — download a new key for the service account in "
            "Google Cloud Console.",
        ),
        (
            lambda folder: google_config("KEY", write_key(folder, text=OAUTH_CLIENT)),
            "{folder}/alumniutskottet-1234abcd.json is not a service account key (JSON with "
            "client_email and private_key) — download a new key for the service account in "
            "Google Cloud Console.",
        ),
        (
            lambda folder: google_config("KEY", None),
            "no Google credentials: set google.credentials in the config to the service "
            "account's JSON key, or the environment variable GOOGLE_APPLICATION_CREDENTIALS.",
        ),
        (
            lambda folder: google_config("", write_key(folder)),
            'backend is "google" but google.spreadsheet is empty — set it to the sheet\'s key '
            "or address.",
        ),
    ],
    ids=["missing file", "not JSON", "an OAuth client file", "nothing configured", "no sheet"],
)
def test_credentials_that_cannot_work_stop_with_what_to_do(
    tmp_path: Path, setup: Callable[[Path], Config], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        GoogleStore.from_config(setup(tmp_path), warn=[].append)

    assert str(info.value) == message.format(folder=tmp_path)


def test_the_environment_variable_names_the_key_when_the_config_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, key = new_sheet(graduates(["AK-0001", "Anna", "anna@example.org", 2026]))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(write_key(tmp_path)))

    with fake.intercept():
        store = GoogleStore.from_config(google_config(key, None), warn=[].append)
        raw = store.read()

    assert raw["Avgångsklass"].rows[1][:2] == ["AK-0001", "Anna"]
    assert store.account == fake_service_account_info()["client_email"]


def test_a_missing_file_named_by_the_environment_variable_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "saknas.json"))

    with pytest.raises(ConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        GoogleStore.from_config(google_config("KEY", None), warn=[].append)


@pytest.mark.parametrize("text", ["[]", "null"])
def test_a_key_file_with_json_that_is_not_an_object_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="is not a service account key"):
        GoogleStore.from_config(google_config("KEY", write_key(tmp_path, text=text)), warn=print)


# -- 9. the command line on a Google Sheet ---------------------------------------------------


@pytest.fixture
def google_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeSheets, str]]:
    """A folder with config.toml and a key for an empty spreadsheet; every session on the fake."""
    fake, key = new_sheet()  # a new spreadsheet: one empty tab
    write_key(tmp_path)
    (tmp_path / "config.toml").write_text(
        'backend = "google"\n\n[google]\n'
        f'spreadsheet = "https://docs.google.com/spreadsheets/d/{key}/edit#gid=0"\n'
        'credentials = "alumniutskottet-1234abcd.json"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    with fake.intercept():
        yield fake, key


def alumni(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["--now", NOW_TEXT, "--for-real", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def rules(fake: FakeSheets, key: str) -> int:
    return sum(len(fake.conditional_formats(key, t)) for t in fake.sheet_titles(key))


def test_init_demo_then_daily_then_check_on_a_google_sheet(
    google_folder: tuple[FakeSheets, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, key = google_folder
    address = f"https://docs.google.com/spreadsheets/d/{key}"

    code, out, err = alumni(capsys, "init", "--demo")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"Updated {address}; no existing cell was changed."
    assert rules(fake, key) == 6

    fake.reset_counts()
    code, out, err = alumni(capsys, "daily")
    assert (code, err) == (0, ""), out
    assert fake.ops() == DAILY
    assert out.splitlines()[0] == f"Daily run {NOW_TEXT} on {address}"
    assert figures(fake, key)[HEARTBEAT] == NOW_TEXT

    fake.reset_counts()
    code, out, _ = alumni(capsys, "check")
    assert code == 0
    assert out == f"No problems in {address}.\n"
    assert fake.ops() == [GET, BATCH_GET]


def test_init_twice_sets_the_colours_once(
    google_folder: tuple[FakeSheets, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, key = google_folder
    assert alumni(capsys, "init")[0] == 0
    first = rules(fake, key)
    fake.reset_counts()

    code, out, _ = alumni(capsys, "init")

    assert code == 0
    assert rules(fake, key) == first == 6
    assert "already has every tab and header; nothing to add." in out
    assert WRITE not in fake.ops()


def test_init_demo_on_a_sheet_with_data_is_refused(
    google_folder: tuple[FakeSheets, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, key = google_folder
    fake.add_sheet(key, "Avgångsklass", [GRADUATES.header, ["AK-0001", "Anna"]])
    before = snapshot(fake, key)

    code, out, err = alumni(capsys, "init", "--demo")

    assert (code, out) == (2, "")
    assert err == (
        "alumni: the spreadsheet already holds data and the tool never deletes a Google "
        "Sheet's rows — use a new, empty spreadsheet for the demo.\n"
    )
    assert snapshot(fake, key) == before
    assert WRITE not in fake.ops()


def test_a_sheet_not_shared_with_the_robot_exits_2_naming_its_address(
    google_folder: tuple[FakeSheets, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, _ = google_folder
    fake.fail(403)

    code, out, err = alumni(capsys, "daily")

    assert (code, out) == (2, "")
    assert fake_service_account_info()["client_email"] in err and "Share" in err


def test_init_tries_its_write_again_after_a_passing_failure() -> None:
    fake, key = new_sheet()
    store, pauses = store_for(fake, key)
    fake.fail(503, at=2)  # metadata, read, then the write

    store.initialize(None, force=False)

    assert [fake.values(key, t.name)[0] for t in TABS] == [t.header for t in TABS]
    assert len(pauses) == 1


# -- 10. a person editing while the tool runs -------------------------------------------------

TITLE = "Avgångsklass"
SHEET_HEADER = [*GRADUATES.header, "Anteckning"]
HUMAN = [1, 2, 3, 4, 7]  # Namn, E-post, Examensår, Språk, Anteckning
ID, INVITED, STATUS = 0, 5, 6


def status_for(key: str) -> str:
    return f"skickad ({key})"


def cell(row: list[Any], col: int) -> Any:
    return row[col] if col < len(row) else ""


NAMES = [
    "Ebba Lundström",
    "Oliver Åberg",
    "Klara Nordén",
    "Viktor Strömberg",
    "Maja Fält",
    "Hugo Dahlgård",
    "Agnes Öhman",
    "Filip Järvinen",
]


def _class_of(rng: random.Random) -> list[list[Any]]:
    """Eight graduates in no particular order, some still without an ID."""
    rows: list[list[Any]] = [SHEET_HEADER]
    for i, name in enumerate(rng.sample(NAMES, len(NAMES)), start=1):
        key = "" if rng.random() < 0.25 else f"AK-{i:04d}"
        stale = "misslyckad: 550" if key and rng.random() < 0.3 else ""
        note = f"ring {name.split()[0]}" if rng.random() < 0.5 else ""
        email = f"{name.split()[0].lower()}@example.org"
        rows.append(
            [key, name, email, rng.choice([2025, 2026]), rng.choice(["sv", "en"]), "", stale, note]
        )
    return rows


def _insert(fake: FakeSheets, key: str, rng: random.Random, height: int) -> None:
    new = [["", f"Ny {n}", f"ny{n}@example.org", 2027, "sv"] for n in range(rng.randint(1, 3))]
    fake.insert_rows(key, TITLE, rng.randint(2, height), new)


def _delete(fake: FakeSheets, key: str, rng: random.Random, height: int) -> None:
    fake.delete_rows(key, TITLE, rng.randint(2, height))


def _sort(fake: FakeSheets, key: str, rng: random.Random, height: int) -> None:
    fake.sort(key, TITLE, rng.randrange(len(SHEET_HEADER)), reverse=rng.random() < 0.5)


def _append(fake: FakeSheets, key: str, rng: random.Random, height: int) -> None:
    fake.append_row(key, TITLE, ["", "Sen anmälan", "sen@example.org", 2026, "en"])


def _edit(fake: FakeSheets, key: str, rng: random.Random, height: int) -> None:
    col = rng.choice(HUMAN)
    typed = {1: "Nytt Namn", 2: "nytt@example.org", 3: 2024, 4: "en", 7: "ordförandens notis"}
    fake.set_cell(key, TITLE, a1(rng.randint(2, height), col), typed[col])


EDITS = {"insert": _insert, "delete": _delete, "sort": _sort, "append": _append, "edit": _edit}


def _invite_everyone(store: GoogleStore) -> None:
    """A job that writes each graduate's status from their ID, giving IDs to rows without."""
    wb = load_workbook(store.read(), TZ)
    changes = ChangeSet()
    give_missing_ids(wb, changes)
    for key in wb[TITLE]["ID"]:
        changes.set(TITLE, key, "Inbjudningsstatus", status_for(key))
    store.apply(changes)


@pytest.mark.parametrize("seed", range(50))
def test_an_edit_between_read_and_write_never_misplaces_a_value_or_loses_an_edit(
    seed: int,
) -> None:
    rng = random.Random(seed)
    fake, key = new_sheet({TITLE: _class_of(rng)})
    store, _ = store_for(fake, key)
    kind = rng.choice(sorted(EDITS))
    edited: list[list[list[Any]]] = []

    @fake.before_request
    def person(fake_: FakeSheets, index: int, method: str, path: str) -> None:
        if index == 2 and not edited:  # just before the re-read that precedes the write
            EDITS[kind](fake, key, rng, len(fake.values(key, TITLE)))
            edited.append(fake.values(key, TITLE))

    _invite_everyone(store)

    assert fake.ops() == DAILY and edited, kind
    before, after = edited[0], fake.values(key, TITLE)
    assert len(after) == len(before), kind
    for was, now in zip(before[1:], after[1:], strict=True):
        assert [cell(now, c) for c in [*HUMAN, INVITED]] == [
            cell(was, c) for c in [*HUMAN, INVITED]
        ], f"{kind}: a person's cell changed"
        if cell(was, ID):
            assert cell(now, ID) == cell(was, ID), f"{kind}: an ID changed"
        if cell(now, ID):
            assert cell(now, STATUS) == status_for(cell(now, ID)), f"{kind}: value in wrong row"
        else:
            assert cell(now, STATUS) == cell(was, STATUS), f"{kind}: written to a row without ID"
    ids = [row[ID] for row in after[1:] if row[ID]]
    assert len(ids) == len(set(ids)), kind
