"""Google writes land where meant, even when a person moves rows in the instant before they land.

The store re-reads the tabs it writes just before writing, so edits made while a job runs are
followed (tests/test_google_store.py, section 10). What is left is the instant between that
re-read and the write itself: a row inserted, deleted or sorted then moves where a write lands.
Each write is therefore checked in its own answer (Google returns the written tabs as the
write left them): a value that landed in another row is put back to what that row held, and
the value is written again in its own row; what cannot be put back exactly stops the run with
the cell named.

Every test edits the sheet as a person would, at the moment the write reaches Google, and
makes the same edit in a reference copy that the tool never touches. The tool's intended
values are then set in the reference by ID, and the sheet must equal it cell for cell.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator
from typing import Any

import gspread
import pytest
import requests
from requests.adapters import HTTPAdapter

from alumni.contract import GRADUATES
from alumni.errors import StoreError
from alumni.findings import a1
from alumni.sheet.changes import ChangeSet
from alumni.sheet.google import GoogleStore
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.workbook import load_workbook
from tests.fakes.sheets import FakeSheets, client_for

TITLE = "Avgångsklass"
HEADER = [*GRADUATES.header, "Anteckning"]
ID, NAME, INVITED, STATUS, NOTE = 0, 1, 5, 6, 7
NOW_TEXT = "2026-11-28 14:05"
TZ = "Europe/Stockholm"

GET, BATCH_GET, WRITE = "spreadsheets.get", "values.batchGet", "spreadsheets.batchUpdate"

CLASS: list[list[Any]] = [
    HEADER,
    ["AK-0001", "Anna Berg", "anna@example.org", 2026, "sv", "2026-11-01 10:00", "skickad", "ring"],
    ["AK-0002", "Bo Ek", "bo@example.org", 2026, "sv", "", "misslyckad: 550", ""],
    ["AK-0003", "Cilla Dahl", "cilla@example.org", 2026, "en", "", "", "notis"],
    ["AK-0004", "David Falk", "david@example.org", 2026, "sv", "2026-11-02 09:00", "osäker", ""],
    ["AK-0005", "Eva Gran", "eva@example.org", 2026, "sv", "", "", ""],
]
SENT = {"AK-0003": "skickad", "AK-0005": "skickad"}
"""What every test here has the tool write: two invitations sent."""


class RealNetworkUsed(AssertionError):
    """A request left for the real internet: every test must stay on the fake."""


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> None:
        raise RealNetworkUsed(f"{request.method} {request.url} went to the real network")

    monkeypatch.setattr(HTTPAdapter, "send", refuse)


FAKE = FakeSheets()


@functools.cache
def _client() -> gspread.Client:
    return client_for(FAKE)


@pytest.fixture(autouse=True)
def _fresh_fake() -> Iterator[None]:
    FAKE.clear_faults()
    FAKE.reset_counts()
    yield
    FAKE.clear_faults()


class Sheet:
    """The committee's sheet on the fake, and a reference copy the tool never writes."""

    def __init__(self, rows: list[list[Any]], title: str = TITLE) -> None:
        self.title = title
        self.key = FAKE.create_spreadsheet("Alumniutskottet", {title: [list(r) for r in rows]})
        self.ref = FAKE.create_spreadsheet("Referens", {title: [list(r) for r in rows]})
        self.store = GoogleStore(_client(), self.key, sleep=lambda seconds: None)

    def both(self, edit: Callable[[str], None]) -> None:
        """A person's edit, made in the sheet and in the reference alike."""
        edit(self.key)
        edit(self.ref)

    def at_write(self, edit: Callable[[str], None], times: int = 1) -> list[int]:
        """Make `edit` just before each of the next `times` writes reaches Google."""
        made: list[int] = []

        @FAKE.before_request
        def person(fake: FakeSheets, index: int, method: str, path: str) -> None:
            if path.endswith(":batchUpdate") and len(made) < times:
                made.append(index)
                self.both(edit)

        return made

    def values(self) -> list[list[Any]]:
        return FAKE.values(self.key, self.title)

    def expected(self, cells: dict[str, dict[int, Any]]) -> list[list[Any]]:
        """The reference with `cells` (by ID: column → value) set where each ID stands now."""
        rows = FAKE.values(self.ref, self.title)
        for r, row in enumerate(rows):
            for c, value in cells.get(row[ID], {}).items():
                FAKE.set_cell(self.ref, self.title, a1(r + 1, c), value)
        return FAKE.values(self.ref, self.title)


