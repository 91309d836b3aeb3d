"""The committee's workbook as people keep it in LibreOffice, written as a flat OpenDocument
spreadsheet (.fods) for LibreOffice to save as .xlsx.

The tool's tabs hold the demo's rows and everything `alumni init` sets (frozen header, dropdowns,
date formats, colours, widths), as in a workbook the tool made and the committee has worked in
since; around them is what people add: merged cells beside and below a table, a picture, a
chart, comments (one on a cell the tool writes), their own dropdown and colour rules, named
ranges, hidden rows, columns and a hidden tab, taller rows, frozen panes, formulas with their
results, real date cells, their own columns and tabs the tool does not know (a summary in
formulas over the tool's tabs first of all).
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from alumni.contract import TABS, Status
from alumni.demo import demo_rows
from alumni.findings import column_letter
from alumni.sheet.colours import place_colours
from alumni.sheet.helps import place_help

LAST_ROW = 5000
"""How far down the tool's dropdowns and colours reach (as `alumni init` sets them)."""

NOTE_BELOW = "Anteckning: rader under denna rad är inte kontaktrundor."

GRID_ROWS = 1_048_576
"""The rows of a sheet: a column's default style reaches this far."""

Value = str | int | float | datetime | date | None


@dataclass
class Cell:
    """One cell as a person left it; `formula` is OpenFormula (`of:=...`) with `value` its
    result, `across`/`down` merge it over that many columns/rows."""

    value: Value = None
    formula: str | None = None
    style: str | None = None
    comment: str | None = None
    across: int = 1
    down: int = 1
    frame: str | None = None  # a draw:frame anchored in this cell


@dataclass
class Sheet:
    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)  # (row, col), 1-based
    widths: dict[int, float] = field(default_factory=dict)  # col -> cm
    column_styles: dict[int, str] = field(default_factory=dict)  # col -> default cell style
    hidden_columns: set[int] = field(default_factory=set)
    row_heights: dict[int, float] = field(default_factory=dict)  # row -> cm
    hidden_rows: set[int] = field(default_factory=set)
    validations: dict[int, str] = field(default_factory=dict)  # col -> validation name
    formats: list[str] = field(default_factory=list)  # calcext:conditional-format elements
    frozen: tuple[int, int] = (1, 0)  # rows, columns
    hidden: bool = False

    def put(self, row: int, col: int, value: Value = None, **kw: object) -> Cell:
        cell = Cell(value, **kw)  # type: ignore[arg-type]
        self.cells[(row, col)] = cell
        return cell

    @property
    def last_row(self) -> int:
        covered = [r + c.down - 1 for (r, _), c in self.cells.items()]
        return max([*covered, *self.row_heights, *self.hidden_rows, 1])

    @property
    def last_col(self) -> int:
        covered = [col + c.across - 1 for (_, col), c in self.cells.items()]
        return max([*covered, *self.widths, 1])


