"""People editing the sheet in the browser while the tool works, between or at its requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.sheets.cells import from_python
from tests.fakes.sheets.model import (
    Book,
    add_python_sheet,
    delete_dim,
    find_book,
    find_sheet,
    insert_dim,
    sort_rows,
    write_python,
)
from tests.fakes.sheets.ranges import a1_cell, col_index

if TYPE_CHECKING:
    from tests.fakes.sheets import FakeSheets

Hook = Callable[["FakeSheets", int, str, str], None]


class PeopleEditing:
    """The part of FakeSheets that acts as a committee member: rows are 1-based as in the UI.

    Call these between two of the tool's requests, or from a ``before_request`` hook to edit
    at an exact point of a run (say, after its read and before its write).
    """

    _lock: threading.RLock
    _books: dict[str, Book]
    _hooks: list[Hook]

    def insert_rows(self, key: str, title: str, before_row: int, rows: list[list[Any]]) -> None:
        """Insert ``rows`` so that the first one becomes row ``before_row`` (1-based)."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            insert_dim(sheet, "ROWS", before_row - 1, len(rows))
            write_python(sheet, before_row - 1, rows)

    def delete_rows(self, key: str, title: str, start_row: int, count: int = 1) -> None:
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            delete_dim(sheet, "ROWS", start_row - 1, min(start_row - 1 + count, sheet.row_count))

    def insert_columns(
        self, key: str, title: str, before: int | str, headers: list[Any] | None = None
    ) -> None:
        """Insert columns so that the first becomes ``before`` (0-based index or a letter), one
        per header, which is typed into row 1 (a blank one without ``headers``)."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            col = col_index(before) if isinstance(before, str) else before
            headers = headers or [None]
            insert_dim(sheet, "COLUMNS", col, len(headers))
            for offset, header in enumerate(headers):
                sheet.put(0, col + offset, from_python(header))

    def delete_columns(self, key: str, title: str, first: int | str, count: int = 1) -> None:
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            col = col_index(first) if isinstance(first, str) else first
            delete_dim(sheet, "COLUMNS", col, min(col + count, sheet.col_count))

    def sort(
        self,
        key: str,
        title: str,
        column_index: int | str,
        reverse: bool = False,
        header_rows: int = 1,
    ) -> None:
        """Data > Sort range below the header rows, by one column (0-based index or letter)."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            col = col_index(column_index) if isinstance(column_index, str) else column_index
            end = max(sheet.last_data_row(), header_rows)
            sort_rows(sheet, header_rows, end, 0, sheet.col_count, [(col, reverse)])

    def set_cell(self, key: str, title: str, a1: str, value: Any) -> None:
        """Type ``value`` into a cell (Python value rules as in create_spreadsheet)."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            r, c = a1_cell(a1)
            sheet.row_count = max(sheet.row_count, r + 1)
            sheet.col_count = max(sheet.col_count, c + 1)
            sheet.put(r, c, from_python(value))

    def append_row(self, key: str, title: str, values: list[Any]) -> int:
        """Add a row after the last row with data; returns its 1-based row number."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            r = sheet.last_data_row()
            write_python(sheet, r, [values])
            return r + 1

    def add_sheet(
        self,
        key: str,
        title: str,
        rows: list[list[Any]] | None = None,
        *,
        row_count: int | None = None,
        col_count: int | None = None,
        index: int | None = None,
    ) -> int:
        """Add a tab; returns its sheetId."""
        with self._lock:
            book = find_book(self._books, key)
            book.check_title_free(title, "add_sheet")
            return add_python_sheet(book, title, rows or [], row_count, col_count, index).sheet_id

    def delete_sheet(self, key: str, title: str) -> None:
        with self._lock:
            book = find_book(self._books, key)
            book.sheets.remove(find_sheet(self._books, key, title))

    def rename_sheet(self, key: str, title: str, new_title: str) -> None:
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            find_book(self._books, key).check_title_free(new_title, "rename_sheet", ignore=sheet)
            sheet.title = new_title

    def before_request(self, callback: Hook) -> Hook:
        """Call ``callback(fake, request_index, method, path)`` before serving each request.

        ``request_index`` is the request's position in ``fake.requests``. Usable as decorator.
        """
        with self._lock:
            self._hooks.append(callback)
        return callback

    def _run_hooks(self, index: int, method: str, path: str) -> None:
        for hook in list(self._hooks):
            hook(self, index, method, path)  # type: ignore[arg-type]
