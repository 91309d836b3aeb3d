"""Specifies `alumni check`'s semantic checks: which sheets are problems, and what it says."""

from __future__ import annotations

import copy
import datetime as dt
import time
import unicodedata
from collections.abc import Iterable

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alumni.checks import check_workbook
from alumni.contract import TABS, tab
from alumni.findings import Finding
from alumni.sheet.workbook import Cell, RawSheet, RawWorkbook, Workbook, load_workbook

TZ = "Europe/Stockholm"
NOW = pd.Timestamp("2026-12-01 12:00", tz=TZ)

Edit = tuple[str, int, str, Cell]
"""(tab, 1-based sheet row, contract column, new value): one change to the clean workbook."""

# A small committee that is consistent in every way the checks look at. Rows are by column
# name so that each reads as a record; the header is the contract's, in the contract's order.
CLEAN: dict[str, list[dict[str, Cell]]] = {
    "Avgångsklass": [
        {"ID": "AK-0001", "Namn": "Anna Berg", "E-post": "anna@example.se", "Examensår": 2026,
         "Språk": "sv", "Inbjuden": "2026-05-02 10:00", "Inbjudningsstatus": "skickad"},
        {"ID": "AK-0002", "Namn": "Erik Lund", "E-post": "erik@example.se", "Examensår": 2026,
         "Språk": "en"},
    ],
    "Ansökningar": [
        {"Tidstämpel": "2026-11-20 10:00:33", "ID": "AN-0001", "Namn": "Karl Ek",
         "E-post": "karl@example.se", "LinkedIn": "https://www.linkedin.com/in/karlek",
         "Program": "Industriell ekonomi", "Lärosäte": "LTU", "Examensår": 2019,
         "Bedömning": "Godkänn", "Motivering": "Han har läst Industriell ekonomi vid LTU.",
         "Bedömd": "2026-11-20 11:00", "Beslut": "Godkänn", "Godkänd i LinkedIn": "2026-11-21"},
    ],
    "Alumner": [
        {"ID": "AL-0001", "Namn": "Lisa Holm", "E-post": "lisa@example.se", "Företag": "Volvo",
         "Befattning": "Inköpschef", "Examensår": 2012, "Språk": "sv"},
        {"ID": "AL-0002", "Namn": "Per Nord", "E-post": "per@example.se", "Företag": "LKAB",
         "Befattning": "Controller", "Examensår": 2018, "Språk": "en"},
    ],
    "Utskott": [
        {"Namn": "Åsa Öberg", "E-post": "asa@example.se", "Post": "Ordförande", "Aktiv": "Ja",
         "Utbildad": "2026-09-05", "Policy signerad": "2026-09-05", "Ort": "Luleå"},
        {"Namn": "Bo Ek", "E-post": "bo@example.se", "Post": "Näringslivsansvarig",
         "Aktiv": "Ja", "Utbildad": "2026-09-05", "Policy signerad": "2026-09-06", "Ort": "Luleå"},
    ],
    "Projektgrupper": [
        {"Projekt": "Mässan", "Medlem": "Åsa Öberg"},
        {"Projekt": "Mässan", "Medlem": "Bo Ek"},
    ],
    "Röster": [
        {"Tidstämpel": "2026-11-20 10:00", "Projekt": "Mässan", "Alumn": "Lisa Holm",
         "Röstande": "Åsa Öberg", "Röst": "Ja"},
        {"Tidstämpel": "2026-11-20 11:00", "Projekt": "Mässan", "Alumn": "AL-0002",
         "Röstande": "Bo Ek", "Röst": "Nej"},
    ],
    "Kontaktlogg": [
        {"ID": "KL-0001", "Projekt": "Mässan", "Alumn": "Lisa Holm", "Kontaktperson": "Åsa Öberg",
         "Kontaktad": "2026-11-21 09:00", "Alumnen svarade": "2026-11-22 10:00",
         "Vi svarade": "2026-11-22 15:00", "Svara senast": "2026-11-23 10:00",
         "Status": "Besvarad i tid"},
        {"ID": "KL-0002", "Projekt": "Mässan", "Alumn": "AL-0002", "Kontaktperson": "Bo Ek",
         "Kontaktad": "2026-11-24 09:00", "Alumnen svarade": "2026-11-25 10:00",
         "Vi svarade": "2026-11-26 12:00", "Svara senast": "2026-11-26 10:00",
         "Status": "Besvarad sent", "Försening (h)": 2.0, "Rapporterad": "2026-11-26 10:05"},
    ],
    "Överträdelser": [
        {"ID": "OV-0001", "Kontakt-ID": "KL-0002", "Datum": "2026-11-26 10:05",
         "Kontaktperson": "Bo Ek", "Alumn": "Per Nord", "Projekt": "Mässan",
         "Försening (h)": 2.0, "Förklaring": "Sjuk den dagen.", "Behandlad": "2026-11-28"},
    ],
    "Översikt": [],
}  # fmt: skip


