"""`alumni applicants` (§3.1): assessments written without churn, the chair's word kept, a checklist."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from alumni.findings import Finding
from alumni.jobs.applicants import Checklist
from alumni.rules.eligibility import NEEDS, RULE
from tests.helpers import NOW, alumni, demo_folder


@pytest.fixture
def folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    demo_folder(tmp_path, monkeypatch)
    capsys.readouterr()
    return tmp_path


def applications(folder: Path) -> dict[str, dict[str, Any]]:
    ws = load_workbook(folder / "alumni.xlsx")["Ansökningar"]
    rows = list(ws.iter_rows(values_only=True))
    return {r[1]: dict(zip(rows[0], r, strict=False)) for r in rows[1:]}


def test_the_checklist_and_the_assessments_in_the_sheet(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = alumni(capsys, "applicants")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "  Assessed: Avslå 2, Godkänn 4, Granska 3; decided by the chair: 1"
    assert "  Approve now in LinkedIn (4):" in lines
    assert "    Oliver Åberg (AN-0007): Dubblett av AN-0002 (Oliver Åberg)." in lines
    sheet = applications(folder)
    assert (sheet["AN-0002"]["Bedömning"], sheet["AN-0002"]["Bedömd"]) == ("Godkänn", NOW)
    assert sheet["AN-0005"]["Bedömning"] == "Avslå"
    assert "Maskinteknik" in sheet["AN-0005"]["Motivering"]
    assert sheet["AN-0001"]["Bedömning"] is None  # the chair decided: never assessed, never written


def test_a_second_run_changes_nothing_and_keeps_the_assessment_time(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alumni(capsys, "applicants")
    before = applications(folder)
    assert run(["--now", "2026-11-29 09:00", "--for-real", "applicants"]) == 0
    assert applications(folder) == before


def test_a_changed_roster_changes_the_assessment_and_its_time(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alumni(capsys, "applicants")
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Ansökningar"]
    for row in ws.iter_rows(min_row=2):
        if row[1].value == "AN-0010":
            row[5].value = "Maskinteknik"  # Program: now clearly another programme
    book.save(folder / "alumni.xlsx")
    assert run(["--now", "2026-11-29 09:00", "--for-real", "applicants"]) == 0
    changed = applications(folder)["AN-0010"]
    assert (changed["Bedömning"], changed["Bedömd"]) == ("Avslå", "2026-11-29 09:00")


def test_the_chairs_decision_wins_and_is_never_written(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    for row in book["Ansökningar"].iter_rows(min_row=2):
        if row[1].value == "AN-0010":
            row[11].value = "Godkänn"  # Beslut
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "applicants")
    assert code == 0
    assert "Sara Wikström (AN-0010)" in out.split("Look at by hand")[0]  # approve now
    sheet = applications(folder)["AN-0010"]
    assert sheet["Beslut"] == "Godkänn" and sheet["Bedömning"] is None


def test_the_daily_summary_carries_the_checklist(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--now", NOW, "--for-real", "daily", "--send"]) == 0
    messages = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        for f in (folder / "outbox").glob("*.eml")
    ]
    summary = next(m for m in messages if "sammanfattning" in str(m["Subject"]))
    text = summary.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Ansökningar till LinkedIn-gruppen:" in text
    assert "- Godkänn nu: Oliver Åberg (https://www.linkedin.com/in/oliver-aberg-exempel)" in text


def test_the_checklist_exact_output(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = alumni(capsys, "applicants")
    assert (code, err) == (0, "")
    assert out == (
        f"Applications 2026-11-28 14:05 on {folder / 'alumni.xlsx'}\n"
        "  Assessed: Avslå 2, Godkänn 4, Granska 3; decided by the chair: 1\n"
        "  Approve now in LinkedIn (4):\n"
        "    Oliver Åberg (AN-0002) https://www.linkedin.com/in/oliver-aberg-exempel\n"
        "    Maja Fält (AN-0003) https://www.linkedin.com/in/maja-falt-exempel\n"
        "    Isak Höglund (AN-0004) https://www.linkedin.com/in/isak-hoglund-exempel\n"
        "    Lukas Schneider (AN-0009) https://www.linkedin.com/in/lukas-schneider-exempel\n"
        "  Look at by hand (3):\n"
        "    Oliver Åberg (AN-0007): Dubblett av AN-0002 (Oliver Åberg).\n"
        "    Klara Nordén (AN-0008): Trolig match: Klara Nordén, Avgångsklass 2026; "
        "kontrollera examensår.\n"
        "    Sara Wikström (AN-0010): Uppger Industriell ekonomi vid LTU men finns inte i "
        "Avgångsklass.\n"
        "  Approved but still not in LinkedIn (3):\n"
        "    Oliver Åberg (AN-0002), 12 days\n"
        "    Maja Fält (AN-0003), 9 days\n"
        "    Isak Höglund (AN-0004), 9 days\n"
    )


@pytest.mark.parametrize("written", ["GODKÄNN", " godkänn ", "Godkänn"])
def test_the_chairs_decision_is_read_whatever_its_case_and_spaces(
    folder: Path, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    for row in book["Ansökningar"].iter_rows(min_row=2):
        if row[1].value == "AN-0010":
            row[11].value = written  # Beslut
    book.save(folder / "alumni.xlsx")
    out = alumni(capsys, "applicants")[1]
    approve_now = out.split("Look at by hand")[0]
    assert "    Sara Wikström (AN-0010) https://www.linkedin.com/in/sara-wikstrom-exempel" in (
        approve_now.splitlines()
    )


def set_cell(folder: Path, tab: str, row_id: str, header: str, value: object) -> None:
    """Type `value` into the row whose ID is `row_id`, under `header`, as a person would."""
    path = folder / "alumni.xlsx"
    book = load_workbook(path)
    ws = book[tab]
    heads = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[heads.index("ID")].value == row_id:
            row[heads.index(header)].value = value
    book.save(path)


def tab_values(folder: Path, tab: str) -> list[tuple[object, ...]]:
    return list(load_workbook(folder / "alumni.xlsx")[tab].iter_rows(values_only=True))


def test_an_address_typed_in_someone_elses_name_is_looked_at_by_hand(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # AN-0009 keeps Lukas Schneider's address, but the name is another person's.
    set_cell(folder, "Ansökningar", "AN-0009", "Namn", "Erik Svensson")
    code, out, _ = alumni(capsys, "applicants")
    assert code == 0
    reason = "E-postadressen hör till Lukas Schneider i Avgångsklass 2026, men namnet är ett annat."
    assert f"    Erik Svensson (AN-0009): {reason}" in out.split("Look at by hand")[1].splitlines()
    assert (
        applications(folder)["AN-0009"]["Bedömning"],
        applications(folder)["AN-0009"]["Motivering"],
    ) == ("Granska", reason)


# An unreadable cell in each column the check reads by kind: (header, what was typed).
UNREADABLE = {
    "Examensår": "tjugo",
    "E-post": "oliver.aberg(at)student",
    "Tidstämpel": "igår kväll",
    "Beslut": "Kanske",
    "Godkänd i LinkedIn": "snart",
}


@pytest.mark.parametrize("header", UNREADABLE)
def test_a_request_with_an_unreadable_cell_is_not_judged_and_is_named(
    folder: Path, capsys: pytest.CaptureFixture[str], header: str
) -> None:
    set_cell(folder, "Ansökningar", "AN-0002", header, UNREADABLE[header])
    code, out, _ = alumni(capsys, "applicants")
    assert code == 1
    sheet = applications(folder)["AN-0002"]
    assert (sheet["Bedömning"], sheet["Motivering"], sheet["Bedömd"]) == (None, None, None)
    listed = [line for line in out.splitlines() if "(AN-0002)" in line]
    assert listed == []  # neither to approve nor to look at by hand
    problems = out.split("  Not judged, fix the sheet first (1):\n")[1].splitlines()
    assert len(problems) == 1
    assert problems[0].startswith("    Ansökningar!")
    assert f"the application check did not judge this row: '{UNREADABLE[header]}'" in problems[0]
    assert problems[0].endswith("until then the row is left as it is")
    # The other requests are judged as usual.
    assert applications(folder)["AN-0003"]["Bedömning"] == "Godkänn"


def test_the_exact_output_when_a_request_is_not_judged(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cell(folder, "Ansökningar", "AN-0002", "Examensår", "tjugo")
    code, out, err = alumni(capsys, "applicants")
    assert (code, err) == (1, "")
    assert out == (
        f"Applications 2026-11-28 14:05 on {folder / 'alumni.xlsx'}\n"
        "  Assessed: Avslå 2, Godkänn 3, Granska 3; decided by the chair: 1\n"
        "  Approve now in LinkedIn (3):\n"
        "    Maja Fält (AN-0003) https://www.linkedin.com/in/maja-falt-exempel\n"
        "    Isak Höglund (AN-0004) https://www.linkedin.com/in/isak-hoglund-exempel\n"
        "    Lukas Schneider (AN-0009) https://www.linkedin.com/in/lukas-schneider-exempel\n"
        "  Look at by hand (3):\n"
        "    Oliver Åberg (AN-0007): Dubblett av AN-0002 (Oliver Åberg).\n"
        "    Klara Nordén (AN-0008): Trolig match: Klara Nordén, Avgångsklass 2026; "
        "kontrollera examensår.\n"
        "    Sara Wikström (AN-0010): Uppger Industriell ekonomi vid LTU men finns inte i "
        "Avgångsklass.\n"
        "  Approved but still not in LinkedIn (2):\n"
        "    Maja Fält (AN-0003), 9 days\n"
        "    Isak Höglund (AN-0004), 9 days\n"
        "  Not judged, fix the sheet first (1):\n"
        "    Ansökningar!H3: the application check did not judge this row: 'tjugo' is not a "
        "year — write four digits, e.g. 2026; until then the row is left as it is\n"
    )


NEEDED = [(tab, column) for tab, columns in NEEDS.items() for column in columns]


@pytest.mark.parametrize(("tab", "column"), NEEDED)
def test_without_a_header_the_check_judges_nothing_and_says_so(
    folder: Path, capsys: pytest.CaptureFixture[str], tab: str, column: str
) -> None:
    # Without Avgångsklass's E-post the old check read every address as "not on the roster".
    path = folder / "alumni.xlsx"
    book = load_workbook(path)
    next(c for c in book[tab][1] if c.value == column).value = "x"
    book.save(path)
    before = tab_values(folder, "Ansökningar")
    code, out, _ = alumni(capsys, "applicants")
    assert code == 1
    heading, problem = out.splitlines()[1:]
    assert heading == "  No request was assessed:"
    assert problem.startswith(f"    {tab}!")
    assert f": {RULE} judged nothing on this tab: the header '{column}' is missing — " in problem
    assert tab_values(folder, "Ansökningar") == before


def test_a_doubled_header_stops_the_check_too(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder / "alumni.xlsx"
    book = load_workbook(path)
    ws = book["Avgångsklass"]
    ws.cell(row=1, column=ws.max_column + 1, value="E-post")
    book.save(path)
    before = tab_values(folder, "Ansökningar")
    code, out, _ = alumni(capsys, "applicants")
    assert code == 1
    assert f"{RULE} judged nothing on this tab: the header 'E-post' appears twice" in out
    assert "Approve now" not in out
    assert tab_values(folder, "Ansökningar") == before


def test_the_daily_summary_lines_say_what_was_not_judged() -> None:
    problem = Finding("Ansökningar", 3, 7, "the application check did not judge this row")
    assert Checklist(problems=[problem, problem]).lines() == [
        "Inte bedömda förrän arket är rättat: 2 (se problemen)"
    ]
    assert Checklist(problems=[problem], blocked=True).lines() == [
        "Inga ansökningar bedömdes: en rubrik som bedömningen läser saknas eller finns två gånger"
        " (se problemen)."
    ]
