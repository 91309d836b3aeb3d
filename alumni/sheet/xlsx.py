"""The local backend: the committee's sheet as an .xlsx workbook on disk, through openpyxl."""

from __future__ import annotations

import contextlib
import os
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook as XlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import DEFAULT_COLUMN_WIDTH
from openpyxl.worksheet.worksheet import Worksheet

from alumni.errors import SheetLockedError, StoreError
from alumni.sheet.colours import place_colours
from alumni.sheet.helps import SAMPLE_ROWS, Dropdown, place_help
from alumni.sheet.init_plan import has_data, headers_after, plan_init
from alumni.sheet.plan import Plan
from alumni.sheet.store import InitResult, Store
from alumni.sheet.workbook import Cell, RawSheet, RawWorkbook, Value


def lock_files(path: Path) -> list[Path]:
    """Where Excel and LibreOffice put the lock file that says a workbook is open."""
    name = path.name
    stem = path.stem
    excel_short = "~$" + (stem[2:] if len(stem) >= 8 else stem) + path.suffix
    return [
        path.with_name("~$" + name),
        path.with_name(excel_short),
        path.with_name(f".~lock.{name}#"),
    ]


RULE_ROWS = 5000
"""How far down the workbook's colours reach; far beyond any committee's sheet."""


