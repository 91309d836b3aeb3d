"""The committee's yearly report: one self-contained Swedish HTML page with inline SVG charts."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from alumni.clock import shown
from alumni.contract import Decision, InviteStatus, final_decision, fold, fold_all
from alumni.rules.deadlines import FLAGGED, flag_overdue
from alumni.sheet.workbook import Workbook
from alumni.timeparse import SWEDISH_MONTHS

EMPTY = "Inga uppgifter"
MONTHS = SWEDISH_MONTHS
APPROVED, REJECTED, UNDECIDED = "Godkända", "Avslagna", "Ej avgjorda"
_OUTCOMES = {Decision.APPROVE: APPROVED, Decision.REJECT: REJECTED}

# Colours chosen to stay apart for red-green colour blindness (blue against orange).
_BLUE, _ORANGE, _GREY = "#1f77b4", "#e6550d", "#9e9e9e"

# Geometry of every chart, in SVG user units; the page scales the SVG to its width.
_W, _H = 640, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 16, 20, 44
_PLOT_W, _PLOT_H = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM


@dataclass(frozen=True)
class Segment:
    """One data point of a chart: a bar, or one part of a stacked bar."""

    label: str
    value: float
    colour: str = _BLUE


@dataclass(frozen=True)
class Column:
    """One position on the x axis: its tick text and its (stacked) segments, bottom first."""

    tick: str
    segments: tuple[Segment, ...]

    @property
    def total(self) -> float:
        return sum(s.value for s in self.segments)


@dataclass(frozen=True)
class Line:
    """A horizontal reference line across the chart, such as the 24-hour reply rule."""

    label: str
    value: float


# --- the numbers ----------------------------------------------------------------------------


def reply_times(
    wb: Workbook, now: pd.Timestamp, year: int, reply_hours: float = 24.0
) -> pd.DataFrame:
    """Answered contact rounds whose alumnus replied in `year` (local time), oldest first.

    Columns: ID, Alumn, Kontaktperson, Projekt, Alumnen svarade, Vi svarade, and `Timmar`
    (hours from the alumnus's reply to ours, one decimal). Rows whose times cannot be true
    (the deadline rule leaves them unflagged) are left out rather than drawn as nonsense.
    """
    log = wb["Kontaktlogg"]
    flags = flag_overdue(log, now, reply_hours=reply_hours)
    replied = log["Alumnen svarade"].dt.tz_convert(wb.tz)
    answered = log["Vi svarade"].dt.tz_convert(wb.tz)
    keep = flags[FLAGGED] & replied.notna() & answered.notna() & (replied.dt.year == year)
    rows = log.loc[keep, ["ID", "Alumn", "Kontaktperson", "Projekt"]].copy()
    rows["Alumnen svarade"] = replied[keep]
    rows["Vi svarade"] = answered[keep]
    seconds = (answered[keep] - replied[keep]).dt.total_seconds()
    rows["Timmar"] = seconds.div(3600).round(1).astype(float)
    return rows.sort_values("Alumnen svarade", kind="stable").reset_index(drop=True)


def breaches(wb: Workbook, year: int) -> pd.DataFrame:
    """Överträdelser rows dated in `year` (local time), oldest first."""
    frame = wb["Överträdelser"]
    dated = frame["Datum"].dt.tz_convert(wb.tz)
    rows = frame.loc[dated.notna() & (dated.dt.year == year)].copy()
    rows["Datum"] = dated[rows.index]
    return rows.sort_values("Datum", kind="stable").reset_index(drop=True)


def breaches_per_month(wb: Workbook, year: int) -> list[int]:
    """How many breaches were recorded in each month of `year`, January first."""
    months = breaches(wb, year)["Datum"].dt.month
    return [int((months == m).sum()) for m in range(1, 13)]


def decisions(applications: pd.DataFrame) -> pd.Series:
    """Each application's outcome (`final_decision`): the chair's Beslut when set, else the
    tool's Bedömning.

    Gives APPROVED, REJECTED or UNDECIDED (Granska, or not yet assessed).
    """
    values = [
        _OUTCOMES.get(final_decision(b, a), UNDECIDED)
        for b, a in zip(applications["Beslut"], applications["Bedömning"], strict=True)
    ]
    return pd.Series(values, index=applications.index, dtype=object)


def applications_per_year(wb: Workbook) -> pd.DataFrame:
    """Applications per Examensår (rows without one left out), counted by outcome.

    Index: the graduation years, ascending. Columns: APPROVED, REJECTED, UNDECIDED (ints).
    """
    apps = wb["Ansökningar"]
    outcome = decisions(apps)
    years = apps["Examensår"]
    known = years.notna()
    table = pd.crosstab(years[known].astype(int), outcome[known])
    table = table.reindex(columns=[APPROVED, REJECTED, UNDECIDED], fill_value=0).astype(int)
    table.index.name = "Examensår"
    table.columns.name = None
    return table.sort_index()


def invitation_conversion(wb: Workbook, year: int) -> tuple[int, int, int]:
    """Invitations sent to the class of `year`, applications from that class, and approved."""
    grads = wb["Avgångsklass"]
    sent = fold_all(grads["Inbjudningsstatus"]) == fold(InviteStatus.SENT)
    invited = int(((grads["Examensår"] == year).fillna(False) & sent).sum())
    apps = wb["Ansökningar"]
    of_class = (apps["Examensår"] == year).fillna(False).astype(bool)
    approved = int((of_class & (decisions(apps) == APPROVED)).sum())
    return invited, int(of_class.sum()), approved


# --- formatting -----------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _attr_number(value: float) -> str:
    """A number for a data attribute: dot decimal, at most one decimal, no exponent."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _number(value: float, decimals: int = 0) -> str:
    """A number as Swedish readers write it: decimal comma."""
    return f"{value:.{decimals}f}".replace(".", ",")


def _percent(part: int, whole: int) -> str:
    return f"{_number(100 * part / whole)} %" if whole else "–"


def _when(value: object, with_time: bool = True) -> str:
    if not isinstance(value, pd.Timestamp) or pd.isna(value):
        return ""
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: set[int]) -> str:
    """An HTML table; the columns in `numeric` are right-aligned."""

    def cell(tag: str, i: int, value: object) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{_e(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>\n" for row in rows
    )
    return (
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"
        if body
        else ""
    )


def _ticks(top: float) -> list[float]:
    """Round values for the y axis from 0 up to at least `top`, about five steps."""
    top = max(top, 1.0)
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    # Counts are whole numbers: a tick at 0.5 breaches would be noise.
    step = max(step, 1.0)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _svg(title: str, columns: Sequence[Column], line: Line | None = None) -> str:
    """A bar chart (stacked when a column has several segments) as an inline <svg>."""
    top = max([c.total for c in columns] + [line.value if line else 0.0])
    ticks = _ticks(top * 1.05 if line else top)
    y_max = ticks[-1]

    def y(value: float) -> float:
        return _TOP + _PLOT_H - _PLOT_H * value / y_max

    parts = [
        f'<svg viewBox="0 0 {_W} {_H}" width="100%" role="img" aria-label="{_e(title)}">',
        f"<title>{_e(title)}</title>",
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/>'
            f'<text class="axis" x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{_number(tick)}</text>"
        )
    slot = _PLOT_W / len(columns)
    width = max(slot * 0.7, 1.0)
    # Tick text would overlap when there are many columns; the data table names them all.
    every = max(1, math.ceil(len(columns) / 16))
    for i, column in enumerate(columns):
        x = _LEFT + slot * i + (slot - width) / 2
        base = 0.0
        for seg in column.segments:
            y0, y1 = y(base), y(base + seg.value)
            parts.append(
                f'<rect data-label="{_e(seg.label)}" data-value="{_attr_number(seg.value)}" '
                f'x="{x:.1f}" y="{y1:.1f}" width="{width:.1f}" height="{y0 - y1:.1f}" '
                f'fill="{seg.colour}"><title>{_e(seg.label)}: '
                f"{_e(_number(seg.value, 0 if seg.value.is_integer() else 1))}</title></rect>"
            )
            base += seg.value
        if column.tick and i % every == 0:
            parts.append(
                f'<text class="axis" x="{x + width / 2:.1f}" y="{_TOP + _PLOT_H + 16}" '
                f'text-anchor="middle">{_e(column.tick)}</text>'
            )
    parts.append(
        f'<line class="axis-line" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    )
    if line is not None:
        ly = y(line.value)
        parts.append(
            f'<line data-label="{_e(line.label)}" data-value="{_attr_number(line.value)}" '
            f'class="rule" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{ly:.1f}" y2="{ly:.1f}"/>'
            f'<text class="rule-label" x="{_W - _RIGHT}" y="{ly - 4:.1f}" text-anchor="end">'
            f"{_e(line.label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(items: Sequence[tuple[str, str]]) -> str:
    spans = "".join(
        f'<span class="key"><span class="swatch" style="background:{colour}"></span>'
        f"{_e(label)}</span>"
        for label, colour in items
    )
    return f'<p class="legend">{spans}</p>'


def _figure(ident: str, caption: str, chart: str | None, after: str = "") -> str:
    """A chart in its figure; without data the figure says so and keeps its id."""
    body = chart if chart is not None else f'<p class="empty">{EMPTY}</p>'
    return (
        f'<figure id="{ident}">\n<figcaption>{_e(caption)}</figcaption>\n{body}\n{after}\n</figure>'
    )


# --- the sections ---------------------------------------------------------------------------


def _reply_section(times: pd.DataFrame, reply_hours: float, year: int) -> str:
    rule = f"{_attr_number(reply_hours).replace('.', ',')} h"
    caption = (
        f"Svarstider {year}: timmar från att alumnen svarade till att vi svarade, "
        f"per besvarad kontaktrunda. Linjen visar policyns gräns på {rule}."
    )
    if times.empty:
        return _figure("reply-times", caption, None)
    columns = [
        Column(
            str(r["ID"]),
            (
                Segment(
                    " ".join(p for p in (str(r["ID"]), str(r["Alumn"])) if p),
                    float(r["Timmar"]),
                    _ORANGE if r["Timmar"] > reply_hours else _BLUE,
                ),
            ),
        )
        for _, r in times.iterrows()
    ]
    late = int((times["Timmar"] > reply_hours).sum())
    chart = _svg(caption, columns, Line(rule, reply_hours)) + _legend(
        [(f"inom {rule}", _BLUE), (f"efter {rule}", _ORANGE)]
    )
    table = _table(
        [
            "ID",
            "Alumn",
            "Kontaktperson",
            "Projekt",
            "Alumnen svarade",
            "Vi svarade",
            "Timmar",
        ],
        (
            [
                r["ID"],
                r["Alumn"],
                r["Kontaktperson"],
                r["Projekt"],
                _when(r["Alumnen svarade"]),
                _when(r["Vi svarade"]),
                _number(r["Timmar"], 1),
            ]
            for _, r in times.iterrows()
        ),
        numeric={6},
    )
    summary = (
        f"<p>{len(times)} besvarade rundor, varav {len(times) - late} inom {_e(rule)} "
        f"({_percent(len(times) - late, len(times))}). "
        f"Median {_number(float(times['Timmar'].median()), 1)} h.</p>"
    )
    return _figure("reply-times", caption, chart, summary + table)


def _breach_section(rows: pd.DataFrame, counts: list[int], year: int) -> str:
    caption = f"Överträdelser av svarsregeln per månad {year} (efter Datum)."
    if not sum(counts):
        return _figure("breaches-per-month", caption, None)
    columns = [
        Column(month[:3], (Segment(month, float(n), _ORANGE),))
        for month, n in zip(MONTHS, counts, strict=True)
    ]
    per_month = _table(
        ["Månad", "Överträdelser"],
        [*([m, n] for m, n in zip(MONTHS, counts, strict=True)), ["Totalt", sum(counts)]],
        numeric={1},
    )
    detail = _table(
        ["ID", "Datum", "Kontaktperson", "Alumn", "Projekt", "Försening (h)", "Behandlad"],
        (
            [
                r["ID"],
                _when(r["Datum"]),
                r["Kontaktperson"],
                r["Alumn"],
                r["Projekt"],
                "" if pd.isna(r["Försening (h)"]) else _number(float(r["Försening (h)"]), 1),
                _when(r["Behandlad"], with_time=False),
            ]
            for _, r in rows.iterrows()
        ),
        numeric={5},
    )
    return _figure("breaches-per-month", caption, _svg(caption, columns), per_month + detail)


def _applications_section(table: pd.DataFrame) -> str:
    caption = (
        "Ansökningar till LinkedIn-gruppen per examensår: godkända, avslagna och ej avgjorda "
        "(ordförandens Beslut, annars verktygets Bedömning)."
    )
    if table.empty:
        return _figure("applications-per-year", caption, None)
    # Undecided ones stay on top in grey: the bar's height is then every application.
    colours = ((APPROVED, _BLUE), (REJECTED, _ORANGE), (UNDECIDED, _GREY))
    columns = [
        Column(
            str(year),
            tuple(Segment(f"{year} {k.lower()}", float(row[k]), c) for k, c in colours),
        )
        for year, row in table.iterrows()
    ]
    chart = _svg(caption, columns) + _legend(colours)
    data = _table(
        ["Examensår", APPROVED, REJECTED, UNDECIDED],
        ([year, *row] for year, row in table.iterrows()),
        numeric={1, 2, 3},
    )
    return _figure("applications-per-year", caption, chart, data)


def _conversion_section(invited: int, applied: int, approved: int, year: int) -> str:
    caption = (
        f"Avgångsklassen {year}: skickade inbjudningar, ansökningar med examensår {year} "
        "och godkända bland dem."
    )
    if not (invited or applied or approved):
        return _figure("invitation-conversion", caption, None)
    labels = ("Inbjudna", "Ansökningar", APPROVED)
    columns = [
        Column(label, (Segment(label, float(n), colour),))
        for label, n, colour in zip(
            labels, (invited, applied, approved), (_GREY, _BLUE, _BLUE), strict=True
        )
    ]
    data = _table(
        ["", "Antal", "Andel av inbjudna"],
        [
            ["Inbjudna", invited, _percent(invited, invited)],
            ["Ansökningar", applied, _percent(applied, invited)],
            [APPROVED, approved, _percent(approved, invited)],
        ],
        numeric={1, 2},
    )
    note = (
        "<p>Ansökningarna räknar alla med examensår "
        f"{year}, inbjudna eller inte, så andelen kan bli över 100 %.</p>"
    )
    return _figure("invitation-conversion", caption, _svg(caption, columns), data + note)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222;
       padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .5rem; }
svg { max-width: 100%; height: auto; font-size: 11px; }
svg .grid { stroke: #e0e0e0; } svg .axis-line { stroke: #555; }
svg .axis { fill: #555; } svg .rule { stroke: #c00; stroke-width: 2; stroke-dasharray: 6 4; }
svg .rule-label { fill: #c00; font-weight: 600; }
table { border-collapse: collapse; margin: .75rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #777; font-style: italic; }
.legend .key { margin-right: 1.2rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem;
          vertical-align: middle; }
.generated { color: #555; }
"""


def build_report(wb: Workbook, now: pd.Timestamp, year: int, reply_hours: float = 24.0) -> str:
    """The yearly report for `year` as one HTML page that needs nothing but itself.

    `now` (time-zone aware) is shown as the generation time, with the zone's name, and is the
    moment the deadline rule judges the contact log at; nothing reads the clock or a file.
    Times are grouped into years and months in the workbook's zone. Raises ValueError for a
    naive `now`.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must carry a time zone, got the naive {now}")
    local_now = now.tz_convert(wb.tz)
    stamp = f'<time datetime="{_e(local_now.isoformat())}">{_e(shown(local_now, wb.tz))}</time>'
    title = f"Alumniutskottet – årsrapport {year}"

    times = reply_times(wb, now, year, reply_hours)
    breach_rows = breaches(wb, year)
    counts = breaches_per_month(wb, year)
    per_year = applications_per_year(wb)
    invited, applied, approved = invitation_conversion(wb, year)

    sections = [
        ("Svarstider", _reply_section(times, reply_hours, year)),
        ("Överträdelser per månad", _breach_section(breach_rows, counts, year)),
        ("Ansökningar per examensår", _applications_section(per_year)),
        ("Från inbjudan till medlem", _conversion_section(invited, applied, approved, year)),
    ]
    body = "\n".join(f"<section>\n<h2>{_e(h)}</h2>\n{fig}\n</section>" for h, fig in sections)
    return f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{_e(title)}</h1>
<p class="generated">Skapad {stamp}. Alla tider är lokal tid i {_e(wb.tz)}.</p>
{body}
</main>
</body>
</html>
"""
