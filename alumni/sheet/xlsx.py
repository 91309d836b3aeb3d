"""The local backend: the committee's sheet as an .xlsx workbook on disk, through openpyxl."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook as XlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import DEFAULT_COLUMN_WIDTH
from openpyxl.worksheet.worksheet import Worksheet

from alumni.errors import SheetLockedError, StoreError
from alumni.findings import Finding
from alumni.sheet.colours import place_colours
from alumni.sheet.fidelity import refuse_losses
from alumni.sheet.filesave import Stamp, replace_file, stamp_of, stamp_of_bytes
from alumni.sheet.helps import SAMPLE_ROWS, Dropdown, place_help
from alumni.sheet.init_plan import has_data, headers_after, plan_init, refuse
from alumni.sheet.merges import drop_refused_writes, mark_covered, refused_write
from alumni.sheet.plan import Plan
from alumni.sheet.rowshift import delete_rows
from alumni.sheet.store import InitResult, Store
from alumni.sheet.workbook import RawWorkbook, Value, trim_blank_tail
from alumni.sheet.xlsx_patch import CannotPatch, patch_workbook
from alumni.sheet.xlsx_read import Merges, number_from_text, read_sheets


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


_UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    OSError,
    SyntaxError,  # XML that does not parse (lxml's and expat's errors alike)
    IllegalCharacterError,
)
"""What reading a file that is not a whole .xlsx workbook raises."""

RULE_ROWS = 5000
"""How far down the workbook's colours reach; far beyond any committee's sheet."""


class XlsxStore(Store):
    """A workbook file. Saves are atomic: a new file is written, then renamed over the old."""

    max_cell_chars = 32_767
    """Excel's limit: openpyxl would write a longer text, which Excel refuses or cuts."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._book: XlWorkbook | None = None
        self._raw: RawWorkbook | None = None
        self._merges: Merges = {}
        self._stamp: Stamp | None = None
        self._bytes = b""

    # -- reading ---------------------------------------------------------------------------

    def _check_unlocked(self) -> None:
        # Through a link (a shortcut into a synced folder) Excel puts its lock file beside the
        # workbook it opened, which is the link's target, under the target's name.
        real = Path(os.path.realpath(self.path))
        places = dict.fromkeys([self.path, real])
        for lock in [lock for place in places for lock in lock_files(place)]:
            if lock.exists():
                raise SheetLockedError(
                    f"{self.path} is open in Excel or LibreOffice (lock file {lock.name}) — "
                    "close it there and run again. If nobody has it open, delete the lock file."
                )

    def _stat(self) -> Stamp:
        return stamp_of(self.path)

    def _load(self) -> RawWorkbook:
        if not self.path.exists():
            raise StoreError(
                f"there is no workbook at {self.path} — run `alumni init` to create it "
                "(`alumni init --demo` for one with sample data), or set [local] workbook "
                "in the config."
            )
        self._check_unlocked()
        try:
            # One read of the bytes for the stamp, the cells and a later patch: what the run
            # writes is always made from the very version it read.
            data = self.path.read_bytes()
            stamp = stamp_of_bytes(data)
            # The cells only: openpyxl's full load is paid for when a save needs it.
            raw, merges = read_sheets(data)
        except _UNREADABLE as exc:
            raise self._unreadable(exc) from exc
        self._book, self._stamp, self._bytes = None, stamp, data
        self._raw, self._merges = raw, merges
        mark_covered(raw, merges)
        return raw

    def _unreadable(self, exc: BaseException) -> StoreError:
        return StoreError(
            f"{self.path} cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc}) — "
            "open it in Excel or LibreOffice and save it as .xlsx."
        )

    def _openpyxl(self) -> XlWorkbook:
        """The workbook read as a whole by openpyxl, from the bytes this run read."""
        if self._book is None:
            try:
                self._book = load_workbook(io.BytesIO(self._bytes), rich_text=False)
            except _UNREADABLE as exc:
                raise self._unreadable(exc) from exc
        return self._book

    def read(self) -> RawWorkbook:
        return self._load()

    def reread(self, tabs: Sequence[str]) -> RawWorkbook:
        # Someone may have saved the file since we read it: then take their version.
        if self._raw is None or self._stamp != self._stat():
            self._load()
        self._check_unlocked()
        assert self._raw is not None
        return self._raw

    # -- writing ---------------------------------------------------------------------------

    def write(self, plan: Plan) -> None:
        """Carry out `plan`: by rewriting only the tabs it touches where it can, so everything
        else in the file stays as it was, byte for byte; else through openpyxl, unless that
        would lose something the workbook holds."""
        assert self._raw is not None
        try:
            if self._patch(plan):
                return
            refuse_losses(self.path)  # what openpyxl did not load, its save would drop
            book = self._openpyxl()
            _apply_plan(book, plan)
            self._save(book.save)
            # openpyxl's save closes the pictures it loaded, so this copy cannot be saved
            # again; the next read of the run reads the file it wrote.
            self._book = self._raw = None
        except BaseException:
            # The file is whole, but the copy in memory may hold half a plan: forget it.
            self._book = self._raw = self._stamp = None
            raise

    def _patch(self, plan: Plan) -> bool:
        """Write `plan` into the tabs' own XML, the rest of the file copied as it is; False
        when the plan is not of that kind (it deletes rows, adds tabs, or writes where a
        formula, a table's header or merged cells are in the way)."""
        if plan.new_sheets or any(plan.deletions.values()):
            return False
        assert self._raw is not None
        drop_refused_writes(plan, self._merges)  # as openpyxl's path does: named, not made
        for title, rows in plan.appends.items():
            # New rows go below merged cells in their way, in the file as in memory.
            merged = self._merges.get(title, [])
            plan.first_row[title] = _clear_of_merged(merged, plan.first_row[title] + 1, rows) - 1
        written: list[bytes] = []

        def write(tmp: Path) -> None:
            patch_workbook(io.BytesIO(self._bytes), tmp, plan)
            written.append(tmp.read_bytes())

        try:
            self._save(write)
        except CannotPatch:
            return False
        self._bytes, self._book = written[0], None
        # The cells in memory follow, so the next step of this run needs no new read; where
        # they cannot follow exactly, the next step reads the file this run just wrote.
        if not _apply_to_cells(self._raw, plan):
            self._raw = None
        return True

    def _save(self, write: Callable[[Path], None]) -> None:
        self._check_unlocked()
        # Checked against the version read: another program's save since then is never lost.
        self._stamp = replace_file(self.path, write, self._stamp)

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
            book = self._openpyxl()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            book = XlWorkbook()
            book.remove(book.active)  # type: ignore[arg-type]
            fresh = {}
        plan, result = plan_init(fresh, rows)
        refuse(_in_merged_cells(book, plan))
        result.created = not existed
        _apply_plan(book, plan)
        for title in plan.new_sheets:
            for cell in book[title][1]:
                cell.font = Font(bold=True)
        headers = headers_after(fresh, plan)
        result.formatting_added = _add_help(book, headers) + _add_colours(book, headers)
        if existed and not plan and not result.formatting_added:
            return result  # nothing to add: the file stays exactly as it was
        if existed:
            try:
                refuse_losses(self.path)  # init saves through openpyxl: nothing may be lost
            except StoreError:
                self._book = None  # the copy in memory holds unsaved changes
                raise
        self._save(book.save)
        self._book = self._raw = None  # openpyxl's save closes the pictures it loaded
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
            if _validated(ws, f"{letter}2:{letter}{RULE_ROWS}"):
                continue  # a person's own validation in this column stays the only one
            ws.add_data_validation(_validation(drop, f"{letter}2:{letter}{RULE_ROWS}"))
            added.append(drop.label)
        for fmt in help_.formats:
            if _formatted(ws, fmt.column + 1):
                continue
            column = ws.column_dimensions[get_column_letter(fmt.column + 1)]
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


