"""A generated corpus of broken sheets: every one gets `Tab!A1: … — …` lines, never a traceback.

Each case edits a copy of the demo workbook with openpyxl, then runs `alumni check` and
`alumni daily`. Both must exit with the case's expected status, print no traceback, report every
problem as `Tab!A1: what — what to do` (or `Tab: …` for a whole tab), name the cell the case broke,
and `daily` must leave every cell people own exactly as it was (only empty ID cells get filled).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from alumni.cli import run
from alumni.contract import TABS, Owner, Tab
from alumni.demo import demo_rows
from alumni.sheet.xlsx import XlsxStore
from alumni.timeparse import parse_time
from tests.helpers import people_cells

NOW = "2026-11-28 14:05"
Edit = Callable[[Any], None]

PROBLEM = re.compile(r"^(?P<tab>[^!:\n]+?)(?:!(?P<cell>[A-Z]{1,3}[1-9][0-9]*))?: .+ — .+$")
SUMMARY = re.compile(r"^(No problems|[0-9]+ problems?) in .+\.$")
ID_PREFIXES = tuple(f"{t.id_prefix}-" for t in TABS if t.id_prefix)
PROBLEMS = frozenset({1})
CLEAN = frozenset({0})


@dataclass(frozen=True)
class Case:
    """One broken (or oddly written but valid) workbook and what `check` must say about it."""

    id: str
    edit: Edit
    codes: frozenset[int] = PROBLEMS  # the exit statuses allowed for `check` and `daily`
    expect: tuple[str, ...] = ()  # each must start some problem line (a prefix)
    contains: tuple[str, ...] = ()  # each must be inside some problem line
    cell: str | None = None  # `Tab!A1` the case targets: named, or (accepted) never named
    accepted: bool = False  # the cell holds a valid value: no problem may name it
    xfail: str | None = None  # a product bug this case reveals


# ---------------------------------------------------------------- edits


def set_cells(title: str, **values: Any) -> Edit:
    def edit(book: Any) -> None:
        for ref, value in values.items():
            book[title][ref] = value

    return edit


def set_cell(title: str, ref: str, value: Any) -> Edit:
    return set_cells(title, **{ref: value})


def rename_tab(old: str, new: str) -> Edit:
    def edit(book: Any) -> None:
        book[old].title = new

    return edit


def delete_tab(title: str) -> Edit:
    return lambda book: book.remove(book[title])


def header_only(title: str) -> Edit:
    def edit(book: Any) -> None:
        ws = book[title]
        if ws.max_row > 1:
            ws.delete_rows(2, ws.max_row - 1)

    return edit


def fully_empty(title: str) -> Edit:
    def edit(book: Any) -> None:
        ws = book[title]
        ws.delete_rows(1, ws.max_row)

    return edit


def delete_column(title: str, index: int) -> Edit:
    return lambda book: book[title].delete_cols(index + 1)


def append_header(title: str, text: str) -> Edit:
    def edit(book: Any) -> None:
        ws = book[title]
        ws.cell(row=1, column=ws.max_column + 1, value=text)

    return edit


def blank_rows(title: str, at: int, count: int) -> Edit:
    return lambda book: book[title].insert_rows(at, count)


def ragged_long(title: str) -> Edit:
    """A value two columns past the last header, in row 3: a row longer than the header."""

    def edit(book: Any) -> None:
        ws = book[title]
        ws.cell(row=3, column=ws.max_column + 2, value="en anteckning")

    return edit


def ragged_short(title: str, keep: int) -> Edit:
    """Row 3 cut short after `keep` cells."""

    def edit(book: Any) -> None:
        ws = book[title]
        for col in range(keep + 1, ws.max_column + 1):
            ws.cell(row=3, column=col).value = None

    return edit


def letter(index: int) -> str:
    return get_column_letter(index + 1)


def near_miss(name: str) -> str:
    return name[:-1]


def target_column(tab: Tab) -> tuple[int, str]:
    """The tab's first required column (else its first human one): index and name."""
    columns = list(tab.columns)
    pick = next((c for c in columns if c.required), None)
    pick = pick or next(c for c in columns if c.owner is not Owner.SCRIPT)
    return columns.index(pick), pick.name


def serial(moment: dt.datetime) -> float:
    delta = moment - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86_400


# ---------------------------------------------------------------- the corpus

PEOPLE_TABS = [t for t in TABS if not t.by_tool]
OVERVIEW = next(t for t in TABS if t.by_tool)


