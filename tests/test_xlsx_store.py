"""The local workbook: atomic saves, lock files, formatting kept, clear refusals."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation

from alumni.errors import SheetLockedError, StoreError
from alumni.sheet import xlsx
from alumni.sheet.changes import ChangeSet
from alumni.sheet.merges import covered_cells
from alumni.sheet.plan import CellWrite, Plan
from alumni.sheet.workbook import load_workbook as load_frames
from alumni.sheet.xlsx import XlsxStore
from tests.test_xlsx_patch import books_and_plans, build

HEADER = ["ID", "Namn", "E-post", "Examensår", "Språk", "Inbjuden", "Inbjudningsstatus"]


def make_workbook(path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Avgångsklass"
    ws.append(HEADER)
    ws.append(["AK-0001", "Anna Ek", "anna@example.org", 2026])
    ws.append(["AK-0002", "Bo Åström", "bo@example.org", 2026])
    ws["B2"].font = Font(bold=True, color="FF0000")
    ws["B3"].fill = PatternFill("solid", start_color="FFFF00", end_color="FFFF00")
    ws.column_dimensions["B"].width = 33
    ws["H2"] = "=LEN(B2)"
    validation = DataValidation(type="list", formula1='"sv,en"')
    ws.add_data_validation(validation)
    validation.add("E2:E100")
    book.save(path)


def mark_invited(store: XlsxStore, key: str = "AK-0001") -> None:
    store.read()
    changes = ChangeSet()
    changes.set("Avgångsklass", key, "Inbjudningsstatus", "skickad")
    store.apply(changes)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "alumni.xlsx"
    make_workbook(p)
    return p


def test_formatting_formulas_and_validation_people_gave_the_workbook_are_kept(path: Path) -> None:
    mark_invited(XlsxStore(path))
    ws = load_workbook(path)["Avgångsklass"]
    assert ws["G2"].value == "skickad"
    assert ws["B2"].font.bold and ws["B2"].font.color.rgb.endswith("FF0000")
    assert ws["B3"].fill.start_color.rgb.endswith("FFFF00")
    assert ws.column_dimensions["B"].width == 33
    assert ws["H2"].value == "=LEN(B2)"
    assert [v.sqref for v in ws.data_validations.dataValidation] != []


@pytest.mark.parametrize("lock", ["~$alumni.xlsx", ".~lock.alumni.xlsx#"])
def test_a_workbook_open_in_excel_or_libreoffice_is_refused(path: Path, lock: str) -> None:
    (path.parent / lock).write_text("someone")
    with pytest.raises(SheetLockedError, match="open in Excel or LibreOffice") as info:
        XlsxStore(path).read()
    assert lock in str(info.value) and info.value.exit_code == 2


@pytest.mark.parametrize("lock", ["~$alumni.xlsx", ".~lock.alumni.xlsx#"])
def test_a_workbook_reached_through_a_link_is_refused_while_its_target_is_open(
    path: Path, tmp_path: Path, lock: str
) -> None:
    link = tmp_path / "elsewhere" / "utskottet.xlsx"
    link.parent.mkdir()
    link.symlink_to(path)
    (path.parent / lock).write_text("someone")  # Excel opened the file in its own folder
    with pytest.raises(SheetLockedError, match="open in Excel or LibreOffice") as info:
        XlsxStore(link).read()
    assert lock in str(info.value)


def test_a_lock_that_appears_after_reading_stops_the_write(path: Path) -> None:
    store = XlsxStore(path)
    store.read()
    (path.parent / ".~lock.alumni.xlsx#").write_text("someone")
    changes = ChangeSet()
    changes.set("Avgångsklass", "AK-0001", "Inbjudningsstatus", "skickad")
    before = path.read_bytes()
    with pytest.raises(SheetLockedError):
        store.apply(changes)
    assert path.read_bytes() == before


def _fail_saves(monkeypatch: pytest.MonkeyPatch, error: OSError, half: bool = False) -> None:
    """Make both ways the store saves (its own patch of a tab's XML, openpyxl's save) fail."""

    def fail(destination: object) -> None:
        if half:
            Path(str(destination)).write_bytes(b"PK\x03\x04 half a zip")
        raise error

    monkeypatch.setattr(Workbook, "save", lambda self, filename: fail(filename))
    monkeypatch.setattr(xlsx, "patch_workbook", lambda src, dst, plan: fail(dst))


def test_a_crash_during_save_leaves_the_old_file_whole(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = path.read_bytes()
    _fail_saves(monkeypatch, OSError(28, "No space left on device"), half=True)
    with pytest.raises(StoreError, match=r"could not save .*No space left on device"):
        mark_invited(XlsxStore(path))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["alumni.xlsx"]


def test_after_a_failed_save_the_next_write_starts_from_the_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = XlsxStore(path)
    with monkeypatch.context() as failing:
        _fail_saves(failing, OSError("disk"))
        with pytest.raises(StoreError):
            mark_invited(store, "AK-0001")
    mark_invited(store, "AK-0002")
    ws = load_workbook(path)["Avgångsklass"]
    assert (ws["G2"].value, ws["G3"].value) == (None, "skickad")


def test_a_missing_workbook_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no workbook at .*run `alumni init`"):
        XlsxStore(tmp_path / "alumni.xlsx").read()


@pytest.mark.parametrize(
    "content", [b"", b"Namn;E-post\nAnna;a@example.org\n", b"PK\x03\x04broken"]
)
def test_a_file_that_is_not_a_workbook_is_refused_clearly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "alumni.xlsx"
    path.write_bytes(content)
    with pytest.raises(
        StoreError, match=r"cannot be read as an \.xlsx workbook .* save it as \.xlsx"
    ):
        XlsxStore(path).read()


def test_nothing_to_write_leaves_the_file_untouched(path: Path) -> None:
    store = XlsxStore(path)
    store.read()
    stamp = path.stat().st_mtime_ns
    assert store.apply(ChangeSet()).cells == 0
    mark_invited(store)
    stamp = path.stat().st_mtime_ns
    mark_invited(store)  # the same value again: no change, but a save is harmless
    assert load_workbook(path)["Avgångsklass"]["G2"].value == "skickad"
    assert path.stat().st_mtime_ns >= stamp


def test_init_force_keeps_the_old_workbook_as_a_backup(path: Path) -> None:
    store = XlsxStore(path)
    store.initialize({"Avgångsklass": [{"ID": "AK-0009", "Namn": "Demo"}]}, force=True)
    backups = list(path.parent.glob("alumni.*.bak.xlsx"))
    assert len(backups) == 1
    assert load_workbook(backups[0])["Avgångsklass"]["B2"].value == "Anna Ek"
    assert load_workbook(path)["Avgångsklass"]["B2"].value == "Demo"


def test_init_demo_refuses_to_mix_into_a_workbook_with_data(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"already holds data .* --force"):
        XlsxStore(path).initialize({"Avgångsklass": [{"Namn": "Demo"}]}, force=False)
    assert path.read_bytes() == before


def test_init_sets_colours_once(tmp_path: Path) -> None:
    path = tmp_path / "alumni.xlsx"
    XlsxStore(path).initialize(None, force=False)
    XlsxStore(path).initialize(None, force=False)
    ws = load_workbook(path)["Kontaktlogg"]
    formulas = [r.formula[0] for cf in ws.conditional_formatting for r in cf.rules]
    assert sorted(formulas) == ['$I2="Besvarad sent"', '$I2="Försenad"', '$I2="Snart försenad"']
    assert ws.freeze_panes == "A2"


# --- after a write, the cells in memory are the file's --------------------------------------


def _comparable(raw: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Each tab's rows without the empty cells that end them (rows may be ragged), NaN as a
    text (it is not equal to itself)."""
    out = {}
    for title, sheet in raw.items():
        rows = [["NaN" if v != v else v for v in row] for row in sheet.rows]
        for row in rows:
            while row and row[-1] is None:
                row.pop()
        out[title] = rows
    return out


