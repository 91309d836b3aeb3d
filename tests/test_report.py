"""The yearly report: every chart present, its numbers those of the sheet, the page self-contained."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import pandas as pd
import pytest

from alumni.contract import TABS
from alumni.demo import demo_rows
from alumni.report import EMPTY, build_report
from alumni.sheet.workbook import Cell, RawSheet, Workbook, load_workbook

TZ = "Europe/Stockholm"
NOW = pd.Timestamp("2026-11-28 14:05", tz=TZ)
YEAR = 2026
CHARTS = ("reply-times", "breaches-per-month", "applications-per-year", "invitation-conversion")
EVIL = "<b>Karin</b> & Co"

Rows = dict[str, list[dict[str, str | int | float | None]]]


def header(names: list[str]) -> list[Cell]:
    return list(names)


def workbook(rows: Rows) -> Workbook:
    """The rows as a backend would hand them over: the contract's header, then the cells."""
    raw = {
        t.name: RawSheet(
            t.name, [header(t.header)] + [[r.get(c) for c in t.header] for r in rows[t.name]]
        )
        for t in TABS
        if t.name in rows
    }
    wb = load_workbook(raw, TZ)
    assert wb.findings == []
    return wb


def rich_rows() -> Rows:
    """The demo rows, plus what the demo lacks: assessments, more breaches, awkward names."""
    rows = demo_rows(NOW.to_pydatetime())
    log = rows["Kontaktlogg"]
    log[0]["Alumn"] = EVIL
    # answered before the alumnus replied: impossible, so not a reply time
    log.append(
        {
            "ID": "KL-0009",
            "Alumn": "Anders Öhrn",
            "Kontaktperson": "Märta Ek",
            "Kontaktad": "2026-06-01 09:00",
            "Alumnen svarade": "2026-06-02 10:00",
            "Vi svarade": "2026-06-02 08:00",
        }
    )
    # answered in time, but in the previous year: not in this year's report
    log.append(
        {
            "ID": "KL-0010",
            "Alumn": "Lina Bäckström",
            "Kontaktperson": "Märta Ek",
            "Kontaktad": "2025-05-01 09:00",
            "Alumnen svarade": "2025-05-02 10:00",
            "Vi svarade": "2025-05-02 12:00",
        }
    )
    # replied the first minutes of the year in Stockholm, still 2025 in UTC
    log.append(
        {
            "ID": "KL-0011",
            "Alumn": "Emma Sundqvist",
            "Kontaktperson": "Elin Sjöström",
            "Kontaktad": "2025-12-30 09:00",
            "Alumnen svarade": "2026-01-01 00:30",
            "Vi svarade": "2026-01-02 12:45",
        }
    )
    breaches = rows["Överträdelser"]
    breaches[0]["Kontaktperson"] = EVIL
    for number, when in enumerate(
        ("2026-03-05 10:00", "2026-03-20 11:00", "2025-12-31 23:30", "2026-01-01 00:30"), 2
    ):
        breaches.append(
            {"ID": f"OV-{number:04d}", "Kontakt-ID": "KL-0001", "Datum": when, "Alumn": "X"}
        )
    apps = rows["Ansökningar"]
    assessments = ["Godkänn", "Godkänn", "Avslå", "Godkänn", "Avslå", "Granska", "Godkänn"]
    for row, assessment in zip(apps, assessments, strict=False):
        row["Bedömning"] = assessment
    apps[1]["Beslut"] = "Avslå"  # the chair overrides the tool's Godkänn
    apps[4]["Beslut"] = " godkänn "  # spelled loosely
    return rows


# --- reading the page -----------------------------------------------------------------------


class Page(HTMLParser):
    """Every start tag with its attributes and the figure it stands in; text per figure."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], str | None]] = []
        self.text: dict[str | None, str] = {}
        self._figure: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "figure":
            self._figure = values.get("id")
        self.tags.append((tag, values, self._figure))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        self.text[self._figure] = self.text.get(self._figure, "") + data

    def in_figure(self, figure: str, tag: str | None = None) -> list[dict[str, str]]:
        return [a for t, a, f in self.tags if f == figure and (tag is None or t == tag)]

    def points(self, figure: str) -> dict[str, float]:
        """data-label -> data-value of the figure's data points (rects)."""
        rects = [a for a in self.in_figure(figure, "rect") if "data-label" in a]
        labels = [a["data-label"] for a in rects]
        assert len(labels) == len(set(labels)), labels
        return {a["data-label"]: float(a["data-value"]) for a in rects}