def tab_cases() -> Iterator[Case]:
    for tab in TABS:
        name = tab.name
        missing = () if tab.by_tool else (f"{name}: the tab '{name}' is missing — add it",)
        codes = frozenset({0}) if tab.by_tool else PROBLEMS
        yield Case(f"tab {name} missing", delete_tab(name), codes, missing)
        near = near_miss(name)
        guess = (
            ()
            if tab.by_tool
            else (f"{name}: the tab '{name}' is missing — did you mean '{near}'?",)
        )
        yield Case(f"tab {name} renamed {near}", rename_tab(name, near), codes, guess)
    # With a tab emptied, the rows that name its people or projects point at nothing.
    dangling = {
        "Alumner": "Röster!C2: 'Karin Nyström' is not an alumnus in Alumner",
        "Utskott": "Projektgrupper!B2: 'Märta Ek' is not a member in Utskott",
        "Projektgrupper": "Röster!B2: 'Branschdag 2027' is not a project in Projektgrupper",
    }
    for tab in PEOPLE_TABS:
        name = tab.name
        expect = (dangling[name],) if name in dangling else ()
        codes = PROBLEMS if expect else CLEAN
        yield Case(f"tab {name} header only", header_only(name), codes, expect)
        yield Case(
            f"tab {name} fully empty",
            fully_empty(name),
            PROBLEMS,
            (f"{name}!A1: the tab has no header row — put the headers in row 1",),
            cell=f"{name}!A1",
        )
    yield Case(
        "tab Översikt fully empty",
        fully_empty(OVERVIEW.name),
        CLEAN,
        cell="Översikt!A1",
        accepted=True,
    )
    yield Case(
        "tab name with no-break and zero-width spaces",
        rename_tab("Kontaktlogg", "\u00a0Kontaktlogg\u200b"),
        CLEAN,
    )
    yield Case("tab name in English and upper case", rename_tab("Alumner", " ALUMNI "), CLEAN)


def header_cases() -> Iterator[Case]:
    for tab in PEOPLE_TABS:
        name = tab.name
        index, column = target_column(tab)
        yield Case(
            f"header {name}.{column} missing",
            delete_column(name, index),
            PROBLEMS,
            contains=(f"the header '{column}' is missing — type '{column}' in ",),
            expect=(f"{name}!",),
        )
        yield Case(
            f"header {name}.{column} twice",
            append_header(name, column),
            PROBLEMS,
            (
                f"{name}!{letter(len(tab.columns))}1: the header '{column}' appears twice "
                f"(also in {letter(index)}1)",
            ),
            cell=f"{name}!{letter(len(tab.columns))}1",
        )
        near = near_miss(column)
        yield Case(
            f"header {name}.{column} misspelt {near}",
            set_cell(name, f"{letter(index)}1", near),
            PROBLEMS,
            (
                f"{name}!{letter(index)}1: the header '{column}' is missing — "
                f"did you mean '{near}'?",
            ),
            cell=f"{name}!{letter(index)}1",
        )
    spaced = {
        "no-break": "\u00a0Alumnen\u00a0svarade ",
        "zero-width": "Alumnen svarade\u200b",
        "BOM and zero-width joiner": "\ufeffAlumnen\u200dsvarade",
    }
    for label, text in spaced.items():
        yield Case(f"header with {label} spaces", set_cell("Kontaktlogg", "F1", text), CLEAN)
    yield Case("header English alias in upper case", set_cell("Utskott", "D1", "ACTIVE"), CLEAN)
    yield Case(
        "header with emoji",
        set_cell("Alumner", "D1", "Företag 🏢"),
        PROBLEMS,
        ("Alumner!D1: the header 'Företag' is missing — did you mean 'Företag 🏢'?",),
        cell="Alumner!D1",
    )


def row_cases() -> Iterator[Case]:
    yield Case("blank rows in Avgångsklass", blank_rows("Avgångsklass", 3, 3), CLEAN)
    yield Case("blank rows in Röster", blank_rows("Röster", 10, 2), CLEAN)
    yield Case("blank rows in Kontaktlogg", blank_rows("Kontaktlogg", 3, 4), CLEAN)
    yield Case("blank row right under the header", blank_rows("Utskott", 2, 1), CLEAN)
    yield Case("ragged long row in Alumner", ragged_long("Alumner"), CLEAN)
    yield Case("ragged long row in Röster", ragged_long("Röster"), CLEAN)
    yield Case(
        "ragged short row in Röster",
        ragged_short("Röster", 2),
        PROBLEMS,
        ("Röster!C3: ",),
        cell="Röster!C3",
    )
    yield Case(
        "ragged short row in Avgångsklass",
        ragged_short("Avgångsklass", 2),
        PROBLEMS,
        ("Avgångsklass!C3: ",),
        cell="Avgångsklass!C3",
    )


