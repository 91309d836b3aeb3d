"""The daily run tells the truth: the chair's summary names the sheet's problems, and Översikt
shows the sheet as the run left it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW


def rows(folder: Path, title: str) -> list[dict[str, Any]]:
    ws = load_workbook(folder / "alumni.xlsx")[title]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=False)) for r in values[1:]]


def figures(folder: Path) -> dict[str, Any]:
    return {r["Nyckeltal"]: r["Värde"] for r in rows(folder, "Översikt")}


def summary_text(server: FakeSmtpServer) -> str:
    for sent in reversed(server.messages):
        if "sammanfattning" in str(sent.message["Subject"]):
            return str(sent.message.get_body(("plain",)).get_content())
    raise AssertionError("no summary was sent")


def check_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    run(["--now", NOW, "--for-real", "check"])
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if "!" in line.split(":")[0] or ": the tab" in line]


def test_overview_counts_what_this_run_wrote(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--now", NOW, "--for-real", "daily"]) == 0
    shown = figures(folder)
    breaches = rows(folder, "Överträdelser")
    log = rows(folder, "Kontaktlogg")
    # The breaches recorded by this very run are counted, and so are the rows it appended.
    assert shown["Överträdelser detta mandat"] == len(breaches)
    assert shown["Rader i Kontaktlogg"] == len(log)
    assert shown["Utvalda alumner (rader i Kontaktlogg)"] == len(log)
    assert shown["Öppna svar"] == sum(
        r["Status"] in ("Svar krävs", "Snart försenad", "Försenad") for r in log
    )
    capsys.readouterr()


def test_the_summary_begins_with_the_sheets_problems(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Utskott"]
    ws["E2"] = "i september"  # Utbildad: not a date
    book.save(folder / "alumni.xlsx")
    assert run(["--now", NOW, "--for-real", "daily", "--send"]) == 1
    text = summary_text(smtp_server)
    first = text.split("Svar som ska besvaras")[0]
    assert "Problem i arket: 1." in first
    assert "- Utskott!E2: 'i september' is not a date — write it as 2026-11-28" in first
    assert "Allt i arket gick att läsa" not in text
    capsys.readouterr()


def test_the_summary_says_all_is_readable_only_when_check_finds_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    assert check_lines(capsys) == []
    assert run(["--now", NOW, "--for-real", "daily", "--send"]) == 0
    assert "Problem i arket: 0. Allt i arket gick att läsa." in summary_text(smtp_server)
    capsys.readouterr()


def test_the_summary_lists_rows_the_deadline_rule_did_not_judge(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Kontaktlogg"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "KL-0004")
    row[header.index("Vi svarade")].value = "igår kväll"
    book.save(folder / "alumni.xlsx")
    assert run(["--now", NOW, "--for-real", "daily", "--send"]) == 1
    text = summary_text(smtp_server)
    assert "Inte bedömt av 24-timmarsregeln" in text
    assert "the 24-hour rule did not judge this row: 'igår kväll' is not a date/time" in text
    capsys.readouterr()