def png(width: int = 24, height: int = 16) -> bytes:
    """A small PNG (the committee's logo: blue with a yellow cross)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b""
    for y in range(height):
        rows += b"\x00"
        for x in range(width):
            cross = x in (7, 8) or y in (7, 8)
            rows += b"\xfe\xcc\x00" if cross else b"\x00\x6a\xa7"
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


LOGO = png()


PURGED_GRADUATES: list[dict[str, str | int | float | None]] = [
    {
        "ID": "AK-0013",
        "Namn": "Tove Sandberg",
        "E-post": "tove.sandberg@student.example.org",
        "Examensår": 2025,
        "Språk": "sv",
        "Inbjuden": "2025-11-17 09:00",
        "Inbjudningsstatus": "skickad",
    },
    {
        "ID": "AK-0014",
        "Namn": "Elias Berg",
        "E-post": "elias.berg@student.example.org",
        "Examensår": 2025,
        "Språk": "sv",
        "Inbjuden": "2025-11-17 09:01",
        "Inbjudningsstatus": "skickad",
    },
]
PURGED_APPLICATIONS: list[dict[str, str | int | float | None]] = [
    {
        "Tidstämpel": "2025-09-14 19:22",
        "ID": "AN-0011",
        "Namn": "Erik Holm",
        "E-post": "erik.holm@example.org",
        "LinkedIn": "https://www.linkedin.com/in/erik-holm-exempel",
        "Program": "Maskinteknik",
        "Lärosäte": "KTH",
        "Examensår": 2024,
        "Bedömning": "Avslå",
        "Motivering": "Annat program och lärosäte.",
        "Bedömd": "2025-09-15 07:00",
        "Beslut": "Avslå",
    },
    {
        "Tidstämpel": "2025-10-01 21:40",
        "ID": "AN-0012",
        "Namn": "Nora Lind",
        "E-post": "nora.lind@example.org",
        "LinkedIn": "https://www.linkedin.com/in/nora-lind-exempel",
        "Program": "Ekonomi",
        "Lärosäte": "Umeå universitet",
        "Examensår": 2025,
        "Bedömning": "Avslå",
        "Motivering": "Annat program och lärosäte.",
        "Bedömd": "2025-10-02 07:00",
        "Beslut": "Avslå",
    },
]
"""Rows `alumni purge` removes at the tests' time: last year's invited class and rejected
applications older than a year."""


def _contract_sheets(now: datetime) -> dict[str, Sheet]:
    """The tool's tabs with the demo's rows and what `alumni init` sets on them."""
    rows = demo_rows(now)
    # Last year's rows, first in their tabs as the oldest are: what `alumni purge` removes.
    rows["Avgångsklass"][:0] = PURGED_GRADUATES
    rows["Ansökningar"][:0] = PURGED_APPLICATIONS
    rows["Översikt"] = [
        {"Nyckeltal": "Senaste dagliga körning", "Värde": "2026-11-27 07:00"},
        {"Nyckeltal": "Senaste deadlinekontroll", "Värde": "2026-11-27 07:00"},
    ]
    sheets: dict[str, Sheet] = {}
    for tab in TABS:
        sheet = Sheet(tab.name)
        for c, column in enumerate(tab.columns, start=1):
            sheet.put(1, c, column.name, style="Rubrik")
        for r, row in enumerate(rows.get(tab.name, []), start=2):
            for c, column in enumerate(tab.columns, start=1):
                value = row.get(column.name)
                if value is not None and value != "":
                    sheet.put(r, c, value)
        sheets[tab.name] = sheet
    headers = {
        s.name: [s.cells[(1, c)].value for c in range(1, s.last_col + 1)] for s in sheets.values()
    }
    for help_ in place_help(headers, {}):
        sheet = sheets[help_.title]
        for index, chars in help_.widths.items():
            sheet.widths[index + 1] = round(0.21 * (chars + 2), 2)
        for fmt in help_.formats:
            sheet.column_styles[fmt.column + 1] = "Tid" if fmt.with_time else "Datum"
        for drop in help_.dropdowns:
            sheet.validations[drop.column + 1] = _list_validation(
                drop.title, drop.column + 1, drop.values, arrow=drop.arrow
            )
    for place in place_colours(headers):
        sheet = sheets[place.title]
        area = f"{place.title}.{column_letter(place.first)}2:{place.title}.{column_letter(place.last - 1)}{LAST_ROW}"
        style = {
            "F4CCCC": "Röd",
            "FCE5CD": "Bärnsten",
            "D9D2E9": "Lila",
            "D9EAD3": "Grön",
            "FFF2CC": "Gul",
        }[place.rule.colour]
        condition = f"formula-is({place.formula.replace(chr(34), '&quot;')})"
        sheet.formats.append(
            f'<calcext:conditional-format calcext:target-range-address="{area}">'
            f'<calcext:condition calcext:apply-style-name="{style}" calcext:value="{condition}" '
            f'calcext:base-cell-address="{place.title}.A2"/></calcext:conditional-format>'
        )
    return sheets


VALIDATIONS: dict[str, str] = {}
"""Every content validation of the workbook by name: its table:content-validation element."""


def row_of(sheet: Sheet, key: str) -> int:
    """The row of `sheet` whose ID is `key`."""
    return next(r for (r, c), cell in sheet.cells.items() if c <= 2 and cell.value == key)


def _list_validation(title: str, col: int, values: Iterable[str], *, arrow: bool) -> str:
    name = f"val{len(VALIDATIONS) + 1}"
    choices = ";".join(f"&quot;{escape(v)}&quot;" for v in values)
    display = "unsorted" if arrow else "none"
    VALIDATIONS[name] = (
        f'<table:content-validation table:name="{name}" '
        f'table:condition="of:cell-content-is-in-list({choices})" table:allow-empty-cell="true" '
        f'table:display-list="{display}" table:base-cell-address="{title}.{column_letter(col - 1)}2">'
        '<table:error-message table:message-type="warning" table:display="true" '
        'table:title="Okänt värde"><text:p>Verktyget läser bara de listade värdena.</text:p>'
        "</table:error-message></table:content-validation>"
    )
    return name


def _range_validation(title: str, col: int, source: str) -> str:
    name = f"val{len(VALIDATIONS) + 1}"
    VALIDATIONS[name] = (
        f'<table:content-validation table:name="{name}" '
        f'table:condition="of:cell-content-is-in-list([{source}])" table:allow-empty-cell="true" '
        f'table:display-list="sort-ascending" table:base-cell-address="{title}.{column_letter(col - 1)}2"/>'
    )
    return name


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


def committee_sheets(now: datetime) -> list[Sheet]:
    """Every tab of the workbook, in order: the summary first, the tool's tabs, then the
    committee's own."""
    VALIDATIONS.clear()
    sheets = _contract_sheets(now)

    grads = sheets["Avgångsklass"]
    grads.put(1, 8, "Anteckning", style="Rubrik")
    grads.widths[8] = 6.0
    grads.put(2, 8, "Bjöds in i fjol")
    grads.put(row_of(grads, "AK-0002"), 8, "Kursombud, vill hjälpa till vid Branschdag")
    grads.put(row_of(grads, "AK-0004"), 8, "Har bytt till privat adress", style="Markerad")
    grads.cells[
        (row_of(grads, "AK-0001"), 2)
    ].comment = "Ebba vill ha inbjudan även till sin privata adress."

    apps = sheets["Ansökningar"]
    apps.hidden_rows.add(row_of(apps, "AN-0001"))  # handled, hidden by the chair
    checked = (row_of(apps, "AN-0003"), 3)
    apps.cells[checked].comment = "Kolla examensåret med studievägledningen."
    apps.cells[checked].style = "Markerad"
    apps.row_heights[row_of(apps, "AN-0010")] = 0.8

    alumni = sheets["Alumner"]
    alumni.hidden_columns.add(7)  # LinkedIn
    alumni.put(1, 9, "År sedan examen", style="Rubrik")
    alumni.widths[9] = 3.2
    for r in range(2, 10):
        year = alumni.cells[(r, 6)].value
        assert isinstance(year, int)
        alumni.put(r, 9, 2026 - year, formula=f"of:=2026-[.F{r}]")
    for col in (10, 11, 12):
        alumni.widths[col] = 3.0
    alumni.put(1, 10, "Att fråga om", style="Rubrik", across=3)
    alumni.put(
        2,
        10,
        "Karin och Johan kan tänka sig att föreläsa i vår.",
        style="Radbryt",
        across=3,
        down=3,
    )
    alumni.formats.append(
        '<calcext:conditional-format calcext:target-range-address="Alumner.F2:Alumner.F100">'
        '<calcext:condition calcext:apply-style-name="Grå" calcext:value="&lt;2015" '
        'calcext:base-cell-address="Alumner.F2"/></calcext:conditional-format>'
    )

    committee = sheets["Utskott"]
    for c in range(1, 8):
        if (2, c) in committee.cells:
            committee.cells[(2, c)].style = "Markerad"

    votes = sheets["Röster"]
    votes.hidden_rows.update({2, 3, 4})
    votes.frozen = (1, 2)

    log = sheets["Kontaktlogg"]
    log.row_heights[1] = 0.9
    for r in range(2, 10):
        for c in (5, 6, 7):  # Kontaktad, Alumnen svarade, Vi svarade: typed as real dates
            cell = log.cells.get((r, c))
            if cell is not None and isinstance(cell.value, str):
                cell.value = _parse_time(cell.value)
                cell.style = "Tid"
    log.put(1, 13, "Kommentar", style="Rubrik")
    log.widths[13] = 5.0
    log.put(4, 13, "Sofia svarade via LinkedIn, inte mejl")
    log.cells[(4, 3)].comment = "Hon föredrar att bli kontaktad på engelska."
    log.put(5, 9, comment="Märta: håll koll på denna, Anders är viktig för Branschdagen.")
    log.put(12, 2, NOTE_BELOW, style="Radbryt", across=4, down=2)  # below the table, two rows down
    log.row_heights[12] = 0.8
    log.validations[4] = _range_validation("Kontaktlogg", 4, "$Utskott.$A$2:.$A$8")
    log.put(2, 15, frame=_picture("Kontaktlogg", "Q6"))
    log.widths.update({14: 1.0, 15: 2.3, 16: 2.3, 17: 2.3})

    violations = sheets["Överträdelser"]
    violations.row_heights[2] = 1.6
    violations.cells[(2, 8)].style = "Radbryt"
    violations.formats.append(
        '<calcext:conditional-format calcext:target-range-address="Överträdelser.G2:Överträdelser.G100">'
        '<calcext:condition calcext:apply-style-name="Röd" calcext:value="&gt;12" '
        'calcext:base-cell-address="Överträdelser.G2"/></calcext:conditional-format>'
    )

    summary = _summary(sheets)
    lists = Sheet("Listor", hidden=True, frozen=(0, 0))
    lists.widths[1] = 4.0
    for r, project in enumerate(("Branschdag 2027", "Mentorskap", "Studiebesök"), start=1):
        lists.put(r, 1, project)
    notes = Sheet("Anteckningar", frozen=(0, 0))
    notes.widths.update({1: 3.0, 2: 12.0})
    notes.put(1, 1, "Möten", style="Rubrik", across=2)
    notes.put(2, 1, date(2026, 9, 4), style="Datum")
    notes.put(2, 2, "Policyn signerad av alla utom Linnéa.", comment="Linnéa började i oktober.")
    notes.put(3, 1, date(2026, 9, 11), style="Datum")
    notes.put(3, 2, "Utbildning i policyn; 24-timmarsregeln genomgången.", style="Radbryt")
    notes.row_heights[3] = 1.1
    votes.validations[2] = _range_validation("Röster", 2, "$Listor.$A$1:.$A$3")
    return [summary, *sheets.values(), lists, notes]


