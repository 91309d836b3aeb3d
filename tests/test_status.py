"""`alumni status`, `alumni report` and `alumni purge` (§3.2, §5, §6, privacy) on the demo sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.helpers import NOW, alumni, demo_folder

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
    assert run(["--now", later, "--for-real", "purge"]) == 0
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
    assert run(["--now", later, "--for-real", "purge", "--apply"]) == 0
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


# --- exact output: the words a person sees, and the exit status ---------------------------------


def test_status_prints_every_figure_in_one_aligned_table(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = alumni(capsys, "status")
    assert (code, err) == (0, "")
    assert out == (
        f"Status 2026-11-28 14:05 on {folder / 'alumni.xlsx'}\n"
        "  Ansökningar i år                           9\n"
        "  Ansökningar i år, godkända                 1\n"
        "  Ansökningar i år, avslagna                 0\n"
        "  Ansökningar i år, att granska              0\n"
        "  Inbjudningar 2026, skickade                3\n"
        "  Inbjudningar 2026, misslyckade             0\n"
        "  Inbjudningar 2026, osäkra                  0\n"
        "  Utvalda alumner (rader i Kontaktlogg)      8\n"
        "  Öppna svar                                 4\n"
        "  Närmaste svarstid                          2026-11-26 14:05\n"
        "  Överträdelser detta mandat                 1\n"
        "  Överträdelser detta mandat, förklarade     1\n"
        "  Överträdelser detta mandat, ej förklarade  0\n"
        "  Svarstid median (h)                        17.5\n"
        "  Svarstid 90:e percentil (h)                27.5\n"
        "  Brister mot policyn                        2\n"
        "  Senaste dagliga körning                    aldrig\n"
        "  §3.2 utbildning: Linnéa Åkesson har inte gått septemberutbildningen "
        "(mandatet från 2026-09-01).\n"
        "  §5 revision: Policyn behöver revideras vid överlämningen "
        "(senast reviderad 2020-09-19).\n"
    )


def test_status_names_the_last_daily_run_from_the_overview(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    book["Översikt"].append(["Senaste dagliga körning", "2026-11-27 06:00"])
    book.save(folder / "alumni.xlsx")
    out = alumni(capsys, "status")[1]
    assert "  Senaste dagliga körning                    2026-11-27 06:00" in out.splitlines()


def test_purge_with_nothing_to_remove_says_so_and_exits_0(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert alumni(capsys, "purge") == (
        0,
        "Would remove 0 rows of personal data no longer needed:\n",
        "",
    )


GRADUATES_GONE = (
    "  Avgångsklass AK-0001 (Ebba Lundström): graduated 2026 and invited; the invitation year is over\n"
    "  Avgångsklass AK-0002 (Oliver Åberg): graduated 2026 and invited; the invitation year is over\n"
    "  Avgångsklass AK-0003 (Lukas Schneider): graduated 2026 and invited; the invitation year is over\n"
)


def test_purge_dry_run_then_apply_then_again_exact_output(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = ["--now", "2027-06-01 10:00", "--for-real"]
    before = (folder / "alumni.xlsx").read_bytes()
    assert run([*later, "purge"]) == 0
    assert capsys.readouterr().out == (
        "Would remove 3 rows of personal data no longer needed:\n"
        + GRADUATES_GONE
        + "Dry run: nothing was removed. Run `alumni purge --apply` to remove them.\n"
    )
    assert (folder / "alumni.xlsx").read_bytes() == before  # a dry run writes nothing
    assert run([*later, "purge", "--apply"]) == 0
    assert capsys.readouterr().out == (
        "Removing 3 rows of personal data no longer needed:\n"
        + GRADUATES_GONE
        + "Removed 3 rows.\n"
    )
    assert run([*later, "purge", "--apply"]) == 0
    assert capsys.readouterr().out == (
        "Removing 0 rows of personal data no longer needed:\nRemoved 0 rows.\n"
    )


def test_purge_lists_old_rejected_applications_before_graduates(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The tool's Avslå counts when Beslut is empty.
    assert run(["--now", NOW, "--for-real", "applicants"]) == 0
    capsys.readouterr()
    # --now is at most a year ahead of the real clock.
    assert run(["--now", "2027-12-01 10:00", "--for-real", "purge"]) == 0
    assert capsys.readouterr().out.splitlines()[:3] == [
        "Would remove 5 rows of personal data no longer needed:",
        "  Ansökningar AN-0005 (Noah Sandström): rejected application from 2026-11-20, "
        "older than 12 months",
        "  Ansökningar AN-0006 (Wilma Forsberg): rejected application from 2026-11-22, "
        "older than 12 months",
    ]


def test_report_names_the_file_and_its_size_in_whole_kilobytes(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = alumni(capsys, "report", "--year", "2025")
    page = (folder / "report-2025.html").read_text(encoding="utf-8")
    assert (code, err) == (0, "")
    assert out == (
        f"Wrote report-2025.html ({len(page) // 1024 + 1} kB): "
        "open it in any browser; it works offline.\n"
    )


def test_a_report_that_cannot_be_written_exits_2_and_says_what_to_do(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = folder / "no such folder" / "r.html"
    code, out, err = alumni(capsys, "report", "--out", str(target))
    assert (code, out) == (2, "")
    assert err == (
        f"alumni: cannot write {target}: No such file or directory — choose another --out.\n"
    )


# --- unreadable is not "no", a missing column is not an empty one --------------------------------


def type_into(folder: Path, tab: str, name: str, column: str, value: object) -> str:
    """Type `value` into `column` of the row whose first cell is `name`; the cell's A1."""
    book = load_workbook(folder / "alumni.xlsx")
    ws = book[tab]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == name)
    cell = row[header.index(column)]
    cell.value = value
    book.save(folder / "alumni.xlsx")
    return str(cell.coordinate)


