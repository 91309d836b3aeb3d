"""What init sets to help people type: placed by the header, readable by the tool, said plainly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from alumni.contract import Decision, Status, read_decision, yes_no
from alumni.jobs.init import InitResult
from alumni.output.sheet import NEXT_STEPS, render_init
from alumni.sheet import store as stores
from alumni.sheet.helps import CHOICES, WIDEST, YES_NO, place_help
from alumni.sheet.workbook import load_workbook
from alumni.sheet.xlsx import XlsxStore

TZ = "Europe/Stockholm"


def test_a_dropdown_offers_only_words_the_tool_reads() -> None:
    offered = {(c.tab, c.column): c.values for c in CHOICES}
    assert [yes_no(v) for v in YES_NO] == [True, False]
    assert [read_decision(v) for v in offered[("Ansökningar", "Beslut")]] == list(Decision.CHAIR)
    assert offered[("Kontaktlogg", "Status")] == Status.ALL
    assert offered[("Ansökningar", "Bedömning")] == Decision.ASSESSMENTS


def test_help_is_placed_where_the_headers_are_whatever_their_order_or_language() -> None:
    headers = {"Committee": ["Note", "Active", "Name", "Trained"]}
    [committee] = place_help(headers, {})
    assert committee.title == "Committee"
    assert [(d.column, d.name, d.values) for d in committee.dropdowns] == [(1, "Aktiv", YES_NO)]
    assert [(f.column, f.name, f.pattern) for f in committee.formats] == [
        (3, "Utbildad", "yyyy-mm-dd")
    ]
    assert 0 not in committee.widths  # the person's own column is not the tool's to size


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ([], len("Namn") + 2),  # the header and room for a filter arrow
        (["Bo"], len("Namn") + 2),
        (["Maximiliana Fredriksdotter"], len("Maximiliana Fredriksdotter")),
        (["x" * 300], WIDEST),  # a pasted essay does not make a column a screen wide
    ],
)
def test_a_width_fits_the_widest_of_header_and_content(cells: list[str], expected: int) -> None:
    [alumni] = place_help({"Alumner": ["ID", "Namn"]}, {"Alumner": [["AL-1", c] for c in cells]})
    assert alumni.widths[1] == expected


def test_a_time_column_is_wide_enough_for_a_time_even_while_empty() -> None:
    [log] = place_help({"Kontaktlogg": ["ID", "Vi svarade"]}, {})
    assert log.widths[1] >= len("2026-11-30 16:02")


def test_in_a_formatted_column_the_tools_text_and_a_persons_real_date_both_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "alumni.xlsx"
    XlsxStore(path).initialize(None, force=False)
    book = openpyxl.load_workbook(path)
    ws = book["Kontaktlogg"]
    header = [c.value for c in ws[1]]
    replied = header.index("Vi svarade") + 1
    ws.append(["KL-0001", "P", "Alva", "Kim", "2026-11-30 09:00", "2026-11-30 10:00"])
    ws.cell(2, replied).value = "2026-11-30 16:02"  # as the tool writes: text
    ws.append(["KL-0002", "P", "Bert", "Kim", "2026-11-30 09:00", "2026-11-30 10:00"])
    ws.cell(3, replied).value = datetime(2026, 11, 30, 16, 2)  # as a person types: a date
    book.save(path)

    wb = load_workbook(XlsxStore(path).read(), TZ)

    times = wb["Kontaktlogg"]["Vi svarade"].tolist()
    assert times == [pd.Timestamp("2026-11-30 16:02", tz=TZ)] * 2
    assert not wb.sheets["Kontaktlogg"].unreadable.get("Vi svarade")


ALL_ADDED = [
    *(f"colour: Kontaktlogg!Status = {s}" for s in ("a", "b", "c")),
    *(f"colour: Ansökningar!Bedömning = {s}" for s in ("d", "e", "f")),
    "dropdown: Utskott!Aktiv",
    "dropdown: Röster!Röst",
    *(f"date format: Kontaktlogg!{c}" for c in ("A", "B", "C", "D", "E", "F")),
    *(f"frozen header: {t}" for t in ("Utskott", "Röster")),
    *(f"column widths: {t}" for t in ("Utskott", "Röster")),
]


@pytest.mark.parametrize(
    ("added", "lines"),
    [
        (
            ALL_ADDED,
            [
                "  Colours set: 6 rules (late red, due soon amber, answered late purple, "
                "assessments green/red/yellow)",
                "  Dropdowns set: Utskott!Aktiv, Röster!Röst",
                "  Date formats set: 6 columns",
                "  Header row frozen: Utskott, Röster",
                "  Column widths fitted: Utskott, Röster",
            ],
        ),
        (
            # An older sheet: only the late-answered colour and the date formats were missing.
            ["colour: Kontaktlogg!Status = Besvarad sent", "date format: Utskott!Utbildad"],
            [
                "  Colours set: Kontaktlogg!Status = Besvarad sent",
                "  Date formats set: Utskott!Utbildad",
            ],
        ),
        ([], []),
    ],
)
def test_render_init_says_what_formatting_was_added(added: list[str], lines: list[str]) -> None:
    result = stores.InitResult(created=False, tabs_added=["Röster"], formatting_added=added)
    assert render_init(InitResult("x.xlsx", result)).splitlines() == [
        "Updated x.xlsx; no existing cell was changed.",
        "  Tabs added: Röster",
        *lines,
        NEXT_STEPS,
    ]
