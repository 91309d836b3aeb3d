"""One contract, every backend: what reading and writing the committee's sheet must guarantee."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from alumni.contract import TABS, Decision, Kind, Status
from alumni.sheet.changes import ChangeSet
from alumni.sheet.ids import give_missing_ids
from alumni.sheet.workbook import load_workbook
from tests.harness import GoogleHarness, Harness, XlsxHarness
from tests.live_sheet import LiveHarness, LiveSetupError, LiveSheet, backends, live_settings

TZ = "Europe/Stockholm"
GRAD_HEADER = ["ID", "Namn", "E-post", "Examensår", "Språk", "Inbjuden", "Inbjudningsstatus"]


# A real Google Sheet joins the backends only when ALUMNI_TEST_SHEET and ALUMNI_TEST_CREDENTIALS
# are set (tests/live_sheet.py); otherwise it is not a parameter at all, so nothing is skipped.
LIVE = live_settings(os.environ)


@pytest.fixture(scope="session")
def live_sheet() -> Iterator[LiveSheet]:
    assert LIVE is not None
    try:
        sheet = LiveSheet(LIVE)
    except LiveSetupError as exc:
        # The message says it all: no traceback, so nothing of the key file's can show.
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    yield sheet
    sheet.clean_up()


@pytest.fixture(params=backends(LIVE))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "live":
        return LiveHarness(request.getfixturevalue("live_sheet"))
    return XlsxHarness(tmp_path) if request.param == "local" else GoogleHarness()


def graduates(*rows: list[Any], header: list[str] = GRAD_HEADER) -> dict[str, list[list[Any]]]:
    return {"Avgångsklass": [header, *map(list, rows)]}


def read(h: Harness) -> Any:
    return load_workbook(h.store.read(), TZ)


def status_by_name(h: Harness, title: str = "Avgångsklass") -> dict[str, str]:
    rows = h.values(title)
    header = rows[0]
    name, status = header.index("Namn"), header.index("Inbjudningsstatus")
    return {r[name]: r[status] for r in rows[1:]}


class TestReading:
    def test_text_stays_text(self, harness: Harness) -> None:
        harness.seed(
            graduates(
                ["AK-0001", "Nan", "nan@example.org", 2026, "sv"],
                ["AK-0002", "0123", "x@example.org", 2026, "en"],
            )
        )
        frame = read(harness)["Avgångsklass"]
        assert frame["Namn"].tolist() == ["Nan", "0123"]
        assert frame["Examensår"].tolist() == [2026, 2026]
        assert frame["Språk"].tolist() == ["sv", "en"]

    def test_tabs_and_headers_by_alias_any_case_any_order_with_extra_columns(
        self, harness: Harness
    ) -> None:
        header = ["  EMAIL ", "Comment", "NAME", "graduation YEAR", "id"]
        harness.seed(
            {"graduates": [header, ["a@example.org", "kept", "Åsa Öberg", "2026", "AK-0007"]]}
        )
        wb = read(harness)
        frame = wb["Avgångsklass"]
        assert frame.loc[0, ["ID", "Namn", "E-post", "Examensår"]].tolist() == [
            "AK-0007",
            "Åsa Öberg",
            "a@example.org",
            2026,
        ]
        assert frame.loc[0, "Comment"] == "kept"
        assert wb.sheets["Avgångsklass"].layout.shown == "graduates"

    def test_empty_rows_are_ignored_and_rows_remember_their_sheet_row(
        self, harness: Harness
    ) -> None:
        harness.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026],
                [None, None, None],
                [],
                ["AK-0002", "Bo", "b@example.org", 2026],
            )
        )
        frame = read(harness)["Avgångsklass"]
        assert frame["Namn"].tolist() == ["Anna", "Bo"]
        assert frame["_row"].tolist() == [2, 5]

    @pytest.mark.parametrize(
        "cell",
        [
            datetime(2026, 11, 28, 14, 5),
            "2026-11-28 14:05",
            "28/11/2026 14:05",
            "2026-11-28 14:05:00",
        ],
    )
    def test_times_parse_from_date_cells_and_text(self, harness: Harness, cell: Any) -> None:
        harness.seed(graduates(["AK-0001", "Anna", "a@example.org", 2026, "sv", cell, "skickad"]))
        got = read(harness)["Avgångsklass"].loc[0, "Inbjuden"]
        assert got == pd.Timestamp("2026-11-28 14:05", tz=TZ)

    def test_unreadable_cells_become_findings_not_crashes(self, harness: Harness) -> None:
        harness.seed(graduates(["AK-0001", "Anna", "a@example.org", "tjugo", "sv", "igår kväll"]))
        wb = read(harness)
        messages = sorted(str(f) for f in wb.findings)
        assert "Avgångsklass!D2: 'tjugo' is not a year — write four digits, e.g. 2026" in messages
        assert (
            "Avgångsklass!F2: 'igår kväll' is not a date/time (names a day relative to today) — "
            "write it as 2026-11-28 14:05" in messages
        )

    def test_a_cell_under_merged_cells_is_named_and_its_row_not_judged(
        self, harness: Harness
    ) -> None:
        # Someone merged Bo's name and address: the sheet shows the name across both cells.
        harness.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026, "sv"],
                ["AK-0002", "Bo", "b@example.org", 2026, "sv"],
            )
        )
        harness.merge("Avgångsklass", "B3:C3")
        wb = read(harness)
        assert [str(f) for f in wb.findings if f.tab == "Avgångsklass"] == [
            "Avgångsklass!C3: lies under the merged cells B3:C3, so it cannot be read on its own "
            "— unmerge B3:C3 and write each value in its own cell"
        ]
        judged = wb.judge("Avgångsklass", ["Namn", "E-post"], "the invitation rule")
        assert judged.mask.tolist() == [True, False]

    def test_every_contract_tab_is_a_frame_even_when_missing(self, harness: Harness) -> None:
        harness.seed(graduates())
        wb = read(harness)
        assert set(wb.sheets) == {t.name for t in TABS}
        assert list(wb["Kontaktlogg"].columns)[:3] == ["ID", "Projekt", "Alumn"]


class TestWriting:
    def write_status(self, h: Harness, values: dict[str, str], between: Any = None) -> Any:
        h.store.read()
        if between:
            between(h)
        changes = ChangeSet()
        for key, value in values.items():
            changes.set("Avgångsklass", key, "Inbjudningsstatus", value)
        return h.store.apply(changes)

    def seed_three(self, h: Harness) -> None:
        h.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026],
                ["AK-0002", "Bo", "b@example.org", 2026],
                ["AK-0003", "Cecilia", "c@example.org", 2026],
            )
        )

    def test_writes_go_to_the_row_with_the_id(self, harness: Harness) -> None:
        self.seed_three(harness)
        result = self.write_status(harness, {"AK-0002": "skickad"})
        assert status_by_name(harness) == {"Anna": "", "Bo": "skickad", "Cecilia": ""}
        assert result.cells == 1

    @pytest.mark.parametrize(
        ("edit", "expected"),
        [
            (
                lambda h: h.insert_rows("Avgångsklass", 2, [["", "Ny", "n@example.org", 2026]]),
                {"Ny": "", "Anna": "skickad", "Bo": "", "Cecilia": "misslyckad: 550"},
            ),
            (
                lambda h: h.sort("Avgångsklass", 1, reverse=True),
                {"Cecilia": "misslyckad: 550", "Bo": "", "Anna": "skickad"},
            ),
            (
                lambda h: h.delete_rows("Avgångsklass", 3),
                {"Anna": "skickad", "Cecilia": "misslyckad: 550"},
            ),
        ],
        ids=["insert above", "sort", "delete between"],
    )
    def test_rows_people_move_between_read_and_write_keep_their_own_values(
        self, harness: Harness, edit: Any, expected: dict[str, str]
    ) -> None:
        self.seed_three(harness)
        self.write_status(
            harness, {"AK-0001": "skickad", "AK-0003": "misslyckad: 550"}, between=edit
        )
        assert status_by_name(harness) == expected

    def test_a_row_deleted_before_the_write_is_reported_and_skipped(self, harness: Harness) -> None:
        self.seed_three(harness)
        result = self.write_status(
            harness, {"AK-0002": "skickad"}, between=lambda h: h.delete_rows("Avgångsklass", 3)
        )
        assert status_by_name(harness) == {"Anna": "", "Cecilia": ""}
        assert [str(f) for f in result.skipped] == [
            "Avgångsklass: the row AK-0002 was removed before the tool could write it: skipped"
            " — nothing to do if that was intended"
        ]

    def test_a_person_editing_their_cell_of_the_same_row_keeps_their_edit(
        self, harness: Harness
    ) -> None:
        self.seed_three(harness)
        self.write_status(
            harness,
            {"AK-0002": "skickad"},
            between=lambda h: h.set_cell("Avgångsklass", 3, 2, "bo@example.org"),
        )
        row = harness.values("Avgångsklass")[2]
        assert row[:3] == ["AK-0002", "Bo", "bo@example.org"] and row[6] == "skickad"

    def test_a_value_for_a_cell_under_merged_cells_is_named_not_written(
        self, harness: Harness
    ) -> None:
        self.seed_three(harness)
        harness.merge("Avgångsklass", "F3:G3")  # Bo's Inbjuden and Inbjudningsstatus
        result = self.write_status(harness, {"AK-0001": "skickad", "AK-0002": "skickad"})
        assert [str(f) for f in result.skipped] == [
            "Avgångsklass!G3: 'skickad' was not written: the cell is inside the merged cells "
            "F3:G3 — unmerge F3:G3, then run again"
        ]
        assert status_by_name(harness) == {"Anna": "skickad", "Bo": "", "Cecilia": ""}
        assert result.cells == 1

    def test_unchanged_values_are_not_written_again(self, harness: Harness) -> None:
        self.seed_three(harness)
        self.write_status(harness, {"AK-0001": "skickad"})
        assert self.write_status(harness, {"AK-0001": "skickad"}).cells == 0

    def test_a_human_owned_column_is_refused(self) -> None:
        with pytest.raises(ValueError, match="belongs to the committee"):
            ChangeSet().set("Avgångsklass", "AK-0001", "E-post", "x@example.org")

    @pytest.mark.parametrize(
        "text", ['=HYPERLINK("http://evil","klicka")', "+46 70 123 45 67", "-1", "@x", "0123"]
    )
    def test_values_are_written_as_plain_text(self, harness: Harness, text: str) -> None:
        self.seed_three(harness)
        self.write_status(harness, {"AK-0001": text})
        assert status_by_name(harness)["Anna"] == text
        assert read(harness)["Avgångsklass"].loc[0, "Inbjudningsstatus"] == text

    def test_duplicate_ids_are_not_written(self, harness: Harness) -> None:
        harness.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026],
                ["AK-0001", "Anna kopia", "a@example.org", 2026],
            )
        )
        result = self.write_status(harness, {"AK-0001": "skickad"})
        assert status_by_name(harness) == {"Anna": "", "Anna kopia": ""}
        assert "stands in several rows (2, 3)" in str(result.skipped[0])

    def test_extra_columns_and_their_header_stay_untouched(self, harness: Harness) -> None:
        header = [*GRAD_HEADER, "Anteckning"]
        harness.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026, "", "", "", "ring först"], header=header
            )
        )
        self.write_status(harness, {"AK-0001": "skickad"})
        assert harness.values("Avgångsklass") == [
            header,
            ["AK-0001", "Anna", "a@example.org", 2026, "", "", "skickad", "ring först"],
        ]

    def test_missing_script_column_is_reported_not_created(self, harness: Harness) -> None:
        harness.seed(graduates(["AK-0001", "Anna", "a@example.org", 2026], header=GRAD_HEADER[:4]))
        result = self.write_status(harness, {"AK-0001": "skickad"})
        assert harness.values("Avgångsklass")[0] == GRAD_HEADER[:4]
        assert "the header 'Inbjudningsstatus' is missing" in str(result.skipped[0])


class TestIds:
    def test_rows_without_id_get_one_even_after_a_sort(self, harness: Harness) -> None:
        harness.seed(
            graduates(
                ["AK-0004", "Bo", "b@example.org", 2026],
                ["", "Anna", "a@example.org", 2026],
                ["", "Cecilia", "c@example.org", 2026],
            )
        )
        wb = read(harness)
        changes = ChangeSet()
        assert give_missing_ids(wb, changes) == {"Avgångsklass": 2}
        harness.sort("Avgångsklass", 1, reverse=True)  # Cecilia, Bo, Anna
        result = harness.store.apply(changes)
        ids = {r[1]: r[0] for r in harness.values("Avgångsklass")[1:]}
        assert ids == {"Anna": "AK-0005", "Bo": "AK-0004", "Cecilia": "AK-0006"}
        assert result.ids_given == 2

    def test_a_row_edited_before_the_write_waits_for_the_next_run(self, harness: Harness) -> None:
        harness.seed(graduates(["", "Anna", "a@example.org", 2026]))
        changes = ChangeSet()
        give_missing_ids(read(harness), changes)
        harness.set_cell("Avgångsklass", 2, 1, "Anna Ek")
        assert harness.store.apply(changes).ids_given == 0
        assert harness.values("Avgångsklass")[1][:2] == ["", "Anna Ek"]


class TestAppending:
    def test_rows_are_appended_after_the_last_row_and_only_once(self, harness: Harness) -> None:
        harness.seed(
            {"Kontaktlogg": [["ID", "Projekt", "Alumn", "Status"], ["KL-0001", "P", "Alva", "x"]]}
        )
        harness.store.read()
        changes = ChangeSet()
        changes.append(
            "Kontaktlogg",
            {"ID": "KL-0002", "Projekt": "P", "Alumn": "Bert", "Status": "Ej kontaktad"},
        )
        assert harness.store.apply(changes).rows_added == 1
        assert harness.store.apply(changes).rows_added == 0  # a retry adds nothing
        assert harness.values("Kontaktlogg") == [
            ["ID", "Projekt", "Alumn", "Status"],
            ["KL-0001", "P", "Alva", "x"],
            ["KL-0002", "P", "Bert", "Ej kontaktad"],
        ]

    def test_the_overview_tab_is_created_and_then_updated_in_place(self, harness: Harness) -> None:
        harness.seed(graduates())
        for value in ("2026-11-28 07:00", "2026-11-29 07:00"):
            harness.store.read()
            changes = ChangeSet()
            changes.set("Översikt", "Senaste dagliga körning", "Värde", value)
            changes.set("Översikt", "Problem i arket", "Värde", 3)
            harness.store.apply(changes)
        assert harness.values("Översikt") == [
            ["Nyckeltal", "Värde"],
            ["Senaste dagliga körning", "2026-11-29 07:00"],
            ["Problem i arket", 3],
        ]


class TestInit:
    def test_init_creates_every_tab_and_header_and_a_second_init_adds_nothing(
        self, harness: Harness
    ) -> None:
        first = harness.store.initialize(None, force=False)
        assert [harness.values(t.name)[0] for t in TABS] == [t.header for t in TABS]
        assert len([x for x in first.formatting_added if x.startswith("colour: ")]) == 6
        second = harness.store.initialize(None, force=False)
        assert (second.tabs_added, second.headers_added, second.formatting_added) == ([], [], [])

    def test_init_adds_missing_headers_without_touching_data(self, harness: Harness) -> None:
        harness.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026], header=["Namn", "ID", "Anteckning"]
            )
        )
        result = harness.store.initialize(None, force=False)
        rows = harness.values("Avgångsklass")
        # D holds 2026 without a header: the added headers go right of it, never above it.
        assert rows[0][:4] == ["Namn", "ID", "Anteckning", ""]
        assert set(rows[0][4:]) == set(GRAD_HEADER) - {"Namn", "ID"}
        assert rows[1][:3] == ["AK-0001", "Anna", "a@example.org"]
        assert "Avgångsklass!E-post" in result.headers_added


LOG_HEADER = ["ID", "Projekt", "Alumn", "Status"]


class TestDeleting:
    def seed_log(self, h: Harness) -> None:
        h.seed(
            {
                "Kontaktlogg": [
                    LOG_HEADER,
                    ["KL-0001", "P", "Alva", "x"],
                    ["KL-0002", "P", "Bert", "y"],
                    ["KL-0003", "P", "Cleo", "z"],
                ]
            }
        )

    def delete(self, h: Harness, tab_name: str, *keys: str, between: Any = None) -> Any:
        h.store.read()
        if between:
            between(h)
        changes = ChangeSet()
        for key in keys:
            changes.delete(tab_name, key)
        return h.store.apply(changes)

    def test_deleting_by_id_removes_that_row_only(self, harness: Harness) -> None:
        header = [*GRAD_HEADER, "Anteckning"]
        harness.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026, "sv", "", "skickad", "ring"],
                ["AK-0002", "Bo", "b@example.org", 2026, "en", "", "", "mejla"],
                ["AK-0003", "Cecilia", "c@example.org", 2026, "sv", "", "", ""],
                header=header,
            )
        )
        result = self.delete(harness, "Avgångsklass", "AK-0002")
        assert harness.values("Avgångsklass") == [
            header,
            ["AK-0001", "Anna", "a@example.org", 2026, "sv", "", "skickad", "ring"],
            ["AK-0003", "Cecilia", "c@example.org", 2026, "sv", "", "", ""],
        ]
        assert result.skipped == []

    @pytest.mark.parametrize(
        ("edit", "expected"),
        [
            (
                lambda h: h.insert_rows("Avgångsklass", 2, [["", "Ny", "n@example.org", 2026]]),
                ["Ny", "Anna", "Cecilia"],
            ),
            (lambda h: h.sort("Avgångsklass", 1, reverse=True), ["Cecilia", "Anna"]),
            (lambda h: h.delete_rows("Avgångsklass", 2), ["Cecilia"]),
        ],
        ids=["insert above", "sort", "delete above"],
    )
    def test_rows_people_move_between_read_and_write_do_not_make_the_wrong_row_go(
        self, harness: Harness, edit: Any, expected: list[str]
    ) -> None:
        TestWriting().seed_three(harness)
        self.delete(harness, "Avgångsklass", "AK-0002", between=edit)
        assert list(status_by_name(harness)) == expected

    def test_several_rows_apart_and_adjacent_go_in_one_write(self, harness: Harness) -> None:
        harness.seed(
            graduates(*([f"AK-{i}", f"P{i}", f"p{i}@example.org", 2026] for i in range(1, 8)))
        )
        self.delete(harness, "Avgångsklass", "AK-0002", "AK-0003", "AK-0005", "AK-0007")
        assert list(status_by_name(harness)) == ["P1", "P4", "P6"]

    def test_a_duplicated_id_is_not_deleted(self, harness: Harness) -> None:
        harness.seed(
            graduates(
                ["AK-0001", "Anna", "a@example.org", 2026],
                ["AK-0001", "Anna kopia", "a@example.org", 2026],
                ["AK-0002", "Bo", "b@example.org", 2026],
            )
        )
        result = self.delete(harness, "Avgångsklass", "AK-0001", "AK-0002")
        assert list(status_by_name(harness)) == ["Anna", "Anna kopia"]
        assert [str(f) for f in result.skipped] == [
            "Avgångsklass!A2: the ID AK-0001 stands in several rows (2, 3): not deleted"
            " — give each row its own ID (empty the copy's ID cell)"
        ]

    def test_a_row_already_gone_is_skipped_silently(self, harness: Harness) -> None:
        TestWriting().seed_three(harness)
        result = self.delete(
            harness, "Avgångsklass", "AK-0002", between=lambda h: h.delete_rows("Avgångsklass", 3)
        )
        assert list(status_by_name(harness)) == ["Anna", "Cecilia"]
        assert result.skipped == [] and result.cells == 0

    def test_deleting_updating_and_appending_in_one_change_set(self, harness: Harness) -> None:
        self.seed_log(harness)
        harness.store.read()
        # A person inserts a row above meanwhile: every change must follow its own ID.
        harness.insert_rows("Kontaktlogg", 2, [["KL-0000", "P", "Noa", "w"]])
        changes = ChangeSet()
        changes.delete("Kontaktlogg", "KL-0003")  # the last row: the append must not leave a gap
        changes.set("Kontaktlogg", "KL-0001", "Status", "Försenad")
        changes.set("Kontaktlogg", "KL-0003", "Status", "Besvarad i tid")  # dropped with its row
        changes.append("Kontaktlogg", {"ID": "KL-0004", "Projekt": "P", "Alumn": "Dora"})
        result = harness.store.apply(changes)
        assert harness.values("Kontaktlogg") == [
            LOG_HEADER,
            ["KL-0000", "P", "Noa", "w"],
            ["KL-0001", "P", "Alva", "Försenad"],
            ["KL-0002", "P", "Bert", "y"],
            ["KL-0004", "P", "Dora", ""],
        ]
        assert (result.cells, result.rows_added, result.skipped) == (4, 1, [])
        # A retry of the same change set changes nothing more.
        again = harness.store.apply(changes)
        assert (again.cells, again.rows_added, again.skipped) == (0, 0, [])
        assert len(harness.values("Kontaktlogg")) == 5

    def test_every_data_row_can_go(self, harness: Harness) -> None:
        self.seed_log(harness)
        self.delete(harness, "Kontaktlogg", "KL-0001", "KL-0002", "KL-0003")
        assert harness.values("Kontaktlogg") == [LOG_HEADER]

    def test_a_tab_without_a_key_refuses_deletion(self) -> None:
        with pytest.raises(ValueError, match="no key column"):
            ChangeSet().delete("Utskott", "Anna")

    def test_google_deletes_in_the_same_single_write_bottom_up(self) -> None:
        from alumni.sheet.google import GoogleStore
        from alumni.sheet.plan import plan_changes

        h = GoogleHarness()
        self.seed_log(h)
        store = h.store
        assert isinstance(store, GoogleStore)
        store.read()
        h.fake.reset_counts()
        changes = ChangeSet()
        changes.delete("Kontaktlogg", "KL-0001")
        changes.delete("Kontaktlogg", "KL-0003")
        changes.set("Kontaktlogg", "KL-0002", "Status", "Försenad")
        changes.append("Kontaktlogg", {"ID": "KL-0004", "Projekt": "P", "Alumn": "Dora"})
        plan = plan_changes(changes, h.store.reread(changes.tabs()))
        requests = store._requests(plan)
        assert [next(iter(r)) for r in requests] == [
            "updateCells",
            "deleteDimension",
            "deleteDimension",
            "appendCells",
        ]
        starts = [r["deleteDimension"]["range"]["startIndex"] for r in requests[1:3]]
        assert starts == [3, 1]
        h.fake.reset_counts()
        h.store.apply(changes)
        assert [op for op in h.fake.ops() if "batchUpdate" in op] == ["spreadsheets.batchUpdate"]
        assert h.values("Kontaktlogg") == [
            LOG_HEADER,
            ["KL-0002", "P", "Bert", "Försenad"],
            ["KL-0004", "P", "Dora", ""],
        ]

    def test_google_keeps_a_row_below_the_frozen_header_when_every_row_goes(self) -> None:
        from alumni.sheet.google import GoogleStore
        from alumni.sheet.plan import Plan

        h = GoogleHarness()
        self.seed_log(h)
        store = h.store
        assert isinstance(store, GoogleStore)
        store.read()
        title = "Kontaktlogg"
        store._sheets[title]["gridProperties"] = {"rowCount": 4, "frozenRowCount": 1}
        requests = store._requests(Plan(deletions={title: [1, 2, 3]}))
        kinds = [next(iter(r)) for r in requests]
        assert kinds == ["appendDimension", "deleteDimension"]


# --- the sheet helps the people typing into it (issue 14) ------------------------------------


@dataclass
class Look:
    """What people see of a tab's settings, read back from the file or the API."""

    frozen_rows: int
    dropdowns: dict[str, tuple[tuple[str, ...], bool, bool]]
    """header → (choices, shows an arrow, refuses other values)."""
    formats: dict[str, str]
    """header → the number format of its cells below the header."""
    widths: dict[str, float]
    """header → width in characters (Google's pixels / 7)."""
    colours: dict[str, str]
    """condition formula → background colour as RRGGBB."""


