"""The `alumni` command: exact output, exit statuses 0/1/2, and never a traceback."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.helpers import NOW, alumni


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    return tmp_path


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for command in ("init", "check", "daily"):
        assert f"    {command} " in out
    assert (
        "Exit status: 0 success, 1 problems found in the sheet, 2 the run could not be done." in out
    )


def test_version_names_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"alumni {importlib.metadata.version('alumni')}\n"


def test_init_demo_then_daily_is_clean(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = alumni(capsys, "init", "--demo")
    rows = out.splitlines()
    assert code == 0
    assert rows[0] == f"Created {folder / 'alumni.xlsx'} with 9 tabs."
    assert rows[1].startswith("  Sample rows: ")
    assert rows[2:7] == INIT_FORMATTING_LINES
    assert rows[7] == (
        "Next: `alumni daily` runs the daily job; `alumni check` lists problems in the sheet."
    )

    code, out, _ = alumni(capsys, "daily")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"Daily run 2026-11-28 14:05 on {folder / 'alumni.xlsx'}"
    assert lines[1].startswith("  Rows: Avgångsklass 12, Ansökningar 10, Alumner 8, Utskott 7")
    assert lines[-2:] == ["  Översikt: heartbeat written.", "No problems in the sheet."]
    overview = load_workbook(folder / "alumni.xlsx")["Översikt"]
    assert ["Senaste dagliga körning", "2026-11-28 14:05"] in [
        [c.value for c in row] for row in overview.iter_rows()
    ]

    assert alumni(capsys, "check")[:2] == (0, f"No problems in {folder / 'alumni.xlsx'}.\n")


NEXT = "Next: `alumni daily` runs the daily job; `alumni check` lists problems in the sheet.\n"
INIT_FORMATTING_LINES = [
    "  Colours set: 6 rules (late red, due soon amber, answered late purple, "
    "assessments green/red/yellow)",
    "  Dropdowns set: Ansökningar!Beslut, Ansökningar!Bedömning, Utskott!Aktiv, Röster!Röst, "
    "Kontaktlogg!Status",
    "  Date formats set: 15 columns",
    "  Header row frozen: 9 tabs",
    "  Column widths fitted: 9 tabs",
]


def test_init_adds_only_what_is_missing_and_says_what(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book_path = folder / "alumni.xlsx"
    assert alumni(capsys, "init") == (
        0,
        f"Created {book_path} with 9 tabs.\n" + "\n".join(INIT_FORMATTING_LINES) + "\n" + NEXT,
        "",
    )
    assert alumni(capsys, "init") == (
        0,
        f"{book_path} already has every tab and header; nothing to add.\n" + NEXT,
        "",
    )
    book = load_workbook(book_path)
    del book["Röster"]
    book["Alumner"]["H1"] = None  # Språk
    book.save(book_path)
    assert alumni(capsys, "init") == (
        0,
        f"Updated {book_path}; no existing cell was changed.\n"
        "  Tabs added: Röster\n"
        "  Headers added: Alumner!Språk\n"
        "  Dropdowns set: Röster!Röst\n"
        "  Date formats set: Röster!Tidstämpel\n"
        "  Header row frozen: Röster\n"
        "  Column widths fitted: Röster\n" + NEXT,
        "",
    )


def test_check_lists_problems_sorted_and_exits_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alumni(capsys, "init", "--demo")
    book = load_workbook(folder / "alumni.xlsx")
    book["Kontaktlogg"]["F3"] = "igår kväll"
    book["Avgångsklass"]["D2"] = "tjugo"
    book.save(folder / "alumni.xlsx")
    before = (folder / "alumni.xlsx").read_bytes()
    code, out, _ = alumni(capsys, "check")
    assert code == 1
    assert out.splitlines() == [
        "Avgångsklass!D2: 'tjugo' is not a year — write four digits, e.g. 2026",
        "Kontaktlogg!F3: 'igår kväll' is not a date/time (names a day relative to today) — "
        "write it as 2026-11-28 14:05",
        f"2 problems in {folder / 'alumni.xlsx'}.",
    ]
    assert (folder / "alumni.xlsx").read_bytes() == before  # check writes nothing


def test_daily_with_problems_exits_1_and_still_writes_the_heartbeat(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alumni(capsys, "init", "--demo")
    book = load_workbook(folder / "alumni.xlsx")
    book["Avgångsklass"]["D2"] = "tjugo"
    book["Avgångsklass"].append([None, "Ny Person", "ny@example.org", 2026])
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "daily")
    assert code == 1
    assert "  IDs given to new rows: Avgångsklass 1" in out.splitlines()
    assert out.endswith(
        "1 problem in the sheet:\n"
        "  Avgångsklass!D2: 'tjugo' is not a year — write four digits, e.g. 2026\n"
    )
    ws = load_workbook(folder / "alumni.xlsx")["Avgångsklass"]
    assert ws.cell(ws.max_row, 1).value == "AK-0013"


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["daily"], None, "there is no workbook at"),
        (["daily"], 'backnd = "local"\n', "unknown key 'backnd'"),
        (["daily"], "[smtp]\nport = 'x'\n", "'smtp.port' must be a whole number"),
        (["frobnicate"], None, "invalid choice: 'frobnicate'"),
        (["daily", "--now", "igår"], None, "--now 'igår' is not a time"),
        (["daily"], 'backend = "google"\n', "google.spreadsheet is empty"),
        (["daily"], 'backend = "google"\n[google]\nspreadsheet = "abc"\n', "no Google credentials"),
    ],
)
def test_a_run_that_cannot_be_done_exits_2_with_a_message(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    config: str | None,
    message: str,
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    if config is not None:
        (folder / "config.toml").write_text(config)
    code, _out, err = alumni(capsys, *args)
    assert code == 2
    assert message in err
    assert err.count("\n") <= 3


def test_check_names_a_cell_under_merged_cells_once_and_says_to_unmerge(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alumni(capsys, "init", "--demo")
    book = load_workbook(folder / "alumni.xlsx")
    book["Avgångsklass"].merge_cells("B2:C2")  # a name spread over the address beside it
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "check")
    assert code == 1
    assert (
        "Avgångsklass!C2: lies under the merged cells B2:C2, so it cannot be read on its own — "
        "unmerge B2:C2 and write each value in its own cell"
    ) in out
    assert "Avgångsklass!C2: E-post is empty" not in out


def test_a_locked_workbook_exits_2(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alumni(capsys, "init")
    (folder / "~$alumni.xlsx").write_text("x")
    code, _, err = alumni(capsys, "daily")
    assert code == 2 and "open in Excel or LibreOffice" in err


def test_options_may_follow_the_command(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "sub").mkdir()
    (folder / "sub" / "my.toml").write_text('[local]\nworkbook = "other.xlsx"\n')
    code, out, _ = alumni(capsys, "init", "--config", "sub/my.toml")
    assert code == 0 and str(folder / "sub" / "other.xlsx") in out


def test_the_installed_command_and_the_scripts_run(folder: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "alumni", "--now", NOW, "--for-real", "init", "--demo"],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    daily = subprocess.run(
        [sys.executable, str(root / "scripts" / "daily_check.py"), "--now", NOW, "--for-real"],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    assert daily.returncode == 0, daily.stderr
    assert daily.stdout.startswith("Daily run 2026-11-28 14:05 on ")
    invite = subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "graduation_invite.py"),
            "--now",
            NOW,
            "--for-real",
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    assert invite.returncode == 0, invite.stderr
    assert invite.stdout.startswith("Invitations for 2026: 9 graduates in Avgångsklass")