def _picture(title: str, end: str) -> str:
    data = base64.b64encode(LOGO).decode("ascii")
    return (
        '<draw:frame draw:z-index="1" draw:name="Logga" draw:style-name="gr1" '
        'svg:width="6.5cm" svg:height="1.7cm" svg:x="0.1cm" svg:y="0.1cm" '
        f'table:end-cell-address="{title}.{end}" table:end-x="0.5cm" table:end-y="0.2cm">'
        f"<draw:image><office:binary-data>{data}</office:binary-data><text:p/></draw:image>"
        "<svg:title>Utskottets logga</svg:title></draw:frame>"
    )


def _count_if(sheet: Sheet, col: int, value: object) -> int:
    return sum(
        1 for (r, c), cell in sheet.cells.items() if c == col and r > 1 and cell.value == value
    )


def _summary(sheets: dict[str, Sheet]) -> Sheet:
    """The committee's own first tab: a pivot-like table in formulas over the tool's tabs,
    with a chart of it."""
    s = Sheet("Sammanställning", frozen=(3, 1))
    s.widths.update({1: 5.0, 2: 3.0, 3: 3.0, 4: 3.0})
    s.put(1, 1, "Sammanställning för utskottsmötet", style="Titel", across=4)
    s.row_heights[1] = 1.0
    s.put(3, 1, "Projekt", style="Rubrik")
    s.put(3, 2, "Kontaktrundor", style="Rubrik")
    s.put(3, 3, "Röster", style="Rubrik")
    s.put(3, 4, "Ja-röster", style="Rubrik")
    log, votes = sheets["Kontaktlogg"], sheets["Röster"]
    for r, project in enumerate(("Branschdag 2027", "Mentorskap"), start=4):
        s.put(r, 1, project)
        s.put(
            r, 2, _count_if(log, 2, project), formula=f"of:=COUNTIF([$Kontaktlogg.$B:.$B];[.A{r}])"
        )
        s.put(r, 3, _count_if(votes, 2, project), formula=f"of:=COUNTIF([$Röster.$B:.$B];[.A{r}])")
        yes = sum(
            1
            for (row, c), cell in votes.cells.items()
            if c == 2 and row > 1 and cell.value == project and votes.cells[(row, 5)].value == "Ja"
        )
        s.put(
            r,
            4,
            yes,
            formula=f'of:=COUNTIFS([$Röster.$B:.$B];[.A{r}];[$Röster.$E:.$E];"Ja")',
        )
    s.put(6, 1, "Summa", style="Rubrik")
    for c in (2, 3, 4):
        letter = column_letter(c - 1)
        total = sum(int(s.cells[(r, c)].value or 0) for r in (4, 5))  # type: ignore[call-overload]
        s.put(6, c, total, formula=f"of:=SUM([.{letter}4:.{letter}5])", style="Rubrik")
    grads = sheets["Avgångsklass"]
    s.put(8, 1, "Avgångsklass 2026")
    s.put(8, 2, _count_if(grads, 4, 2026), formula="of:=COUNTIF([$Avgångsklass.$D:.$D];2026)")
    s.put(9, 1, "Inbjudna")
    s.put(
        9,
        2,
        _count_if(grads, 7, "skickad"),
        formula='of:=COUNTIF([$Avgångsklass.$G:.$G];"skickad")',
    )
    s.put(10, 1, "Andel inbjudna")
    invited = s.cells[(9, 2)].value / s.cells[(8, 2)].value  # type: ignore[operator]
    s.put(10, 2, invited, formula="of:=IF([.B8]>0;[.B9]/[.B8];0)", style="Procent")
    s.put(11, 1, "Försenade nu", comment="Räknar verktygets Status i Kontaktlogg.")
    s.put(
        11,
        2,
        _count_if(log, 9, Status.LATE),
        formula=f'of:=COUNTIF([$Kontaktlogg.$I:.$I];"{Status.LATE}")',
    )
    s.put(12, 1, "Ordförande")
    s.put(
        12,
        2,
        "Åsa Öberg-Lind",
        formula='of:=INDEX([$Utskott.$A$2:.$A$8];MATCH("Ordförande";[$Utskott.$C$2:.$C$8];0))',
    )
    s.hidden_columns.add(6)
    s.widths[6] = 2.0
    s.put(3, 6, "hjälp", style="Rubrik")
    s.put(4, 6, "B", formula="of:=LEFT([.A4];1)")
    s.put(2, 5, frame=_chart())
    return s


