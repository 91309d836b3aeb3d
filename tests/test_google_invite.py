"""`alumni invite --send` on a Google Sheet: a graduate is never invited twice because of a
write that failed or landed elsewhere.

The journal knows each invitation by the graduate's row ID and address, so the ID must be in
the sheet before anything is sent: the invite job writes missing IDs first, and a failed ID
write stops the run before the first message. A status write that fails after sending is
made good from the journal on the next run, which sends nothing again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from alumni.contract import GRADUATES
from tests.fakes.sheets import FakeSheets, fake_service_account_info
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import alumni, write_config

TITLE = "Avgångsklass"
ID, NAME, INVITED, STATUS = 0, 1, 5, 6
WRITE = "spreadsheets.batchUpdate"

CLASS: list[list[Any]] = [
    GRADUATES.header,
    ["AK-0001", "Anna Berg", "anna@student.example.org", 2026, "sv"],
    ["", "Bo Ek", "bo@student.example.org", 2026, "sv"],
    ["AK-0002", "Cilla Dahl", "cilla@student.example.org", 2026, "en"],
    ["", "David Falk", "david@student.example.org", 2026, "sv"],
    ["AK-0003", "Eva Gran", "eva@student.example.org", 2025, "sv"],
]
INVITED_2026 = ["Anna Berg", "Bo Ek", "Cilla Dahl", "David Falk"]


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> None:
        raise AssertionError(f"{request.method} {request.url} went to the real network")

    monkeypatch.setattr(HTTPAdapter, "send", refuse)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)


@pytest.fixture
def sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: FakeSmtpServer
) -> Iterator[tuple[FakeSheets, str]]:
    """A folder whose config sends through `smtp_server` and keeps the sheet on a fake Google
    Sheet holding CLASS; every Google request of the test goes to that fake."""
    fake = FakeSheets()
    key = fake.create_spreadsheet("Alumniutskottet", {TITLE: [list(r) for r in CLASS]})
    (tmp_path / "robot.json").write_text(json.dumps(fake_service_account_info()))
    (tmp_path / "robot.json").chmod(0o600)
    write_config(tmp_path, smtp_server)
    mail = (tmp_path / "config.toml").read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(
        'backend = "google"\n'
        + mail
        + f'[google]\nspreadsheet = "{key}"\ncredentials = "robot.json"\n'
        + "retries = 2\nbackoff_seconds = 0.0\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    with fake.intercept():
        yield fake, key


def received(server: FakeSmtpServer) -> list[str]:
    return [str(m.message["To"].addresses[0].display_name) for m in server.messages]


def by_name(fake: FakeSheets, key: str) -> dict[str, list[Any]]:
    return {row[NAME]: row for row in fake.values(key, TITLE)[1:]}


def writes(fake: FakeSheets) -> int:
    return fake.ops().count(WRITE)


def test_an_id_write_that_keeps_failing_stops_the_run_before_anything_is_sent(
    sheet: tuple[FakeSheets, str],
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, key = sheet
    before = fake.values(key, TITLE)
    fake.fail(500, times=None, when=lambda method, path: path.endswith(":batchUpdate"))

    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 2
    assert "Google answered 500" in err and "3 times" in err
    assert smtp_server.messages == [] and smtp_server.connections == 0
    assert writes(fake) == 3, "the ID write, tried retries + 1 times"
    assert fake.values(key, TITLE) == before
    journal = Path("sent-journal.jsonl")
    assert not journal.exists() or "invite:" not in journal.read_text(encoding="utf-8")

    fake.clear_faults()
    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 0, out + err
    assert received(smtp_server) == INVITED_2026


def test_a_status_write_that_fails_after_sending_invites_nobody_again(
    sheet: tuple[FakeSheets, str],
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, key = sheet
    seen: list[str] = []

    def after_the_ids(method: str, path: str) -> bool:
        if path.endswith(":batchUpdate"):
            seen.append(path)
            return len(seen) > 1  # the ID write goes through; every status write fails
        return False

    fake.fail(503, times=None, when=after_the_ids)

    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 2, out + err
    assert "Google answered 503" in err
    assert received(smtp_server) == INVITED_2026
    rows = by_name(fake, key)
    assert rows["Bo Ek"][ID] == "AK-0004" and rows["David Falk"][ID] == "AK-0005"
    assert all(rows[name][STATUS] == "" for name in INVITED_2026), "no status was written"

    fake.clear_faults()
    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 0, out + err
    assert received(smtp_server) == INVITED_2026, "nobody was invited a second time"
    rows = by_name(fake, key)
    assert all(rows[name][STATUS] == "skickad" for name in INVITED_2026), "from the journal"
    assert rows["Eva Gran"][STATUS] == ""


def test_an_id_write_meeting_a_row_inserted_above_lands_in_its_own_row(
    sheet: tuple[FakeSheets, str],
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The race of issue 15: the IDs land in their rows although a person inserted one
    above them in the instant before, so the journal's IDs are the sheet's."""
    fake, key = sheet
    made: list[int] = []

    @fake.before_request
    def person(fake_: FakeSheets, index: int, method: str, path: str) -> None:
        if path.endswith(":batchUpdate") and not made:
            made.append(index)
            fake.insert_rows(key, TITLE, 2, [["", "Nils Nyman", "nils@student.example.org", 2027]])

    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 0, out + err
    rows = by_name(fake, key)
    assert [rows[n][ID] for n in INVITED_2026] == ["AK-0001", "AK-0004", "AK-0002", "AK-0005"]
    assert rows["Nils Nyman"][ID] == "", "the new row was not read: it gets an ID next run"
    assert rows["Eva Gran"][ID] == "AK-0003"
    assert received(smtp_server) == INVITED_2026
    assert all(rows[name][STATUS] == "skickad" for name in INVITED_2026)

    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 0, out + err
    assert received(smtp_server) == INVITED_2026, "nobody was invited a second time"
    assert by_name(fake, key)["Nils Nyman"][ID] == "AK-0006"


def test_statuses_meeting_a_sort_land_in_their_own_rows(
    sheet: tuple[FakeSheets, str],
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, key = sheet
    made: list[int] = []

    @fake.before_request
    def person(fake_: FakeSheets, index: int, method: str, path: str) -> None:
        # The second write is the first status write: sort by name, Ö to A, just before it.
        if path.endswith(":batchUpdate"):
            made.append(index)
            if len(made) == 2:
                fake.sort(key, TITLE, NAME, reverse=True)

    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 0, out + err
    rows = fake.values(key, TITLE)
    assert [row[NAME] for row in rows[1:]] == [
        "Eva Gran",
        "David Falk",
        "Cilla Dahl",
        "Bo Ek",
        "Anna Berg",
    ]
    assert {row[NAME]: row[STATUS] for row in rows[1:]} == {
        "Eva Gran": "",
        "David Falk": "skickad",
        "Cilla Dahl": "skickad",
        "Bo Ek": "skickad",
        "Anna Berg": "skickad",
    }
    assert rows[1][INVITED] == ""


def test_an_address_under_merged_cells_is_named_and_nobody_is_mailed_on_a_guess(
    sheet: tuple[FakeSheets, str],
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, key = sheet
    fake.merge(key, TITLE, "B4:C4")  # Cilla's name spread over her address

    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 1, out + err
    assert err.startswith("alumni: nothing was sent: 1 row cannot be invited as they are:\n")
    assert "Avgångsklass!C4: the invitation list did not judge" in err
    assert "lies under the merged cells B4:C4, so it cannot be read on its own" in err
    assert smtp_server.messages == []
