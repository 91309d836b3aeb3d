"""read_cells gives exactly what openpyxl's full load gives, on every kind of cell."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from alumni.sheet.plan import CellWrite, Plan
from alumni.sheet.workbook import RawSheet
from alumni.sheet.xlsx_patch import patch_workbook
from alumni.sheet.xlsx_read import _COLUMNS, read_cells
from tests.fakes.libreoffice import LibreOffice
from tests.fods import write_workbook
from tests.helpers import NOW

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FORMATS = ["General", "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "hh:mm", "[h]:mm:ss", "0.00", "d/m/yy"]
SHEET1 = "xl/worksheets/sheet1.xml"


def by_openpyxl(data: bytes) -> dict[str, RawSheet]:
    """The reference: XlsxStore's openpyxl path (_load + _raw_sheet)."""
    book = load_workbook(io.BytesIO(data), rich_text=False)
    out = {}
    for ws in book.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
            rows.pop()
        out[ws.title] = RawSheet(ws.title, rows)
    return out


def plain(value: Any) -> Any:
    # openpyxl's formula objects have no __eq__: compare their class and fields
    if isinstance(value, (ArrayFormula, DataTableFormula)):
        return (type(value).__name__, sorted(vars(value).items()))
    return (type(value).__name__, value)


def same(data: bytes) -> None:
    try:
        want = by_openpyxl(data)
    except Exception as exc:  # a file openpyxl refuses is refused alike
        with pytest.raises(type(exc)):
            read_cells(data)
        return
    got = read_cells(data)
    assert list(got) == list(want)
    for title, sheet in want.items():
        assert got[title].title == sheet.title
        assert [[plain(v) for v in r] for r in got[title].rows] == [
            [plain(v) for v in r] for r in sheet.rows
        ], title


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def replaced(data: bytes, parts: dict[str, bytes], new: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, parts.get(info.filename, src.read(info.filename)))
        for name, part in (new or {}).items():
            dst.writestr(name, part)
    return out.getvalue()


# -- workbooks openpyxl writes ----------------------------------------------------------------

text = st.text(
    alphabet=st.sampled_from(list("abcÅÄÖåäö =+-#\t\n 01.e")) | st.characters(codec="utf-8"),
    max_size=12,
).map(lambda s: "".join(c for c in s if c.isprintable() or c in "\t\n"))
numbers = st.integers(-(10**15), 10**15) | st.floats(-1e12, 1e12, allow_nan=False)
moments = st.datetimes(datetime(1900, 3, 1), datetime(2100, 1, 1)) | st.dates(
    date(1900, 3, 1), date(2100, 1, 1)
)
times = st.times() | st.builds(lambda s: timedelta(seconds=s), st.integers(0, 10**6))
values = (
    st.none()
    | text
    | numbers
    | st.booleans()
    | moments
    | times
    | st.sampled_from(["=SUM(A1:A3)", '=A1&"ö"', "#N/A", "=", "  "])
)
cells = st.tuples(values, st.sampled_from(FORMATS))
grids = st.lists(st.lists(cells, max_size=6), max_size=8)
titles = st.sampled_from(["Blad", "Sökande", "Kontakter", "Åtgärder", "Övrigt 2"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(titles, grids), min_size=1, max_size=3), st.booleans())
@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")
def test_workbooks_openpyxl_wrote(tabs: list[tuple[str, list[list[Any]]]], mac: bool) -> None:
    book = Workbook()
    book.remove(book.active)
    book.epoch = datetime(1904, 1, 1) if mac else datetime(1899, 12, 30)
    for title, grid in tabs:
        ws = book.create_sheet(title)
        for r, row in enumerate(grid, start=1):
            for c, (value, fmt) in enumerate(row, start=1):
                if value is None and fmt == "General":
                    continue
                cell = ws.cell(r, c, value)
                if fmt != "General":
                    cell.number_format = fmt
    same(saved(book))


# -- sheet XML written by hand: what other programs write ---------------------------------------


SST = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{NS}" count="6" uniqueCount="6">'
    "<si><t>Åsa</t></si>"
    '<si><r><t xml:space="preserve">fet </t></r><r><rPr><b/></rPr><t>Örjan</t></r><r><t/></r></si>'
    "<si><t>x005F_hej</t></si>"
    '<si><t xml:space="preserve">  mellanslag  </t></si>'
    "<si><t/></si>"
    '<si><t>ab</t><r><t>c</t></r><rPh sb="0" eb="1"><t>ふ</t></rPh></si>'
    "</sst>"
).encode()
STRINGS = 6