@pytest.mark.parametrize(
    ("name", "column", "typed", "rule", "what", "false_gap"),
    [
        # Elin was trained on 2026-09-18; a date nobody can read is not "never trained".
        (
            "Elin Sjöström",
            "Utbildad",
            "hösten",
            "the training rule (§3.2)",
            "'hösten' is not a date",
            "Elin Sjöström har inte gått",
        ),
        (
            "Märta Ek",
            "Policy signerad",
            "4/9/26",
            "the signature rule (§6)",
            "'4/9/26' is not a date",
            "Märta Ek har inte signerat",
        ),
        # Whether Linnéa is still active is a guess: she is neither reported nor forgotten.
        (
            "Linnéa Åkesson",
            "Aktiv",
            "kanske",
            "the training rule (§3.2)",
            "'kanske' is not yes or no",
            "Linnéa Åkesson har inte gått",
        ),
    ],
)
def test_a_member_whose_date_cannot_be_read_is_not_reported_and_the_cell_is_named(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    column: str,
    typed: str,
    rule: str,
    what: str,
    false_gap: str,
) -> None:
    cell = type_into(folder, "Utskott", name, column, typed)
    code, out, _ = alumni(capsys, "status")
    assert code == 1
    assert false_gap not in out
    assert (
        f"  Not judged, fix the sheet first: Utskott!{cell}: {rule} did not judge this row: {what}"
        in out
    )


def test_without_the_utbildad_header_nobody_is_reported_untrained(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    next(c for c in book["Utskott"][1] if c.value == "Utbildad").value = "Utbildning"
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "status")
    assert code == 1
    assert "§3.2 utbildning" not in out
    assert (
        "the training rule (§3.2) judged nothing on this tab: the header 'Utbildad' is missing"
        in out
    )
    # The count of gaps would leave the untrained out: it is unknown, not 1.
    assert overview(folder)["Brister mot policyn"] in ("", None)


@pytest.mark.parametrize(
    ("tab", "column", "figures"),
    [
        ("Överträdelser", "Förklaring", ["Överträdelser detta mandat, förklarade"]),
        ("Avgångsklass", "Inbjudningsstatus", ["Inbjudningar 2026, skickade"]),
        ("Ansökningar", "Tidstämpel", ["Ansökningar i år", "Ansökningar i år, godkända"]),
        ("Kontaktlogg", "Vi svarade", ["Öppna svar"]),
    ],
)
def test_a_figure_whose_header_is_missing_is_empty_not_zero(
    folder: Path, capsys: pytest.CaptureFixture[str], tab: str, column: str, figures: list[str]
) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    next(c for c in book[tab][1] if c.value == column).value = "Okänd rubrik"
    book.save(folder / "alumni.xlsx")
    alumni(capsys, "status")
    written = overview(folder)
    assert {f: written[f] for f in figures} == {f: None for f in figures}