def _chart() -> str:
    """A bar chart of the summary's contact rounds and votes per project."""
    rng = "Sammanställning"
    return (
        '<draw:frame draw:z-index="0" draw:name="Diagram" draw:style-name="gr1" '
        'svg:width="12cm" svg:height="6cm" svg:x="0.2cm" svg:y="0.2cm" '
        f'table:end-cell-address="{rng}.M16" table:end-x="0.3cm" table:end-y="0.3cm">'
        f'<draw:object draw:notify-on-update-of-ranges="{rng}.A3:{rng}.C5">'
        '<office:document office:version="1.3" '
        'office:mimetype="application/vnd.oasis.opendocument.chart">'
        "<office:body><office:chart>"
        '<chart:chart svg:width="12cm" svg:height="6cm" chart:class="chart:bar">'
        "<chart:title><text:p>Kontaktrundor och röster per projekt</text:p></chart:title>"
        '<chart:legend chart:legend-position="end"/>'
        f'<chart:plot-area table:cell-range-address="{rng}.A3:{rng}.C5" '
        'chart:data-source-has-labels="both">'
        '<chart:axis chart:dimension="x" chart:name="primary-x">'
        f'<chart:categories table:cell-range-address="{rng}.A4:{rng}.A5"/></chart:axis>'
        '<chart:axis chart:dimension="y" chart:name="primary-y"><chart:grid chart:class="major"/>'
        "</chart:axis>"
        f'<chart:series chart:values-cell-range-address="{rng}.B4:{rng}.B5" '
        f'chart:label-cell-address="{rng}.B3" chart:class="chart:bar"/>'
        f'<chart:series chart:values-cell-range-address="{rng}.C4:{rng}.C5" '
        f'chart:label-cell-address="{rng}.C3" chart:class="chart:bar"/>'
        "</chart:plot-area></chart:chart></office:chart></office:body></office:document>"
        "</draw:object></draw:frame>"
    )


