"""The yearly report as a reader sees it: written by `alumni report`, opened in a real Chromium.

The page comes from the real pipeline (the demo workbook with hostile and Swedish names typed
into its cells); the browser loads it, runs whatever would run, and hands back the DOM. What is
asserted is what a reader meets: the title, the breaches table cell by cell, å/ä/ö intact, and
sheet values shown as text, never run as code.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.conftest import Chromium
from tests.helpers import NOW, demo_folder

TITLE = "Alumniutskottet – årsrapport 2026"

# Typed into cells the report shows. Each would change the page if the browser ran it.
SCRIPT = "Johan Åkerlund<script>document.title='pwned'</script>"
IMG = "Björn Ångström<img src=x onerror=\"document.body.dataset.pwned='img'\">"
ATTRIBUTE = "Karin Nyström\" onmouseover=\"document.title='pwned'"
SVG = "Branschdag 2027</td><svg onload=\"document.body.dataset.pwned='svg'\">"


class Dom(HTMLParser):
    """Every element with its attributes; the rows of each table, cell texts, per figure."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self.tables: dict[str, list[list[list[str]]]] = {}
        self._figure = ""
        self._in: list[str] = []
        self.generated = ""  # the line under the title that says when the page was made
        self._generated = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag == "figure":
            self._figure = values.get("id", "")
        elif tag == "table":
            self.tables.setdefault(self._figure, []).append([])
        elif tag == "tr":
            self.tables[self._figure][-1].append([])
        elif tag in ("td", "th"):
            self.tables[self._figure][-1][-1].append("")
        elif values.get("class") == "generated":
            self._generated = True
        self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._generated = False
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if self._generated:
            self.generated += data
        if self._in and self._in[-1] == "title" and "svg" not in self._in:
            self.title += data
        elif self._in and self._in[-1] in ("td", "th"):
            self.tables[self._figure][-1][-1][-1] += data


def type_into(book: Path, tab: str, row_id: str, column: str, value: object) -> None:
    """A committee member types `value` into the `column` cell of the row whose ID is `row_id`."""
    wb = load_workbook(book)
    ws = wb[tab]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == row_id:
            row[header.index(column)].value = value
            break
    else:
        raise AssertionError(f"no {row_id} on {tab}")
    wb.save(book)


def add_row(book: Path, tab: str, values: dict[str, object]) -> None:
    wb = load_workbook(book)
    ws = wb[tab]
    header = [c.value for c in ws[1]]
    ws.append([values.get(str(h)) for h in header])
    wb.save(book)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`alumni report` on the demo workbook, with hostile and Swedish names in its cells."""
    folder = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        demo_folder(folder, mp)
        book = folder / "alumni.xlsx"
        type_into(book, "Kontaktlogg", "KL-0002", "Alumn", SCRIPT)
        type_into(book, "Kontaktlogg", "KL-0001", "Alumn", ATTRIBUTE)
        type_into(book, "Överträdelser", "OV-0001", "Kontaktperson", IMG)
        type_into(book, "Överträdelser", "OV-0001", "Projekt", SVG)
        add_row(
            book,
            "Överträdelser",
            {
                "ID": "OV-0002",
                "Kontakt-ID": "KL-0004",
                "Datum": "2026-03-05 10:00",
                "Kontaktperson": "Oskar Nyström",
                "Alumn": "Anders Öhrn",
                "Projekt": "Mentorskap",
                "Försening (h)": 3.5,
            },
        )
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = run(["--now", NOW, "report", "--out", "årsrapport.html"])
    assert (code, err.getvalue()) == (0, "")
    assert out.getvalue().startswith("Wrote årsrapport.html (")
    return folder / "årsrapport.html"


@pytest.fixture(scope="module")
def seen(report: Path, chromium: Chromium) -> Dom:
    return Dom(chromium.dom(report))


def test_the_browser_shows_the_reports_title(seen: Dom) -> None:
    # a payload that ran would have renamed the page
    assert seen.title == TITLE
    assert ("h1", {}) in seen.elements
    assert (
        seen.generated == "Skapad 2026-11-28 14:05 CET. Alla tider är lokal tid i Europe/Stockholm."
    )


def test_the_breaches_table_as_a_reader_sees_it(seen: Dom) -> None:
    per_month, detail = seen.tables["breaches-per-month"]
    assert per_month[0] == ["Månad", "Överträdelser"]
    assert ["mars", "1"] in per_month and ["november", "1"] in per_month
    assert per_month[-1] == ["Totalt", "2"]
    assert detail == [
        ["ID", "Datum", "Kontaktperson", "Alumn", "Projekt", "Försening (h)", "Behandlad"],
        ["OV-0002", "2026-03-05 10:00", "Oskar Nyström", "Anders Öhrn", "Mentorskap", "3,5", ""],
        ["OV-0001", "2026-11-19 17:00", IMG, "Karin Nyström", SVG, "6,0", "2026-11-23"],
    ]


def test_names_keep_their_swedish_letters(seen: Dom) -> None:
    (replies,) = seen.tables["reply-times"]
    assert replies[0] == [
        "ID",
        "Alumn",
        "Kontaktperson",
        "Projekt",
        "Alumnen svarade",
        "Vi svarade",
        "Timmar",
    ]
    assert [row[:4] for row in replies[1:]] == [
        ["KL-0001", ATTRIBUTE, "Björn Ångström", "Branschdag 2027"],
        ["KL-0002", SCRIPT, "Märta Ek", "Branschdag 2027"],
    ]
    assert [row[4:] for row in replies[1:]] == [
        ["2026-11-18 16:45", "2026-11-19 22:45", "30,0"],
        ["2026-11-20 13:20", "2026-11-20 18:20", "5,0"],
    ]


def test_sheet_values_are_text_never_code(seen: Dom) -> None:
    tags = {tag for tag, _ in seen.elements}
    assert not tags & {"script", "img", "iframe", "object", "embed"}
    for tag, attrs in seen.elements:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, (tag, attrs)
        assert "data-pwned" not in attrs, (tag, attrs)
    # the only <svg> elements are the four charts the report draws
    assert sum(tag == "svg" for tag, _ in seen.elements) == 4
