"""A cell or column the tool cannot read is never taken for "no": the row is not judged, and said so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW, alumni


def rows(folder: Path, title: str) -> list[dict[str, Any]]:
    ws = load_workbook(folder / "alumni.xlsx")[title]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=False)) for r in values[1:]]


def edit(folder: Path, title: str, key: str, column: str, value: object) -> str:
    """Type `value` into the cell of `column` in the row whose first cell is `key`; its A1."""
    book = load_workbook(folder / "alumni.xlsx")
    ws = book[title]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == key)
    cell = row[header.index(column)]
    cell.value = value
    book.save(folder / "alumni.xlsx")
    return str(cell.coordinate)


def rename_header(folder: Path, title: str, column: str, new: str) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    ws = book[title]
    next(c for c in ws[1] if c.value == column).value = new
    book.save(folder / "alumni.xlsx")


def breaches_for(folder: Path, contact_id: str) -> list[dict[str, Any]]:
    return [b for b in rows(folder, "Överträdelser") if b["Kontakt-ID"] == contact_id]


@pytest.mark.parametrize("typed", ["igår kväll", "?", "asap", "2026-11-28 25:00", "28/13/2026"])
def test_an_unreadable_answer_time_is_no_breach_no_notice_and_exit_1(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    typed: str,
) -> None:
    # KL-0004 is open and late in the demo: without an answer it is a breach.
    before = {r["ID"]: r for r in rows(folder, "Kontaktlogg")}["KL-0004"]
    cell = edit(folder, "Kontaktlogg", "KL-0004", "Vi svarade", typed)
    code, out, _ = alumni(capsys, "overdue", "--send")
    assert code == 1
    assert (
        f"Problem: Kontaktlogg!{cell}: the 24-hour rule did not judge this row: "
        f"'{typed}' is not a date/time" in out
    )
    assert breaches_for(folder, "KL-0004") == []
    after = {r["ID"]: r for r in rows(folder, "Kontaktlogg")}["KL-0004"]
    assert {k: after[k] for k in ("Status", "Svara senast", "Försening (h)", "Rapporterad")} == {
        k: before[k] for k in ("Status", "Svara senast", "Försening (h)", "Rapporterad")
    }
    told = [str(m.message["Subject"]) for m in smtp_server.messages]
    assert not [s for s in told if "KL-0004" in s or "Anders Öhrn" in s]
    # The other rows are judged as before: one unreadable cell stops only its own row.
    assert [b["Kontakt-ID"] for b in breaches_for(folder, "KL-0003")] == ["KL-0003"]


def test_the_daily_run_also_leaves_the_row_alone_and_exits_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(folder, "Kontaktlogg", "KL-0004", "Vi svarade", "igår kväll")
    code, out, _ = alumni(capsys, "daily")
    assert code == 1
    assert "the 24-hour rule did not judge this row: 'igår kväll' is not a date/time" in out
    assert breaches_for(folder, "KL-0004") == []


@pytest.mark.parametrize(
    ("title", "column"),
    [
        ("Kontaktlogg", "Vi svarade"),
        ("Kontaktlogg", "Alumnen svarade"),
        ("Kontaktlogg", "Kontaktad"),
        ("Kontaktlogg", "Rapporterad"),
        ("Överträdelser", "Kontakt-ID"),
        ("Överträdelser", "Behandlad"),
    ],
)
def test_a_renamed_header_stops_the_rule_rather_than_reading_an_empty_column(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    title: str,
    column: str,
) -> None:
    before_log = rows(folder, "Kontaktlogg")
    before_breaches = rows(folder, "Överträdelser")
    rename_header(folder, title, column, column + " (gammal)")
    code, out, _ = alumni(capsys, "overdue", "--send")
    assert code == 1
    assert f"the 24-hour rule judged nothing on this tab: the header '{column}' is missing" in out
    assert f"Rename it to '{column}'" in out
    assert smtp_server.messages == []
    after_log = rows(folder, "Kontaktlogg")
    assert [r.get("Status") for r in after_log] == [r.get("Status") for r in before_log]
    assert len(rows(folder, "Överträdelser")) == len(before_breaches)


def test_a_rule_that_judged_nothing_does_not_say_it_ran(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rename_header(folder, "Kontaktlogg", "Vi svarade", "Svarat")
    assert alumni(capsys, "overdue")[0] == 1
    figures = {r["Nyckeltal"]: r["Värde"] for r in rows(folder, "Översikt")}
    assert figures.get("Senaste deadlinekontroll") in (None, "")


def test_a_doubled_header_stops_the_rule(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Kontaktlogg"]
    ws.cell(row=1, column=ws.max_column + 1, value="Vi svarade")
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "overdue", "--send")
    assert code == 1
    assert (
        "the 24-hour rule judged nothing on this tab: the header 'Vi svarade' appears twice" in out
    )
    assert smtp_server.messages == []


def test_an_unreadable_handled_date_holds_back_that_breachs_notices(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    assert run(["--now", NOW, "--for-real", "overdue"]) == 0  # records OV-0002 for KL-0003
    capsys.readouterr()
    cell = edit(folder, "Överträdelser", "OV-0002", "Behandlad", "förra veckan")
    code, out, _ = alumni(capsys, "overdue", "--send")
    assert code == 1
    assert f"Överträdelser!{cell}: the 24-hour rule did not judge this row" in out
    subjects = " ".join(str(m.message["Subject"]) for m in smtp_server.messages)
    assert "KL-0003" not in subjects and "Sofia Bergström" not in subjects


@pytest.mark.parametrize(
    "typed",
    [
        "2026-11-28 13.05",
        "2026-11-28 kl. 13.05",
        "28/11 13.05",
        "28.11.2026 13:05",
        "28 nov 2026 13.05",
        "28 november 2026 kl 13.05",
        dt.datetime(2026, 11, 28, 13, 5),  # a real date-time cell
    ],
)
def test_an_answer_time_typed_the_swedish_way_is_judged(
    folder: Path, capsys: pytest.CaptureFixture[str], typed: object
) -> None:
    # KL-0004 was due 2026-11-28 08:05: answered at 13:05 it is five hours late, not unjudged.
    edit(folder, "Kontaktlogg", "KL-0004", "Vi svarade", typed)
    code, out, _ = alumni(capsys, "overdue")
    assert "did not judge" not in out
    assert code == 0, out
    row = {r["ID"]: r for r in rows(folder, "Kontaktlogg")}["KL-0004"]
    assert (row["Status"], row["Försening (h)"]) == ("Besvarad sent", 5)
