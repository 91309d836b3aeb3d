"""After any run, everything a person put in the workbook is still there, byte for byte where the
tool had no business: proven on a workbook made the way people make it, in LibreOffice.

The workbook (tests/fods.py) is written as a flat OpenDocument spreadsheet with the tool's tabs
and rows like the demo's, plus what people add (a chart, a picture, comments, merged cells,
named ranges, their own dropdowns and colours, hidden rows, columns and tab, taller rows, frozen
panes, formulas with cached results, tabs of their own), then saved as .xlsx by a real
LibreOffice. Each command runs on a copy; tests/fidelity.py then compares the file before and
after. A command may instead refuse up front (exit 2) with a message naming what would be lost,
leaving the file as it was and sending nothing: that is the only other outcome accepted.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alumni.cli import run
from alumni.mail.journal import NEW_JOURNAL, STARTED, Journal
from tests.fakes.libreoffice import LibreOffice
from tests.fidelity import Package, compare, feature_parts
from tests.fods import NAMED_RANGES, NOTE_BELOW, write_workbook
from tests.helpers import NOW, write_config

ZONE = ZoneInfo("Europe/Stockholm")
WHEN = datetime.strptime(NOW, "%Y-%m-%d %H:%M").replace(tzinfo=ZONE)


@pytest.fixture(scope="session")
def people_workbook(libreoffice: LibreOffice, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committee's workbook as LibreOffice saved it (made once per session)."""
    source = tmp_path_factory.mktemp("made-in-libreoffice") / "alumni.fods"
    panes = write_workbook(source, WHEN)
    (saved,) = libreoffice.save_as_xlsx([source], {source: panes})
    return saved


# -- the workbook really holds what people add ------------------------------------------------


def test_the_workbook_libreoffice_made_holds_what_people_add(people_workbook: Path) -> None:
    found = feature_parts(people_workbook)
    missing = [feature for feature, where in found.items() if not where]
    assert not missing, f"the LibreOffice workbook lacks {missing}: {found}"
    with zipfile.ZipFile(people_workbook) as archive:
        app = archive.read("docProps/app.xml").decode()
        book = archive.read("xl/workbook.xml").decode()
    assert "LibreOffice" in app
    # Each feature where the suite relies on it: on the tabs the runs write and on others.
    assert set(found["comments (xl/comments*.xml)"]) >= {
        "xl/comments1.xml",  # Sammanställning
        "xl/comments2.xml",  # Avgångsklass
        "xl/comments3.xml",  # Ansökningar
        "xl/comments8.xml",  # Kontaktlogg
    }
    assert found["merged cells"] == ["Sammanställning", "Alumner", "Kontaktlogg", "Anteckningar"]
    assert found["conditional formats"] == [
        "Ansökningar",
        "Alumner",
        "Kontaktlogg",
        "Överträdelser",
    ]
    assert {"Ansökningar", "Utskott", "Röster", "Kontaktlogg"} <= set(
        found["dropdowns (data validation)"]
    )
    assert set(found["defined names"]) == set(NAMED_RANGES)
    assert found["hidden rows"] == ["Ansökningar", "Röster"]
    assert found["hidden columns"] == ["Sammanställning", "Alumner"]
    assert found["hidden tab"] == ["Listor"]
    assert {"Sammanställning", "Ansökningar", "Kontaktlogg", "Överträdelser"} <= set(
        found["custom row heights"]
    )
    assert len(found["frozen panes"]) == 10  # the summary and the tool's nine tabs
    assert found["formulas with cached values"] == ["Sammanställning", "Alumner"]
    assert "Kontaktlogg" in found["date cells"]
    assert '<sheet name="Sammanställning" sheetId="1"' in book  # the committee's tab first

    pkg = Package(people_workbook)
    drawings = {
        title: [t for k, t in pkg.rels(part).values() if k == "drawing"]
        for title, part in pkg.tabs.items()
    }
    assert drawings["Sammanställning"] and drawings["Kontaktlogg"]  # the chart, the logo
    summary = pkg.rows(pkg.tabs["Sammanställning"])
    assert summary[4].cells[2].formula == "=COUNTIF(Kontaktlogg!$B:$B,A4)"
    assert summary[4].cells[2].cached == ("number", "6")
    log = pkg.rows(pkg.tabs["Kontaktlogg"])
    assert log[12].cells[2].value == ("text", NOTE_BELOW)  # the merged note below the table


# -- the comparison finds what it must ---------------------------------------------------------


