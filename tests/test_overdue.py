"""`alumni overdue` and the daily job's deadline step: flags, breaches and notices, each once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW, alumni


def tab(folder: Path, title: str) -> list[dict[str, Any]]:
    ws = load_workbook(folder / "alumni.xlsx")[title]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def log(folder: Path) -> dict[str, dict[str, Any]]:
    return {r["ID"]: r for r in tab(folder, "Kontaktlogg")}


def mail(server: FakeSmtpServer) -> list[tuple[str, str]]:
    return sorted(
        (str(m.message["To"].addresses[0].display_name), str(m.message["Subject"]))
        for m in server.messages
    )


def test_a_dry_run_flags_every_row_records_breaches_and_sends_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    code, out, _ = alumni(capsys, "overdue")
    assert code == 0
    assert out.splitlines() == [
        f"Deadline check 2026-11-28 14:05 on {folder / 'alumni.xlsx'}",
        "  Kontaktlogg: Ej kontaktad 1, Inväntar alumn 1, Svar krävs 1, Snart försenad 1, "
        "Försenad 2, Besvarad i tid 1, Besvarad sent 1",
        "  New breach OV-0002: KL-0003, Elin Sjöström → Sofia Bergström, 48.0 h late",
        "  New breach OV-0003: KL-0004, Oskar Nyström → Anders Öhrn, 6.0 h late",
        "  Notices due: 1 reminder, 4 breach, 1 report — dry run, nothing sent (add --send).",
    ]
    assert smtp_server.messages == []
    rows = log(folder)
    assert (rows["KL-0005"]["Status"], rows["KL-0005"]["Svara senast"]) == (
        "Snart försenad",
        "2026-11-28 18:05",
    )
    assert (rows["KL-0004"]["Status"], rows["KL-0004"]["Försening (h)"]) == ("Försenad", 6.0)
    assert rows["KL-0001"]["Status"] == "Besvarad sent" and rows["KL-0001"]["Påmind"] is None
    breaches = tab(folder, "Överträdelser")
    assert [(b["ID"], b["Kontakt-ID"]) for b in breaches] == [
        ("OV-0001", "KL-0001"),
        ("OV-0002", "KL-0003"),
        ("OV-0003", "KL-0004"),
    ]


def test_send_delivers_each_notice_once_however_often_it_runs(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    code, out, _ = alumni(capsys, "overdue", "--send")
    assert code == 0
    assert "  Notices: sent 6, sent before 0, failed 0, later 0, uncertain 0." in out
    assert mail(smtp_server) == [
        ("Björn Ångström", "Påminnelse: svara Emma Sundqvist senast 2026-11-28 18:05 CET"),
        ("Elin Sjöström", "Försenat svar till Sofia Bergström (KL-0003)"),
        ("Märta Ek", "Överträdelser av svarstiden att förklara (2)"),
        ("Oskar Nyström", "Försenat svar till Anders Öhrn (KL-0004)"),
        ("Åsa Öberg-Lind", "Försenat svar till Anders Öhrn (KL-0004)"),
        ("Åsa Öberg-Lind", "Försenat svar till Sofia Bergström (KL-0003)"),
    ]
    report = next(
        m.message
        for m in smtp_server.messages
        if m.message["To"].addresses[0].display_name == "Märta Ek"
    )
    text = report.get_body(("plain",)).get_content()
    assert (
        "- OV-0002: Elin Sjöström, svar till Sofia Bergström (Branschdag 2027, KL-0003), 48,0 timmar försenat"
        in text
    )
    rows = log(folder)
    assert rows["KL-0005"]["Påmind"] == "2026-11-28 14:05"
    assert rows["KL-0003"]["Rapporterad"] == rows["KL-0004"]["Rapporterad"] == "2026-11-28 14:05"

    smtp_server.reset()
    for later in ("2026-11-28 14:05", "2026-11-28 15:05", "2026-11-28 16:05"):
        assert run(["--now", later, "--for-real", "overdue", "--send"]) == 0
    assert smtp_server.messages == []
    assert len(tab(folder, "Överträdelser")) == 3


def test_a_late_answer_typed_in_afterwards_is_one_breach(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Kontaktlogg"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "KL-0007")
    # All three times typed in at once, after the fact: the tool never saw it as Försenad.
    row[4].value, row[5].value, row[6].value = (
        "2026-11-20 10:00",
        "2026-11-21 10:00",
        "2026-11-22 14:00",
    )
    book.save(folder / "alumni.xlsx")
    for _ in range(2):
        assert alumni(capsys, "overdue")[0] == 0
    breaches = [b for b in tab(folder, "Överträdelser") if b["Kontakt-ID"] == "KL-0007"]
    assert len(breaches) == 1 and breaches[0]["Försening (h)"] == 4.0
    assert log(folder)["KL-0007"]["Status"] == "Besvarad sent"


def test_the_chairs_summary_goes_at_most_once_a_day(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    def summaries() -> list[str]:
        return [
            str(m.message["Subject"])
            for m in smtp_server.messages
            if "sammanfattning" in str(m.message["Subject"])
        ]

    assert run(["--now", "2026-11-28 15:00", "--for-real", "daily", "--send"]) == 0
    assert run(["--now", "2026-11-28 19:00", "--for-real", "daily", "--send"]) == 0
    assert summaries() == ["Alumniutskottets dagliga sammanfattning 2026-11-28"]
    assert run(["--now", "2026-11-29 07:00", "--for-real", "daily", "--send"]) == 0
    assert summaries()[-1] == "Alumniutskottets dagliga sammanfattning 2026-11-29"
    summary = smtp_server.messages[-1].message
    assert summary["To"].addresses[0].display_name == "Åsa Öberg-Lind"
    text = summary.get_body(("plain",)).get_content()
    assert "Svar som ska besvaras (" in text and "Nya överträdelser (" in text
    capsys.readouterr()


def test_the_summary_says_when_the_daily_run_had_stopped(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    assert run(["--now", NOW, "--for-real", "daily"]) == 0
    book = load_workbook(folder / "alumni.xlsx")
    for row in book["Översikt"].iter_rows(min_row=2):
        if row[0].value == "Senaste dagliga körning":
            row[1].value = "2026-11-25 07:00"  # as if cron had stopped three days ago
    book.save(folder / "alumni.xlsx")
    assert run(["--now", "2026-11-28 19:00", "--for-real", "daily", "--send"]) == 0
    text = smtp_server.messages[-1].message.get_body(("plain",)).get_content()
    assert (
        "OBS: Den dagliga körningen hade stannat: förra lyckade körningen var 2026-11-25 07:00 CET."
        in text
    )
    capsys.readouterr()


def test_a_contact_person_without_an_address_is_a_problem_to_fix(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Utskott"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "Björn Ångström":
            row[1].value = None
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "overdue", "--send")
    assert code == 1
    assert (
        "Problem: Kontaktlogg!D6: a reminder for KL-0005 cannot be sent: 'Björn Ångström' has no e-mail in Utskott"
        in out
    )
    assert (
        "Björn Ångström",
        "Påminnelse: svara Emma Sundqvist senast 2026-11-28 18:05 CET",
    ) not in mail(smtp_server)