@pytest.fixture(scope="module")
def rich() -> Workbook:
    return workbook(rich_rows())


@pytest.fixture(scope="module")
def page(rich: Workbook) -> Page:
    return Page(build_report(rich, NOW, YEAR))


@pytest.fixture(scope="module")
def text(rich: Workbook) -> str:
    return build_report(rich, NOW, YEAR)


# --- the page -------------------------------------------------------------------------------


def test_a_swedish_page_with_title_and_generation_time(page: Page, text: str) -> None:
    assert text.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "sv"}, None) in page.tags
    assert ("meta", {"charset": "utf-8"}, None) in page.tags
    assert "Alumniutskottet – årsrapport 2026" in page.text[None]
    assert (
        "Skapad 2026-11-28 14:05 CET. Alla tider är lokal tid i Europe/Stockholm."
        in (page.text[None])
    )


def test_every_chart_is_a_figure_with_caption_svg_and_table(page: Page) -> None:
    ids = [a.get("id") for t, a, _ in page.tags if t == "figure"]
    assert ids == list(CHARTS)
    for chart in CHARTS:
        assert len(page.in_figure(chart, "figcaption")) == 1
        assert len(page.in_figure(chart, "svg")) == 1
        assert page.in_figure(chart, "table")
        assert EMPTY not in page.text[chart]


def test_each_svg_is_well_formed_xml(text: str) -> None:
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    assert len(svgs) == len(CHARTS)
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == "svg"
        assert root.findall(".//rect[@data-value]")


def test_nothing_is_fetched_from_outside(page: Page, text: str) -> None:
    assert not [t for t, _, _ in page.tags if t in ("script", "link", "img", "iframe", "object")]
    for _, attrs, _ in page.tags:
        for name in ("src", "href", "xlink:href", "srcset", "action"):
            assert name not in attrs
    assert "@import" not in text
    assert "url(" not in text


def test_names_are_escaped(page: Page, text: str) -> None:
    assert not [t for t, _, _ in page.tags if t == "b"]
    assert "&lt;b&gt;Karin&lt;/b&gt; &amp; Co" in text
    assert EVIL in page.text["reply-times"]
    assert EVIL in page.text["breaches-per-month"]
    assert f"KL-0001 {EVIL}" in page.points("reply-times")


# --- the numbers ----------------------------------------------------------------------------


def test_reply_times_are_the_answered_rounds_of_the_year(rich: Workbook, page: Page) -> None:
    log = rich["Kontaktlogg"]
    replied, answered = log["Alumnen svarade"], log["Vi svarade"]
    hours = (answered - replied).dt.total_seconds() / 3600
    keep = (replied.dt.tz_convert(TZ).dt.year == YEAR) & (hours >= 0)
    kept = log[keep]
    expected = {
        f"{i} {a}": h for i, a, h in zip(kept["ID"], kept["Alumn"], hours[keep], strict=True)
    }
    got = page.points("reply-times")
    assert got == pytest.approx(expected, abs=0.05)
    # the demo's late round, the one in time, and the new year's round; not the impossible one
    assert got == pytest.approx(
        {f"KL-0001 {EVIL}": 30, "KL-0002 Johan Åkerlund": 5, "KL-0011 Emma Sundqvist": 36.25},
        abs=0.05,
    )


def test_the_24_hour_line_is_drawn(page: Page) -> None:
    lines = [a for a in page.in_figure("reply-times", "line") if a.get("data-label") == "24 h"]
    assert len(lines) == 1
    assert float(lines[0]["data-value"]) == 24


def test_the_reply_line_follows_the_configured_hours(rich: Workbook) -> None:
    page = Page(build_report(rich, NOW, YEAR, reply_hours=12))
    labels = [a.get("data-label") for a in page.in_figure("reply-times", "line")]
    assert "12 h" in labels
    assert "24 h" not in labels


def test_breaches_per_month_count_the_violations_tab(rich: Workbook, page: Page) -> None:
    dates = rich["Överträdelser"]["Datum"].dt.tz_convert(TZ)
    per_month = Counter(d.month for d in dates if d.year == YEAR)
    got = page.points("breaches-per-month")
    assert len(got) == 12
    assert list(got.values()) == [per_month.get(m, 0) for m in range(1, 13)]
    assert got["januari"] == 1 and got["mars"] == 2 and got["november"] == 1
    assert sum(got.values()) == 4  # the 2025-12-31 breach belongs to last year's report