def type_cases() -> Iterator[Case]:
    wrong = [
        ("text in year", "Avgångsklass", "D2", "tjugotjugosex"),
        ("text in year", "Alumner", "F3", "två tusen tio"),
        ("text in year", "Ansökningar", "H2", "snart"),
        ("number in e-mail", "Avgångsklass", "C2", 12345),
        ("number in e-mail", "Alumner", "C2", 4670123456),
        ("number in e-mail", "Utskott", "B2", 3.5),
        ("boolean in date", "Utskott", "E2", True),
        ("boolean in date", "Kontaktlogg", "G4", False),
        ("boolean in date", "Ansökningar", "A2", True),
        ("boolean in date", "Överträdelser", "I2", True),
        ("date in year", "Alumner", "F2", dt.datetime(2017, 6, 1)),
        ("boolean in e-mail", "Alumner", "C3", False),
    ]
    for label, title, ref, value in wrong:
        yield Case(
            f"{label} {title}!{ref}",
            set_cell(title, ref, value),
            PROBLEMS,
            (f"{title}!{ref}: ",),
            cell=f"{title}!{ref}",
        )


ACCEPTED_TIMES: dict[str, Any] = {
    "2026-11-28 14:05": "2026-11-28 14:05",
    "2026-11-28 14:05:33": "2026-11-28 14:05:33",
    "2026-11-28": "2026-11-28",
    "28/11/2026 14:05": "28/11/2026 14:05",
    "28.11.2026": "28.11.2026",
    "28-11-2026": "28-11-2026",
    "datetime cell": dt.datetime(2026, 11, 28, 14, 5),
    "serial number": serial(dt.datetime(2026, 11, 28, 14, 5)),
}
REJECTED_TIMES = ["igår kväll", "2026/13/01", "31.02.2026", "25:00"]
# A time column (KL-0003's "Vi svarade", after its reply on 25 Nov) and a date column.
TIME_CELLS = [("Kontaktlogg", "G4"), ("Utskott", "E2")]


def time_cases() -> Iterator[Case]:
    for title, ref in TIME_CELLS:
        for label, value in ACCEPTED_TIMES.items():
            yield Case(
                f"accepted {label} in {title}!{ref}",
                set_cell(title, ref, value),
                CLEAN,
                cell=f"{title}!{ref}",
                accepted=True,
            )
        for text in REJECTED_TIMES:
            yield Case(
                f"rejected {text} in {title}!{ref}",
                set_cell(title, ref, text),
                PROBLEMS,
                (f"{title}!{ref}: '{text}' is not a date",),
                cell=f"{title}!{ref}",
            )
    future = [
        ("Kontaktlogg", "E3", "2027-01-05 10:00"),
        ("Utskott", "F2", "2027-05-01"),
        ("Ansökningar", "A3", "2026-12-24 09:00"),
        ("Röster", "A2", dt.datetime(2030, 1, 1, 12, 0)),
        ("Överträdelser", "I2", "01.01.2027"),
    ]
    for title, ref, value in future:
        yield Case(
            f"future date in {title}!{ref}",
            set_cell(title, ref, value),
            PROBLEMS,
            (f"{title}!{ref}: ",),
            contains=("is in the future — ",),
            cell=f"{title}!{ref}",
        )
    yield Case(
        "alumnus replied before contact",
        set_cell("Kontaktlogg", "F2", "2026-11-15 09:00"),
        PROBLEMS,
        ("Kontaktlogg!F2: the reply is earlier than the contact",),
        cell="Kontaktlogg!F2",
    )
    yield Case(
        "we replied before the alumnus",
        set_cell("Kontaktlogg", "G3", "2026-11-19 09:00"),
        PROBLEMS,
        ("Kontaktlogg!G3: our reply is earlier than the alumnus's reply",),
        cell="Kontaktlogg!G3",
    )
    yield Case(
        "reply without contact time",
        set_cell("Kontaktlogg", "E4", None),
        PROBLEMS,
        ("Kontaktlogg!F4: a reply but no contact time",),
        cell="Kontaktlogg!F4",
    )


def yes_no_cases() -> Iterator[Case]:
    for value in ["Ja", "NEJ", "yes", " No ", True, "ja ", "YES"]:
        yield Case(
            f"yes/no {value!r} in Röster!E2",
            set_cell("Röster", "E2", value),
            CLEAN,
            cell="Röster!E2",
            accepted=True,
        )
    for title, ref in [("Röster", "E2"), ("Utskott", "D3")]:
        yield Case(
            f"yes/no 'kanske' in {title}!{ref}",
            set_cell(title, ref, "kanske"),
            PROBLEMS,
            (f"{title}!{ref}: 'kanske' is not yes or no — ",),
            cell=f"{title}!{ref}",
        )