def raw_workbook(edits: Iterable[Edit] = ()) -> RawWorkbook:
    """The clean workbook as a backend reads it, with `edits` applied (rows grow as needed)."""
    raw: RawWorkbook = {}
    for t in TABS:
        rows: list[list[Cell]] = [list(t.header)]
        rows += [[record.get(name) for name in t.header] for record in CLEAN[t.name]]
        raw[t.name] = RawSheet(t.name, rows)
    for name, row, column, value in edits:
        rows = raw[name].rows
        while len(rows) < row:
            rows.append([None] * len(tab(name).header))
        rows[row - 1][tab(name).header.index(column)] = value
    return raw


def read(raw: RawWorkbook) -> Workbook:
    return load_workbook(raw, TZ)


def problems(*edits: Edit) -> list[str]:
    return [str(f) for f in check_workbook(read(raw_workbook(edits)), NOW)]


def test_the_clean_workbook_has_no_findings() -> None:
    assert problems() == []


LONG = "x" * 10_000

CASES: list[tuple[str, list[Edit], list[str]]] = [
    # required cells
    (
        "a required text cell is empty",
        [("Alumner", 3, "Namn", "  ")],
        ["Alumner!B3: Namn is empty — fill it in or delete the row"],
    ),
    (
        "a required year is empty",
        [("Avgångsklass", 2, "Examensår", None)],
        ["Avgångsklass!D2: Examensår is empty — fill it in or delete the row"],
    ),
    (
        "a required e-mail is empty",
        [("Avgångsklass", 3, "E-post", "")],
        ["Avgångsklass!C3: E-post is empty — fill it in or delete the row"],
    ),
    (
        "a required vote is empty",
        [("Röster", 2, "Röst", "")],
        ["Röster!E2: Röst is empty — fill it in or delete the row"],
    ),
    (
        "an unreadable required cell is reported once, as unreadable",
        [("Avgångsklass", 2, "Examensår", "tjugo")],
        ["Avgångsklass!D2: 'tjugo' is not a year — write four digits, e.g. 2026"],
    ),
    ("an optional cell may be empty", [("Kontaktlogg", 2, "Kontaktperson", "")], []),
    # IDs
    (
        "a duplicate ID",
        [("Avgångsklass", 3, "ID", "AK-0001")],
        [
            "Avgångsklass!A3: the ID AK-0001 is also in row 2 — empty this ID cell; "
            "the tool gives the row a new one"
        ],
    ),
    (
        "every repeat of an ID names the first row",
        [
            ("Ansökningar", 3, "ID", "AN-0001"),
            ("Ansökningar", 3, "Namn", "Eva Sten"),
            ("Ansökningar", 4, "ID", "AN-0001"),
            ("Ansökningar", 4, "Namn", "Eva Sten"),
        ],
        [
            "Ansökningar!B3: the ID AN-0001 is also in row 2 — empty this ID cell; "
            "the tool gives the row a new one",
            "Ansökningar!B4: the ID AN-0001 is also in row 2 — empty this ID cell; "
            "the tool gives the row a new one",
        ],
    ),
    ("an ID of people's own form is fine", [("Kontaktlogg", 2, "ID", "lisa-mässan")], []),
    (
        "an ID of people's own form must be unique too",
        [("Kontaktlogg", 2, "ID", "lisa"), ("Kontaktlogg", 3, "ID", "lisa")],
        [
            "Kontaktlogg!A3: the ID lisa is also in row 2 — empty this ID cell; "
            "the tool gives the row a new one"
        ],
    ),
    (
        "rows without an ID are not duplicates",
        [("Avgångsklass", 2, "ID", ""), ("Avgångsklass", 3, "ID", "")],
        [],
    ),
    # graduates
    (
        "the same e-mail twice in one graduating class, in any case",
        [("Avgångsklass", 3, "E-post", "ANNA@example.se")],
        [
            "Avgångsklass!C3: 'ANNA@example.se' is also in row 2 for graduation year 2026 — "
            "delete the duplicate row, or correct the address"
        ],
    ),
    (
        "the same e-mail in different graduation years is fine",
        [("Avgångsklass", 3, "E-post", "anna@example.se"), ("Avgångsklass", 3, "Examensår", 2025)],
        [],
    ),
    # references to members
    (
        "a project group member who is not in Utskott, with a suggestion",
        [("Projektgrupper", 4, "Projekt", "Gala"), ("Projektgrupper", 4, "Medlem", "Bo Ekk")],
        ["Projektgrupper!B4: 'Bo Ekk' is not a member in Utskott — did you mean 'Bo Ek'?"],
    ),
    (
        "a voter who is not in Utskott, suggesting the name with its Swedish letters",
        [("Röster", 2, "Röstande", "Asa Oberg")],
        ["Röster!D2: 'Asa Oberg' is not a member in Utskott — did you mean 'Åsa Öberg'?"],
    ),
    (
        "a contact person who is not in Utskott, without anything close",
        [("Kontaktlogg", 2, "Kontaktperson", "Zlatan")],
        [
            "Kontaktlogg!D2: 'Zlatan' is not a member in Utskott — "
            "add them in Utskott or correct the name"
        ],
    ),
    ("names match ignoring case and spaces", [("Röster", 2, "Röstande", "  åsa ÖBERG ")], []),
    (
        "names match ignoring Unicode normalisation",
        [("Projektgrupper", 2, "Medlem", unicodedata.normalize("NFD", "Åsa Öberg"))],
        [],
    ),
    # references to alumni and projects
    (
        "an alumnus who is not in Alumner",
        [("Röster", 2, "Alumn", "Lisa Holmm")],
        [
            "Röster!C2: 'Lisa Holmm' is not an alumnus in Alumner (by name or ID) — "
            "did you mean 'Lisa Holm'?"
        ],
    ),
    (
        "an unknown alumnus ID is not 'corrected' to another alumnus's ID",
        [("Kontaktlogg", 3, "Alumn", "AL-0009")],
        [
            "Kontaktlogg!C3: 'AL-0009' is not an alumnus in Alumner (by name or ID) — "
            "add them in Alumner or correct the name"
        ],
    ),
    ("an alumnus ID matches in any case", [("Röster", 3, "Alumn", " al-0002")], []),
    (
        "an alumnus name that two alumni share",
        [("Alumner", 4, "ID", "AL-0003"), ("Alumner", 4, "Namn", "Lisa Holm")],
        [
            "Röster!C2: 'Lisa Holm' names several alumni in Alumner (rows 2, 4) — "
            "write the alumnus's ID instead of the name, e.g. AL-0001",
            "Kontaktlogg!C2: 'Lisa Holm' names several alumni in Alumner (rows 2, 4) — "
            "write the alumnus's ID instead of the name, e.g. AL-0001",
        ],
    ),
    (
        "a vote in a project that has no group",
        [("Röster", 2, "Projekt", "Mässa")],
        [
            "Röster!B2: 'Mässa' is not a project in Projektgrupper — did you mean 'Mässan'?",
        ],
    ),
    (
        "a vote by a member outside the project's group",
        [("Projektgrupper", 3, "Projekt", "Gala")],
        [
            "Röster!D3: 'Bo Ek' is not in the project group of 'Mässan' — "
            "add them in Projektgrupper or remove the vote"
        ],
    ),
    (
        "conflicting votes where one has no time",
        [
            ("Röster", 4, "Projekt", "Mässan"),
            ("Röster", 4, "Alumn", "Lisa Holm"),
            ("Röster", 4, "Röstande", "Åsa Öberg"),
            ("Röster", 4, "Röst", "nej"),
        ],
        [
            "Röster!A4: the vote by 'Åsa Öberg' on 'Lisa Holm' has no time and differs from "
            "the one in row 2 — fill in Tidstämpel or delete the wrong vote"
        ],
    ),
    (
        "the same vote twice, one without a time, is no conflict",
        [
            ("Röster", 4, "Projekt", "Mässan"),
            ("Röster", 4, "Alumn", "Lisa Holm"),
            ("Röster", 4, "Röstande", "Åsa Öberg"),
            ("Röster", 4, "Röst", "ja"),
        ],
        [],
    ),
    # times in the future
    (
        "a reply time in the future",
        [("Kontaktlogg", 2, "Vi svarade", "2027-01-05 10:00")],
        ["Kontaktlogg!G2: '2027-01-05 10:00' is in the future — correct the date"],
    ),
    (
        "a date in the future",
        [("Utskott", 3, "Utbildad", "2026-12-02")],
        ["Utskott!E3: '2026-12-02' is in the future — correct the date"],
    ),
    (
        "a form timestamp in the future",
        [("Ansökningar", 2, "Tidstämpel", "2026-12-01 12:06")],
        ["Ansökningar!A2: '2026-12-01 12:06' is in the future — correct the date"],
    ),
    (
        "up to five minutes ahead is a clock's drift",
        [("Röster", 2, "Tidstämpel", "01.12.2026 12:05")],
        [],
    ),
    (
        "the tool's own times are not checked",
        [("Kontaktlogg", 2, "Svara senast", "2030-01-01")],
        [],
    ),
    # the contact log's order of events
    (
        "a reply before the contact",
        [("Kontaktlogg", 2, "Alumnen svarade", "2026-11-21 08:00")],
        [
            "Kontaktlogg!F2: the reply is earlier than the contact (F2 before E2) — "
            "correct one of the times"
        ],
    ),
    (
        "our reply before the alumnus's",
        [("Kontaktlogg", 3, "Vi svarade", "2026-11-25 09:59")],
        [
            "Kontaktlogg!G3: our reply is earlier than the alumnus's reply (G3 before F3) — "
            "correct one of the times"
        ],
    ),
    (
        "our reply without the alumnus's",
        [("Kontaktlogg", 2, "Alumnen svarade", None)],
        [
            "Kontaktlogg!G2: our reply but no time for the alumnus's reply (F2 is empty) — "
            "fill in when the alumnus replied in F2"
        ],
    ),
    (
        "a reply without a contact",
        [("Kontaktlogg", 3, "Kontaktad", "")],
        [
            "Kontaktlogg!F3: a reply but no contact time (E3 is empty) — "
            "fill in when the alumnus was contacted in E3"
        ],
    ),
    (
        "an unreadable contact time is reported as unreadable only",
        [("Kontaktlogg", 3, "Kontaktad", "igår kväll")],
        [
            "Kontaktlogg!E3: 'igår kväll' is not a date/time (names a day relative to today) — "
            "write it as 2026-11-28 14:05"
        ],
    ),
    # the committee
    (
        "a member listed twice",
        # The new row's blank Aktiv makes it active, so it gets an address too.
        [("Utskott", 4, "Namn", " ÅSA ÖBERG"), ("Utskott", 4, "E-post", "asa.o@example.se")],
        [
            "Utskott!A4: 'ÅSA ÖBERG' is also in row 2 — "
            "keep one row per member, or tell them apart (e.g. a surname initial)"
        ],
    ),
    (
        "an active member without e-mail",
        [("Utskott", 3, "E-post", "")],
        [
            "Utskott!B3: 'Bo Ek' is active but has no e-mail — "
            "add their address; the tool cannot remind them without one"
        ],
    ),
    (
        "a blank Aktiv is active, as everywhere else, so the member needs an e-mail",
        [("Utskott", 3, "E-post", ""), ("Utskott", 3, "Aktiv", "")],
        [
            "Utskott!B3: 'Bo Ek' is active but has no e-mail — "
            "add their address; the tool cannot remind them without one"
        ],
    ),
    (
        "an inactive member needs no e-mail",
        [("Utskott", 3, "E-post", ""), ("Utskott", 3, "Aktiv", "nej")],
        [],
    ),
    # decisions and votes
    (
        "a decision that is neither Godkänn nor Avslå",
        [("Ansökningar", 2, "Beslut", "kanske")],
        ["Ansökningar!L2: 'kanske' is not a decision — write Godkänn or Avslå, or leave it empty"],
    ),
    ("a decision in any case, with spaces", [("Ansökningar", 2, "Beslut", " AVSLÅ ")], []),
    (
        "a decision in another Unicode normalisation",
        [("Ansökningar", 2, "Beslut", unicodedata.normalize("NFD", "Avslå"))],
        [],
    ),
    ("no decision yet", [("Ansökningar", 2, "Beslut", "")], []),
    (
        "a vote that is not yes or no",
        [("Röster", 2, "Röst", "kanske")],
        ["Röster!E2: 'kanske' is not yes or no — write Ja or Nej"],
    ),
    # graduation years
    (
        "a graduation year long ago",
        [("Alumner", 2, "Examensår", 1965)],
        ["Alumner!F2: '1965' is not a likely graduation year (1970–2032) — correct the year"],
    ),
    (
        "a graduation year too far ahead",
        [("Ansökningar", 2, "Examensår", "2033")],
        ["Ansökningar!H2: '2033' is not a likely graduation year (1970–2032) — correct the year"],
    ),
    ("a graduation year six years ahead", [("Avgångsklass", 2, "Examensår", 2032)], []),
    # formulas and overlong text
    (
        "a formula in a name",
        [("Ansökningar", 2, "Namn", '=HYPERLINK("https://x.se";"Karl")')],
        [
            'Ansökningar!C2: \'=HYPERLINK("https://x.se";"Karl")\' looks like a formula — '
            "type the name as plain text"
        ],
    ),
    (
        "a formula in another text cell people own",
        [("Utskott", 2, "Ort", "=G3")],
        ["Utskott!G2: '=G3' looks like a formula — type the value as plain text"],
    ),
    (
        "an overlong cell is one finding that does not echo it",
        [("Överträdelser", 2, "Förklaring", LONG)],
        [
            "Överträdelser!H2: 'xxxxxxxxxxxxxxxxxxxxxxxxxxx...' is 10,000 characters long — "
            "shorten it"
        ],
    ),
    (
        "an overlong name gets no other finding",
        [("Röster", 2, "Röstande", "=" + "b" * 1_500)],
        ["Röster!D2: '=bbbbbbbbbbbbbbbbbbbbbbbbbb...' is 1,501 characters long — shorten it"],
    ),
    (
        "a long value is quoted cut to 60 characters",
        [("Kontaktlogg", 2, "Kontaktperson", "B" * 100)],
        [
            f"Kontaktlogg!D2: '{'B' * 57}...' is not a member in Utskott — "
            "add them in Utskott or correct the name"
        ],
    ),
]


