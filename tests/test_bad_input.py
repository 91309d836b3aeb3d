"""Broken workbooks get messages naming tab and cell, exit 1 or 2, never a traceback or a lost edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from alumni.cli import run
from alumni.demo import demo_rows
from alumni.sheet.xlsx import XlsxStore
from alumni.timeparse import parse_time
from tests.helpers import people_cells

NOW = "2026-11-28 14:05"
Edit = Callable[[Any], None]


def set_cell(title: str, ref: str, value: Any) -> Edit:
    def edit(book: Any) -> None:
        book[title][ref] = value

    return edit


def rename_tab(old: str, new: str) -> Edit:
    def edit(book: Any) -> None:
        book[old].title = new

    return edit


def delete_tab(title: str) -> Edit:
    return lambda book: book.remove(book[title])


def merged_header(book: Any) -> None:
    ws = book["Kontaktlogg"]
    ws.merge_cells("E1:F1")


def blank_rows(book: Any) -> None:
    ws = book["Avgångsklass"]
    ws.insert_rows(3, 3)


def no_header(book: Any) -> None:
    ws = book["Alumner"]
    for cell in ws[1]:
        cell.value = None


def huge_cell(book: Any) -> None:
    book["Alumner"]["D2"] = "x" * 10_000


def many_breakages(book: Any) -> None:
    book["Utskott"]["D2"] = "kanske"
    book["Avgångsklass"]["C2"] = "inte en adress"
    book["Avgångsklass"]["E3"] = "tyska"
    book["Kontaktlogg"]["F3"] = True


CASES: dict[str, tuple[Edit, list[str]]] = {
    "every tab missing": (
        lambda book: [book.remove(ws) for ws in book.worksheets[1:]] and None,
        ["Ansökningar: the tab 'Ansökningar' is missing — add it"],
    ),
    "misspelt tab": (
        rename_tab("Kontaktlogg", "Kontaktlog"),
        ["Kontaktlogg: the tab 'Kontaktlogg' is missing — did you mean 'Kontaktlog'?"],
    ),
    "tab in other case with spaces": (rename_tab("Kontaktlogg", " KONTAKTLOGG "), []),
    "English tab name": (rename_tab("Kontaktlogg", "Contact log"), []),
    "deleted tab": (delete_tab("Röster"), ["Röster: the tab 'Röster' is missing"]),
    "misspelt header": (
        set_cell("Kontaktlogg", "F1", "Alumnen svarde"),
        [
            "Kontaktlogg!F1: the header 'Alumnen svarade' is missing — did you mean 'Alumnen svarde'?"
        ],
    ),
    "duplicate header": (
        set_cell("Avgångsklass", "H1", "Namn"),
        ["Avgångsklass!H1: the header 'Namn' appears twice (also in B1)"],
    ),
    "merged header": (
        merged_header,
        ["Kontaktlogg!M1: the header 'Alumnen svarade' is missing — type 'Alumnen svarade' in M1"],
    ),
    "header with zero-width and no-break spaces": (
        set_cell("Kontaktlogg", "F1", "\u00a0Alumnen svarade\u200b"),
        [],
    ),
    "no header row": (no_header, ["Alumner!A1: the tab has data but no header row"]),
    "blank rows": (blank_rows, []),
    "10,000-character cell": (huge_cell, ["Alumner!D2: "]),
    "formula in a name": (
        set_cell("Alumner", "B2", '=HYPERLINK("http://x","Anna")'),
        ["Alumner!B2: "],
    ),
    "unreadable date": (
        set_cell("Kontaktlogg", "F3", "igår kväll"),
        [
            "Kontaktlogg!F3: 'igår kväll' is not a date/time (names a day relative to today) — "
            "write it as 2026-11-28 14:05"
        ],
    ),
    "future date": (set_cell("Kontaktlogg", "E3", "2027-01-05 10:00"), ["Kontaktlogg!E3: "]),
    "wrong types": (
        many_breakages,
        [
            "Avgångsklass!C2: 'inte en adress' is not an e-mail address",
            "Avgångsklass!E3: 'tyska' is not a language the templates have — write sv or en",
            "Utskott!D2: 'kanske' is not yes or no — write Ja or Nej",
            "Kontaktlogg!F3: 'TRUE' is not a date/time",
        ],
    ),
}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "alumni.xlsx"
    now = parse_time(NOW, "Europe/Stockholm")
    assert now is not None
    XlsxStore(path).initialize(demo_rows(now.to_pydatetime()), force=False)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_broken_workbook(
    case: str,
    demo_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    edit, expected = CASES[case]
    path = tmp_path / "alumni.xlsx"
    book = load_workbook(demo_file)
    edit(book)
    book.save(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)

    check_code = run(["--now", NOW, "--for-real", "check"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    for text in expected:
        assert any(line.startswith(text) for line in out.splitlines()), (text, out)
    assert check_code == (1 if expected else 0), out

    before = people_cells(path)
    daily_code = run(["--now", NOW, "--for-real", "daily"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert daily_code == check_code
    after = people_cells(path)
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    # Only empty ID cells may be filled in; nothing people typed changes.
    assert all(
        old is None and str(new).startswith(("AK-", "AN-", "AL-", "KL-", "OV-"))
        for old, new in changed.values()
    ), changed


@pytest.mark.parametrize(
    "content",
    [b"", b"not a workbook", b"PK\x03\x04"],
    ids=["empty file", "text file", "broken zip"],
)
def test_a_file_that_is_no_workbook_exits_2_and_is_left_alone(
    content: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "alumni.xlsx"
    path.write_bytes(content)
    monkeypatch.chdir(tmp_path)
    for command in ("check", "daily"):
        assert run(["--now", NOW, "--for-real", command]) == 2
        out, err = capsys.readouterr()
        assert "cannot be read as an .xlsx workbook" in err and "Traceback" not in out + err
    assert path.read_bytes() == content


def test_an_empty_workbook_lists_every_missing_tab(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Workbook().save(tmp_path / "alumni.xlsx")
    monkeypatch.chdir(tmp_path)
    assert run(["--now", NOW, "--for-real", "check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "Avgångsklass: the tab 'Avgångsklass' is missing — add it (run `alumni init` to add missing tabs)",
        "Ansökningar: the tab 'Ansökningar' is missing — add it (run `alumni init` to add missing tabs)",
    ]
    assert out[-1] == f"8 problems in {tmp_path / 'alumni.xlsx'}."