def sent(store: GoogleStore, statuses: dict[str, str] = SENT) -> None:
    """Read the sheet, then record the invitations as the invite job does."""
    store.read()
    changes = ChangeSet()
    for key, status in statuses.items():
        changes.set(TITLE, key, "Inbjudningsstatus", status)
        changes.set(TITLE, key, "Inbjuden", NOW_TEXT)
    store.apply(changes)


def written(statuses: dict[str, str] = SENT) -> dict[str, dict[int, Any]]:
    return {key: {STATUS: status, INVITED: NOW_TEXT} for key, status in statuses.items()}


def new_row(name: str) -> list[Any]:
    first = name.split()[0].lower()
    return ["", name, f"{first}@example.org", 2027, "sv", "", "", ""]


# -- 1. the request budget -----------------------------------------------------------------


def test_an_undisturbed_write_costs_no_request_more_and_asks_back_only_the_written_tabs() -> None:
    sheet = Sheet(CLASS)

    sent(sheet.store)

    assert FAKE.ops() == [GET, BATCH_GET, BATCH_GET, WRITE]
    body = FAKE.requests[3].body
    assert body["includeSpreadsheetInResponse"] is True
    assert body["responseRanges"] == ["'Avgångsklass'"]
    assert FAKE.requests[3].params["fields"].startswith("updatedSpreadsheet(")
    assert sheet.values() == sheet.expected(written())


# -- 2. a person moves rows in the instant before the write lands --------------------------

