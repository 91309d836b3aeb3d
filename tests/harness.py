"""Both storage backends behind one test harness: seed a sheet, act as a person, look at cells."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from alumni.sheet.google import GoogleStore
from alumni.sheet.store import Store
from alumni.sheet.xlsx import XlsxStore
from tests.fakes.sheets import FakeSheets, client_for

Rows = list[list[Any]]


class Harness(ABC):
    """A sheet in one backend, and the hands of a committee member editing it."""

    name: str
    store: Store

    @abstractmethod
    def seed(self, tabs: dict[str, Rows]) -> None:
        """Make the sheet hold exactly these tabs (title → rows, header first)."""

    @abstractmethod
    def values(self, title: str) -> Rows:
        """What a person sees in a tab, as text and numbers, rows padded to the same width."""

    @abstractmethod
    def titles(self) -> list[str]: ...

    # A person's edits, made while the tool is between its read and its write.
    @abstractmethod
    def insert_rows(self, title: str, before: int, rows: Rows) -> None: ...

    @abstractmethod
    def delete_rows(self, title: str, start: int, count: int = 1) -> None: ...

    @abstractmethod
    def sort(self, title: str, column: int, reverse: bool = False) -> None: ...

    @abstractmethod
    def set_cell(self, title: str, row: int, col: int, value: Any) -> None:
        """Type a value into a 1-based row and a 0-based column."""

    @abstractmethod
    def merge(self, title: str, cells: str) -> None:
        """Merge a block such as "B3:C3"; the top-left cell keeps its value, as in either app."""


def _pad(rows: Rows) -> Rows:
    while rows and all(v in (None, "") for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    return [[("" if v is None else v) for v in r] + [""] * (width - len(r)) for r in rows]


class XlsxHarness(Harness):
    name = "local"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "alumni.xlsx"
        self.store = XlsxStore(self.path)

    def seed(self, tabs: dict[str, Rows]) -> None:
        book = Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for title, rows in tabs.items():
            ws = book.create_sheet(title)
            for row in rows:
                ws.append(list(row))
        book.save(self.path)

    def _edit(self, title: str, change: Any) -> None:
        book = load_workbook(self.path)
        change(book[title])
        book.save(self.path)

    def values(self, title: str) -> Rows:
        book = load_workbook(self.path)
        return _pad([list(r) for r in book[title].iter_rows(values_only=True)])

    def titles(self) -> list[str]:
        return load_workbook(self.path).sheetnames

    def insert_rows(self, title: str, before: int, rows: Rows) -> None:
        def change(ws: Any) -> None:
            ws.insert_rows(before, len(rows))
            for offset, row in enumerate(rows):
                for col, value in enumerate(row):
                    ws.cell(before + offset, col + 1, value)

        self._edit(title, change)

    def delete_rows(self, title: str, start: int, count: int = 1) -> None:
        self._edit(title, lambda ws: ws.delete_rows(start, count))

    def sort(self, title: str, column: int, reverse: bool = False) -> None:
        def change(ws: Any) -> None:
            rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
            rows.sort(
                key=lambda r: str(r[column] if column < len(r) and r[column] else ""),
                reverse=reverse,
            )
            for r, row in enumerate(rows, start=2):
                for c, value in enumerate(row, start=1):
                    ws.cell(r, c).value = value  # ws.cell(r, c, None) would keep the old value

        self._edit(title, change)

    def set_cell(self, title: str, row: int, col: int, value: Any) -> None:
        def change(ws: Any) -> None:
            ws.cell(row, col + 1).value = value

        self._edit(title, change)

    def merge(self, title: str, cells: str) -> None:
        self._edit(title, lambda ws: ws.merge_cells(cells))


class GoogleHarness(Harness):
    name = "google"

    def __init__(self) -> None:
        self.fake = FakeSheets()
        self.key = self.fake.create_spreadsheet("Alumniutskottet", {})
        self.store = GoogleStore(client_for(self.fake), self.key, sleep=lambda s: None)

    def seed(self, tabs: dict[str, Rows]) -> None:
        self.key = self.fake.create_spreadsheet("Alumniutskottet", tabs)
        self.store = GoogleStore(client_for(self.fake), self.key, sleep=lambda s: None)

    def values(self, title: str) -> Rows:
        return _pad(self.fake.values(self.key, title))

    def titles(self) -> list[str]:
        return self.fake.sheet_titles(self.key)

    def insert_rows(self, title: str, before: int, rows: Rows) -> None:
        self.fake.insert_rows(self.key, title, before, rows)

    def delete_rows(self, title: str, start: int, count: int = 1) -> None:
        self.fake.delete_rows(self.key, title, start, count)

    def sort(self, title: str, column: int, reverse: bool = False) -> None:
        self.fake.sort(self.key, title, column, reverse=reverse)

    def set_cell(self, title: str, row: int, col: int, value: Any) -> None:
        from alumni.findings import a1

        self.fake.set_cell(self.key, title, a1(row, col), value)

    def merge(self, title: str, cells: str) -> None:
        self.fake.merge(self.key, title, cells)
