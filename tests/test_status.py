"""`alumni status`, `alumni report` and `alumni purge` (§3.2, §5, §6, privacy) on the demo sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.helpers import alumni, demo_folder

ADDRESS = re.compile(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.[A-Za-z]{2,}")


@pytest.fixture
def folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    demo_folder(tmp_path, monkeypatch)
    capsys.readouterr()
    return tmp_path


def overview(folder: Path) -> dict[str, object]:
    ws = load_workbook(folder / "alumni.xlsx")["Översikt"]
    return {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}


def test_status_shows_the_key_figures_and_writes_them_to_the_overview(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = alumni(capsys, "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Status 2026-11-28 14:05 on {folder / 'alumni.xlsx'}"
    assert any(line.split() == ["Öppna", "svar", "4"] for line in lines)
    assert (
        "  §5 revision: Policyn behöver revideras vid överlämningen (senast reviderad 2020-09-19)."
        in lines
    )
    assert (
        "  §3.2 utbildning: Linnéa Åkesson har inte gått septemberutbildningen (mandatet från 2026-09-01)."
        in lines
    )
    figures = overview(folder)
    assert figures["Öppna svar"] == 4 and figures["Brister mot policyn"] == 2
    assert figures["Inbjudningar 2026, skickade"] == 3


def test_report_writes_one_self_contained_page(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = alumni(capsys, "report", "--out", "rapport.html")
    assert code == 0 and out.startswith("Wrote rapport.html (")
    page = (folder / "rapport.html").read_text(encoding="utf-8")
    for chart in (
        "reply-times",
        "breaches-per-month",
        "applications-per-year",
        "invitation-conversion",
    ):
        assert f'id="{chart}"' in page
    assert "<script" not in page and "http://" not in page.split("<body")[0]


def test_purge_lists_then_removes_only_what_is_no_longer_needed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = "2027-06-01 10:00"  # the class of 2026 was invited; their year is over
    assert run(["--now", later, "purge"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Would remove 3 rows of personal data no longer needed:"
    assert (
        "  Avgångsklass AK-0001 (Ebba Lundström): graduated 2026 and invited; the invitation year is over"
        in out
    )
    before = {
        r[0]
        for r in load_workbook(folder / "alumni.xlsx")["Avgångsklass"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert run(["--now", later, "purge", "--apply"]) == 0
    assert "Removed 3 rows." in capsys.readouterr().out
    after = {
        r[0]
        for r in load_workbook(folder / "alumni.xlsx")["Avgångsklass"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert before - after == {"AK-0001", "AK-0002", "AK-0003"}


def test_no_command_prints_a_whole_e_mail_address(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (
        ["daily"],
        ["invite"],
        ["contact"],
        ["applicants"],
        ["overdue"],
        ["status"],
        ["check"],
    ):
        _code, out, err = alumni(capsys, *command)
        assert not ADDRESS.search(out + err), (command, ADDRESS.findall(out + err))