def look(h: Harness, title: str) -> Look:
    if isinstance(h, XlsxHarness):
        return _look_xlsx(h, title)
    return _look_google(h, title)


def _look_xlsx(h: XlsxHarness, title: str) -> Look:
    ws = openpyxl.load_workbook(h.path)[title]
    header = [c.value for c in ws[1]]
    frozen = int(ws.freeze_panes[1:]) - 1 if ws.freeze_panes else 0
    dropdowns, formats, widths = {}, {}, {}
    for index, name in enumerate(header):
        letter = get_column_letter(index + 1)
        for dv in ws.data_validations.dataValidation:
            if f"{letter}2" in dv.sqref:
                choices = tuple(dv.formula1.strip('"').split(","))
                dropdowns[name] = (choices, not dv.showDropDown, dv.errorStyle in (None, "stop"))
        number_format = ws.column_dimensions[letter].number_format
        if number_format != "General":
            formats[name] = number_format
        widths[name] = float(ws.column_dimensions[letter].width or 0)
    colours = {
        rule.formula[0]: rule.dxf.fill.fgColor.rgb[-6:]
        for cf in ws.conditional_formatting
        for rule in cf.rules
    }
    return Look(frozen, dropdowns, formats, widths, colours)


def _look_google(h: Harness, title: str) -> Look:
    store: Any = h.store
    meta = store.http.fetch_sheet_metadata(
        store.key,
        params={
            "ranges": f"'{title}'!1:2",
            "fields": "sheets(properties(gridProperties),conditionalFormats,data(rowData(values("
            "userEnteredValue,dataValidation,userEnteredFormat(numberFormat))),"
            "columnMetadata(pixelSize)))",
        },
    )
    sheet = meta["sheets"][0]
    data = sheet["data"][0]
    rows = [r.get("values", []) for r in data.get("rowData", [])] + [[], []]
    header = [c.get("userEnteredValue", {}).get("stringValue") for c in rows[0]]
    below = rows[1] + [{}] * len(header)
    dropdowns, formats, widths = {}, {}, {}
    for index, name in enumerate(header):
        rule = below[index].get("dataValidation")
        if rule:
            choices = tuple(v["userEnteredValue"] for v in rule["condition"]["values"])
            dropdowns[name] = (choices, bool(rule.get("showCustomUi")), bool(rule.get("strict")))
        number_format = below[index].get("userEnteredFormat", {}).get("numberFormat")
        if number_format:
            formats[name] = number_format["pattern"]
        widths[name] = data["columnMetadata"][index]["pixelSize"] / 7
    colours = {}
    for rule in sheet.get("conditionalFormats", []):
        condition = rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        bg = rule["booleanRule"]["format"]["backgroundColor"]
        rgb = "".join(f"{round(bg.get(c, 0) * 255):02X}" for c in ("red", "green", "blue"))
        colours[condition.lstrip("=")] = rgb
    frozen = sheet["properties"]["gridProperties"].get("frozenRowCount", 0)
    return Look(frozen, dropdowns, formats, widths, colours)