def base_workbook() -> bytes:
    """A workbook whose styles hold each of FORMATS (style i is FORMATS[i], 0 being General) and which has
    a shared-strings part (openpyxl itself writes inline strings); sheet1 is replaced by each
    test."""
    book = Workbook()
    ws = book.active
    ws.title = "Blad"
    for i, fmt in enumerate(FORMATS, start=1):
        ws.cell(1, i, 1).number_format = fmt
    book.create_sheet("Två")["B2"] = "andra"
    data = saved(book)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        types = z.read("[Content_Types].xml").decode()
    override = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    types = types.replace("</Types>", override + "</Types>")
    return replaced(data, {"[Content_Types].xml": types.encode()}, {"xl/sharedStrings.xml": SST})


BASE = base_workbook()


def sheet_xml(rows: str, tail: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{NS}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheetData>{rows}</sheetData>{tail}</worksheet>"
    ).encode()


HAND = {
    "types": '<row r="1"><c r="A1" t="str"><v>=inte formel</v></c><c r="B1" t="e"><v>#N/A</v>'
    '</c><c r="C1" t="b"><v>1</v></c><c r="D1" t="b"><v>0</v></c>'
    '<c r="E1" t="d"><v>2024-05-06T07:08:09</v></c><c r="F1" t="s"><v>1</v></c>'
    '<c r="G1"><v>5</v></c><c r="H1"><v>5.0</v></c><c r="I1"><v>1E3</v></c>'
    '<c r="J1" t=""><v>7</v></c><c r="K1" t="n"><v></v></c></row>',
    "dates": '<row r="1">'
    + "".join(
        f'<c r="{c}1" s="{s}"><v>{v}</v></c>'
        for c, s, v in [
            ("A", 1, "45000"),
            ("B", 2, "45000.5"),
            ("C", 3, "0.25"),
            ("D", 4, "1.5"),
            ("E", 5, "45000"),
            ("F", 6, "59"),
            ("G", 1, "0"),
            ("H", 3, "1.75"),
            ("I", 1, "-5"),
            ("J", 1, "1E20"),
            ("K", 4, "0.1234567"),
            ("L", 6, "60"),
            ("M", 6, "61"),
        ]
    )
    + "</row>",
    "no refs": '<row><c><v>1</v></c><c/><c><v>3</v></c></row><row><c r="C2"><v>4</v></c>'
    '<c><v>5</v></c></row><row r="5"><c><v>6</v></c></row><row><c><v>7</v></c></row>',
    "gaps": '<row r="3"><c r="B3"><v>1</v></c></row><row r="7"><c r="A7" s="1"/></row>'
    '<row r="9"><c r="F9" t="inlineStr"><is><t>  </t></is></c></row>',
    "styled tail": '<row r="1"><c r="A1"><v>1</v></c></row><row r="4"><c r="H4" s="2"/></row>',
    "inline": '<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve"> a b </t></is></c>'
    '<c r="B1" t="inlineStr"><is><r><t>Ö</t></r><r><rPr><b/></rPr><t>rjan</t></r></is></c>'
    '<c r="C1" t="inlineStr"><is><t>x005F_y</t></is></c><c r="D1" t="inlineStr"/>'
    '<c r="E1" t="inlineStr"><v>nej</v></c><c r="F1" t="inlineStr"><is><t/></is></c></row>',
    "formulas": '<row r="1"><c r="A1"><f>SUM(B1:B3)</f><v>6</v></c>'
    '<c r="B1"><f t="shared" ref="B1:B4" si="0">A1*2</f><v>1</v></c>'
    '<c r="C1"><f t="array" ref="C1:C2">A1:A2*2</f><v>2</v></c>'
    '<c r="D1" t="str"><f>"ö"&amp;A1</f><v>ö6</v></c><c r="E1"><f/><v>3</v></c></row>'
    '<row r="2"><c r="B2"><f t="shared" si="0"/><v>2</v></c>'
    '<c r="D2"><f t="shared" si="1"/></c><c r="E2"><f t="shared" si="1">$A$1+A2</f></c></row>'
    '<row r="3"><c r="B3"><f t="shared" si="0"/></c><c r="E3"><f t="shared" si="1"/></c>'
    '<c r="F3"><f t="dataTable" ref="F3:F4" dt2D="0" dtr="1" r1="A1"/><v>1</v></c></row>',
    "merged": '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>3</v></c></row>',
    "row numbers": '<row r="2.0"><c r="A2"><v>1</v></c></row><row r="1"><c r="B1"><v>2</v></c>'
    '<c r="B1"><v>3</v></c></row>',
    "empty": "",
    "blank rows": '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2" t="inlineStr">'
    '<is><t> </t></is></c></row><row r="3"><c r="B3" t="s"><v>3</v></c></row>',
    "comment": '<row r="1"><c r="A1"><!-- hej --><v>1</v></c></row>',
}
TAILS = {
    "merged": '<mergeCells count="2"><mergeCell ref="A1:B2"/><mergeCell ref="D4:E5"/></mergeCells>',
    "gaps": '<hyperlinks><hyperlink ref="K12" location="Blad!A1"/>'
    '<hyperlink ref="A14:B15" location="Blad!A1"/></hyperlinks>',
}


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")
@pytest.mark.parametrize("case", sorted(HAND))
def test_hand_written_sheets(case: str) -> None:
    same(replaced(BASE, {SHEET1: sheet_xml(HAND[case], TAILS.get(case, ""))}))