@pytest.mark.parametrize(("edits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_check_reports_its_cell_and_what_to_do(edits: list[Edit], expected: list[str]) -> None:
    assert problems(*edits) == expected


def test_findings_come_sorted_by_tab_then_row() -> None:
    found = problems(
        ("Kontaktlogg", 3, "Alumnen svarade", "2026-11-26 13:00"),  # after our reply
        ("Kontaktlogg", 2, "Kontaktperson", "Zlatan"),
        ("Avgångsklass", 3, "Namn", ""),
        ("Avgångsklass", 2, "Examensår", 1900),
    )
    assert [f.split(":")[0] for f in found] == [
        "Avgångsklass!D2",
        "Avgångsklass!B3",
        "Kontaktlogg!D2",
        "Kontaktlogg!G3",
    ]


def test_a_finding_names_the_row_by_its_id_and_the_column() -> None:
    wb = read(raw_workbook([("Kontaktlogg", 3, "Alumnen svarade", "2026-11-20 10:00")]))
    (finding,) = check_workbook(wb, NOW)
    assert finding == Finding(
        "Kontaktlogg",
        3,
        5,
        "the reply is earlier than the contact (F3 before E3)",
        "correct one of the times",
        "Alumnen svarade",
        "KL-0002",
    )


def test_an_english_tab_and_headers_are_named_as_the_sheet_names_them() -> None:
    raw = raw_workbook(
        [("Kontaktlogg", 2, "Alumnen svarade", "2026-11-21 08:00"), ("Kontaktlogg", 3, "Alumn", "")]
    )
    log = raw.pop("Kontaktlogg")
    t = tab("Kontaktlogg")
    # English headers, in another order: Alumnus is now column A and Contacted at column F
    order = [2, 1, 0, 3, 5, 4, *range(6, len(t.columns))]
    header = [t.columns[i].alias for i in order]
    raw["Contact log"] = RawSheet(
        "Contact log", [header, *([row[i] for i in order] for row in log.rows[1:])]
    )
    assert [str(f) for f in check_workbook(read(raw), NOW)] == [
        "Contact log!E2: the reply is earlier than the contact (E2 before F2) — "
        "correct one of the times",
        "Contact log!A3: Alumnus is empty — fill it in or delete the row",
    ]


def test_now_may_be_given_in_any_time_zone() -> None:
    wb = read(raw_workbook([("Röster", 2, "Tidstämpel", "2026-12-01 12:06")]))
    assert check_workbook(wb, NOW.tz_convert("UTC")) == check_workbook(wb, NOW)
    assert len(check_workbook(wb, NOW)) == 1


def test_findings_from_reading_are_kept() -> None:
    wb = read(raw_workbook([("Alumner", 2, "E-post", "lisa(at)example.se")]))
    assert wb.findings
    assert check_workbook(wb, NOW) == wb.findings


def test_a_check_whose_column_is_missing_is_skipped() -> None:
    raw = raw_workbook([("Kontaktlogg", 2, "Alumnen svarade", "2026-11-21 08:00")])
    # Without Kontaktad there is nothing to compare the reply with; reading reports the header.
    for row in raw["Kontaktlogg"].rows:
        row[tab("Kontaktlogg").header.index("Kontaktad")] = None
    wb = read(raw)
    assert [f.message for f in wb.findings] == ["the header 'Kontaktad' is missing"]
    assert check_workbook(wb, NOW) == wb.findings


def test_a_missing_tab_skips_the_checks_that_need_it() -> None:
    raw = raw_workbook()
    del raw["Utskott"]
    wb = read(raw)
    assert check_workbook(wb, NOW) == wb.findings
    assert [f.message for f in wb.findings] == ["the tab 'Utskott' is missing"]


def test_checking_changes_nothing() -> None:
    wb = read(raw_workbook([("Röster", 2, "Röstande", "Asa Oberg")]))
    frames = {name: sheet.frame.copy() for name, sheet in wb.sheets.items()}
    findings = copy.copy(wb.findings)
    first = check_workbook(wb, NOW)
    assert check_workbook(wb, NOW) == first
    assert wb.findings == findings
    for name, sheet in wb.sheets.items():
        pd.testing.assert_frame_equal(sheet.frame, frames[name])


def test_a_large_contact_log_checks_in_well_under_a_second() -> None:
    t = tab("Kontaktlogg")
    rows: list[list[Cell]] = [list(t.header)]
    for i in range(20_000):
        day = 1 + i % 28
        # one row in a hundred has each kind of problem, so that findings get built too
        record: dict[str, Cell] = {
            "ID": f"KL-{i + 1:05d}",
            "Projekt": "Mässan",
            "Alumn": {1: "AL-0002", 2: "Lisa Holmm"}.get(i % 100, "Lisa Holm"),
            "Kontaktperson": "Bosse" if i % 100 == 3 else "Bo Ek",
            "Kontaktad": f"2026-10-{day:02d} 09:00",
            "Alumnen svarade": f"2026-10-{day:02d} {'08' if i % 100 == 4 else '10'}:00",
            "Vi svarade": "2027-01-01" if i % 100 == 5 else f"2026-10-{day:02d} 12:00",
        }
        rows.append([record.get(name) for name in t.header])
    raw = raw_workbook()
    raw["Kontaktlogg"] = RawSheet("Kontaktlogg", rows)
    wb = read(raw)
    start = time.perf_counter()
    found = check_workbook(wb, NOW)
    elapsed = time.perf_counter() - start
    assert len(found) == 4 * 200
    assert elapsed < 0.5


CELL = st.one_of(
    st.none(),
    st.text(max_size=12),
    # values that get past reading, so that the semantic checks have something to chew on
    st.sampled_from(
        ["", " ", "=A1", "Ja", "nej", "2026-11-28 14:05", "2031-01-01", "AL-0001", "Bo Ek",
         "Mässan", "Godkänn", "a@b.se", "A@B.SE", "1969", "2026", LONG]
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1850, 1, 1), max_value=dt.datetime(2300, 1, 1)),
)  # fmt: skip


@st.composite
def arbitrary_workbooks(draw: st.DrawFn) -> RawWorkbook:
    """Every contract tab, with the contract's header or part of it, and arbitrary cells."""
    raw: RawWorkbook = {}
    for t in TABS:
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing tab
        header: list[Cell] = [c.name if draw(st.integers(0, 9)) else draw(CELL) for c in t.columns]
        width = len(header)
        rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 1), max_size=5))
        raw[t.name] = RawSheet(t.name, [header, *rows])
    return raw


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arbitrary_workbooks())
def test_checking_never_raises(raw: RawWorkbook) -> None:
    findings = check_workbook(read(raw), NOW)
    assert all(isinstance(f, Finding) for f in findings)
