"""The live store-contract run, rehearsed on the fake: when it runs, what it refuses and leaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.sheets import FakeSheets, fake_service_account_info
from tests.harness import GoogleHarness
from tests.live_sheet import (
    CREDENTIALS_VAR,
    SHEET_VAR,
    LiveHarness,
    LiveSettings,
    LiveSetupError,
    LiveSheet,
    backends,
    live_settings,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = {"Avgångsklass": [["ID", "Namn"], ["AK-1", "Anna"]]}


def key_file(folder: Path) -> Path:
    path = folder / "service-account.json"
    path.write_text(json.dumps(fake_service_account_info()), encoding="utf-8")
    path.chmod(0o600)
    return path


def open_live(fake: FakeSheets, key: str, folder: Path) -> LiveSheet:
    address = f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0"
    return LiveSheet(LiveSettings(address, key_file(folder)), mount=fake.mount)


def secrets() -> list[str]:
    info = fake_service_account_info()
    body = info["private_key"].splitlines()[1]  # a line of the key itself, not its armour
    return [body, info["private_key_id"]]


# -- which backends -------------------------------------------------------------------------


def test_without_the_two_variables_there_is_no_live_backend() -> None:
    assert live_settings({}) is None
    assert live_settings({SHEET_VAR: " ", CREDENTIALS_VAR: ""}) is None
    assert backends(None) == ["local", "google"]


def test_with_both_variables_the_live_backend_joins() -> None:
    settings = live_settings({SHEET_VAR: " 1abcKEY ", CREDENTIALS_VAR: "/keys/sa.json"})
    assert settings == LiveSettings("1abcKEY", Path("/keys/sa.json"))
    assert backends(settings) == ["local", "google", "live"]


@pytest.mark.parametrize(
    ("given", "missing"), [(SHEET_VAR, CREDENTIALS_VAR), (CREDENTIALS_VAR, SHEET_VAR)]
)
def test_one_variable_alone_is_a_mistake_said_aloud(given: str, missing: str) -> None:
    with pytest.raises(LiveSetupError) as caught:
        live_settings({given: "x"})
    assert str(caught.value) == (
        f"{given} is set but {missing} is not: set both to run the store contract on a real "
        "Google Sheet (README: Verify a real Google Sheet), or neither."
    )


# -- which spreadsheets ---------------------------------------------------------------------


def test_an_empty_spreadsheet_is_accepted_and_its_tabs_remembered(tmp_path: Path) -> None:
    fake = FakeSheets()
    key = fake.create_spreadsheet("Namnlöst kalkylark", {"Blad1": [], "Blad2": []})
    live = open_live(fake, key, tmp_path)
    assert (live.key, live.title, live.original_titles) == (
        key,
        "Namnlöst kalkylark",
        ["Blad1", "Blad2"],
    )
    assert "spreadsheets.batchUpdate" not in fake.ops()


def test_a_spreadsheet_with_data_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeSheets()
    key = fake.create_spreadsheet("Alumniutskottet", {"Blad1": [], **DATA})
    with pytest.raises(LiveSetupError) as caught:
        open_live(fake, key, tmp_path)
    assert str(caught.value) == (
        f"refusing to run the store contract on the spreadsheet 'Alumniutskottet' ({key}): it "
        "holds data (in Avgångsklass) and its title does not contain 'alumni-test'. The run "
        "replaces every tab of the spreadsheet it is given. Make a new spreadsheet named "
        "'alumni-test', share it with the service account as Editor, and set "
        "ALUMNI_TEST_SHEET to its address."
    )
    assert "spreadsheets.batchUpdate" not in fake.ops()
    assert fake.values(key, "Avgångsklass") == DATA["Avgångsklass"]
    out, err = capsys.readouterr()
    assert not any(s in out + err + str(caught.value) for s in secrets())


def test_a_spreadsheet_titled_for_tests_may_hold_data(tmp_path: Path) -> None:
    fake = FakeSheets()
    key = fake.create_spreadsheet("Alumni-Test (Lina)", DATA)
    assert open_live(fake, key, tmp_path).original_titles == ["Avgångsklass"]


def test_a_missing_key_file_is_named_not_read(tmp_path: Path) -> None:
    with pytest.raises(LiveSetupError) as caught:
        LiveSheet(LiveSettings("1abcKEY", tmp_path / "nope.json"))
    assert str(caught.value) == (
        f"{CREDENTIALS_VAR} names {tmp_path / 'nope.json'}, which is not a file: point it at "
        "the service account's JSON key."
    )


def test_a_spreadsheet_not_shared_with_the_account_says_whom_to_share_with(
    tmp_path: Path,
) -> None:
    fake = FakeSheets()
    key = fake.create_spreadsheet("alumni-test", {})
    fake.fail(403, times=None)
    with pytest.raises(LiveSetupError) as caught:
        open_live(fake, key, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{SHEET_VAR}: Google refused access to the spreadsheet {key}")
    assert fake_service_account_info()["client_email"] in message
    assert not any(s in message for s in secrets())


# -- what the live harness does -------------------------------------------------------------


def test_seeding_stores_cells_as_the_fake_harness_does(tmp_path: Path) -> None:
    row = ["text", "0123", 2026, 1.5, True, datetime(2026, 11, 28, 14, 5), date(2026, 1, 2)]
    tabs: dict[str, list[list[Any]]] = {
        "Avgångsklass": [["A", "B", "C", "D", "E", "F", "G", "H"], [*row, "=1+1"], [], [None]]
    }
    fake = FakeSheets()
    live = LiveHarness(open_live(fake, fake.create_spreadsheet("alumni-test", {}), tmp_path))
    live.seed(tabs)
    same = GoogleHarness()
    same.seed(tabs)
    for a1 in ("A2", "B2", "C2", "D2", "E2", "F2", "G2", "H2", "A3"):
        assert fake.cell(live.sheet.key, "Avgångsklass", a1) == same.fake.cell(
            same.key, "Avgångsklass", a1
        )
    assert live.values("Avgångsklass")[1][:5] == same.values("Avgångsklass")[1][:5]
    props = fake.sheet_properties(live.sheet.key, "Avgångsklass")["gridProperties"]
    assert props == {"rowCount": 1000, "columnCount": 26}


def test_a_persons_edits_match_the_fake_harness(tmp_path: Path) -> None:
    tabs = {"T": [["ID", "Namn"], ["1", "Bo"], ["2", "Anna"], ["3", "Cecilia"]]}
    fake = FakeSheets()
    live = LiveHarness(open_live(fake, fake.create_spreadsheet("alumni-test", {}), tmp_path))
    same = GoogleHarness()
    edits: list[Any] = [
        lambda h: h.sort("T", 1),
        lambda h: h.insert_rows("T", 2, [["", "Ny", 7]]),
        lambda h: h.delete_rows("T", 4),
        lambda h: h.set_cell("T", 3, 1, "Anna Ek"),
        lambda h: h.sort("T", 1, reverse=True),
    ]
    for h in (live, same):
        h.seed(tabs)
        for edit in edits:
            edit(h)
    assert live.values("T") == same.values("T")
    assert live.titles() == ["T"]


def test_clean_up_leaves_the_spreadsheets_own_tabs_empty(tmp_path: Path) -> None:
    fake = FakeSheets()
    key = fake.create_spreadsheet("Namnlöst kalkylark", {"Blad1": [], "Blad2": []})
    sheet = open_live(fake, key, tmp_path)
    LiveHarness(sheet).seed(DATA)
    assert fake.sheet_titles(key) == ["Avgångsklass"]
    sheet.clean_up()
    assert fake.sheet_titles(key) == ["Blad1", "Blad2"]
    assert [fake.values(key, t) for t in ("Blad1", "Blad2")] == [[], []]


# -- the whole run, as the chair starts it --------------------------------------------------


def rehearse(tmp_path: Path, title: str, tabs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Run the store contract's live backend in a child process whose Google is the fake."""
    report = tmp_path / "state.json"
    env = {
        **os.environ,
        SHEET_VAR: "https://docs.google.com/spreadsheets/d/1LiveRehearsal0000000000000000000/edit",
        CREDENTIALS_VAR: str(key_file(tmp_path)),
        "LIVE_REHEARSAL": json.dumps({"title": title, "tabs": tabs, "report": str(report)}),
    }
    command = [sys.executable, "-m", "pytest", "-p", "tests.live_on_fake", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, "tests/test_store_contract.py", "-k", "live"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, json.loads(report.read_text(encoding="utf-8"))


def test_the_live_run_passes_the_contract_and_cleans_up(tmp_path: Path) -> None:
    done, state = rehearse(tmp_path, "alumni-test", {"Blad1": []})
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "deselected" in summary
    assert state == {"Blad1": []}
    assert not any(s in done.stdout + done.stderr for s in secrets())


def test_the_live_run_refuses_a_sheet_with_data_and_leaves_it_be(tmp_path: Path) -> None:
    done, state = rehearse(tmp_path, "Alumniutskottet", DATA)
    assert done.returncode == 1
    assert "refusing to run the store contract on the spreadsheet 'Alumniutskottet'" in done.stdout
    assert " passed" not in done.stdout
    assert state == DATA
    assert not any(s in done.stdout + done.stderr for s in secrets())
