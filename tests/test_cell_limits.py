"""A text longer than a cell holds (Google 50,000 characters, Excel 32,767) is left out and
named; the rest of the write goes through, and the command exits with 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import pandas as pd
import pytest
from openpyxl import Workbook

from alumni.cli import run
from alumni.config import Config
from alumni.contract import APPLICATIONS, CONTACT_LOG, GRADUATES, Status
from alumni.jobs import applicants
from alumni.sheet.changes import ChangeSet
from alumni.sheet.google import GoogleStore
from alumni.sheet.plan import CellTooLong
from alumni.sheet.trial import TrialStore
from alumni.sheet.xlsx import XlsxStore
from tests.fakes.sheets import FakeSheets, client_for, fake_service_account_info, session_for
from tests.harness import GoogleHarness, Harness, XlsxHarness
from tests.helpers import NOW

LOCAL, GOOGLE = "local", "google"
LIMIT = {LOCAL: 32_767, GOOGLE: 50_000}
TOO_LONG = "Your input contains more than the maximum of 50000 characters in a single cell."
HINT = (
    "shorten the text it is made from (a long name or a text pasted into another cell) and run "
    "again; the rest was written"
)


def harness(backend: str, folder: Path) -> Harness:
    return XlsxHarness(folder) if backend == LOCAL else GoogleHarness()


def shown(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows with each long text as its length, so that a failure fits on a screen."""
    return [
        [f"<{len(v)} chars>" if isinstance(v, str) and len(v) > 80 else v for v in r] for r in rows
    ]


def too_long(
    tab: str, row: int, col: int, column: str, key: str, text: str, length: int, limit: int
) -> CellTooLong:
    message = (
        f"the value for {column} of {key} is {length:,} characters long, more than the "
        f"{limit:,} a cell holds, so it was left out (it begins {text[:40]!r})"
    )
    return CellTooLong(tab, row, col, message, HINT, column, key, length, limit)


def test_the_backends_know_their_limits() -> None:
    assert (XlsxStore.max_cell_chars, GoogleStore.max_cell_chars) == (LIMIT[LOCAL], LIMIT[GOOGLE])


# -- the fake refuses such a write as Google does ------------------------------------------------


def _cells(text: str) -> list[dict[str, Any]]:
    return [{"values": [{"userEnteredValue": {"stringValue": text}}]}]


def _good_edit() -> dict[str, Any]:
    return {
        "updateCells": {
            "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 1},
            "rows": _cells("ändrad"),
            "fields": "userEnteredValue",
        }
    }


def _batch(request: dict[str, Any]) -> Any:
    return lambda sh: sh.batch_update({"requests": [_good_edit(), request]})


def _update_cells(text: str) -> dict[str, Any]:
    start = {"sheetId": 0, "rowIndex": 1, "columnIndex": 0}
    return {"updateCells": {"start": start, "rows": _cells(text), "fields": "userEnteredValue"}}


def _append_cells(text: str) -> dict[str, Any]:
    return {"appendCells": {"sheetId": 0, "rows": _cells(text), "fields": "userEnteredValue"}}


def _repeat_cell(text: str) -> dict[str, Any]:
    return {
        "repeatCell": {
            "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2},
            "cell": {"userEnteredValue": {"stringValue": text}},
            "fields": "userEnteredValue",
        }
    }


def _values_update(text: str) -> Any:
    return lambda sh: sh.values_update(
        "T!A2", params={"valueInputOption": "RAW"}, body={"values": [[text]]}
    )


def _values_append(text: str) -> Any:
    return lambda sh: sh.values_append(
        "T!A1", params={"valueInputOption": "USER_ENTERED"}, body={"values": [[text]]}
    )


def _values_batch_update(text: str) -> Any:
    data = [{"range": "T!B1", "values": [["ändrad"]]}, {"range": "T!A2", "values": [[text]]}]
    return lambda sh: sh.values_batch_update({"valueInputOption": "RAW", "data": data})


WRITES = {
    "batchUpdate updateCells": (
        lambda t: _batch(_update_cells(t)),
        "Invalid requests[1].updateCells: ",
    ),
    "batchUpdate appendCells": (
        lambda t: _batch(_append_cells(t)),
        "Invalid requests[1].appendCells: ",
    ),
    "batchUpdate repeatCell": (
        lambda t: _batch(_repeat_cell(t)),
        "Invalid requests[1].repeatCell: ",
    ),
    "values.update": (_values_update, ""),
    "values.append": (_values_append, ""),
    "values.batchUpdate": (_values_batch_update, "Invalid data[1]: "),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("x" * 50_000, False),
        ("x" * 50_001, True),
        ("å" * 50_000, False),
        # Counted as Java and JavaScript count a string (UTF-16): an emoji is two.
        ("😀" * 25_000, False),
        ("😀" * 25_000 + "x", True),
    ],
    ids=["50000", "50001", "50000 å", "25000 emoji", "25000 emoji and 1"],
)
def test_the_fake_refuses_a_whole_write_with_a_text_over_50000_characters(
    write: str, text: str, refused: bool
) -> None:
    fake = FakeSheets()
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"], ["Anna"]]})
    sh = gspread.Client(auth=None, session=session_for(fake)).open_by_key(key)  # type: ignore[arg-type]
    send, prefix = WRITES[write]

    if not refused:
        send(text)(sh)
        assert text in [v for row in fake.values(key, "T") for v in row]
        return
    with pytest.raises(gspread.exceptions.APIError) as info:
        send(text)(sh)

    assert info.value.code == 400
    assert info.value.error == {
        "code": 400,
        "message": prefix + TOO_LONG,
        "status": "INVALID_ARGUMENT",
    }
    assert fake.values(key, "T") == [["Namn"], ["Anna"]]