def _holdable(case: tuple[dict[str, list[list[Any]]], Plan]) -> bool:
    # A spreadsheet holds a number as a double: a whole number beyond 2**53 comes back
    # rounded, which is the file's doing, and the tool writes no such numbers.
    _, plan = case
    values = [w.value for w in plan.writes] + [
        v for rows in plan.appends.values() for row in rows for v in row
    ]
    return not any(isinstance(v, int) and abs(v) > 2**53 for v in values)


@settings(max_examples=40, deadline=None)
@given(books_and_plans().filter(_holdable))
def test_after_a_write_the_run_holds_the_cells_a_new_read_of_the_file_gives(
    case: tuple[dict[str, list[list[Any]]], Plan],
) -> None:
    # The run reads the file once; a later step of the same run works on the cells in memory,
    # so they must be what the file now holds, whichever way the write went.
    tabs, plan = case
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp) / "alumni.xlsx", tabs, formulas=False)
        store = XlsxStore(path)
        store.read()
        store.write(plan)
        held = _comparable(store.reread(list(tabs)))
        assert held == _comparable(XlsxStore(path).read())


@pytest.mark.parametrize(
    ("tabs", "plan"),
    [
        # CI's counterexample: a tab whose one row is a space, which the reader leaves out as
        # a closing blank row; a value written beside it makes the row, space and all, the
        # tab's first, so the run must read the file again rather than guess.
        (
            {"Alumner": [], "Avgångsklass": [[" "]]},
            Plan(writes=[CellWrite("Avgångsklass", 0, 1, "0")]),
        ),
    ],
)
def test_after_a_write_the_cells_held_are_the_files_found_by_hypothesis(
    tmp_path: Path, tabs: dict[str, list[list[Any]]], plan: Plan
) -> None:
    path = build(tmp_path / "alumni.xlsx", tabs, formulas=False)
    store = XlsxStore(path)
    store.read()
    store.write(plan)
    assert _comparable(store.reread(list(tabs))) == _comparable(XlsxStore(path).read())