# ---------------------------------------------------------------------------------------------
# Writing the flat XML
# ---------------------------------------------------------------------------------------------

_NAMESPACES = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "chart": "urn:oasis:names:tc:opendocument:xmlns:chart:1.0",
    "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
    "loext": "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
}

_STYLES = """
<office:styles>
 <number:date-style style:name="N_tid">
  <number:year number:style="long"/><number:text>-</number:text>
  <number:month number:style="long"/><number:text>-</number:text>
  <number:day number:style="long"/><number:text> </number:text>
  <number:hours number:style="long"/><number:text>:</number:text>
  <number:minutes number:style="long"/>
 </number:date-style>
 <number:date-style style:name="N_datum">
  <number:year number:style="long"/><number:text>-</number:text>
  <number:month number:style="long"/><number:text>-</number:text>
  <number:day number:style="long"/>
 </number:date-style>
 <number:percentage-style style:name="N_procent">
  <number:number number:decimal-places="0" number:min-integer-digits="1"/><number:text>%</number:text>
 </number:percentage-style>
 <style:style style:name="Default" style:family="table-cell">
  <style:text-properties style:font-name="Liberation Sans" fo:font-size="10pt"/>
 </style:style>
 <style:style style:name="Rubrik" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#dde7f0"/>
  <style:text-properties fo:font-weight="bold"/>
 </style:style>
 <style:style style:name="Titel" style:family="table-cell" style:parent-style-name="Default">
  <style:text-properties fo:font-size="14pt" fo:font-weight="bold" fo:color="#1f4e79"/>
 </style:style>
 <style:style style:name="Markerad" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#ffff99"/>
 </style:style>
 <style:style style:name="Radbryt" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:wrap-option="wrap" style:vertical-align="top"/>
  <style:text-properties fo:font-style="italic"/>
 </style:style>
 <style:style style:name="Tid" style:family="table-cell" style:parent-style-name="Default"
  style:data-style-name="N_tid"/>
 <style:style style:name="Datum" style:family="table-cell" style:parent-style-name="Default"
  style:data-style-name="N_datum"/>
 <style:style style:name="Procent" style:family="table-cell" style:parent-style-name="Default"
  style:data-style-name="N_procent"/>
 <style:style style:name="Röd" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#f4cccc"/></style:style>
 <style:style style:name="Bärnsten" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#fce5cd"/></style:style>
 <style:style style:name="Lila" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#d9d2e9"/></style:style>
 <style:style style:name="Grön" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#d9ead3"/></style:style>
 <style:style style:name="Gul" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#fff2cc"/></style:style>
 <style:style style:name="Grå" style:family="table-cell" style:parent-style-name="Default">
  <style:text-properties fo:color="#808080"/></style:style>
</office:styles>
"""