# -- both stores: the long value is left out, the rest written -----------------------------------

APPS = APPLICATIONS.name
MOTIVERING = APPLICATIONS.header.index("Motivering")


def applications() -> dict[str, list[list[Any]]]:
    return {APPS: [APPLICATIONS.header, [None, "AN-0001", "Anna Ek"], [None, "AN-0002", "Bo Berg"]]}


def assessments(reason: str) -> ChangeSet:
    changes = ChangeSet()
    changes.set(APPS, "AN-0001", "Bedömning", "Granska")
    changes.set(APPS, "AN-0001", "Motivering", reason)
    changes.set(APPS, "AN-0001", "Bedömd", NOW)
    changes.set(APPS, "AN-0002", "Bedömning", "Godkänn")
    changes.set(APPS, "AN-0002", "Motivering", "Finns i Avgångsklass 2026 (e-post).")
    changes.set(APPS, "AN-0002", "Bedömd", NOW)
    return changes


def assessed(reason: str) -> list[list[Any]]:
    """Ansökningar as the write leaves it, `reason` in AN-0001's Motivering."""
    first = ["", "AN-0001", "Anna Ek", "", "", "", "", "", "Granska", reason, NOW]
    second = ["", "AN-0002", "Bo Berg", "", "", "", "", "", "Godkänn"]
    second += ["Finns i Avgångsklass 2026 (e-post).", NOW]
    return [APPLICATIONS.header, [*first, "", ""], [*second, "", ""]]


LENGTHS: dict[str, tuple[str, str, int | None]] = {
    # id: backend, the tool's value, its length when too long (None: it fits and is written)
    "local, at the limit": (LOCAL, "x" * 32_767, None),
    "local, one over": (LOCAL, "x" * 32_768, 32_768),
    "local, a long reason": (LOCAL, "Granska: " + "lång " * 8_000, 40_009),
    "local, letters outside ASCII at the limit": (LOCAL, "é" * 32_767, None),
    "local, emoji count twice": (LOCAL, "😀" * 16_384, 32_768),
    "google, at the limit": (GOOGLE, "x" * 50_000, None),
    "google, one over": (GOOGLE, "x" * 50_001, 50_001),
    "google, over Excel's limit": (GOOGLE, "x" * 32_768, None),
    "google, emoji count twice": (GOOGLE, "😀" * 25_001, 50_002),
}


@pytest.mark.parametrize(("backend", "text", "length"), LENGTHS.values(), ids=LENGTHS)
def test_a_value_longer_than_a_cell_holds_is_left_out_and_the_rest_written(
    tmp_path: Path, backend: str, text: str, length: int | None
) -> None:
    sheet = harness(backend, tmp_path)
    sheet.seed(applications())
    sheet.store.read()

    result = sheet.store.apply(assessments(text))

    if length is None:
        assert (result.skipped, result.cells) == ([], 6)
        assert shown(sheet.values(APPS)) == shown(assessed(text))
        assert sheet.values(APPS)[1][MOTIVERING] == text
        return
    limit = LIMIT[backend]
    finding = too_long(APPS, 2, MOTIVERING, "Motivering", "AN-0001", text, length, limit)
    assert (result.skipped, result.too_long, result.cells) == ([finding], [finding], 5)
    assert shown(sheet.values(APPS)) == shown(assessed(""))


def test_the_finding_reads_as_tab_cell_what_and_what_to_do(tmp_path: Path) -> None:
    sheet = harness(LOCAL, tmp_path)
    sheet.seed(applications())
    sheet.store.read()

    [finding] = sheet.store.apply(assessments("Trolig match: " + "Anna " * 7_000)).skipped

    assert str(finding) == (
        "Ansökningar!J2: the value for Motivering of AN-0001 is 35,014 characters long, more "
        "than the 32,767 a cell holds, so it was left out (it begins 'Trolig match: Anna Anna "
        "Anna Anna Anna A') — shorten the text it is made from (a long name or a text pasted "
        "into another cell) and run again; the rest was written"
    )