def outcome(beslut: str, bedomning: str) -> str:
    for value in (beslut, bedomning):
        if value.strip().lower() in ("godkänn", "avslå"):
            return value.strip().lower()
    return "öppen"


def test_applications_per_year_split_by_decision(rich: Workbook, page: Page) -> None:
    apps = rich["Ansökningar"]
    counts = Counter(
        (int(y), outcome(b, a))
        for y, b, a in zip(apps["Examensår"], apps["Beslut"], apps["Bedömning"], strict=True)
        if not pd.isna(y)
    )
    got = page.points("applications-per-year")
    years = sorted({y for y, _ in counts})
    assert got == {
        **{f"{y} godkända": counts[(y, "godkänn")] for y in years},
        **{f"{y} avslagna": counts[(y, "avslå")] for y in years},
        **{f"{y} ej avgjorda": counts[(y, "öppen")] for y in years},
    }
    # Beslut wins over Bedömning (Oliver's Godkänn became Avslå, Noah's Avslå Godkänn); Klara,
    # pasted from LinkedIn without a year, is in no bar
    assert (got["2026 godkända"], got["2026 avslagna"], got["2026 ej avgjorda"]) == (3, 2, 2)
    assert (got["2025 godkända"], got["2020 ej avgjorda"]) == (1, 1)


def test_invitation_conversion(rich: Workbook, page: Page) -> None:
    grads, apps = rich["Avgångsklass"], rich["Ansökningar"]
    invited = int(((grads["Examensår"] == YEAR) & (grads["Inbjudningsstatus"] == "skickad")).sum())
    of_class = apps[apps["Examensår"] == YEAR]
    approved = sum(
        outcome(b, a) == "godkänn"
        for b, a in zip(of_class["Beslut"], of_class["Bedömning"], strict=True)
    )
    got = page.points("invitation-conversion")
    assert got == {"Inbjudna": invited, "Ansökningar": len(of_class), "Godkända": approved}
    assert got == {"Inbjudna": 3, "Ansökningar": 7, "Godkända": 3}
    # shares of the invited: uninvited applicants can push them past 100 %
    assert "233 %" in page.text["invitation-conversion"]
    assert "100 %" in page.text["invitation-conversion"]


def test_the_tables_hold_the_charts_numbers(page: Page) -> None:
    assert "november1" in page.text["breaches-per-month"].replace("\n", "")
    assert "Totalt4" in page.text["breaches-per-month"].replace("\n", "")
    assert "30,0" in page.text["reply-times"]


# --- no data --------------------------------------------------------------------------------


def test_an_empty_workbook_gives_a_page_saying_so() -> None:
    page = Page(build_report(load_workbook({}, TZ), NOW, YEAR))
    ids = [a.get("id") for t, a, _ in page.tags if t == "figure"]
    assert ids == list(CHARTS)
    for chart in CHARTS:
        assert EMPTY in page.text[chart]
        assert not page.in_figure(chart, "svg")


def test_a_year_without_data_says_so_per_chart(rich: Workbook) -> None:
    page = Page(build_report(rich, NOW, 2019))
    for chart in ("reply-times", "breaches-per-month", "invitation-conversion"):
        assert EMPTY in page.text[chart]
    # the group's growth spans every graduation year, whichever report it is in
    assert page.in_figure("applications-per-year", "svg")


def test_a_naive_now_is_refused(rich: Workbook) -> None:
    with pytest.raises(ValueError, match="time zone"):
        build_report(rich, pd.Timestamp("2026-11-28 14:05"), YEAR)


def test_now_in_another_zone_is_shown_in_the_sheets_zone(rich: Workbook) -> None:
    page = Page(build_report(rich, NOW.tz_convert("UTC"), YEAR))
    assert "Skapad 2026-11-28 14:05 CET." in page.text[None]


def test_a_summer_generation_time_is_shown_as_summer_time(rich: Workbook) -> None:
    page = Page(build_report(rich, pd.Timestamp("2026-06-01 10:30", tz="UTC"), YEAR))
    assert "Skapad 2026-06-01 12:30 CEST." in page.text[None]