def test_merged_cells_are_known_without_openpyxls_load(tmp_path: Path) -> None:
    path = tmp_path / "alumni.xlsx"
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Avgångsklass"
    ws.append(HEADER)
    ws.append(["AK-0001", "Anna Ek"])
    ws.merge_cells("A4:C5")
    ws["A4"] = "Anteckning"
    book.save(path)
    store = XlsxStore(path)
    store.read()
    plan = Plan(writes=[CellWrite("Avgångsklass", 3, 1, "x")])
    plan.appends["Avgångsklass"] = [["AK-0002", "Bo"]]
    plan.first_row["Avgångsklass"] = 3  # sheet row 4: on the merged note, so below it
    store.write(plan)
    assert store._book is None  # the patch needed no full load
    assert [f.message for f in plan.skipped] == [
        "'x' was not written: the cell is inside the merged cells A4:C5"
    ]
    rows = XlsxStore(path).read()["Avgångsklass"].rows
    assert rows[3][0] == "Anteckning" and rows[5][:2] == ["AK-0002", "Bo"]


# --- merged cells -------------------------------------------------------------------------------


def test_a_cell_under_merged_cells_is_not_read_as_empty_and_its_row_is_not_judged(
    path: Path,
) -> None:
    # Someone merged Bo's name and address: the sheet shows the name across both cells.
    book = load_workbook(path)
    book["Avgångsklass"].merge_cells("B3:C3")
    book.save(path)
    wb = load_frames(XlsxStore(path).read(), "Europe/Stockholm", pd.Timestamp("2026-06-01"))
    [finding] = [f for f in wb.findings if f.row == 3]
    assert str(finding) == (
        "Avgångsklass!C3: lies under the merged cells B3:C3, so it cannot be read on its own "
        "— unmerge B3:C3 and write each value in its own cell"
    )
    judged = wb.judge("Avgångsklass", ["Namn", "E-post"], "the invitation rule")
    assert judged.mask.tolist() == [True, False]
    assert [f.row for f in judged.problems] == [3]


@pytest.mark.parametrize(
    ("merged", "covered"),
    [
        ("B3:C3", {(2, 2): "B3:C3"}),
        ("A2:A3", {(2, 0): "A2:A3"}),
        ("J1:XFD1048576", {}),  # beyond the cells there are, however vast
        (
            "C2:XFD1048576",
            {(1, 3): "C2:XFD1048576", (2, 2): "C2:XFD1048576", (2, 3): "C2:XFD1048576"},
        ),
    ],
)
def test_the_cells_under_a_merge_are_those_within_the_cells_there_are(
    merged: str, covered: dict[tuple[int, int], str]
) -> None:
    assert covered_cells([CellRange(merged)], 3, 4) == covered