def _automatic_styles(sheets: Sequence[Sheet]) -> tuple[str, dict[float, str], dict[float, str]]:
    widths = sorted({w for s in sheets for w in s.widths.values()} | {2.26})
    heights = sorted({h for s in sheets for h in s.row_heights.values()})
    columns = {w: f"co{i}" for i, w in enumerate(widths, start=1)}
    rows = {h: f"ro{i}" for i, h in enumerate(heights, start=1)}
    parts = ["<office:automatic-styles>"]
    for w, name in columns.items():
        parts.append(
            f'<style:style style:name="{name}" style:family="table-column">'
            f'<style:table-column-properties fo:break-before="auto" style:column-width="{w}cm"/>'
            "</style:style>"
        )
    parts.append(
        '<style:style style:name="ro0" style:family="table-row">'
        '<style:table-row-properties style:row-height="0.452cm" fo:break-before="auto" '
        'style:use-optimal-row-height="true"/></style:style>'
    )
    for h, name in rows.items():
        parts.append(
            f'<style:style style:name="{name}" style:family="table-row">'
            f'<style:table-row-properties style:row-height="{h}cm" fo:break-before="auto" '
            'style:use-optimal-row-height="false"/></style:style>'
        )
    parts.append(
        '<style:style style:name="ta1" style:family="table" style:master-page-name="Default">'
        '<style:table-properties table:display="true" style:writing-mode="lr-tb"/></style:style>'
        '<style:style style:name="ta2" style:family="table" style:master-page-name="Default">'
        '<style:table-properties table:display="false" style:writing-mode="lr-tb"/></style:style>'
        '<style:style style:name="gr1" style:family="graphic">'
        '<style:graphic-properties draw:stroke="none" draw:fill="none"/></style:style>'
    )
    parts.append("</office:automatic-styles>")
    return "".join(parts), columns, rows