class XlsxStore(Store):
    """A workbook file. Saves are atomic: a new file is written, then renamed over the old."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._book: XlWorkbook | None = None
        self._raw: RawWorkbook | None = None
        self._stamp: tuple[int, int] | None = None

    # -- reading ---------------------------------------------------------------------------

    def _check_unlocked(self) -> None:
        for lock in lock_files(self.path):
            if lock.exists():
                raise SheetLockedError(
                    f"{self.path} is open in Excel or LibreOffice (lock file {lock.name}) — "
                    "close it there and run again. If nobody has it open, delete the lock file."
                )

    def _stat(self) -> tuple[int, int]:
        st = self.path.stat()
        return (st.st_mtime_ns, st.st_size)

    def _load(self) -> XlWorkbook:
        if not self.path.exists():
            raise StoreError(
                f"there is no workbook at {self.path} — run `alumni init` to create it "
                "(`alumni init --demo` for one with sample data), or set [local] workbook "
                "in the config."
            )
        self._check_unlocked()
        try:
            stamp = self._stat()
            book = load_workbook(self.path, rich_text=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise StoreError(
                f"{self.path} cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc}) — "
                "open it in Excel or LibreOffice and save it as .xlsx."
            ) from exc
        self._book, self._stamp = book, stamp
        self._raw = {ws.title: _raw_sheet(ws) for ws in book.worksheets}
        return book

    def read(self) -> RawWorkbook:
        self._load()
        assert self._raw is not None
        return self._raw

    def reread(self, tabs: Sequence[str]) -> RawWorkbook:
        # Someone may have saved the file since we read it: then take their version.
        if self._book is None or self._stamp != self._stat():
            self._load()
        self._check_unlocked()
        if self._raw is None:
            assert self._book is not None
            self._raw = {ws.title: _raw_sheet(ws) for ws in self._book.worksheets}
        return self._raw

    # -- writing ---------------------------------------------------------------------------

    def write(self, plan: Plan) -> None:
        assert self._book is not None
        try:
            _apply_plan(self._book, plan)
            self._save(self._book)
        except BaseException:
            # The file is whole, but the copy in memory may hold half a plan: forget it.
            self._book = self._raw = self._stamp = None
            raise

    def _save(self, book: XlWorkbook) -> None:
        self._check_unlocked()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            book.save(tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            raise StoreError(f"could not save {self.path}: {exc.strerror or exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        with contextlib.suppress(OSError):
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._stamp = self._stat()
        # The in-memory cells now differ from what was read: derive them again when needed.
        self._raw = None

    # -- init ------------------------------------------------------------------------------

    def initialize(
        self, rows: Mapping[str, Sequence[Mapping[str, Value]]] | None, force: bool
    ) -> InitResult:
        existed = self.path.exists()
        if existed and force:
            backup = self.path.with_name(
                f"{self.path.stem}.{datetime.now():%Y%m%d-%H%M%S}.bak{self.path.suffix}"
            )
            self._check_unlocked()
            shutil.copy2(self.path, backup)
            existed = False
        if existed:
            fresh = self.read()
            if rows is not None and has_data(fresh):
                raise StoreError(
                    f"{self.path} already holds data — `--demo` would mix sample rows into it. "
                    "Use `alumni init --demo --force` to replace it (the old file is kept as a "
                    ".bak copy), or point the config at a new file."
                )
            book = self._book
            assert book is not None
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            book = XlWorkbook()
            book.remove(book.active)  # type: ignore[arg-type]
            fresh = {}
        plan, result = plan_init(fresh, rows)
        result.created = not existed
        _apply_plan(book, plan)
        for title in plan.new_sheets:
            for cell in book[title][1]:
                cell.font = Font(bold=True)
        headers = headers_after(fresh, plan)
        result.formatting_added = _add_help(book, headers) + _add_colours(book, headers)
        self._book = book
        self._save(book)
        return result


def _add_help(book: XlWorkbook, headers: dict[str, list[object]]) -> list[str]:
    """Freeze, dropdowns, date formats and widths where the sheet lacks them; people's own
    settings in these columns are left as they are."""
    rows = {
        title: [list(r) for r in book[title].iter_rows(min_row=2, max_row=SAMPLE_ROWS + 1)]
        for title in headers
    }
    values = {title: [[c.value for c in r] for r in cells] for title, cells in rows.items()}
    added: list[str] = []
    for help_ in place_help(headers, values):
        ws = book[help_.title]
        if ws.freeze_panes is None:
            ws.freeze_panes = "A2"
            added.append(help_.frozen_label)
        for drop in help_.dropdowns:
            letter = get_column_letter(drop.column + 1)
            if any(f"{letter}2" in dv.sqref for dv in ws.data_validations.dataValidation):
                continue
            ws.add_data_validation(_validation(drop, f"{letter}2:{letter}{RULE_ROWS}"))
            added.append(drop.label)
        for fmt in help_.formats:
            letter = get_column_letter(fmt.column + 1)
            column = ws.column_dimensions[letter]
            if column.number_format != "General":
                continue
            # The column's style formats what people type later; cells already holding a
            # date or a number get it too (text stays text: the tool writes times as text).
            column.number_format = fmt.pattern
            for (cell,) in ws.iter_rows(min_row=2, min_col=fmt.column + 1, max_col=fmt.column + 1):
                if cell.number_format == "General" and isinstance(
                    cell.value, datetime | date | int | float
                ):
                    cell.number_format = fmt.pattern
            added.append(fmt.label)
        fitted = False
        for index, chars in help_.widths.items():
            if not _default_width(ws, index + 1):
                continue
            width = float(chars + 2)
            # Never a default width, so that the next init sees this one as set.
            ws.column_dimensions[get_column_letter(index + 1)].width = (
                width + 0.5 if width in _UNSET_WIDTHS else width
            )
            fitted = True
        if fitted:
            added.append(help_.widths_label)
    return added


_UNSET_WIDTHS = (0.0, DEFAULT_COLUMN_WIDTH, 18.0)
"""Widths no person chose: none, openpyxl's default, and the 18 that older inits gave every
column of a new tab."""


def _default_width(ws: Worksheet, index: int) -> bool:
    """Whether column `index` (1-based) has a width nobody chose (ranges of columns included)."""
    for dim in ws.column_dimensions.values():
        low, high = dim.min or 0, dim.max or 0
        if dim.index == get_column_letter(index) or low <= index <= high:
            return float(dim.width or 0) in _UNSET_WIDTHS
    return True


def _validation(drop: Dropdown, area: str) -> DataValidation:
    # A warning, not a refusal: people paste rows from forms and e-mails, and a value the
    # tool cannot read is named by `alumni check` anyway.
    choices = ", ".join(drop.values)
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(drop.values) + '"',
        allow_blank=True,
        # openpyxl's showDropDown=True hides the arrow.
        showDropDown=not drop.arrow,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Okänt värde",
        error=f"Verktyget läser bara: {choices}.",
    )
    validation.add(area)
    return validation


def _add_colours(book: XlWorkbook, headers: dict[str, list[object]]) -> list[str]:
    added: list[str] = []
    for place in place_colours(headers):
        ws = book[place.title]
        if any(place.formula in r.formula for cf in ws.conditional_formatting for r in cf.rules):
            continue  # set once, not again on every init
        first = get_column_letter(place.first + 1)
        last = get_column_letter(place.last)
        fill = PatternFill(
            start_color=place.rule.colour, end_color=place.rule.colour, fill_type="solid"
        )
        area = f"{first}2:{last}{RULE_ROWS}"
        ws.conditional_formatting.add(area, FormulaRule(formula=[place.formula], fill=fill))
        added.append(place.label)
    return added


def _apply_plan(book: XlWorkbook, plan: Plan) -> None:
    for title in plan.new_sheets:
        book.create_sheet(title)
    for w in plan.writes:
        _set(book[w.title], w.row + 1, w.col + 1, w.value)
    # After the writes, whose row numbers were read before any row moved; bottom-up, so each
    # deletion leaves the rows still to be deleted where they were.
    for title in plan.deletions:
        ws = book[title]
        for first, count in plan.deletion_runs(title):
            ws.delete_rows(first + 1, count)
    for title, rows in plan.appends.items():
        ws = book[title]
        start = plan.first_row[title]
        for offset, row in enumerate(rows):
            for col, value in enumerate(row):
                if value is not None:
                    _set(ws, start + offset + 1, col + 1, value)


def _set(ws: Worksheet, row: int, col: int, value: Value) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        # A value the tool writes is plain text, even one that starts with '='.
        cell.data_type = "s"
    else:
        cell.value = value


def _raw_sheet(ws: Any) -> RawSheet:
    rows: list[list[Cell]] = [list(r) for r in ws.iter_rows(values_only=True)]
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    return RawSheet(ws.title, rows)
