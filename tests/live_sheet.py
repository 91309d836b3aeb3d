"""The store contract on a real Google Sheet: which one, whether it may be used, and cleaning up.

Set ALUMNI_TEST_SHEET (the spreadsheet's key or address) and ALUMNI_TEST_CREDENTIALS (a service
account's JSON key) and tests/test_store_contract.py runs every contract test on that
spreadsheet too, as the backend "live". The run replaces every tab of the spreadsheet, so it
only starts on one that holds nothing or has "alumni-test" in its title; at the end it removes
the tabs it made and gives back the spreadsheet's own tab titles, empty. Nothing here prints the
key: messages name its file.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests

from alumni.config import Config, GoogleConfig
from alumni.errors import ConfigError, StoreError
from alumni.sheet.google import GoogleStore, quote_title
from tests.fakes.sheets.cells import from_python
from tests.fakes.sheets.ranges import a1_cell
from tests.harness import Harness, Rows, _pad

SHEET_VAR = "ALUMNI_TEST_SHEET"
CREDENTIALS_VAR = "ALUMNI_TEST_CREDENTIALS"
TEST_MARK = "alumni-test"
NEW_TAB = "Blad1"  # what a new spreadsheet's only tab is called (Swedish locale)

# Google allows about 60 reads and 60 writes a minute; a run of the contract makes several
# hundred, so a 429 must be waited out (pauses of 2, 4, ... 60 seconds) rather than failed.
RETRIES = 8
BACKOFF_SECONDS = 2.0

T = TypeVar("T")


class LiveSetupError(Exception):
    """The live run cannot or must not start; the message says what to do."""


@dataclass(frozen=True)
class LiveSettings:
    spreadsheet: str
    credentials: Path


def live_settings(environ: Mapping[str, str]) -> LiveSettings | None:
    """The live spreadsheet the environment names, or None when it names none."""
    sheet = environ.get(SHEET_VAR, "").strip()
    credentials = environ.get(CREDENTIALS_VAR, "").strip()
    if not sheet and not credentials:
        return None
    if not (sheet and credentials):
        given, missing = (SHEET_VAR, CREDENTIALS_VAR) if sheet else (CREDENTIALS_VAR, SHEET_VAR)
        raise LiveSetupError(
            f"{given} is set but {missing} is not: set both to run the store contract on a "
            "real Google Sheet (README: Verify a real Google Sheet), or neither."
        )
    return LiveSettings(sheet, Path(credentials).expanduser())


def backends(settings: LiveSettings | None) -> list[str]:
    """The store contract's backends: the workbook, the fake Google Sheet, and a real one if set."""
    return ["local", "google", *(["live"] if settings is not None else [])]


class LiveSheet:
    """The spreadsheet of a live run, opened as `alumni` opens it, checked, and cleaned up."""

    def __init__(
        self,
        settings: LiveSettings,
        *,
        mount: Callable[[requests.Session], Any] | None = None,
    ) -> None:
        if not settings.credentials.is_file():
            raise LiveSetupError(
                f"{CREDENTIALS_VAR} names {settings.credentials}, which is not a file: point it "
                "at the service account's JSON key."
            )
        self._config = Config(
            backend="google",
            google=GoogleConfig(
                spreadsheet=settings.spreadsheet,
                credentials=settings.credentials,
                retries=RETRIES,
                backoff_seconds=BACKOFF_SECONDS,
            ),
        )
        self._mount = mount
        # The first store speaks for the run itself; its warnings (a key others can read) show.
        self._own = self.open_store(warn=lambda text: print(text, file=sys.stderr))
        self.key = self._own.key
        try:
            workbook = self._own.read()
            meta = self._call(
                lambda: self._own.http.fetch_sheet_metadata(
                    self.key, params={"fields": "properties.title"}
                ),
                "the request for the spreadsheet's title",
            )
        except StoreError as exc:
            raise LiveSetupError(f"{SHEET_VAR}: {exc}") from None
        self.title = str(meta["properties"]["title"])
        filled = [
            t for t, s in workbook.items() if any(v not in (None, "") for r in s.rows for v in r)
        ]
        if filled and TEST_MARK not in self.title.casefold():
            raise LiveSetupError(
                f"refusing to run the store contract on the spreadsheet {self.title!r} "
                f"({self.key}): it holds data (in {', '.join(filled)}) and its title does not "
                f"contain {TEST_MARK!r}. The run replaces every tab of the spreadsheet it is "
                f"given. Make a new spreadsheet named {TEST_MARK!r}, share it with the service "
                f"account as Editor, and set {SHEET_VAR} to its address."
            )
        self.original_titles = list(workbook)

    def __repr__(self) -> str:
        return f"LiveSheet({self.title!r}, {self.key!r})"

    def open_store(self, warn: Callable[[str], None] = lambda text: None) -> GoogleStore:
        """A new store on the spreadsheet, made by the code `alumni` runs (no cached tabs)."""
        try:
            return GoogleStore.from_config(self._config, mount=self._mount, warn=warn)
        except ConfigError as exc:
            raise LiveSetupError(f"{SHEET_VAR} / {CREDENTIALS_VAR}: {exc}") from None

    def clean_up(self) -> None:
        """Remove every tab the run made, giving the spreadsheet its own tab titles back, empty."""
        self.replace_tabs({title: [] for title in self.original_titles})

    # -- requests of the run's own ---------------------------------------------------------

    def _call(self, send: Callable[[], T], what: str) -> T:
        return self._own._retrying(send, what)

    def sheet_ids(self) -> dict[str, int]:
        meta = self._call(
            lambda: self._own.http.fetch_sheet_metadata(
                self.key, params={"fields": "sheets.properties(sheetId,title)"}
            ),
            "the request for the tabs",
        )
        return {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta["sheets"]}

    def write(self, requests_: list[dict[str, Any]]) -> None:
        """One spreadsheets:batchUpdate, which Google applies all or nothing."""
        self._call(
            lambda: self._own.http.batch_update(self.key, {"requests": requests_}), "a test edit"
        )

    def read_values(self, title: str) -> list[list[Any]]:
        answer = self._call(
            lambda: self._own.http.values_get(
                self.key,
                quote_title(title),
                params={
                    "valueRenderOption": "UNFORMATTED_VALUE",
                    "dateTimeRenderOption": "FORMATTED_STRING",
                },
            ),
            "a test read",
        )
        return [list(r) for r in answer.get("values", [])]

    def replace_tabs(self, tabs: dict[str, Rows]) -> None:
        """Make the spreadsheet hold exactly these tabs (title → rows), in one write."""
        old = self.sheet_ids()
        taken = set(old.values())

        def new_id() -> int:
            while (candidate := random.randrange(1, 2**31 - 1)) in taken:
                pass
            taken.add(candidate)
            return candidate

        # A spreadsheet cannot be without tabs: a placeholder holds it while the old ones go
        # and the new ones, which may share their titles, come.
        placeholder = new_id()
        requests_: list[dict[str, Any]] = [_add_tab(placeholder, f"{TEST_MARK}-{placeholder}", [])]
        requests_ += [{"deleteSheet": {"sheetId": sheet_id}} for sheet_id in old.values()]
        for title, rows in tabs.items():
            sheet_id = new_id()
            requests_.append(_add_tab(sheet_id, title, rows))
            if rows:
                requests_.append(_update_cells(sheet_id, 0, 0, rows))
        requests_.append({"deleteSheet": {"sheetId": placeholder}})
        self.write(requests_)