def random_cell(draw: Any, row: int, col: int) -> str:
    ref = draw(st.sampled_from([f' r="{"ABCDEFGH"[col]}{row}"', ""]))
    style = draw(st.sampled_from(["", "", ' s="0"'] + [f' s="{i}"' for i in range(1, 7)]))
    kind = draw(st.sampled_from(["n", "s", "b", "str", "e", "inlineStr", "f", "shared", "none"]))
    number = draw(
        st.sampled_from(["0", "1", "-3", "0.5", "45000.25", "1e3", "61", "2958465", "12"])
    )
    word = escape(draw(text))
    body = {
        "n": f"<v>{number}</v>",
        "s": f"<v>{draw(st.integers(0, STRINGS - 1))}</v>",
        "b": f"<v>{draw(st.sampled_from(['0', '1']))}</v>",
        "str": f"<v>{word}</v>",
        "e": f"<v>{draw(st.sampled_from(['#N/A', '#REF!', '#DIV/0!']))}</v>",
        "inlineStr": f'<is><t xml:space="preserve">{word}</t></is>',
        "f": f"<f>{escape(draw(st.sampled_from(['A1+1', 'SUM($A$1:B2)', 'Blad!C3'])))}</f>",
        "shared": f'<f t="shared" si="{draw(st.integers(0, 2))}">'
        f"{draw(st.sampled_from(['A1+B$2', '$C3*2', '']))}</f><v>{number}</v>",
        "none": "",
    }[kind]
    attr = {"n": "", "f": "", "shared": "", "none": ""}.get(kind, f' t="{kind}"')
    return f"<c{ref}{style}{attr}>{body}</c>"


@st.composite
def random_sheets(draw: Any) -> bytes:
    rows = []
    numbers = sorted(draw(st.sets(st.integers(1, 12), max_size=8)))
    for n in numbers:
        cols = sorted(draw(st.sets(st.integers(0, 7), max_size=6)))
        ref = draw(st.sampled_from([f' r="{n}"', f' r="{n}" spans="1:8"', ""]))
        rows.append(f"<row{ref}>" + "".join(random_cell(draw, n, c) for c in cols) + "</row>")
    return sheet_xml("".join(rows))


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")
@settings(max_examples=150, deadline=None)
@given(random_sheets())
def test_random_hand_written_sheets(sheet: bytes) -> None:
    same(replaced(BASE, {SHEET1: sheet}))


# -- workbooks the tool meets ---------------------------------------------------------------


def test_demo_workbook(folder: Path) -> None:
    (path,) = folder.glob("*.xlsx")
    same(path.read_bytes())


def test_workbook_libreoffice_saved(libreoffice: LibreOffice, tmp_path: Path) -> None:
    source = tmp_path / "alumni.fods"
    when = datetime.strptime(NOW, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Europe/Stockholm"))
    panes = write_workbook(source, when)
    (saved_path,) = libreoffice.save_as_xlsx([source], {source: panes})
    same(saved_path.read_bytes())


def test_workbook_patched_with_inline_strings(folder: Path, tmp_path: Path) -> None:
    (path,) = folder.glob("*.xlsx")
    before = read_cells(path.read_bytes())
    title = next(iter(before))
    plan = Plan(
        writes=[
            CellWrite(title, 1, 0, " Åsa Öberg "),
            CellWrite(title, 2, 1, "=inte en formel"),
            CellWrite(title, 3, 2, 42),
            CellWrite(title, 40, 3, "långt ner"),
        ]
    )
    dst = tmp_path / "patched.xlsx"
    patch_workbook(path, dst, plan)
    data = dst.read_bytes()
    same(data)
    assert read_cells(data)[title].rows[1][0] == " Åsa Öberg "


def test_date_and_time_types() -> None:
    book = Workbook()
    ws = book.active
    ws["A1"] = datetime(2024, 5, 6, 7, 8)
    ws["B1"] = time(7, 30)
    ws["C1"] = timedelta(hours=30)
    ws["D1"] = date(2024, 5, 6)
    got = read_cells(saved(book))[ws.title].rows[0]
    assert [type(v) for v in got] == [datetime, time, timedelta, datetime]


def test_every_column_letter_is_numbered_as_openpyxl_numbers_it() -> None:
    assert {get_column_letter(n): n for n in range(1, 18279)} == _COLUMNS
