"""`alumni init` on a sheet people already use: it takes the run lock like every command that
writes, never writes over a cell that holds anything, and never replaces a person's own dropdown
or colour rule — on both backends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation

from alumni.contract import ALUMNI, CONTACT_LOG, TABS, VOTES, Status
from alumni.errors import DataError
from alumni.lock import RunLock, hold
from tests.fakes.sheets import fake_service_account_info
from tests.harness import GoogleHarness, Harness, XlsxHarness
from tests.helpers import alumni

Rows = list[list[Any]]

INTRO_ONE = (
    "init wrote nothing: this tab has no header row in row 1, where the tool reads it, and init "
    "never writes over what people typed:"
)
INTRO_MANY = INTRO_ONE.replace("this tab has", "these tabs have")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    return tmp_path


@pytest.fixture(params=["local", "google"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    return XlsxHarness(tmp_path) if request.param == "local" else GoogleHarness()


def snapshot(h: Harness) -> dict[str, Rows]:
    return {title: h.values(title) for title in h.titles()}


# -- 1. the run lock ------------------------------------------------------------------------


@contextmanager
def held_by_another_run(path: Path) -> Iterator[str]:
    """The run lock held by another thread (as cron's run would hold it); yields its holder."""
    taken, done = threading.Event(), threading.Event()
    holder: list[str] = []

    def run() -> None:
        with hold(path, owner="alumni daily"):
            holder.append(RunLock(path).holder())
            taken.set()
            done.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert taken.wait(10)
        yield holder[0]
    finally:
        done.set()
        thread.join()


LOCKED_OUT = {
    # The reference: what every command that writes the sheet says while the lock is held.
    "daily": (("daily",), True),
    "init on a workbook": (("init",), True),
    "init --demo --force on a workbook": (("init", "--demo", "--force"), True),
    "init without a workbook": (("init",), False),
    "init --demo without a workbook": (("init", "--demo"), False),
}


@pytest.mark.parametrize(("command", "workbook"), LOCKED_OUT.values(), ids=LOCKED_OUT)
def test_init_takes_the_run_lock_and_is_turned_away_like_daily(
    folder: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...], workbook: bool
) -> None:
    book = folder / "alumni.xlsx"
    if workbook:
        assert alumni(capsys, "init")[0] == 0
    before = book.read_bytes() if workbook else None
    lock = folder / "alumni.lock"

    with held_by_another_run(lock) as holder:
        result = alumni(capsys, *command)

    assert holder.startswith("PID ") and holder.endswith(", by alumni daily")
    assert result == (
        2,
        "",
        f"alumni: another run (cron or `alumni schedule`) is still going: {lock} is locked "
        f"({holder}) — let it finish, then try again.\n",
    )
    assert (book.read_bytes() if workbook else None) == before
    # Nothing else either: no workbook, no backup, no journal.
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["alumni.lock", *(["alumni.xlsx"] if workbook else [])]
    )


