"""The Google backend under stress: people editing mid-run, and Google failing at every request.

Real gspread talks to the local fake of the Sheets v4 API (tests/fakes/sheets/). The sheet
is the realistic one `alumni init --demo` makes, so every step of the daily job has work to do.
"""

from __future__ import annotations

import functools
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import gspread
import pandas as pd
import pytest
import requests
from requests.adapters import HTTPAdapter

from alumni.cli import run
from alumni.config import Config
from alumni.contract import GRADUATES
from alumni.demo import demo_rows
from alumni.errors import StoreError
from alumni.findings import a1
from alumni.jobs import daily as daily_job
from alumni.sheet.changes import ChangeSet
from alumni.sheet.google import GoogleStore
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.workbook import load_workbook
from tests.fakes.sheets import FakeSheets, client_for, fake_service_account_info

TZ = "Europe/Stockholm"
NOW_TEXT = "2026-11-28 14:05"
NOW = pd.Timestamp(NOW_TEXT, tz=TZ)
RETRIES = 3

FAKE = FakeSheets()
"""One fake Sheets API for the module; every test works on spreadsheets of its own."""


class RealNetworkUsed(AssertionError):
    """A request left for the real internet: every test must stay on the fake."""


@pytest.fixture(autouse=True)
def _on_the_fake_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(self: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> None:
        raise RealNetworkUsed(f"{request.method} {request.url} went to the real network")

    monkeypatch.setattr(HTTPAdapter, "send", refuse)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    FAKE.clear_faults()
    FAKE.reset_counts()
    yield
    FAKE.clear_faults()


@functools.cache
def _client() -> gspread.Client:
    return client_for(FAKE)


def no_sleep(seconds: float) -> None:
    """The store's pause between attempts, made instant."""


def store_on(key: str, retries: int = RETRIES) -> GoogleStore:
    return GoogleStore(_client(), key, retries=retries, sleep=no_sleep)


Tabs = dict[str, list[list[Any]]]


def snapshot(key: str) -> Tabs:
    return {title: FAKE.values(key, title) for title in FAKE.sheet_titles(key)}


@functools.cache
def _demo_json() -> str:
    """The sheet `alumni init --demo` makes, built once through the tool's own init path."""
    key = FAKE.create_spreadsheet("Demo")
    store_on(key).initialize(demo_rows(NOW.to_pydatetime()), force=False)
    tabs = snapshot(key)
    tabs.pop("Blad1", None)  # the new spreadsheet's own empty tab
    # JSON keeps the cache immutable; dates go through as tagged strings.
    return json.dumps(tabs, default=lambda v: {"__dt__": v.isoformat()}, ensure_ascii=False)


def demo_tabs() -> Tabs:
    def hook(obj: dict[str, Any]) -> Any:
        return datetime.fromisoformat(obj["__dt__"]) if "__dt__" in obj else obj

    return json.loads(_demo_json(), object_hook=hook)


def cell(row: list[Any], col: int) -> Any:
    return row[col] if col < len(row) else ""


# -- 1. people editing between the tool's read and its write ---------------------------------

TITLE = GRADUATES.name
SHEET_HEADER = [*GRADUATES.header, "Anteckning"]  # plus a column of the committee's own
ID, INVITED, STATUS, NOTE = 0, 5, 6, 7
HUMAN = [1, 2, 3, 4, NOTE]  # Namn, E-post, Examensår, Språk, Anteckning


def status_for(key: str) -> str:
    return f"status {key}"


def _class_sheet(rng: random.Random) -> Tabs:
    """The demo sheet, its graduates shuffled, some without an ID, some with a note."""
    tabs = demo_tabs()
    header, *rows = tabs[TITLE]
    assert header == GRADUATES.header
    body = []
    for row in rng.sample(rows, len(rows)):
        row = [*row, *[""] * (len(GRADUATES.header) - len(row))]
        if rng.random() < 0.3:
            row[ID] = ""
        note = f"ring {str(row[1]).split()[0]}" if rng.random() < 0.5 else ""
        body.append([*row, note])
    tabs[TITLE] = [SHEET_HEADER, *body]
    return tabs


def _height(key: str) -> int:
    return len(FAKE.values(key, TITLE))


def _insert(key: str, rng: random.Random, n: int) -> None:
    new = [
        ["", f"Ny {n}.{i}", f"ny{n}.{i}@example.org", 2027, "sv", "", "", "insatt"]
        for i in range(rng.randint(1, 3))
    ]
    FAKE.insert_rows(key, TITLE, rng.randint(2, _height(key) + 1), new)


def _delete(key: str, rng: random.Random, n: int) -> None:
    FAKE.delete_rows(key, TITLE, rng.randint(2, _height(key)))


def _sort(key: str, rng: random.Random, n: int) -> None:
    FAKE.sort(key, TITLE, rng.randrange(len(SHEET_HEADER)), reverse=rng.random() < 0.5)


def _append(key: str, rng: random.Random, n: int) -> None:
    for i in range(rng.randint(1, 2)):
        FAKE.append_row(key, TITLE, ["", f"Sen anmälan {n}.{i}", f"sen{n}.{i}@example.org", 2026])


def _edit(key: str, rng: random.Random, n: int) -> None:
    """A person types into a human-owned cell of a row the tool is about to write."""
    rows = FAKE.values(key, TITLE)
    written = [r for r in range(2, len(rows) + 1) if cell(rows[r - 1], 7) != "insatt"]
    col = rng.choice(HUMAN)
    typed = {
        1: f"Nytt Namn {n}",
        2: f"nytt{n}@example.org",
        3: 2024,
        4: rng.choice(["sv", "en"]),
        NOTE: f"ordförandens notis {n}",
    }
    FAKE.set_cell(key, TITLE, a1(rng.choice(written), col), typed[col])


EDITS: dict[str, Callable[[str, random.Random, int], None]] = {
    "insert": _insert,
    "delete": _delete,
    "sort": _sort,
    "append": _append,
    "edit": _edit,
}


def _status_job(store: GoogleStore) -> int:
    """Write each graduate's status from their own ID, giving IDs to rows without one."""
    wb = load_workbook(store.read(), TZ)
    changes = ChangeSet()
    given = give_missing_ids(wb, changes).get(TITLE, 0)
    for key in wb[TITLE]["ID"]:
        changes.set(TITLE, key, "Inbjudningsstatus", status_for(key))
    store.apply(changes)
    return given


@pytest.mark.parametrize("seed", range(200))
def test_people_editing_mid_run_never_get_a_misplaced_value_or_lose_an_edit(seed: int) -> None:
    rng = random.Random(seed)
    key = FAKE.create_spreadsheet("Alumniutskottet", _class_sheet(rng))
    others = {t: v for t, v in snapshot(key).items() if t != TITLE}
    FAKE.reset_counts()  # building the demo sheet the first time costs requests too
    kinds = [rng.choice(sorted(EDITS)) for _ in range(rng.randint(1, 3))]
    left: list[list[list[Any]]] = []  # the tab as the person left it

    @FAKE.before_request
    def person(fake: FakeSheets, index: int, method: str, path: str) -> None:
        if index == 2 and not left:  # the re-read just before the write
            for n, kind in enumerate(kinds):
                EDITS[kind](key, rng, n)
            left.append(FAKE.values(key, TITLE))

    given = _status_job(store_on(key))

    what = f"seed {seed}: {kinds}"
    assert FAKE.ops()[:3] == ["spreadsheets.get", "values.batchGet", "values.batchGet"], what
    assert left, what
    before, after = left[0], FAKE.values(key, TITLE)
    assert after[0] == SHEET_HEADER, what
    assert len(after) == len(before), f"{what}: rows came or went"
    for was, now in zip(before[1:], after[1:], strict=True):
        assert [cell(now, c) for c in [*HUMAN, INVITED]] == [
            cell(was, c) for c in [*HUMAN, INVITED]
        ], f"{what}: a person's cell changed: {was} -> {now}"
        if cell(was, ID):
            assert cell(now, ID) == cell(was, ID), f"{what}: an ID changed"
        if cell(now, ID):
            assert cell(now, STATUS) == status_for(cell(now, ID)), f"{what}: value in wrong row"
        else:
            assert cell(now, STATUS) == cell(was, STATUS), f"{what}: written to a row without ID"
    ids = [row[ID] for row in after[1:] if row[ID]]
    assert len(ids) == len(set(ids)), f"{what}: an ID twice: {sorted(ids)}"
    new_ids = {row[ID] for row in after[1:] if row[ID]} - {row[ID] for row in before[1:]}
    assert len(new_ids) <= given, what
    assert all(i.startswith("AK-") for i in new_ids), what
    # Other tabs are untouched, but for the highest IDs the tool keeps in Översikt.
    kept = {t: v for t, v in snapshot(key).items() if t not in (TITLE, "Översikt")}
    assert kept == {t: v for t, v in others.items() if t != "Översikt"}, what
    figures = snapshot(key)["Översikt"]
    assert figures[:1] == others["Översikt"][:1], what
    assert all(row[0].startswith("Senast utdelade ID, ") for row in figures[1:]), what


# -- 2. Google failing at every request of a full daily run ----------------------------------

Fault = Callable[[int, int | None, bool], None]
FAULTS: dict[str, Fault] = {
    "429": lambda at, times, applied: FAKE.fail(
        429, times=times, at=at, after_apply=applied, message="Quota exceeded"
    ),
    "500": lambda at, times, applied: FAKE.fail(500, times=times, at=at, after_apply=applied),
    "503": lambda at, times, applied: FAKE.fail(503, times=times, at=at, after_apply=applied),
    "read time-out": lambda at, times, applied: FAKE.timeout(
        times=times, at=at, after_apply=applied
    ),
}
SAYS = {
    "429": "Google answered 429 (Quota exceeded) to ",
    "500": "Google answered 500 (Internal error encountered.) to ",
    "503": "Google answered 503 (The service is currently unavailable.) to ",
    "read time-out": "Google did not answer ",
}
WRITE = "spreadsheets.batchUpdate"


def _daily_sheet() -> Tabs:
    """The demo sheet with new rows people added without an ID, so IDs are given too."""
    tabs = demo_tabs()
    tabs[TITLE][3][ID] = ""
    tabs[TITLE][7][ID] = ""
    tabs["Ansökningar"][2][1] = ""
    return tabs


def daily(store: GoogleStore) -> None:
    """`alumni daily` without --send: every step runs, notices are a dry run."""
    daily_job.run(Config(), store, NOW)


@functools.cache
def _clean_run() -> tuple[str, str, str]:
    key = FAKE.create_spreadsheet("Alumniutskottet", _daily_sheet())
    before = snapshot(key)
    start = FAKE.request_count
    daily(store_on(key))
    ops = FAKE.ops()[start:]
    return json.dumps(ops), repr(before), repr(snapshot(key))


def clean_run() -> tuple[list[str], str, str]:
    """A clean daily run: its requests, and the sheet before and after (as repr)."""
    ops, before, after = _clean_run()
    return json.loads(ops), before, after


def test_the_clean_run_sends_every_step_and_changes_the_sheet() -> None:
    ops, before, after = clean_run()
    assert WRITE in ops and ops[-1] == WRITE
    assert before != after
    assert "AK-0013" in after and "AK-0013" not in before  # IDs given


@pytest.mark.parametrize("applied", [False, True], ids=["not applied", "applied, answer lost"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_once_at_any_request_leaves_the_same_sheet_as_a_clean_run(
    fault: str, applied: bool
) -> None:
    ops, _, clean_after = clean_run()
    for position in range(len(ops)):
        if applied and ops[position] != WRITE:
            continue  # only a write can be applied and then fail
        key = FAKE.create_spreadsheet("Alumniutskottet", _daily_sheet())
        FAKE.reset_counts()
        FAULTS[fault](position, 1, applied)

        daily(store_on(key))

        where = f"{fault} once at request {position} ({ops[position]})"
        assert repr(snapshot(key)) == clean_after, where
        sent = FAKE.ops()
        assert len(sent) <= len(ops) + 3, f"{where}: {sent}"
        # A failed write is sent again; one Google applied is not repeated.
        resent = ops[position] == WRITE and not applied
        assert sent.count(WRITE) == (2 if resent else 1), f"{where}: {sent}"
        FAKE.clear_faults()


def _check_gave_up(message: str, fault: str, where: str) -> None:
    assert message.startswith(SAYS[fault]), f"{where}: {message}"
    assert f", {RETRIES + 1} times — " in message, f"{where}: {message}"
    assert "Google is busy or unreachable" in message or "not written" in message, message


@pytest.mark.parametrize("applied", [False, True], ids=["not applied", "applied, answer lost"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_forever_stops_the_run_with_the_sheet_never_half_written(
    fault: str, applied: bool
) -> None:
    ops, clean_before, clean_after = clean_run()
    for position in range(len(ops)):
        if applied and ops[position] != WRITE:
            continue
        key = FAKE.create_spreadsheet("Alumniutskottet", _daily_sheet())
        FAKE.reset_counts()
        FAULTS[fault](position, None, applied)
        where = f"{fault} forever from request {position} ({ops[position]})"

        with pytest.raises(StoreError) as info:
            daily(store_on(key))

        _check_gave_up(str(info.value), fault, where)
        assert repr(snapshot(key)) == (clean_after if applied else clean_before), where
        tries = Counter(FAKE.ops()[position:])
        assert max(tries.values()) <= RETRIES + 1, f"{where}: {tries}"
        assert len(FAKE.ops()) <= position + 3 * (RETRIES + 1), where
        FAKE.clear_faults()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    key_file = tmp_path / "alumniutskottet-1234abcd.json"
    key_file.write_text(json.dumps(fake_service_account_info()))
    key_file.chmod(0o600)
    monkeypatch.chdir(tmp_path)
    with FAKE.intercept():
        yield tmp_path


def _configure(folder: Path, key: str) -> None:
    (folder / "config.toml").write_text(
        'backend = "google"\n\n[google]\n'
        f'spreadsheet = "https://docs.google.com/spreadsheets/d/{key}/edit#gid=0"\n'
        'credentials = "alumniutskottet-1234abcd.json"\n'
        f"retries = {RETRIES}\nbackoff_seconds = 0\n",
        encoding="utf-8",
    )


def alumni_daily(folder: Path, key: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    _configure(folder, key)
    code = run(["--now", NOW_TEXT, "--for-real", "daily"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


def _daily_sheet_snapshot() -> Tabs:
    key = FAKE.create_spreadsheet("Alumniutskottet", _daily_sheet())
    return snapshot(key)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_cli_exits_2_saying_google_kept_failing(
    folder: Path, capsys: pytest.CaptureFixture[str], fault: str
) -> None:
    key = FAKE.create_spreadsheet("Alumniutskottet", _daily_sheet())
    FAKE.reset_counts()
    code, err = alumni_daily(folder, key, capsys)
    assert (code, err) == (0, "")
    ops, clean_before, clean_after = FAKE.ops(), repr(_daily_sheet_snapshot()), repr(snapshot(key))
    assert clean_before != clean_after
    for position in range(len(ops)):
        for applied in [False, True] if ops[position] == WRITE else [False]:
            key = FAKE.create_spreadsheet("Alumniutskottet", _daily_sheet())
            FAKE.reset_counts()
            FAULTS[fault](position, None, applied)
            where = f"{fault} forever from request {position} ({ops[position]}), {applied=}"

            code, err = alumni_daily(folder, key, capsys)

            assert code == 2, f"{where}: {err}"
            assert err.startswith("alumni: "), where
            _check_gave_up(err.removeprefix("alumni: ").strip(), fault, where)
            assert repr(snapshot(key)) == (clean_after if applied else clean_before), where
            tries = Counter(FAKE.ops()[position:])
            assert max(tries.values()) <= RETRIES + 1, f"{where}: {tries}"
            FAKE.clear_faults()