class LiveHarness(Harness):
    """The real spreadsheet, and a committee member's hands editing it through the API."""

    name = "live"

    def __init__(self, sheet: LiveSheet) -> None:
        self.sheet = sheet
        self.seed({})

    def __repr__(self) -> str:
        return f"LiveHarness({self.sheet!r})"

    def seed(self, tabs: dict[str, Rows]) -> None:
        # Like the fake: no tabs given means a new spreadsheet's one empty tab.
        self.sheet.replace_tabs(tabs or {NEW_TAB: []})
        self.store = self.sheet.open_store()

    def values(self, title: str) -> Rows:
        return _pad(self.sheet.read_values(title))

    def titles(self) -> list[str]:
        return list(self.sheet.sheet_ids())

    def insert_rows(self, title: str, before: int, rows: Rows) -> None:
        sheet_id = self.sheet.sheet_ids()[title]
        span = {"startIndex": before - 1, "endIndex": before - 1 + len(rows)}
        self.sheet.write(
            [
                {"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", **span}}},
                _update_cells(sheet_id, before - 1, 0, rows),
            ]
        )

    def delete_rows(self, title: str, start: int, count: int = 1) -> None:
        sheet_id = self.sheet.sheet_ids()[title]
        span = {"startIndex": start - 1, "endIndex": start - 1 + count}
        self.sheet.write(
            [{"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", **span}}}]
        )

    def sort(self, title: str, column: int, reverse: bool = False) -> None:
        height = len(self.values(title))
        if height < 2:
            return
        order = "DESCENDING" if reverse else "ASCENDING"
        request = {
            "range": {
                "sheetId": self.sheet.sheet_ids()[title],
                "startRowIndex": 1,
                "endRowIndex": height,
            },
            "sortSpecs": [{"dimensionIndex": column, "sortOrder": order}],
        }
        self.sheet.write([{"sortRange": request}])

    def set_cell(self, title: str, row: int, col: int, value: Any) -> None:
        self.sheet.write([_update_cells(self.sheet.sheet_ids()[title], row - 1, col, [[value]])])

    def merge(self, title: str, cells: str) -> None:
        first, _, last = cells.partition(":")
        (r0, c0), (r1, c1) = a1_cell(first), a1_cell(last or first)
        block = {
            "sheetId": self.sheet.sheet_ids()[title],
            "startRowIndex": r0,
            "endRowIndex": r1 + 1,
            "startColumnIndex": c0,
            "endColumnIndex": c1 + 1,
        }
        self.sheet.write([{"mergeCells": {"range": block, "mergeType": "MERGE_ALL"}}])


def _add_tab(sheet_id: int, title: str, rows: Rows) -> dict[str, Any]:
    # A new tab's grid in Google Sheets, grown to fit, as the fake's create_spreadsheet does.
    width = max((len(r) for r in rows), default=0)
    grid = {"rowCount": max(1000, len(rows)), "columnCount": max(26, width)}
    return {
        "addSheet": {"properties": {"sheetId": sheet_id, "title": title, "gridProperties": grid}}
    }


def _update_cells(sheet_id: int, row: int, col: int, rows: Rows) -> dict[str, Any]:
    """Type Python values into cells from (row, col), 0-based, by the fake's rules for them."""
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
            "rows": [{"values": [_cell_data(v) for v in r]} for r in rows],
            "fields": "userEnteredValue,userEnteredFormat.numberFormat",
        }
    }


def _cell_data(value: Any) -> dict[str, Any]:
    cell = from_python(value)
    if cell is None:
        return {}
    data: dict[str, Any] = {"userEnteredValue": cell.user_entered_value()}
    if cell.number_format:
        data["userEnteredFormat"] = {"numberFormat": {"type": cell.number_format}}
    return data
