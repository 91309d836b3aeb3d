"""Which rows hold personal data the committee no longer needs: table-driven at the boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from alumni.rules.purge import NEEDS, RULE, PurgeItem, select_purge
from alumni.sheet.workbook import RawSheet, load_workbook
from tests.helpers import alumni, demo_folder

TZ = "Europe/Stockholm"
NOW = pd.Timestamp("2026-03-02 12:00", tz=TZ)
APP_HEADER: list[Any] = ["Tidstämpel", "ID", "Namn", "Bedömning", "Bedömd", "Beslut"]
GRAD_HEADER: list[Any] = ["ID", "Namn", "E-post", "Examensår", "Inbjuden", "Inbjudningsstatus"]


def frames(
    applications: Sequence[list[Any]] = (), graduates: Sequence[list[Any]] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frames as the tool reads them from a sheet holding these rows."""
    raw = {
        "Ansökningar": RawSheet("Ansökningar", [APP_HEADER, *applications]),
        "Avgångsklass": RawSheet("Avgångsklass", [GRAD_HEADER, *graduates]),
    }
    wb = load_workbook(raw, TZ)
    return wb["Ansökningar"], wb["Avgångsklass"]


@pytest.mark.parametrize(
    ("row", "selected"),
    [
        # Tidstämpel, ID, Namn, Bedömning, Bedömd, Beslut
        (["2025-03-02 11:59", "AN-0001", "A", "Avslå", "", ""], True),
        (["2025-03-02 12:00", "AN-0001", "A", "Avslå", "", ""], False),  # exactly 12 months
        (["2025-03-02 12:01", "AN-0001", "A", "Avslå", "", ""], False),
        (["2024-01-01 08:00", "AN-0001", "A", "Godkänn", "", "Avslå"], True),
        (["2024-01-01 08:00", "AN-0001", "A", "Avslå", "", "Godkänn"], False),  # chair overrides
        (["2024-01-01 08:00", "AN-0001", "A", "Granska", "", " avslå "], True),
        (["2024-01-01 08:00", "AN-0001", "A", "Granska", "", ""], False),
        (["2024-01-01 08:00", "AN-0001", "A", "Godkänn", "", ""], False),
        (["2024-01-01 08:00", "AN-0001", "A", "", "", ""], False),
        (["", "AN-0001", "A", "Avslå", "2025-03-02 11:59", ""], True),  # Bedömd stands in
        (["", "AN-0001", "A", "Avslå", "2025-03-02 12:00", ""], False),
        (["2025-06-01 08:00", "AN-0001", "A", "Avslå", "2024-01-01 08:00", ""], False),
        (["", "AN-0001", "A", "Avslå", "", ""], False),  # no time at all: age unknown
        (["2024-01-01 08:00", "", "A", "Avslå", "", "Avslå"], False),  # no ID
    ],
)
def test_rejected_applications_older_than_the_limit(row: list[Any], selected: bool) -> None:
    applications, graduates = frames(applications=[row])
    items = select_purge(applications, graduates, NOW)
    assert [i.key for i in items] == (["AN-0001"] if selected else [])


@pytest.mark.parametrize(
    ("months", "stamp", "selected"),
    [
        (6, "2025-09-02 11:59", True),
        (6, "2025-09-02 12:00", False),
        (1, "2026-02-02 11:00", True),
        (24, "2025-01-01 00:00", False),
    ],
)
def test_the_limit_is_configurable(months: int, stamp: str, selected: bool) -> None:
    applications, graduates = frames(applications=[[stamp, "AN-0001", "A", "Avslå", "", ""]])
    items = select_purge(applications, graduates, NOW, rejected_after_months=months)
    assert bool(items) is selected


def test_a_month_is_a_calendar_month_even_at_a_month_end() -> None:
    applications, graduates = frames(
        applications=[
            ["2026-02-28 10:00", "AN-0001", "A", "Avslå", "", ""],
            ["2026-02-28 09:59", "AN-0002", "B", "Avslå", "", ""],
        ]
    )
    now = pd.Timestamp("2026-03-31 10:00", tz=TZ)  # one month back is 28 February
    items = select_purge(applications, graduates, now, rejected_after_months=1)
    assert [i.key for i in items] == ["AN-0002"]