def _value_attributes(value: Value) -> str:
    if isinstance(value, bool):
        return f'office:value-type="boolean" office:boolean-value="{str(value).lower()}"'
    if isinstance(value, int | float):
        return f'office:value-type="float" office:value="{value!r}"'
    if isinstance(value, datetime):
        return f'office:value-type="date" office:date-value="{value:%Y-%m-%dT%H:%M:%S}"'
    if isinstance(value, date):
        return f'office:value-type="date" office:date-value="{value:%Y-%m-%d}"'
    return 'office:value-type="string"'


def _shown(value: Value, style: str | None) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and style == "Procent":
        return f"{value:.0%}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell(sheet: Sheet, row: int, col: int, covered: set[tuple[int, int]]) -> str:
    if (row, col) in covered:
        return "<table:covered-table-cell/>"
    cell = sheet.cells.get((row, col))
    validation = sheet.validations.get(col) if row > 1 else None
    attrs = []
    if cell is not None and cell.style:
        attrs.append(f'table:style-name="{cell.style}"')
    if validation:
        attrs.append(f'table:content-validation-name="{validation}"')
    if cell is None:
        return f"<table:table-cell {' '.join(attrs)}/>"
    if cell.across > 1 or cell.down > 1:
        attrs.append(
            f'table:number-columns-spanned="{cell.across}" table:number-rows-spanned="{cell.down}"'
        )
    if cell.formula:
        attrs.append(f"table:formula={quoteattr(cell.formula)}")
    inner = ""
    if cell.frame:
        inner += cell.frame
    if cell.comment:
        inner += (
            '<office:annotation office:display="false"><dc:creator>Åsa Öberg-Lind</dc:creator>'
            "<dc:date>2026-11-20T10:00:00</dc:date>"
            f"<text:p>{escape(cell.comment)}</text:p></office:annotation>"
        )
    if cell.value is not None:
        attrs.append(_value_attributes(cell.value))
        if isinstance(cell.value, str) and cell.formula:
            attrs.append(f"office:string-value={quoteattr(cell.value)}")
        inner += f"<text:p>{escape(_shown(cell.value, cell.style))}</text:p>"
    return f"<table:table-cell {' '.join(attrs)}>{inner}</table:table-cell>"


def _table(sheet: Sheet, columns: dict[float, str], rows: dict[float, str]) -> str:
    parts = [
        f"<table:table table:name={quoteattr(sheet.name)} "
        f'table:style-name="{"ta2" if sheet.hidden else "ta1"}">'
    ]
    last_col = sheet.last_col
    for col in range(1, last_col + 1):
        attrs = [f'table:style-name="{columns[sheet.widths.get(col, 2.26)]}"']
        if col in sheet.hidden_columns:
            attrs.append('table:visibility="collapse"')
        attrs.append(f'table:default-cell-style-name="{sheet.column_styles.get(col, "Default")}"')
        parts.append(f"<table:table-column {' '.join(attrs)}/>")
    covered = {
        (r + dr, c + dc)
        for (r, c), cell in sheet.cells.items()
        for dr in range(cell.down)
        for dc in range(cell.across)
        if dr or dc
    }
    for row in range(1, sheet.last_row + 1):
        attrs = [f'table:style-name="{rows.get(sheet.row_heights.get(row, -1.0), "ro0")}"']
        if row in sheet.hidden_rows:
            attrs.append('table:visibility="collapse"')
        cells = "".join(_cell(sheet, row, col, covered) for col in range(1, last_col + 1))
        parts.append(f"<table:table-row {' '.join(attrs)}>{cells}</table:table-row>")
    if sheet.validations:
        # The dropdowns reach row LAST_ROW, as `alumni init` sets them.
        cells = "".join(
            f'<table:table-cell table:content-validation-name="{sheet.validations[col]}"/>'
            if col in sheet.validations
            else "<table:table-cell/>"
            for col in range(1, last_col + 1)
        )
        parts.append(
            f'<table:table-row table:style-name="ro0" '
            f'table:number-rows-repeated="{LAST_ROW - sheet.last_row}">{cells}</table:table-row>'
        )
    # The rest of every column, down to the grid's end, takes its column's default style.
    filled = LAST_ROW if sheet.validations else sheet.last_row
    parts.append(
        f'<table:table-row table:style-name="ro0" table:number-rows-repeated="{GRID_ROWS - filled}">'
        f'<table:table-cell table:number-columns-repeated="{last_col}"/></table:table-row>'
    )
    if sheet.formats:
        parts.append("<calcext:conditional-formats>")
        parts.extend(sheet.formats)
        parts.append("</calcext:conditional-formats>")
    parts.append("</table:table>")
    return "".join(parts)


