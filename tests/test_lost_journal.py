"""Losing the send journal is loud, not a repeat: a new journal beside a sheet that says mail
went out stops every sending command until the chair confirms with --new-journal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alumni.contract import TABS
from alumni.mail.marks import marks_of_sending
from alumni.sheet.workbook import RawSheet, load_workbook
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import alumni, write_config

TZ = "Europe/Stockholm"
JOURNAL = "sent-journal.jsonl"


@pytest.mark.parametrize(
    "command",
    [
        ["daily", "--send"],
        ["overdue", "--send"],
        ["invite", "--send"],
        ["contact", "--send"],
    ],
)
def test_a_deleted_journal_stops_every_sending_command_before_anything_is_written(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    command: list[str],
) -> None:
    assert alumni(capsys, "daily", "--send")[0] == 0
    alumni(capsys, "votes")
    (folder / JOURNAL).unlink()
    smtp_server.reset()
    workbook = (folder / "alumni.xlsx").read_bytes()

    code, out, err = alumni(capsys, *command)
    assert code == 2 and out == ""
    assert err.startswith(f"alumni: the send journal {folder / JOURNAL} is new, but the sheet ")
    assert "(Avgångsklass: 3 invited (Inbjudningsstatus); Kontaktlogg: 1 with Påmind;" in err
    assert "Översikt: Senaste sammanfattning 2026-11-28 14:05) — nothing was sent." in err
    assert "run the same command with --new-journal" in err
    assert smtp_server.messages == []
    assert (folder / "alumni.xlsx").read_bytes() == workbook  # not even an ID written
    assert not (folder / JOURNAL).exists()  # nothing in the way of putting it back
    assert alumni(capsys, *command)[0] == 2  # and again, until someone decides


def test_a_journal_moved_elsewhere_stops_the_run_too(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    assert alumni(capsys, "daily", "--send")[0] == 0
    smtp_server.reset()
    write_config(folder, smtp_server, journal="journal/sent.jsonl")
    code, _, err = alumni(capsys, "daily", "--send")
    assert code == 2 and "journal/sent.jsonl is new, but the sheet says mail went out" in err
    assert smtp_server.messages == []


def test_after_the_chair_confirms_the_sheet_keeps_everyone_from_a_second_message(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    """The summary and the notices of the day, the invitations: none goes out again."""
    assert alumni(capsys, "daily", "--send")[0] == 0
    assert alumni(capsys, "invite", "--send")[0] == 0
    (folder / JOURNAL).unlink()
    smtp_server.reset()

    code, out, _ = alumni(capsys, "daily", "--send", "--new-journal")
    assert code == 0 and "  Notices: none due." in out
    assert alumni(capsys, "invite", "--send")[0] == 0  # the journal exists again: no flag
    assert smtp_server.messages == []
    assert (folder / JOURNAL).read_text(encoding="utf-8").count('"key": "journal:new"') == 1


def test_a_dry_run_and_a_sample_need_no_journal(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    assert alumni(capsys, "daily", "--send")[0] == 0
    (folder / JOURNAL).unlink()
    assert alumni(capsys, "daily")[0] == 0
    assert alumni(capsys, "invite", "--test-to", "ordforande@example.org")[0] == 0
    assert not (folder / JOURNAL).exists()


def raw(**rows: list[dict[str, object]]) -> dict[str, RawSheet]:
    return {
        t.name: RawSheet(
            t.name, [list(t.header)] + [[r.get(c) for c in t.header] for r in rows.get(t.name, [])]
        )
        for t in TABS
    }


@pytest.mark.parametrize(
    ("rows", "marks"),
    [
        ({}, []),
        # A time a person typed in Kontaktad, a failed or empty status: no mark of the tool's.
        ({"Kontaktlogg": [{"ID": "KL-0001", "Kontaktad": "2026-11-01 10:00"}]}, []),
        (
            {"Avgångsklass": [{"ID": "AK-0001", "Inbjudningsstatus": "misslyckad: 550"}]},
            [],
        ),
        (
            {
                "Avgångsklass": [
                    {"ID": "AK-0001", "Inbjudningsstatus": "skickad"},
                    {"ID": "AK-0002", "Inbjudningsstatus": " Osäker "},
                ]
            },
            ["Avgångsklass: 2 invited (Inbjudningsstatus)"],
        ),
        (
            {"Kontaktlogg": [{"ID": "KL-0001", "Rapporterad": "2026-11-01 10:00"}]},
            ["Kontaktlogg: 1 with Rapporterad"],
        ),
        (
            {"Översikt": [{"Nyckeltal": "Senaste sammanfattning", "Värde": "2026-11-01 07:00"}]},
            ["Översikt: Senaste sammanfattning 2026-11-01 07:00"],
        ),
    ],
)
def test_only_the_tools_own_marks_say_mail_went_out(
    rows: dict[str, list[dict[str, object]]], marks: list[str]
) -> None:
    wb = load_workbook(raw(**rows), TZ, pd.Timestamp("2026-11-28 14:05", tz=TZ))
    assert marks_of_sending(wb) == marks