def text_cases() -> Iterator[Case]:
    huge = "x" * 10_000
    for title, ref in [("Alumner", "D2"), ("Avgångsklass", "B2"), ("Ansökningar", "F2")]:
        yield Case(
            f"10,000 characters in {title}!{ref}",
            set_cell(title, ref, huge),
            PROBLEMS,
            (f"{title}!{ref}: ",),
            contains=("10,000 characters long — shorten it",),
            cell=f"{title}!{ref}",
        )
    for title, ref in [("Utskott", "E3"), ("Alumner", "C2"), ("Röster", "E2")]:
        yield Case(
            f"10,000 characters in typed cell {title}!{ref}",
            set_cell(title, ref, huge),
            PROBLEMS,
            (f"{title}!{ref}: ",),
            cell=f"{title}!{ref}",
        )
    formulas = [
        ("Alumner", "B2", '=HYPERLINK("https://example.org","Karin Nyström")'),
        ("Avgångsklass", "B3", '=HYPERLINK("mailto:x@example.org")'),
        ("Ansökningar", "C4", "=1+1"),
        ("Utskott", "G2", '=CONCATENATE("Lu","leå")'),
    ]
    for title, ref, value in formulas:
        yield Case(
            f"formula in {title}!{ref}",
            set_cell(title, ref, value),
            PROBLEMS,
            (f"{title}!{ref}: ",),
            contains=("looks like a formula — ",),
            cell=f"{title}!{ref}",
        )
    # Avgångsklass and Ansökningar names are not referenced elsewhere by name; Alumner's are,
    # and spaces of any kind fold to one space when names are compared.
    names = {
        "emoji": ("Avgångsklass", "B4", "Lukas Schneider 🎓", CLEAN),
        "emoji only": ("Ansökningar", "C2", "🎓🎓", CLEAN),
        "no-break space": ("Alumner", "B2", "Karin\u00a0Nyström", CLEAN),
        "zero-width space": ("Alumner", "B3", "Johan\u200b Åkerlund", CLEAN),
        "trailing no-break space": ("Utskott", "A4", "Björn Ångström\u00a0", CLEAN),
    }
    for label, (title, ref, value, codes) in names.items():
        yield Case(f"{label} in name {title}!{ref}", set_cell(title, ref, value), codes)


def all_cases() -> list[Case]:
    return [
        *tab_cases(),
        *header_cases(),
        *row_cases(),
        *type_cases(),
        *time_cases(),
        *yes_no_cases(),
        *text_cases(),
    ]


CASES = all_cases()
XFAIL: dict[str, str] = {}


def params() -> list[Any]:
    out = []
    for case in CASES:
        reason = XFAIL.get(case.id) or case.xfail
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


# ---------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "alumni.xlsx"
    now = parse_time(NOW, "Europe/Stockholm")
    assert now is not None
    XlsxStore(path).initialize(demo_rows(now.to_pydatetime()), force=False)
    return path


def test_the_corpus_is_large_and_named_uniquely() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 50
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", params())
def test_broken_workbook(
    case: Case,
    demo_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "alumni.xlsx"
    book = load_workbook(demo_file)
    case.edit(book)
    book.save(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)

    check_code = run(["--now", NOW, "--for-real", "check"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines and SUMMARY.match(lines[-1]), out
    problems = lines[:-1]
    bad = [line for line in problems if not PROBLEM.match(line)]
    assert not bad, f"problem lines not of the form 'Tab!A1: … — …': {bad}"
    for prefix in case.expect:
        assert any(line.startswith(prefix) for line in problems), (prefix, out)
    for text in case.contains:
        assert any(text in line for line in problems), (text, out)
    if case.cell is not None:
        named = [line for line in problems if line.startswith(f"{case.cell}: ")]
        if case.accepted:
            assert not named, named
        else:
            assert named, (case.cell, out)
    assert check_code in case.codes, out
    assert (check_code == 0) == (not problems), out

    before = people_cells(path)
    daily_code = run(["--now", NOW, "--for-real", "daily"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    assert daily_code in case.codes, out + err
    after = people_cells(path)
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    # Only empty ID cells may be filled in; nothing people typed changes.
    assert all(old is None and str(new).startswith(ID_PREFIXES) for old, new in changed.values()), (
        changed
    )