def _covering(ws: Worksheet, index: int) -> Any:
    """The column settings that cover column `index` (1-based), None when it has none: a
    spreadsheet program keeps neighbouring columns of one look as one range (G:H)."""
    for dim in ws.column_dimensions.values():
        low, high = dim.min or 0, dim.max or 0
        if dim.index == get_column_letter(index) or low <= index <= high:
            return dim
    return None


def _default_width(ws: Worksheet, index: int) -> bool:
    """Whether column `index` (1-based) has a width nobody chose (ranges of columns included)."""
    dim = _covering(ws, index)
    return dim is None or float(dim.width or 0) in _UNSET_WIDTHS


def _formatted(ws: Worksheet, index: int) -> bool:
    """Whether column `index` (1-based) already has a number format (ranges included)."""
    dim = _covering(ws, index)
    return dim is not None and dim.number_format != "General"


def _validated(ws: Worksheet, area: str) -> bool:
    """Whether any data validation already covers a cell of `area`."""
    wanted = CellRange(area)
    return any(
        not wanted.isdisjoint(have)
        for dv in ws.data_validations.dataValidation
        for have in dv.sqref.ranges
    )


def _in_merged_cells(book: XlWorkbook, plan: Plan) -> list[Finding]:
    """The header cells of `plan` that lie in a merged cell of an existing tab: one finding
    per merged cell (the tool cannot write there, and people see the merged cell's text)."""
    found: dict[tuple[str, str], Finding] = {}
    for w in plan.writes:
        if w.title in plan.new_sheets:
            continue
        where = f"{get_column_letter(w.col + 1)}{w.row + 1}"
        for merged in book[w.title].merged_cells.ranges:
            if where in merged and (w.title, merged.coord) not in found:
                found[(w.title, merged.coord)] = Finding(
                    w.title,
                    w.row + 1,
                    w.col,
                    f"the header '{w.value}' would go here, inside the merged cell {merged.coord}",
                    f"unmerge {merged.coord}, so that the headers init adds have cells of "
                    "their own",
                )
    return list(found.values())


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
        rule = FormulaRule(formula=[place.formula], fill=fill)
        # After every rule the tab has: where a person's own colour applies too, theirs shows.
        rule.priority = 1 + max(
            (r.priority or 0 for cf in ws.conditional_formatting for r in cf.rules), default=0
        )
        ws.conditional_formatting.add(area, rule)
        added.append(place.label)
    return added