def settle_like_a_person(h: Harness, title: str) -> None:
    """A person widens column A (Namn) and C (their own), and freezes two rows."""
    if isinstance(h, XlsxHarness):
        book = openpyxl.load_workbook(h.path)
        ws = book[title]
        ws.column_dimensions["A"].width = 33
        ws.column_dimensions["C"].width = 44
        ws.freeze_panes = "A3"
        book.save(h.path)
        return
    store: Any = h.store
    meta = store.http.fetch_sheet_metadata(store.key)
    sheet_id = next(
        s["properties"]["sheetId"] for s in meta["sheets"] if s["properties"]["title"] == title
    )

    def width(index: int, pixels: int) -> dict[str, Any]:
        dimension = {"sheetId": sheet_id, "dimension": "COLUMNS"}
        return {
            "updateDimensionProperties": {
                "range": {**dimension, "startIndex": index, "endIndex": index + 1},
                "properties": {"pixelSize": pixels},
                "fields": "pixelSize",
            }
        }

    freeze = {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 2}},
            "fields": "gridProperties.frozenRowCount",
        }
    }
    store.http.batch_update(store.key, {"requests": [width(0, 33 * 7), width(2, 44 * 7), freeze]})


TIME_COLUMNS = [(t.name, c.name) for t in TABS for c in t.columns if c.kind is Kind.TIME]
DATE_COLUMNS = [(t.name, c.name) for t in TABS for c in t.columns if c.kind is Kind.DATE]
YES_NO = ("Ja", "Nej")