@pytest.mark.parametrize(
    ("row", "selected"),
    [
        # ID, Namn, E-post, Examensår, Inbjuden, Inbjudningsstatus
        (["AK-0001", "G", "g@example.org", 2025, "2025-05-01 10:00", "skickad"], True),
        (["AK-0001", "G", "g@example.org", 2025, "", "skickad"], True),
        (["AK-0001", "G", "g@example.org", 2025, "", " Skickad "], True),
        (["AK-0001", "G", "g@example.org", 2025, "2025-05-01 10:00", ""], True),
        (
            ["AK-0001", "G", "g@example.org", 2026, "2026-01-10 10:00", "skickad"],
            False,
        ),  # this year
        (["AK-0001", "G", "g@example.org", 2027, "", "skickad"], False),
        (["AK-0001", "G", "g@example.org", 2025, "", ""], False),  # never invited
        (["AK-0001", "G", "g@example.org", 2025, "2025-05-01 10:00", "misslyckad: 550"], False),
        (["AK-0001", "G", "g@example.org", 2025, "2025-05-01 10:00", "osäker"], False),
        (["AK-0001", "G", "g@example.org", "", "2025-05-01 10:00", "skickad"], False),  # no year
        (["", "G", "g@example.org", 2020, "2020-05-01 10:00", "skickad"], False),  # no ID
    ],
)
def test_graduates_once_their_invitation_year_is_over(row: list[Any], selected: bool) -> None:
    applications, graduates = frames(graduates=[row])
    items = select_purge(applications, graduates, NOW)
    assert [i.key for i in items] == (["AK-0001"] if selected else [])


def test_items_name_tab_key_person_and_reason_applications_first() -> None:
    applications, graduates = frames(
        applications=[
            ["2025-03-02 10:00", "AN-0007", "Åsa Öberg", "Avslå", "", ""],
            ["", "AN-0008", "Bo Ek", "Avslå", "2024-12-24 09:00", ""],
        ],
        graduates=[["AK-0003", "Cecilia", "c@example.org", 2025, "", "skickad"]],
    )
    assert select_purge(applications, graduates, NOW) == [
        PurgeItem(
            "Ansökningar",
            "AN-0007",
            "Åsa Öberg",
            "rejected application from 2025-03-02, older than 12 months",
        ),
        PurgeItem(
            "Ansökningar",
            "AN-0008",
            "Bo Ek",
            "rejected application assessed 2024-12-24, older than 12 months",
        ),
        PurgeItem(
            "Avgångsklass",
            "AK-0003",
            "Cecilia",
            "graduated 2025 and invited; the invitation year is over",
        ),
    ]


def test_a_naive_now_is_compared_as_local_time() -> None:
    applications, graduates = frames(
        applications=[["2025-03-02 11:59", "AN-0001", "A", "Avslå", "", ""]]
    )
    assert select_purge(applications, graduates, pd.Timestamp("2026-03-02 12:00"))


def test_empty_tabs_select_nothing() -> None:
    assert select_purge(*frames(), NOW) == []


# --- unreadable is not "no", a missing column is not an empty one --------------------------------


def judged_frames(
    applications: Sequence[list[Any]] = (), graduates: Sequence[list[Any]] = ()
) -> list[PurgeItem]:
    """The purge as the job runs it: only on the rows whose every needed cell was read."""
    raw = {
        "Ansökningar": RawSheet("Ansökningar", [APP_HEADER, *applications]),
        "Avgångsklass": RawSheet("Avgångsklass", [GRAD_HEADER, *graduates]),
    }
    wb = load_workbook(raw, TZ)
    return select_purge(
        wb["Ansökningar"],
        wb["Avgångsklass"],
        NOW,
        judged_applications=wb.judge("Ansökningar", NEEDS["Ansökningar"], RULE).mask,
        judged_graduates=wb.judge("Avgångsklass", NEEDS["Avgångsklass"], RULE).mask,
    )


@pytest.mark.parametrize(
    ("application", "graduate"),
    [
        # An unreadable Tidstämpel is not "no Tidstämpel": the old Bedömd must not stand in.
        (["förra våren", "AN-0001", "A", "Avslå", "2024-01-01 08:00", ""], None),
        (["2024-01-01 08:00", "AN-0001", "A", "Avslå", "igår", ""], None),
        (["2024-01-01 08:00", "AN-0001", "A", "Godkänn", "", "Avslås?"], None),
        (None, ["AK-0001", "A", "a@b.se", "tjugofem", "2025-05-01 10:00", "skickad"]),
        (None, ["AK-0001", "A", "a@b.se", 2025, "i maj", ""]),
    ],
)
def test_a_row_with_a_cell_the_purge_cannot_read_is_kept(
    application: list[Any] | None, graduate: list[Any] | None
) -> None:
    items = judged_frames(
        applications=[application] if application else [],
        graduates=[graduate] if graduate else [],
    )
    assert items == []