def _settings(sheets: Sequence[Sheet]) -> str:
    def item(name: str, kind: str, value: object) -> str:
        return f'<config:config-item config:name="{name}" config:type="{kind}">{value}</config:config-item>'

    tables = []
    for sheet in sheets:
        rows, cols = sheet.frozen
        tables.append(
            f"<config:config-item-map-entry config:name={quoteattr(sheet.name)}>"
            + item("HorizontalSplitMode", "short", 2 if cols else 0)
            + item("VerticalSplitMode", "short", 2 if rows else 0)
            + item("HorizontalSplitPosition", "int", cols)
            + item("VerticalSplitPosition", "int", rows)
            + item("ActiveSplitRange", "short", 2 if rows else 0)
            + item("PositionLeft", "int", 0)
            + item("PositionRight", "int", cols)
            + item("PositionTop", "int", 0)
            + item("PositionBottom", "int", rows)
            + item("CursorPositionX", "int", 0)
            + item("CursorPositionY", "int", rows)
            + "</config:config-item-map-entry>"
        )
    return (
        '<office:settings><config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        + item("ViewId", "string", "view1")
        + '<config:config-item-map-named config:name="Tables">'
        + "".join(tables)
        + "</config:config-item-map-named>"
        + item("ActiveTable", "string", escape(sheets[0].name))
        + "</config:config-item-map-entry></config:config-item-map-indexed>"
        "</config:config-item-set></office:settings>"
    )


NAMED_RANGES = {
    "Medlemmar": ("$Utskott.$A$1", "$Utskott.$A$2:.$A$8"),
    "Projektlista": ("$Listor.$A$1", "$Listor.$A$1:.$A$3"),
    "Nyckeltal": ("$Sammanställning.$A$1", "$Sammanställning.$A$3:.$D$6"),
}


def write_workbook(path: Path, now: datetime) -> dict[int, tuple[int, int]]:
    """Write the workbook, its rows dated relative to `now`, as flat OpenDocument XML to
    `path`; returns the panes people froze, (rows, columns) by sheet index, which LibreOffice
    keeps with its window rather than in the file it reads."""
    sheets = committee_sheets(now)
    path.write_text(fods(sheets), encoding="utf-8")
    return {i: s.frozen for i, s in enumerate(sheets) if any(s.frozen)}


def fods(sheets: Sequence[Sheet]) -> str:
    """The workbook as flat OpenDocument XML."""
    automatic, columns, rows = _automatic_styles(sheets)
    namespaces = " ".join(f'xmlns:{k}="{v}"' for k, v in _NAMESPACES.items())
    named = "".join(
        f'<table:named-range table:name="{name}" table:base-cell-address="{base}" '
        f'table:cell-range-address="{area}"/>'
        for name, (base, area) in NAMED_RANGES.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document {namespaces} office:version="1.3" '
        'office:mimetype="application/vnd.oasis.opendocument.spreadsheet">'
        "<office:meta><meta:initial-creator>Åsa Öberg-Lind</meta:initial-creator></office:meta>"
        + _settings(sheets)
        + _STYLES
        + automatic
        + "<office:body><office:spreadsheet>"
        + "<table:content-validations>"
        + "".join(VALIDATIONS.values())
        + "</table:content-validations>"
        + "".join(_table(s, columns, rows) for s in sheets)
        + f"<table:named-expressions>{named}</table:named-expressions>"
        + "</office:spreadsheet></office:body></office:document>\n"
    )