def test_init_lets_the_lock_go_when_it_is_done(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert alumni(capsys, "init")[0] == 0
    # Taken from another thread: this one might only nest in a hold it never let go.
    with held_by_another_run(folder / "alumni.lock") as holder:
        assert holder.endswith(", by alumni daily")


# -- 2. a header row that would land on what people typed ------------------------------------

CONTACT_HEADER = CONTACT_LOG.header
STATUS = CONTACT_HEADER.index("Status")  # column I

REFUSED: dict[str, tuple[str, Rows, str]] = {
    "a title line above the table": (
        "Alumner",
        [["Alumner HT26 – från mässan"], [], ALUMNI.header, ["AL-0001", "Anna Berg"]],
        "Alumner!A1: row 1 holds 'Alumner HT26 – från mässan', not the tab's headers, which are "
        "in row 3 — move what is above row 3 below the table or to another tab, so that the "
        "header row is row 1",
    ),
    "notes in row 1 of an otherwise empty tab": (
        "Översikt",
        [["Fråga Anna om siffrorna", None, "senast fredag"]],
        "Översikt!A1: row 1 holds 'Fråga Anna om siffrorna' and 1 more cell, none of the tab's "
        "headers (Nyckeltal, Värde) — if these are notes, move them below the table or to "
        "another tab and leave row 1 for the headers; if this is a table of your own, rename "
        "the tab (init then adds the tool's own 'Översikt')",
    ),
    "a table of a person's own under a name the tool uses": (
        "Utskott",
        [["Att göra", "Vem", "Klart"], ["Boka lokal", "Anna Berg", "Nej"]],
        "Utskott!A1: row 1 holds 'Att göra' and 2 more cells, none of the tab's headers (Namn, "
        "E-post, Post, …) — if these are notes, move them below the table or to another tab and "
        "leave row 1 for the headers; if this is a table of your own, rename the tab (init then "
        "adds the tool's own 'Utskott')",
    ),
    "empty rows above the header row": (
        "Röster",
        [[], [], VOTES.header, ["2026-11-02 10:00", "Mässan", "Anna Berg", "Ebba", "Ja"]],
        "Röster!A3: the tab's headers ('Tidstämpel' and 4 more cells) are in row 3, under an "
        "empty row 1 — delete the empty rows above row 3, so that the header row is row 1",
    ),
    "rows typed under an empty row 1": (
        "Projektgrupper",
        [[], [None, "Anna Berg"], ["Mässan", "Ebba"]],
        "Projektgrupper!B2: row 2 holds 'Anna Berg' under an empty row 1: the tab has no header "
        "row — type the headers in row 1, each above the column it names; if these rows are "
        "your own, move them to a tab of your own (init then adds the tool's 'Projektgrupper')",
    ),
}


@pytest.mark.parametrize(("title", "rows", "line"), REFUSED.values(), ids=REFUSED)
def test_init_writes_nothing_when_its_headers_would_land_on_what_people_typed(
    harness: Harness, title: str, rows: Rows, line: str
) -> None:
    # Only this tab: init would otherwise have added eight tabs, and adds none of them.
    harness.seed({title: rows})
    before = snapshot(harness)

    with pytest.raises(DataError) as info:
        harness.store.initialize(None, force=False)

    assert str(info.value) == f"{INTRO_ONE}\n  {line}"
    assert info.value.exit_code == 1
    assert snapshot(harness) == before


def test_every_tab_in_the_way_is_named_in_one_line_each_and_the_cli_exits_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows, _ in REFUSED.values():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(folder / "alumni.xlsx")
    before = (folder / "alumni.xlsx").read_bytes()

    code, out, err = alumni(capsys, "init")

    # In the contract's order of tabs, as `alumni check` lists them.
    order = ["Alumner", "Utskott", "Projektgrupper", "Röster", "Översikt"]
    lines = sorted(REFUSED.values(), key=lambda case: order.index(case[0]))
    assert (code, out) == (1, "")
    assert err == "\n".join([f"alumni: {INTRO_MANY}", *(f"  {c[2]}" for c in lines)]) + "\n"
    assert (folder / "alumni.xlsx").read_bytes() == before


def test_the_cli_refusal_on_a_google_sheet_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = GoogleHarness()
    title, rows, line = REFUSED["a title line above the table"]
    h.seed({title: rows})
    before = snapshot(h)
    (tmp_path / "key.json").write_text(json.dumps(fake_service_account_info()))
    (tmp_path / "key.json").chmod(0o600)
    (tmp_path / "config.toml").write_text(
        f'backend = "google"\n\n[google]\nspreadsheet = "{h.key}"\ncredentials = "key.json"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    h.fake.reset_counts()

    with h.fake.intercept():
        result = alumni(capsys, "init")

    assert result == (1, "", f"alumni: {INTRO_ONE}\n  {line}\n")
    assert snapshot(h) == before
    assert "spreadsheets.batchUpdate" not in h.fake.ops()


def with_status_cell(value: Any, *rows: list[Any]) -> Rows:
    header: list[Any] = list(CONTACT_HEADER)
    header[STATUS] = value
    return [header, *rows]


def note_in(col: int, text: str) -> list[Any]:
    return [*[None] * col, text]


ADDED: dict[str, tuple[str, Rows, str, int]] = {
    # Status's header gone, a person's notes in its column: they never become the tool's Status.
    "notes in a column without a header": (
        "Kontaktlogg",
        with_status_cell(None, ["KL-0001", *[None] * 7, "ringde två gånger"]),
        "Status",
        len(CONTACT_HEADER),
    ),
    "a header cell holding only spaces": (
        "Kontaktlogg",
        with_status_cell("  "),
        "Status",
        len(CONTACT_HEADER),
    ),
    "notes right of the table": (
        "Alumner",
        [ALUMNI.header[:-1], ["AL-0001", "Anna Berg"], note_in(9, "ring i vår")],
        "Språk",
        10,
    ),
}


@pytest.mark.parametrize(("title", "rows", "name", "col"), ADDED.values(), ids=ADDED)
def test_missing_headers_go_right_of_every_column_in_use(
    harness: Harness, title: str, rows: Rows, name: str, col: int
) -> None:
    harness.seed({title: rows})
    before = harness.values(title)

    result = harness.store.initialize(None, force=False)

    after = harness.values(title)
    assert result.headers_added == [f"{title}!{name}"]
    assert after[0][col] == name
    # Every cell that held anything holds it still; the one new cell is the header.
    assert [r[: len(before[0])] for r in after[: len(before)]] == before
    assert sum(v != "" for r in after for v in r) == sum(v != "" for r in before for v in r) + 1


def test_a_header_that_would_go_into_a_merged_cell_stops_init(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert alumni(capsys, "init")[0] == 0
    book = openpyxl.load_workbook(folder / "alumni.xlsx")
    book["Kontaktlogg"].merge_cells("K1:M1")  # Påmind over three cells: Rapporterad is gone
    book["Alumner"].merge_cells("E1:F1")  # Befattning over two cells: Examensår goes after H1
    book.save(folder / "alumni.xlsx")
    before = (folder / "alumni.xlsx").read_bytes()

    assert alumni(capsys, "init") == (
        1,
        "",
        f"alumni: {INTRO_ONE}\n"
        "  Kontaktlogg!L1: the header 'Rapporterad' would go here, inside the merged cell K1:M1 "
        "— unmerge K1:M1, so that the headers init adds have cells of their own\n",
    )
    assert (folder / "alumni.xlsx").read_bytes() == before

    book = openpyxl.load_workbook(folder / "alumni.xlsx")
    book["Kontaktlogg"].unmerge_cells("K1:M1")
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "init")
    assert code == 0
    assert "  Headers added: Alumner!Examensår, Kontaktlogg!Rapporterad" in out.splitlines()
    header = [c.value for c in openpyxl.load_workbook(folder / "alumni.xlsx")["Alumner"][1]]
    assert header[7:9] == ["Språk", "Examensår"]


# -- 3. a person's own dropdowns, colours and notes ------------------------------------------

PERSON_COLOUR = '$B2="Mässan"'
PERSON_CHOICES = ("Ring", "Mejla")


def add_persons_own_xlsx(path: Path) -> None:
    """Kontaktlogg's colours and dropdowns replaced by a person's own: a dropdown on rows 5-10
    of Status and a colour rule; and a note on Status's header."""
    book = openpyxl.load_workbook(path)
    ws = book["Kontaktlogg"]
    ws.conditional_formatting = ConditionalFormattingList()
    ws.data_validations.dataValidation = []
    validation = DataValidation(type="list", formula1='"' + ",".join(PERSON_CHOICES) + '"')
    validation.add("I5:I10")
    ws.add_data_validation(validation)
    rule = FormulaRule(
        formula=[PERSON_COLOUR],
        fill=PatternFill(start_color="0000FF", end_color="0000FF", fill_type="solid"),
    )
    rule.priority = 5
    ws.conditional_formatting.add("A2:L100", rule)
    ws["I1"].comment = Comment("Fyll i efter samtalet", "Anna")
    book.save(path)


def add_persons_own_google(h: GoogleHarness) -> None:
    """The same on a Google Sheet (the tool's three colour rules there deleted)."""
    store: Any = h.store
    sheet_id = next(
        s["properties"]["sheetId"]
        for s in store.http.fetch_sheet_metadata(h.key)["sheets"]
        if s["properties"]["title"] == "Kontaktlogg"
    )
    status = {"sheetId": sheet_id, "startColumnIndex": STATUS, "endColumnIndex": STATUS + 1}
    values = [{"userEnteredValue": v} for v in PERSON_CHOICES]
    person = {
        "condition": {
            "type": "CUSTOM_FORMULA",
            "values": [{"userEnteredValue": "=" + PERSON_COLOUR}],
        },
        "format": {"backgroundColor": {"blue": 1}},
    }
    requests = [
        {"setDataValidation": {"range": {**status, "startRowIndex": 1}}},  # none left
        *[{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}}] * 3,
        {
            "setDataValidation": {
                "range": {**status, "startRowIndex": 4, "endRowIndex": 10},
                "rule": {"condition": {"type": "ONE_OF_LIST", "values": values}},
            }
        },
        {
            "addConditionalFormatRule": {
                "index": 0,
                "rule": {
                    "ranges": [{"sheetId": sheet_id, "startRowIndex": 1}],
                    "booleanRule": person,
                },
            }
        },
    ]
    store.http.batch_update(h.key, {"requests": requests})


def dropdowns_in_status(h: Harness) -> dict[int, tuple[str, ...]]:
    """The choices of the dropdown on each of rows 2-12 of Kontaktlogg's Status column."""
    if isinstance(h, XlsxHarness):
        ws = openpyxl.load_workbook(h.path)["Kontaktlogg"]
        found: dict[int, tuple[str, ...]] = {}
        for row in range(2, 13):
            cell = CellRange(f"I{row}")
            for dv in ws.data_validations.dataValidation:
                if any(not cell.isdisjoint(r) for r in dv.sqref.ranges):
                    assert row not in found, f"two dropdowns on I{row}"
                    found[row] = tuple(dv.formula1.strip('"').split(","))
        return found
    store: Any = h.store
    meta = store.http.fetch_sheet_metadata(
        store.key,
        params={
            "includeGridData": "true",
            "ranges": ["Kontaktlogg!I2:I12"],
            "fields": "sheets(data(rowData(values(dataValidation))))",
        },
    )
    rows = meta["sheets"][0]["data"][0].get("rowData", [])
    return {
        number: tuple(v["userEnteredValue"] for v in rule["condition"]["values"])
        for number, row in enumerate(rows, start=2)
        for rule in [(row.get("values") or [{}])[0].get("dataValidation")]
        if rule
    }


def colours_first_to_last(h: Harness) -> list[str]:
    """Kontaktlogg's colour conditions, the one that shows where several apply first."""
    if isinstance(h, XlsxHarness):
        ws = openpyxl.load_workbook(h.path)["Kontaktlogg"]
        rules = sorted((r for cf in ws.conditional_formatting for r in cf.rules), key=priority)
        return [r.formula[0] for r in rules]
    assert isinstance(h, GoogleHarness)
    return [
        rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"].lstrip("=")
        for rule in h.fake.conditional_formats(h.key, "Kontaktlogg")
    ]


def priority(rule: Any) -> int:
    return int(rule.priority)


def test_init_keeps_a_persons_own_dropdown_and_colour_rule(harness: Harness) -> None:
    harness.seed({t.name: [t.header] for t in TABS})
    harness.store.initialize(None, force=False)  # the tool's own, set once
    if isinstance(harness, XlsxHarness):
        add_persons_own_xlsx(harness.path)
    else:
        assert isinstance(harness, GoogleHarness)
        add_persons_own_google(harness)
    assert dropdowns_in_status(harness) == dict.fromkeys(range(5, 11), PERSON_CHOICES)
    assert colours_first_to_last(harness) == [PERSON_COLOUR]

    added = harness.store.initialize(None, force=False).formatting_added

    assert "dropdown: Kontaktlogg!Status" not in added
    assert dropdowns_in_status(harness) == dict.fromkeys(range(5, 11), PERSON_CHOICES)
    # The tool's colours are set again, after the person's: where both apply, theirs shows.
    assert colours_first_to_last(harness) == [
        PERSON_COLOUR,
        *(f'$I2="{s}"' for s in (Status.LATE, Status.DUE_SOON, Status.ANSWERED_LATE)),
    ]
    if isinstance(harness, XlsxHarness):
        comment = openpyxl.load_workbook(harness.path)["Kontaktlogg"]["I1"].comment
        assert (comment.text, comment.author) == ("Fyll i efter samtalet", "Anna")
