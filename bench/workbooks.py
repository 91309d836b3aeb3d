"""Builds big, realistic sheets for the benchmarks: the demo's shape, scaled to many rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alumni.contract import TABS

BASE = datetime(2026, 11, 28, 14, 5)


def big_tabs(
    graduates: int, applications: int, contacts: int, others: int = 10
) -> dict[str, list[list[Any]]]:
    """Every contract tab with a header and the given number of data rows (rows of plain values)."""
    members = [f"Medlem {i}" for i in range(max(others, 4))]
    alumni = [f"Alumn {i}" for i in range(max(others, 4))]
    tabs: dict[str, list[list[Any]]] = {t.name: [t.header] for t in TABS}
    for i in range(graduates):
        tabs["Avgångsklass"].append(
            [f"AK-{i + 1:04d}", f"Student Nummer{i}", f"s{i}@example.org", 2026, "sv", None, None]
        )
    for i in range(applications):
        when = (BASE - timedelta(minutes=7 * i)).strftime("%Y-%m-%d %H:%M")
        tabs["Ansökningar"].append(
            [
                when,
                f"AN-{i + 1:04d}",
                f"Sökande {i}",
                f"a{i}@example.org",
                f"https://www.linkedin.com/in/a{i}",
                "Industriell ekonomi",
                "LTU",
                2026,
            ]
        )
    for i, name in enumerate(alumni):
        tabs["Alumner"].append(
            [f"AL-{i + 1:04d}", name, f"al{i}@example.org", "LKAB", "Ingenjör", 2015]
        )
    for name in members:
        tabs["Utskott"].append(
            [
                name,
                f"{name.replace(' ', '.').lower()}@example.org",
                "Ledamot",
                "Ja",
                "2026-09-11",
                "2026-09-04",
                "Luleå",
            ]
        )
    for name in members:
        tabs["Projektgrupper"].append(["Branschdag", name])
    for i in range(others):
        tabs["Röster"].append(
            [
                "2026-11-20 18:00",
                "Branschdag",
                alumni[i % len(alumni)],
                members[i % len(members)],
                "Ja",
            ]
        )
    for i in range(contacts):
        contacted = BASE - timedelta(hours=200 + i % 500)
        replied = contacted + timedelta(hours=20)
        answered = replied + timedelta(hours=(i % 40)) if i % 3 else None
        fmt = "%Y-%m-%d %H:%M"
        tabs["Kontaktlogg"].append(
            [
                f"KL-{i + 1:04d}",
                "Branschdag",
                alumni[i % len(alumni)],
                members[i % len(members)],
                contacted.strftime(fmt),
                replied.strftime(fmt),
                answered.strftime(fmt) if answered else None,
            ]
        )
    for i in range(others):
        tabs["Överträdelser"].append(
            [
                f"OV-{i + 1:04d}",
                f"KL-{i + 1:04d}",
                "2026-11-01 10:00",
                members[0],
                alumni[0],
                "Branschdag",
                6.5,
                "Förklarat",
                "2026-11-05",
            ]
        )
    return tabs