def _rewrite(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of `source` with entries replaced (bytes) or left out (None)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                data = change[info.filename]
                if data is not None:
                    new.writestr(info, data)
            else:
                new.writestr(info, old.read(info))
    return target


def test_the_comparison_finds_a_lost_chart_and_dropped_cached_values(
    people_workbook: Path, tmp_path: Path
) -> None:
    assert compare(people_workbook, people_workbook).losses == []
    pkg = Package(people_workbook)
    summary = pkg.tabs["Sammanställning"]
    log = pkg.tabs["Kontaktlogg"]
    log_xml = pkg.entries[log].decode()
    changed = _rewrite(
        people_workbook,
        tmp_path / "changed.xlsx",
        {
            "xl/charts/chart1.xml": None,
            summary: re.sub(r"(</f>)<v>6</v>", r"\1", pkg.entries[summary].decode()).encode(),
            # The tool's Status column may change; a person's Kommentar and a row's height not.
            log: log_xml.replace('ht="25.5"', 'ht="12.8"')
            .replace('<mergeCell ref="B12:E13"/>', "")
            .encode(),
        },
    )
    losses = compare(people_workbook, changed).losses
    text = "\n".join(losses)
    assert "xl/charts/chart1.xml missing" in losses, text
    assert "Sammanställning!B4: cached value dropped (was '6')" in losses, text
    assert "Kontaktlogg!row 1: row height 25.5 → 12.8" in losses, text
    assert 'Kontaktlogg mergeCells: <mergeCell ref="B12:E13"> lost' in losses, text
    assert any(line.startswith("lost: Sammanställning: chart 'Kontakt") for line in losses), text
    assert "xl/worksheets/sheet1.xml (tab Sammanställning, not the tool's) changed" in losses


# -- every command -----------------------------------------------------------------------------

COMMANDS = [
    "init",
    "daily",
    "daily --send",
    "check",
    "invite",
    "invite --send",
    "contact",
    "contact --send",
    "purge",
    "purge --apply",
]
WRITES = {"daily", "daily --send", "invite --send", "contact --send", "purge --apply"}
"""The commands that, on this workbook at NOW, have something to write."""

# A refusal names what would be lost, in words people use for what they put in a workbook.
LOSS_WORDS = re.compile(r"\blos[et]\b|\blosing\b|would (drop|lose)", re.IGNORECASE)
FEATURE_WORDS = re.compile(
    r"chart|picture|image|comment|formula|cached|merged|name|dropdown|validation|"
    r"conditional|colour|hidden|pane|height|width|style|format",
    re.IGNORECASE,
)


@pytest.fixture
def committee_folder(
    people_workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A working folder with a copy of the LibreOffice workbook as alumni.xlsx, a config
    ready for --send into the outbox, and a send journal that started with the workbook."""
    folder = tmp_path / "committee"
    folder.mkdir()
    shutil.copyfile(people_workbook, folder / "alumni.xlsx")
    monkeypatch.chdir(folder)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    write_config(folder)
    with Journal(folder / "sent-journal.jsonl") as journal:
        journal.mark(NEW_JOURNAL, STARTED, WHEN, "the workbook made in LibreOffice")
    yield folder


def _alumni(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["--now", NOW, "--for-real", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_run_keeps_everything_people_put_in_the_workbook(
    command: str, committee_folder: Path, people_workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = committee_folder / "alumni.xlsx"
    code, out, err = _alumni(capsys, *command.split())
    said = f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"
    outbox = committee_folder / "outbox"
    sent = sorted(outbox.iterdir()) if outbox.exists() else []

    if workbook.read_bytes() == people_workbook.read_bytes():
        if code == 2:
            # Refused up front: nothing written, nothing sent, and it says what and why.
            assert not sent, f"`alumni {command}` refused, yet sent {len(sent)} messages\n{said}"
            assert LOSS_WORDS.search(err) and FEATURE_WORDS.search(err), (
                f"`alumni {command}` refused without naming what would be lost\n{said}"
            )
            return
        assert command not in WRITES, f"`alumni {command}` wrote nothing and did not refuse\n{said}"
        return

    assert code != 2, f"`alumni {command}` failed (exit 2) yet changed the workbook\n{said}"
    named = set(re.findall(r"\b[A-Z]{2}-\d{4}\b", out))
    result = compare(
        people_workbook, workbook, may_remove_rows=command == "purge --apply", named=named
    )
    if result.losses:
        pytest.fail(
            result.message(f"`alumni {command}` (exit {code})") + f"\n{said}", pytrace=False
        )
