"""The write planner: whatever people did to the rows meanwhile, each value lands in its own row."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alumni.sheet.changes import ChangeSet
from alumni.sheet.plan import Plan, plan_changes
from alumni.sheet.workbook import RawSheet

HEADER = ["ID", "Namn", "E-post", "Examensår", "Språk", "Inbjuden", "Inbjudningsstatus"]
STATUS = HEADER.index("Inbjudningsstatus")


def apply_plan(rows: list[list[Any]], plan: Plan, title: str = "Avgångsklass") -> list[list[Any]]:
    out = [list(r) for r in rows]
    for w in plan.writes:
        assert w.title == title
        while len(out) <= w.row:
            out.append([])
        out[w.row].extend([None] * (w.col + 1 - len(out[w.row])))
        out[w.row][w.col] = w.value
    for row in plan.appends.get(title, []):
        out.append(list(row))
    return out


@st.composite
def sheets_and_edits(draw: st.DrawFn) -> tuple[list[list[Any]], list[list[Any]], dict[str, str]]:
    n = draw(st.integers(min_value=1, max_value=12))
    rows = [[f"AK-{i:04d}", f"Person {i}", f"p{i}@example.org", 2026] for i in range(n)]
    targets = draw(st.lists(st.sampled_from([r[0] for r in rows]), unique=True))
    values = {key: f"status of {key}" for key in targets}
    # What people did between the read and the write:
    fresh = [list(r) for r in rows]
    fresh = draw(st.permutations(fresh))
    keep = draw(st.lists(st.booleans(), min_size=len(fresh), max_size=len(fresh)))
    fresh = [r for r, k in zip(fresh, keep, strict=True) if k]
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(fresh)))
        fresh.insert(at, ["", f"New {at}", "n@example.org", 2026])
    if draw(st.booleans()):
        fresh.insert(draw(st.integers(0, len(fresh))), [None, None])  # a blank row
    return [HEADER, *rows], [HEADER, *fresh], values


@settings(max_examples=200, deadline=None)
@given(sheets_and_edits())
def test_values_land_in_the_row_with_their_id_whatever_people_did(
    case: tuple[list[list[Any]], list[list[Any]], dict[str, str]],
) -> None:
    _, fresh, values = case
    changes = ChangeSet()
    for key, value in values.items():
        changes.set("Avgångsklass", key, "Inbjudningsstatus", value)
    plan = plan_changes(changes, {"Avgångsklass": RawSheet("Avgångsklass", fresh)})
    after = apply_plan(fresh, plan)
    present = {r[0] for r in fresh[1:] if r and r[0]}
    for before_row, after_row in zip(fresh, after, strict=False):
        # Nothing but the status column changes, and only in rows that were asked for.
        key = before_row[0] if before_row else None
        changed = [
            c
            for c in range(max(len(before_row), len(after_row)))
            if (before_row[c] if c < len(before_row) else None)
            != (after_row[c] if c < len(after_row) else None)
        ]
        if key in values:
            assert after_row[STATUS] == values[key]
            assert changed == [STATUS]
        else:
            assert changed == []
    skipped = {f.key for f in plan.skipped}
    assert skipped == set(values) - present


def test_a_fill_column_keeps_what_a_person_typed() -> None:
    header = ["ID", "Projekt", "Alumn", "Kontaktperson"]
    fresh = {
        "Kontaktlogg": RawSheet(
            "Kontaktlogg", [header, ["KL-1", "P", "A", "Märta Ek"], ["KL-2", "P", "B"]]
        )
    }
    changes = ChangeSet()
    changes.set("Kontaktlogg", "KL-1", "Kontaktperson", "Björn Ångström")
    changes.set("Kontaktlogg", "KL-2", "Kontaktperson", "Björn Ångström")
    plan = plan_changes(changes, fresh)
    assert [(w.row, w.col, w.value) for w in plan.writes] == [(2, 3, "Björn Ångström")]


REPLY_HEADER = ["ID", "Projekt", "Alumn", "Kontaktperson", "Kontaktad", "Alumnen svarade"]


@pytest.mark.parametrize(
    ("case", "held_at_write", "over", "written"),
    [
        ("an empty cell is filled", None, None, True),
        (
            "a cell still holding the tool's own value is corrected",
            "2026-12-01 10:00",
            "2026-12-01 10:00",
            True,
        ),
        ("a time a person typed since the read is kept", "2026-12-01 11:30", None, False),
        (
            "a person's change of the tool's value is kept",
            "2026-12-01 11:30",
            "2026-12-01 10:00",
            False,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_cell_people_own_is_filled_only_while_it_holds_what_the_run_saw(
    case: str, held_at_write: str | None, over: str | None, written: bool
) -> None:
    fresh = {
        "Kontaktlogg": RawSheet(
            "Kontaktlogg",
            [REPLY_HEADER, ["KL-0001", "P", "A", "Märta", "2026-12-01 08:00", held_at_write]],
        )
    }
    changes = ChangeSet()
    changes.fill("Kontaktlogg", "KL-0001", "Alumnen svarade", "2026-12-01 09:12", over=over)
    plan = plan_changes(changes, fresh)
    assert [(w.row, w.col, w.value) for w in plan.writes] == (
        [(1, 5, "2026-12-01 09:12")] if written else []
    )
    if not written:
        (skipped,) = plan.skipped
        assert (skipped.key, skipped.column, skipped.cell) == ("KL-0001", "Alumnen svarade", "F2")
        assert "was typed by a person after the run read the sheet" in skipped.message


def test_a_cell_people_own_is_never_set_outright() -> None:
    with pytest.raises(ValueError, match="belongs to the committee"):
        ChangeSet().set("Kontaktlogg", "KL-0001", "Alumnen svarade", "2026-12-01 09:12")


def test_a_missing_tab_is_reported_and_nothing_is_planned() -> None:
    changes = ChangeSet()
    changes.set("Avgångsklass", "AK-1", "Inbjudningsstatus", "skickad")
    plan = plan_changes(changes, {})
    assert not plan
    assert [str(f) for f in plan.skipped] == [
        "Avgångsklass: the tab 'Avgångsklass' is missing: nothing was written in it"
        " — add it (`alumni init` adds missing tabs)"
    ]


def test_the_overview_is_created_with_its_header_when_missing() -> None:
    changes = ChangeSet()
    changes.set("Översikt", "Senaste dagliga körning", "Värde", "2026-11-28 07:00")
    plan = plan_changes(changes, {})
    assert plan.new_sheets == ["Översikt"]
    assert [(w.row, w.col, w.value) for w in plan.writes] == [(0, 0, "Nyckeltal"), (0, 1, "Värde")]
    assert plan.appends == {"Översikt": [["Senaste dagliga körning", "2026-11-28 07:00"]]}