def test_the_purge_declares_every_column_it_reads() -> None:
    assert NEEDS == {
        "Ansökningar": ("ID", "Namn", "Tidstämpel", "Bedömd", "Beslut", "Bedömning"),
        "Avgångsklass": ("ID", "Namn", "Examensår", "Inbjuden", "Inbjudningsstatus"),
    }


def _edit(path: Path, tab: str, key: str, values: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[tab]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if key in (r[0].value, r[1].value))
    for column, value in values.items():
        row[header.index(column)].value = value
    book.save(path)


def _rename(path: Path, tab: str, column: str) -> None:
    book = openpyxl.load_workbook(path)
    next(c for c in book[tab][1] if c.value == column).value = "Okänd rubrik"
    book.save(path)


def _keys(path: Path, tab: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[tab]
    column = 1 if tab == "Ansökningar" else 0
    return [r[column] for r in ws.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """The demo sheet with one old rejected request (AN-0010) and one graduate of 2025 whose
    invitation failed (AK-0010) and one whose invitation went out (AK-0011)."""
    demo_folder(tmp_path, monkeypatch)
    path = tmp_path / "alumni.xlsx"
    _edit(path, "Ansökningar", "AN-0010", {"Tidstämpel": "2025-01-10 12:00", "Beslut": "Avslå"})
    _edit(
        path,
        "Avgångsklass",
        "AK-0010",
        {"Inbjuden": "2025-06-01 09:00", "Inbjudningsstatus": "misslyckad: 550 no such user"},
    )
    _edit(
        path,
        "Avgångsklass",
        "AK-0011",
        {"Inbjuden": "2025-06-01 09:01", "Inbjudningsstatus": "skickad"},
    )
    capsys.readouterr()
    return path


def test_alumni_purge_on_a_readable_sheet(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = alumni(capsys, "purge", "--apply")
    assert code == 0, out
    assert "Ansökningar" in out and "AK-0011" in out and "AK-0010" not in out
    assert "AN-0010" not in _keys(demo, "Ansökningar")
    assert "AK-0011" not in _keys(demo, "Avgångsklass")


@pytest.mark.parametrize(
    ("tab", "key", "values", "cell", "what"),
    [
        # The time the request came in cannot be read: its old Bedömd must not stand in.
        (
            "Ansökningar",
            "AN-0010",
            {"Tidstämpel": "förra vintern", "Bedömd": "2025-01-11 08:00"},
            "Ansökningar!A11",
            "'förra vintern' is not a date/time",
        ),
        (
            "Avgångsklass",
            "AK-0011",
            {"Examensår": "tjugofem"},
            "Avgångsklass!D12",
            "'tjugofem' is not a year",
        ),
    ],
)
def test_alumni_purge_keeps_a_row_it_cannot_read_and_names_the_cell(
    demo: Path,
    capsys: pytest.CaptureFixture[str],
    tab: str,
    key: str,
    values: dict[str, Any],
    cell: str,
    what: str,
) -> None:
    _edit(demo, tab, key, values)
    code, out, _ = alumni(capsys, "purge", "--apply")
    assert code == 1
    assert f"  {cell}: the purge did not judge this row: {what}" in out
    assert "until then the row is left as it is" in out
    assert key in _keys(demo, tab)


@pytest.mark.parametrize(
    ("tab", "column", "kept"),
    [
        # Without Inbjudningsstatus a failed invitation's time would pass for a sent one.
        ("Avgångsklass", "Inbjudningsstatus", ["AK-0010", "AK-0011"]),
        ("Avgångsklass", "Examensår", ["AK-0010", "AK-0011"]),
        # Without Beslut the tool's Bedömning would stand in for the chair's decision.
        ("Ansökningar", "Beslut", ["AN-0010"]),
        ("Ansökningar", "Tidstämpel", ["AN-0010"]),
    ],
)
def test_alumni_purge_removes_nothing_from_a_tab_without_a_header_it_reads(
    demo: Path, capsys: pytest.CaptureFixture[str], tab: str, column: str, kept: list[str]
) -> None:
    _rename(demo, tab, column)
    if tab == "Ansökningar":
        _edit(demo, "Ansökningar", "AN-0010", {"Bedömning": "Avslå", "Bedömd": "2025-01-11"})
    else:
        _edit(demo, "Ansökningar", "AN-0010", {"Beslut": "Godkänn"})  # nothing to remove there
    before = _keys(demo, tab)
    code, out, _ = alumni(capsys, "purge", "--apply")
    assert code == 1
    assert f"the purge judged nothing on this tab: the header '{column}' is missing" in out
    assert _keys(demo, tab) == before
    assert set(kept) <= set(before)