class TestSheetHelp:
    """`alumni init` gives every backend the same dropdowns, formats, header, widths, colours."""

    @pytest.mark.parametrize(
        ("title", "column", "choices", "arrow"),
        [
            ("Utskott", "Aktiv", YES_NO, True),
            ("Röster", "Röst", YES_NO, True),
            ("Ansökningar", "Beslut", Decision.CHAIR, True),
            # The tool's own columns: no arrow to pick from, but a hand-typed word is marked.
            ("Ansökningar", "Bedömning", Decision.ASSESSMENTS, False),
            ("Kontaktlogg", "Status", Status.ALL, False),
        ],
    )
    def test_dropdowns_warn_but_never_refuse(
        self, harness: Harness, title: str, column: str, choices: tuple[str, ...], arrow: bool
    ) -> None:
        harness.store.initialize(None, force=False)
        assert look(harness, title).dropdowns[column] == (tuple(choices), arrow, False)

    def test_only_those_columns_have_dropdowns(self, harness: Harness) -> None:
        harness.store.initialize(None, force=False)
        having = {(t.name, c) for t in TABS for c in look(harness, t.name).dropdowns}
        assert having == {
            ("Utskott", "Aktiv"),
            ("Röster", "Röst"),
            ("Ansökningar", "Beslut"),
            ("Ansökningar", "Bedömning"),
            ("Kontaktlogg", "Status"),
        }

    def test_time_and_date_columns_are_formatted_as_such_and_no_other(
        self, harness: Harness
    ) -> None:
        harness.store.initialize(None, force=False)
        formats = {(t.name, c): f for t in TABS for c, f in look(harness, t.name).formats.items()}
        assert formats == {
            **{where: "yyyy-mm-dd hh:mm" for where in TIME_COLUMNS},
            **{where: "yyyy-mm-dd" for where in DATE_COLUMNS},
        }

    def test_every_tab_has_a_frozen_header_and_columns_wide_enough(self, harness: Harness) -> None:
        harness.store.initialize(None, force=False)
        for tab in TABS:
            seen = look(harness, tab.name)
            assert seen.frozen_rows == 1, tab.name
            for column in tab.columns:
                need = 16 if column.kind is Kind.TIME else len(column.name)
                assert need <= seen.widths[column.name] <= 45, (tab.name, column.name)

    def test_widths_fit_the_content_init_writes(self, harness: Harness) -> None:
        harness.store.initialize(SAMPLE, force=False)
        assert look(harness, "Alumner").widths["Namn"] >= len("Maximiliana Fredriksdotter")

    def test_a_row_answered_late_has_its_own_colour(self, harness: Harness) -> None:
        harness.store.initialize(None, force=False)
        colours = look(harness, "Kontaktlogg").colours
        late, due, answered_late = (
            colours[f'$I2="{s}"'] for s in (Status.LATE, Status.DUE_SOON, Status.ANSWERED_LATE)
        )
        assert len({late, due, answered_late}) == 3
        assert f'$I2="{Status.ANSWERED_IN_TIME}"' not in colours

    def test_a_second_init_adds_nothing_and_doubles_nothing(self, harness: Harness) -> None:
        harness.store.initialize(None, force=False)
        before = {t.name: look(harness, t.name) for t in TABS}
        again = harness.store.initialize(None, force=False)
        assert again.formatting_added == []
        assert {t.name: look(harness, t.name) for t in TABS} == before

    def test_on_an_existing_sheet_only_what_is_missing_is_added_and_people_settings_stay(
        self, harness: Harness
    ) -> None:
        harness.seed(
            {
                "Utskott": [
                    ["Namn", "Aktiv", "Anteckning"],
                    ["Ebba Lundström", "Ja", "ordförande sedan 2025"],
                    ["Nils Berg", "Yes", ""],
                ]
            }
        )
        settle_like_a_person(harness, "Utskott")
        added = harness.store.initialize(None, force=False).formatting_added
        seen = look(harness, "Utskott")
        assert harness.values("Utskott")[1:3] == [
            ["Ebba Lundström", "Ja", "ordförande sedan 2025", *[""] * 5],
            ["Nils Berg", "Yes", "", *[""] * 5],
        ]
        assert seen.frozen_rows == 2  # theirs
        assert seen.widths["Namn"] == 33 and seen.widths["Anteckning"] == 44  # theirs
        assert "Anteckning" not in seen.formats and "Anteckning" not in seen.dropdowns
        assert seen.dropdowns["Aktiv"] == (YES_NO, True, False)
        assert seen.formats["Utbildad"] == "yyyy-mm-dd"
        assert "frozen header: Utskott" not in added
        assert {"dropdown: Utskott!Aktiv", "date format: Utskott!Utbildad"} <= set(added)
        assert "frozen header: Avgångsklass" in added  # a tab init created


SAMPLE: dict[str, list[dict[str, str | int | float | None]]] = {
    "Alumner": [
        {"ID": "AL-0001", "Namn": "Maximiliana Fredriksdotter", "Examensår": 2020},
        {"ID": "AL-0002", "Namn": "Bo Ek", "Examensår": 2021},
    ]
}