def _apply_plan(book: XlWorkbook, plan: Plan) -> None:
    for title in plan.new_sheets:
        book.create_sheet(title)
    # A write into merged cells (not their top-left cell) is left out and reported in
    # `plan.skipped`; the others are made.
    plan.writes = [
        w for w in plan.writes if _set(book[w.title], w.row + 1, w.col + 1, w.value, plan.skipped)
    ]
    # After the writes, whose row numbers were read before any row moved; bottom-up, so each
    # deletion leaves the rows still to be deleted where they were.
    for title in plan.deletions:
        ws = book[title]
        for first, count in plan.deletion_runs(title):
            delete_rows(ws, first + 1, count)
    for title, rows in plan.appends.items():
        ws = book[title]
        start = _clear_of_merged(ws.merged_cells.ranges, plan.first_row[title] + 1, rows)
        for offset, row in enumerate(rows):
            for col, value in enumerate(row):
                if value is not None:
                    _set(ws, start + offset, col + 1, value, plan.skipped)


def _clear_of_merged(
    ranges: Sequence[CellRange], start: int, rows: Sequence[Sequence[Value]]
) -> int:
    """The first row from `start` (1-based) where `rows` land without a value in the merged
    cells `ranges`: new rows go below merged cells in their way (a note under the table, say)."""
    moved = True
    while moved:
        moved = False
        for r in ranges:
            for offset, row in enumerate(rows):
                values = row[r.min_col - 1 : r.max_col]
                if r.min_row <= start + offset <= r.max_row and any(v is not None for v in values):
                    start, moved = r.max_row + 1, True
                    break
    return start


def _set(ws: Worksheet, row: int, col: int, value: Value, skipped: list[Finding]) -> bool:
    """Write `value` in a cell; False, with a finding in `skipped`, when the cell is inside
    merged cells (only their top-left cell holds a value)."""
    covered = refused_write(ws.merged_cells.ranges, ws.title, row, col, value)
    if covered is not None:
        skipped.append(covered)
        return False
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _cell_text(value)
        # A value the tool writes is plain text, even one that starts with '='.
        cell.data_type = "s"
    else:
        cell.value = value
    return True


def _cell_text(value: str) -> str:
    # Characters XML cannot hold; openpyxl would refuse the whole save for one of them.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _as_held(value: Value) -> Value:
    """`value` as the file holds it once written: text without the characters XML cannot
    hold (and no empty text), numbers in the 16 digits a spreadsheet keeps."""
    if isinstance(value, str):
        return _cell_text(value) or None
    if isinstance(value, int | float):
        text = safe_string(value)
        return number_from_text(text) if text else None  # nan and inf are written as nothing
    return value


def _apply_to_cells(raw: RawWorkbook, plan: Plan) -> bool:
    """What a patch of `plan` (writes and appended rows, no new tabs or deletions) does to
    the cells the run holds, so that they read as the patched file would read (up to the
    empty cells that end a row, which no reader of a RawSheet counts). False, with `raw`
    untouched, when a value lands below the rows held (an appended row, say): a tab's
    closing rows of blanks are not held, and the file may keep a space in them that the new
    value makes part of the tab."""
    for title in {w.title for w in plan.writes} | set(plan.appends):
        held = len(raw[title].rows)
        appended = any(v is not None for row in plan.appends.get(title, []) for v in row)
        below = any(w.title == title and w.row >= held and w.value is not None for w in plan.writes)
        if appended or below:
            return False
    for w in plan.writes:
        rows = raw[w.title].rows
        if w.row >= len(rows):
            continue  # emptying a cell below the tab changes nothing a reader sees
        line = rows[w.row]
        if w.col >= len(line):
            if w.value is None:
                continue
            # Every row as wide as the widest, as a reader gives them.
            for other in rows:
                other.extend([None] * (w.col + 1 - len(other)))
        line[w.col] = _as_held(w.value)
    for title in {w.title for w in plan.writes}:
        trim_blank_tail(raw[title].rows)
    return True