EDITS: dict[str, Callable[[str], None]] = {
    # Insert 1 row above, in the row of the first graduate written (AK-0003 in row 4).
    "an empty row inserted above the row written": lambda key: FAKE.insert_rows(
        key, TITLE, 4, [[]]
    ),
    "a new graduate inserted at the top": lambda key: FAKE.insert_rows(
        key, TITLE, 2, [new_row("Nils Nyman")]
    ),
    "two rows inserted above everything": lambda key: FAKE.insert_rows(
        key, TITLE, 2, [new_row("Nils Nyman"), new_row("Nora Nyberg")]
    ),
    "a row deleted above": lambda key: FAKE.delete_rows(key, TITLE, 2),
    "the row written deleted": lambda key: FAKE.delete_rows(key, TITLE, 4),
    "sorted by name, Ö to A": lambda key: FAKE.sort(key, TITLE, NAME, reverse=True),
    "sorted by status": lambda key: FAKE.sort(key, TITLE, STATUS),
    "a row appended": lambda key: FAKE.append_row(key, TITLE, new_row("Sara Sen")),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_row_moved_just_before_the_write_never_gets_another_rows_value(edit: str) -> None:
    sheet = Sheet(CLASS)
    made = sheet.at_write(EDITS[edit])

    sent(sheet.store)

    assert made, "the person's edit was made"
    intended = written() if edit != "the row written deleted" else written({"AK-0005": "skickad"})
    assert sheet.values() == sheet.expected(intended)


def test_a_repair_costs_one_write_more_and_nothing_is_read_again() -> None:
    sheet = Sheet(CLASS)
    sheet.at_write(EDITS["a new graduate inserted at the top"])

    sent(sheet.store)

    assert FAKE.ops() == [GET, BATCH_GET, BATCH_GET, WRITE, WRITE]
    assert sheet.values() == sheet.expected(written())


def test_a_person_who_keeps_moving_rows_is_followed_for_a_while() -> None:
    sheet = Sheet(CLASS)
    sheet.at_write(lambda key: FAKE.insert_rows(key, TITLE, 2, [[]]), times=3)

    sent(sheet.store)

    assert FAKE.ops() == [GET, BATCH_GET, BATCH_GET, WRITE, WRITE, WRITE, WRITE]
    assert sheet.values() == sheet.expected(written())


def test_rows_that_never_stop_moving_stop_the_run_naming_what_to_check() -> None:
    sheet = Sheet(CLASS)
    sheet.at_write(lambda key: FAKE.insert_rows(key, TITLE, 2, [[]]), times=100)

    with pytest.raises(StoreError) as info:
        sent(sheet.store)

    message = str(info.value)
    assert message.startswith(
        "Avgångsklass: rows were inserted, deleted or sorted every time the tool wrote"
    )
    assert "run again" in message
    # Whatever it wrote last landed in rows it had not read: it says where, and what.
    assert "'skickad'" in message


def test_a_column_inserted_just_before_the_write_moves_no_value_into_it() -> None:
    sheet = Sheet(CLASS)
    sheet.at_write(lambda key: FAKE.insert_columns(key, TITLE, "B", ["Telefon"]))

    sent(sheet.store)

    # In the reference the columns moved too: status and time are one column to the right.
    assert sheet.values() == sheet.expected(
        {key: {STATUS + 1: status, INVITED + 1: NOW_TEXT} for key, status in SENT.items()}
    )


def test_a_value_landing_in_a_row_the_tool_never_read_is_named_and_written_again() -> None:
    """A row inserted with text already in it (a paste) is a row the tool cannot know: what
    its cell held before the tool's value landed there is not known, so it is not guessed."""
    sheet = Sheet(CLASS)
    sheet.at_write(
        lambda key: FAKE.insert_rows(key, TITLE, 4, [[*new_row("Nils Nyman")[:7], "klistrad"]])
    )

    with pytest.raises(StoreError) as info:
        sent(sheet.store)

    assert str(info.value) == (
        "Avgångsklass: rows were inserted, deleted or sorted while the tool wrote, so values "
        "meant for other rows landed in a row it had not read; each was written again in its "
        "own row, but these cells may have held something else before:\n"
        "  Avgångsklass!F4 (Nils Nyman): '2026-11-28 14:05', meant for AK-0003\n"
        "  Avgångsklass!G4 (Nils Nyman): 'skickad', meant for AK-0003\n"
        "Put back what they held (File › Version history › See version history shows it), or "
        "empty them if they were empty."
    )
    expected = sheet.expected(written())
    expected[3][INVITED], expected[3][STATUS] = NOW_TEXT, "skickad"  # left as they are
    assert sheet.values() == expected


# -- 3. IDs given to rows without one -------------------------------------------------------


def give_ids(store: GoogleStore) -> None:
    wb = load_workbook(store.read(), TZ)
    changes = ChangeSet()
    give_missing_ids(wb, changes)
    store.apply(changes)


def test_an_id_lands_in_the_row_it_was_given_to_when_rows_move() -> None:
    rows = [list(r) for r in CLASS]
    rows[3][ID] = ""  # Cilla without an ID: she gets AK-0006
    sheet = Sheet(rows)
    sheet.at_write(EDITS["a new graduate inserted at the top"])

    give_ids(sheet.store)

    values = sheet.values()
    by_name = {row[NAME]: row[ID] for row in values[1:]}
    assert by_name["Cilla Dahl"] == "AK-0006"
    assert by_name["Bo Ek"] == "AK-0002", "the ID landed on Bo first, and his own came back"
    reference = FAKE.values(sheet.ref, TITLE)
    for row in reference:
        if row[NAME] == "Cilla Dahl":
            row[ID] = "AK-0006"
    assert values == reference


def test_an_id_meant_for_a_copy_never_replaces_the_id_of_the_row_copied() -> None:
    """A copied row whose ID was emptied looks exactly like the row it copies: if the ID for
    the copy lands on the original, the original's own ID (which the journal knows) is back."""
    rows = [list(r) for r in CLASS]
    rows.insert(3, ["", *rows[2][1:5], "", "", ""])  # a copy of Bo's row below it, ID emptied
    sheet = Sheet(rows)
    # A row inserted at the top moves Bo into the copy's row: the copy's ID lands on Bo.
    sheet.at_write(lambda key: FAKE.insert_rows(key, TITLE, 2, [new_row("Nils Nyman")]))

    give_ids(sheet.store)

    values = sheet.values()
    assert [row[ID] for row in values[1:] if row[NAME] == "Bo Ek"] == ["AK-0002", "AK-0006"]
    reference = FAKE.values(sheet.ref, TITLE)
    assert reference[4][NAME] == "Bo Ek" and reference[4][ID] == ""
    reference[4][ID] = "AK-0006"
    assert values == reference


# -- 4. rows the tool deletes ----------------------------------------------------------------


def test_a_row_deleted_in_place_of_another_is_named_with_what_to_do() -> None:
    sheet = Sheet(CLASS)
    sheet.at_write(EDITS["a new graduate inserted at the top"])
    sheet.store.read()
    changes = ChangeSet()
    changes.delete(TITLE, "AK-0003")

    with pytest.raises(StoreError) as info:
        sheet.store.apply(changes)

    assert str(info.value) == (
        "Avgångsklass: rows were inserted, deleted or sorted while the tool removed rows, so it "
        "removed a row it was not asked to: AK-0002 (Bo Ek). Restore it from File › Version "
        "history › See version history, then run again: AK-0003 is still there."
    )


def test_a_row_removed_by_a_person_and_by_the_tool_at_once_is_named() -> None:
    """The person removes AK-0003 just before the tool's removal of it lands: the tool's
    removes the row that moved up into its place, David's."""
    sheet = Sheet(CLASS)
    sheet.at_write(EDITS["the row written deleted"])
    sheet.store.read()
    changes = ChangeSet()
    changes.delete(TITLE, "AK-0003")

    with pytest.raises(StoreError) as info:
        sheet.store.apply(changes)

    assert str(info.value) == (
        "Avgångsklass: rows were inserted, deleted or sorted while the tool removed rows, so a "
        "row it was not asked to remove may be gone: AK-0004 (David Falk). If it should still "
        "be there, restore it from File › Version history › See version history."
    )


def test_a_row_a_person_removes_while_the_tool_removes_another_is_no_alarm() -> None:
    sheet = Sheet(CLASS)
    sheet.at_write(lambda key: FAKE.delete_rows(key, TITLE, 6))  # Eva, two rows below
    sheet.store.read()
    changes = ChangeSet()
    changes.delete(TITLE, "AK-0003")

    result = sheet.store.apply(changes)

    assert result.rows_deleted == 1
    assert [row[ID] for row in sheet.values()[1:]] == ["AK-0001", "AK-0002", "AK-0004"]


# -- 5. many edits, at random ------------------------------------------------------------------


def _random_class(rng: random.Random) -> list[list[Any]]:
    rows = [HEADER]
    names = [
        "Ebba Lundström",
        "Oliver Åberg",
        "Klara Nordén",
        "Viktor Strömberg",
        "Maja Fält",
        "Hugo Dahlgård",
        "Agnes Öhman",
        "Filip Järvinen",
    ]
    for i, name in enumerate(rng.sample(names, len(names)), start=1):
        status = rng.choice(["", "", "skickad", "misslyckad: 550", "osäker"])
        note = f"ring {name.split()[0]}" if rng.random() < 0.5 else ""
        email = f"{name.split()[0].lower()}@example.org"
        rows.append([f"AK-{i:04d}", name, email, 2026, "sv", "", status, note])
    return rows


def _random_edit(rng: random.Random) -> Callable[[str], None]:
    kind = rng.choice(["blank", "delete", "sort", "append", "edit"])
    if kind == "blank":
        at, count = rng.randint(2, 9), rng.randint(1, 3)
        return lambda key: FAKE.insert_rows(key, TITLE, at, [[] for _ in range(count)])
    if kind == "delete":
        at = rng.randint(2, 9)
        return lambda key: FAKE.delete_rows(key, TITLE, at)
    if kind == "sort":
        column, reverse = rng.choice([NAME, STATUS, NOTE, ID]), rng.random() < 0.5
        return lambda key: FAKE.sort(key, TITLE, column, reverse=reverse)
    if kind == "append":
        return lambda key: FAKE.append_row(key, TITLE, new_row("Sara Sen"))
    row, text = rng.randint(2, 9), f"notis {rng.randint(1, 99)}"
    return lambda key: FAKE.set_cell(key, TITLE, a1(row, NOTE), text)


@pytest.mark.parametrize("seed", range(40))
def test_any_edit_just_before_the_write_leaves_the_sheet_as_if_made_before_the_read(
    seed: int,
) -> None:
    rng = random.Random(seed)
    sheet = Sheet(_random_class(rng))
    statuses = {f"AK-{i:04d}": f"skickad {i}" for i in rng.sample(range(1, 9), 4)}
    sheet.at_write(_random_edit(rng), times=rng.randint(1, 2))

    sent(sheet.store, statuses)

    # Row by row; not in order, since a second sort by status sees the tool's values where they
    # first landed, which the reference never holds.
    values, expected = sheet.values(), sheet.expected(written(statuses))
    assert values[0] == expected[0]
    assert sorted(map(str, values[1:])) == sorted(map(str, expected[1:]))


def _structural_edit(rng: random.Random) -> tuple[str, Callable[[str], None]]:
    """A person moving rows or columns: what people type in rows stays as it was."""
    kind = rng.choice(["blank", "delete", "sort", "append", "column"])
    if kind == "blank":
        at, count = rng.randint(2, 9), rng.randint(1, 3)
        return kind, lambda key: FAKE.insert_rows(key, TITLE, at, [[] for _ in range(count)])
    if kind == "delete":
        at = rng.randint(2, 9)
        return kind, lambda key: FAKE.delete_rows(key, TITLE, at)
    if kind == "sort":
        column, reverse = rng.choice([NAME, STATUS, NOTE, ID]), rng.random() < 0.5
        return kind, lambda key: FAKE.sort(key, TITLE, column, reverse=reverse)
    if kind == "append":
        row = ["", "Sara Sen", "sara@example.org", 2026]
        return kind, lambda key: FAKE.append_row(key, TITLE, row)
    # Each time a new header, the same in the sheet and in the reference (edited in turn).
    at, names = rng.randint(0, 7), iter(["Telefon", "Telefon", "Ort", "Ort", "Mentor", "Mentor"])
    return kind, lambda key: FAKE.insert_columns(key, TITLE, at, [next(names)])


@pytest.mark.parametrize("seed", range(40))
def test_ids_given_and_values_written_land_in_their_rows_whatever_moves(seed: int) -> None:
    rng = random.Random(seed)
    rows = _random_class(rng)
    for row in rows[1:]:
        if rng.random() < 0.3:
            row[ID] = ""
    sheet = Sheet(rows)
    keyed = [row[ID] for row in rows[1:] if row[ID]]
    statuses = {key: f"skickad {key}" for key in rng.sample(keyed, min(3, len(keyed)))}
    kind, edit = _structural_edit(rng)
    times = rng.randint(1, 3)
    sheet.at_write(edit, times=times)
    wb = load_workbook(sheet.store.read(), TZ)
    changes = ChangeSet()
    give_missing_ids(wb, changes)
    given = {name: key for name, key in zip(wb[TITLE]["Namn"], wb[TITLE]["ID"], strict=True) if key}
    for key, status in statuses.items():
        changes.set(TITLE, key, "Inbjudningsstatus", status)

    try:
        sheet.store.apply(changes)
    except StoreError as exc:
        # Moving rows again in the instant of each repair can leave a row the tool cannot
        # find by its cells (one deleted, or one without an ID): it stops and names it.
        assert times > 1 and str(exc).startswith(
            "Avgångsklass: rows were inserted, deleted or sorted while the tool put back"
        )
        assert "Avgångsklass!" in str(exc)
        return

    values = sheet.values()
    header = values[0]
    id_col, name_col, status_col = (header.index(h) for h in ("ID", "Namn", "Inbjudningsstatus"))
    reference = FAKE.values(sheet.ref, TITLE)
    for r, row in enumerate(reference[1:], start=2):
        if row[name_col] in given and not row[id_col]:
            FAKE.set_cell(sheet.ref, TITLE, a1(r, id_col), given[row[name_col]])
        if row[id_col] in statuses:
            FAKE.set_cell(sheet.ref, TITLE, a1(r, status_col), statuses[row[id_col]])
    reference = FAKE.values(sheet.ref, TITLE)
    if kind == "column":
        # A row is found for its new ID by its cells: a column inserted among them before the
        # ID was written means it gets its ID next run (the planner's rule, for both stores).
        for row in values[1:]:
            if row[name_col] in given and row[id_col] in ("", given[row[name_col]]):
                row[id_col] = given[row[name_col]]
    assert values[0] == reference[0]
    assert sorted(map(str, values[1:])) == sorted(map(str, reference[1:]))
