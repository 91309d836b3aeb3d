"""Which rows hold personal data the committee no longer needs: table-driven at the boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest

from alumni.rules.purge import PurgeItem, select_purge
from alumni.sheet.workbook import RawSheet, load_workbook

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
        (["2025-03-02 11:59", "AN-1", "A", "Avslå", "", ""], True),
        (["2025-03-02 12:00", "AN-1", "A", "Avslå", "", ""], False),  # exactly 12 months
        (["2025-03-02 12:01", "AN-1", "A", "Avslå", "", ""], False),
        (["2024-01-01 08:00", "AN-1", "A", "Godkänn", "", "Avslå"], True),
        (["2024-01-01 08:00", "AN-1", "A", "Avslå", "", "Godkänn"], False),  # chair overrides
        (["2024-01-01 08:00", "AN-1", "A", "Granska", "", " avslå "], True),
        (["2024-01-01 08:00", "AN-1", "A", "Granska", "", ""], False),
        (["2024-01-01 08:00", "AN-1", "A", "Godkänn", "", ""], False),
        (["2024-01-01 08:00", "AN-1", "A", "", "", ""], False),
        (["", "AN-1", "A", "Avslå", "2025-03-02 11:59", ""], True),  # Bedömd stands in
        (["", "AN-1", "A", "Avslå", "2025-03-02 12:00", ""], False),
        (["2025-06-01 08:00", "AN-1", "A", "Avslå", "2024-01-01 08:00", ""], False),
        (["", "AN-1", "A", "Avslå", "", ""], False),  # no time at all: age unknown
        (["2024-01-01 08:00", "", "A", "Avslå", "", "Avslå"], False),  # no ID
    ],
)
def test_rejected_applications_older_than_the_limit(row: list[Any], selected: bool) -> None:
    applications, graduates = frames(applications=[row])
    items = select_purge(applications, graduates, NOW)
    assert [i.key for i in items] == (["AN-1"] if selected else [])


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
    applications, graduates = frames(applications=[[stamp, "AN-1", "A", "Avslå", "", ""]])
    items = select_purge(applications, graduates, NOW, rejected_after_months=months)
    assert bool(items) is selected


def test_a_month_is_a_calendar_month_even_at_a_month_end() -> None:
    applications, graduates = frames(
        applications=[
            ["2026-02-28 10:00", "AN-1", "A", "Avslå", "", ""],
            ["2026-02-28 09:59", "AN-2", "B", "Avslå", "", ""],
        ]
    )
    now = pd.Timestamp("2026-03-31 10:00", tz=TZ)  # one month back is 28 February
    items = select_purge(applications, graduates, now, rejected_after_months=1)
    assert [i.key for i in items] == ["AN-2"]


@pytest.mark.parametrize(
    ("row", "selected"),
    [
        # ID, Namn, E-post, Examensår, Inbjuden, Inbjudningsstatus
        (["AK-1", "G", "g@example.org", 2025, "2025-05-01 10:00", "skickad"], True),
        (["AK-1", "G", "g@example.org", 2025, "", "skickad"], True),
        (["AK-1", "G", "g@example.org", 2025, "", " Skickad "], True),
        (["AK-1", "G", "g@example.org", 2025, "2025-05-01 10:00", ""], True),
        (["AK-1", "G", "g@example.org", 2026, "2026-01-10 10:00", "skickad"], False),  # this year
        (["AK-1", "G", "g@example.org", 2027, "", "skickad"], False),
        (["AK-1", "G", "g@example.org", 2025, "", ""], False),  # never invited
        (["AK-1", "G", "g@example.org", 2025, "2025-05-01 10:00", "misslyckad: 550"], False),
        (["AK-1", "G", "g@example.org", 2025, "2025-05-01 10:00", "osäker"], False),
        (["AK-1", "G", "g@example.org", "", "2025-05-01 10:00", "skickad"], False),  # no year
        (["", "G", "g@example.org", 2020, "2020-05-01 10:00", "skickad"], False),  # no ID
    ],
)
def test_graduates_once_their_invitation_year_is_over(row: list[Any], selected: bool) -> None:
    applications, graduates = frames(graduates=[row])
    items = select_purge(applications, graduates, NOW)
    assert [i.key for i in items] == (["AK-1"] if selected else [])


def test_items_name_tab_key_person_and_reason_applications_first() -> None:
    applications, graduates = frames(
        applications=[
            ["2025-03-02 10:00", "AN-7", "Åsa Öberg", "Avslå", "", ""],
            ["", "AN-8", "Bo Ek", "Avslå", "2024-12-24 09:00", ""],
        ],
        graduates=[["AK-3", "Cecilia", "c@example.org", 2025, "", "skickad"]],
    )
    assert select_purge(applications, graduates, NOW) == [
        PurgeItem(
            "Ansökningar",
            "AN-7",
            "Åsa Öberg",
            "rejected application from 2025-03-02, older than 12 months",
        ),
        PurgeItem(
            "Ansökningar",
            "AN-8",
            "Bo Ek",
            "rejected application assessed 2024-12-24, older than 12 months",
        ),
        PurgeItem(
            "Avgångsklass",
            "AK-3",
            "Cecilia",
            "graduated 2025 and invited; the invitation year is over",
        ),
    ]


def test_a_naive_now_is_compared_as_local_time() -> None:
    applications, graduates = frames(
        applications=[["2025-03-02 11:59", "AN-1", "A", "Avslå", "", ""]]
    )
    assert select_purge(applications, graduates, pd.Timestamp("2026-03-02 12:00"))


def test_empty_tabs_select_nothing() -> None:
    assert select_purge(*frames(), NOW) == []