@pytest.mark.parametrize("backend", [LOCAL, GOOGLE])
def test_an_appended_row_is_written_without_the_value_that_is_too_long(
    tmp_path: Path, backend: str
) -> None:
    log = CONTACT_LOG.name
    header = CONTACT_LOG.header
    sheet = harness(backend, tmp_path)
    sheet.seed({log: [header, ["KL-0001", "Mentorskap", "Anna Ek"]]})
    sheet.store.read()
    alumnus = "Bo " * 20_000
    changes = ChangeSet()
    new = {"ID": "KL-0002", "Projekt": "Mentorskap", "Alumn": alumnus}
    changes.append(log, {**new, "Status": Status.NOT_CONTACTED})

    result = sheet.store.apply(changes)

    alumn = header.index("Alumn")
    limit = LIMIT[backend]
    assert result.skipped == [too_long(log, 3, alumn, "Alumn", "KL-0002", alumnus, 60_000, limit)]
    assert result.rows_added == 1
    added = ["KL-0002", "Mentorskap", "", "", "", "", "", "", Status.NOT_CONTACTED]
    assert sheet.values(log)[2][: len(added)] == added


def test_a_trial_run_names_the_same_value(tmp_path: Path) -> None:
    sheet = harness(LOCAL, tmp_path)
    sheet.seed(applications())
    before = (tmp_path / "alumni.xlsx").read_bytes()
    trial = TrialStore(sheet.store)
    trial.read()

    result = trial.apply(assessments("x" * 40_000))

    finding = too_long(
        APPS, 2, MOTIVERING, "Motivering", "AN-0001", "x" * 40_000, 40_000, LIMIT[LOCAL]
    )
    assert (result.skipped, result.trial, trial.cells) == ([finding], True, 5)
    assert (tmp_path / "alumni.xlsx").read_bytes() == before


# -- where such a value comes from: a request's reason quoting a long name ------------------------

REASON = "E-postadressen hör till {name} i Avgångsklass 2026, men namnet är ett annat."


def roster_and_requests(name: str) -> dict[str, list[list[Any]]]:
    """A graduate with a very long name (one a cell holds), and two requests: one with that
    graduate's address and another name, one approved."""
    linkedin = "https://www.linkedin.com/in/"
    return {
        GRADUATES.name: [
            GRADUATES.header,
            ["AK-0001", name, "anna@example.org", 2026],
            ["AK-0002", "Bo Berg", "bo@example.org", 2026],
        ],
        APPS: [
            APPLICATIONS.header,
            [None, "AN-0001", "Cilla Carlsson", "anna@example.org", linkedin + "cilla"],
            [None, "AN-0002", "Bo Berg", "bo@example.org", linkedin + "bo"],
        ],
    }


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """The working folder; yields a function that puts tabs in the sheet of a backend."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    fake = FakeSheets()

    def seed(backend: str, tabs: dict[str, list[list[Any]]]) -> Any:
        if backend == LOCAL:
            book = Workbook()
            book.remove(book.active)  # type: ignore[arg-type]
            for title, rows in tabs.items():
                ws = book.create_sheet(title)
                for row in rows:
                    ws.append(row)
            book.save(tmp_path / "alumni.xlsx")
            return lambda: XlsxHarness(tmp_path).values(APPS)
        key = fake.create_spreadsheet("Alumniutskottet", tabs)
        (tmp_path / "key.json").write_text(json.dumps(fake_service_account_info()))
        (tmp_path / "key.json").chmod(0o600)
        (tmp_path / "config.toml").write_text(
            f'backend = "google"\n\n[google]\nspreadsheet = "{key}"\ncredentials = "key.json"\n'
        )
        return lambda: fake.values(key, APPS)

    with fake.intercept():
        yield str(tmp_path), seed


@pytest.mark.parametrize(
    ("backend", "name_length"),
    [(LOCAL, 32_745), (GOOGLE, 49_990)],
    ids=[LOCAL, GOOGLE],
)
def test_alumni_applicants_writes_the_rest_and_exits_1_when_a_reason_is_too_long(
    folder: tuple[str, Any],
    capsys: pytest.CaptureFixture[str],
    backend: str,
    name_length: int,
) -> None:
    _, seed = folder
    name = ("Anna " + "Lång " * 10_000)[:name_length].rstrip()  # a cell holds the name
    values = seed(backend, roster_and_requests(name))
    reason = REASON.format(name=name)

    code = run(["--now", NOW, "--for-real", "applicants"])
    out, err = capsys.readouterr()

    assert (code, err) == (1, "")
    finding = too_long(
        APPS, 2, MOTIVERING, "Motivering", "AN-0001", reason, len(reason), LIMIT[backend]
    )
    assert f"  Not written: {finding}\n" in out
    rows = values()
    assert shown([rows[1][1:2] + rows[1][8:11]]) == [["AN-0001", "Granska", "", NOW]]
    assert rows[2][8:11] == ["Godkänn", "Finns i Avgångsklass 2026 (e-post).", NOW]


def test_the_job_says_a_value_too_long_is_a_problem_in_the_sheet() -> None:
    fake = FakeSheets()
    name = ("Anna " + "Lång " * 10_000)[:49_990]
    key = fake.create_spreadsheet("Alumniutskottet", roster_and_requests(name))
    store = GoogleStore(client_for(fake), key, sleep=lambda s: None)

    result = applicants.run(Config(), store, pd.Timestamp(NOW, tz="Europe/Stockholm"))

    assert result.found_problems
    assert [f.key for f in result.skipped] == ["AN-0001"]
