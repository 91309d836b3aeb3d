"""The Google backend: the committee's sheet as a Google Sheet, through gspread's HTTP client.

A run costs four requests whatever the sheet's size: the metadata, one `values:batchGet` of
every tab, one `values:batchGet` of the changed tabs just before writing, and one
`spreadsheets:batchUpdate` carrying every write, which Google applies all or nothing.

Google writes "row 7", not "the row whose ID is X": a row a person inserts, deletes or sorts in
the instant between the re-read and the write moves where a value lands. The write's answer
holds the tabs it wrote as it left them, so each value is checked where it landed without a
request more; one that landed in another row is put back and written again in its own row, in
one more `spreadsheets:batchUpdate` (see `landing.landing`).
"""

from __future__ import annotations

import json
import os
import random
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any, TypeVar

import gspread
import requests
from google.auth.exceptions import RefreshError, TransportError
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL

from alumni.errors import ConfigError, StoreError
from alumni.findings import column_letter
from alumni.sheet.changes import ChangeSet
from alumni.sheet.colours import Placement, place_colours
from alumni.sheet.helps import TabHelp, place_help
from alumni.sheet.init_plan import has_data, headers_after, plan_init
from alumni.sheet.landing import Landing, Stray, describe, landing, repair
from alumni.sheet.merges import Merge, drop_refused_writes, mark_covered
from alumni.sheet.plan import CellWrite, Plan, plan_changes
from alumni.sheet.store import ApplyResult, InitResult, Store
from alumni.sheet.workbook import RawSheet, RawWorkbook, Value, locate_tabs

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RETRY_STATUS = {429, 500, 502, 503, 504}
READ_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
WRITTEN_FIELDS = (
    "updatedSpreadsheet(sheets(properties(title),data(rowData(values(effectiveValue)))))"
)
"""What a write's answer holds: the written tabs' values as the write left them (as read)."""
REPAIRS = 3
"""How many times a write whose values landed in other rows is put right before giving up."""
ERRORS = {
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "LOADING": "Loading...",
}
"""A formula's error in a write's answer, as `values:batchGet` shows it."""
HISTORY = "File › Version history › See version history"

T = TypeVar("T")


class _Passing(Exception):
    """A failure worth trying again (429, 5xx, time-out), carrying what people should read."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def quote_title(title: str) -> str:
    """A sheet title as an A1 range: always quoted, inner apostrophes doubled."""
    return "'" + title.replace("'", "''") + "'"


_SHEET_URL = re.compile(r"^https?://docs\.google\.com/spreadsheets/(?:u/\d+/)?d/([\w-]+)")
_OLD_SHEET_URL = re.compile(r"^https?://docs\.google\.com/spreadsheet/\S*[?&]key=([\w-]+)")


def spreadsheet_key(spreadsheet: str) -> str:
    """The key from a spreadsheet's key or its whole address (also `/u/1/` and old `?key=`)."""
    spreadsheet = spreadsheet.strip()
    if not spreadsheet.startswith("http"):
        return spreadsheet
    match = _SHEET_URL.match(spreadsheet) or _OLD_SHEET_URL.match(spreadsheet)
    if match is None:
        raise ConfigError(
            f"google.spreadsheet {spreadsheet!r} is not a Google Sheets address — "
            "copy the address of the sheet from the browser."
        )
    return match.group(1)


def load_credentials(path: Path | None, warn: Callable[[str], None]) -> Any:
    """Service-account credentials from the configured file or $GOOGLE_APPLICATION_CREDENTIALS."""
    from google.oauth2.service_account import Credentials

    setting = "google.credentials in the config"
    if path is None:
        env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
        if not env:
            raise ConfigError(
                "no Google credentials: set google.credentials in the config to the service "
                "account's JSON key, or the environment variable GOOGLE_APPLICATION_CREDENTIALS."
            )
        path = Path(env)
        setting = "the environment variable GOOGLE_APPLICATION_CREDENTIALS"
    if not path.is_file():
        raise ConfigError(f"the credentials file {path} does not exist — check {setting}.")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(
            f"warning: {path} can be read by other users of this computer; "
            f"it holds a private key — run: chmod 600 {path}"
        )
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
        return Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{path} is not a service account key (JSON with client_email and private_key) — "
            "download a new key for the service account in Google Cloud Console."
        ) from exc


class GoogleStore(Store):
    """A Google Sheet reached through a gspread client, with bounded retries on every request."""

    max_cell_chars = 50_000
    """Google refuses a whole write (400 INVALID_ARGUMENT "Your input contains more than the
    maximum of 50000 characters in a single cell.") that holds a longer text."""

    def __init__(
        self,
        client: gspread.Client,
        spreadsheet: str,
        *,
        account: str = "",
        retries: int = 5,
        backoff: float = 1.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = client.http_client
        self.http.set_timeout(timeout)
        self.key = spreadsheet_key(spreadsheet)
        self.account = account
        self.location = f"https://docs.google.com/spreadsheets/d/{self.key}"
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self._sheets: dict[str, dict[str, Any]] = {}
        self._conditional: dict[str, list[Any]] = {}
        self._merges: dict[str, list[Merge]] = {}

    @classmethod
    def from_config(
        cls,
        config: Any,
        mount: Callable[[requests.Session], None] | None = None,
        warn: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
    ) -> GoogleStore:
        """Open the configured spreadsheet with the service account's key."""
        from google.auth.transport.requests import AuthorizedSession, Request

        if not config.google.spreadsheet:
            raise ConfigError(
                'backend is "google" but google.spreadsheet is empty — set it to the sheet\'s '
                "key or address."
            )
        credentials = load_credentials(config.google.credentials, warn)
        # The access token comes through a session of its own; both go where `mount` says.
        token_session = requests.Session()
        session = AuthorizedSession(credentials, auth_request=Request(token_session))
        if mount is not None:
            mount(token_session)
            mount(session)
        client = gspread.Client(auth=credentials, session=session)
        return cls(
            client,
            config.google.spreadsheet,
            account=getattr(credentials, "service_account_email", ""),
            retries=config.google.retries,
            backoff=config.google.backoff_seconds,
            timeout=config.google.timeout_seconds,
        )

    # -- requests --------------------------------------------------------------------------

    def _once(self, call: Callable[[], T], what: str) -> T:
        """One request; passing failures become `_Passing`, others a message to act on."""
        try:
            return call()
        except APIError as exc:
            code = exc.response.status_code
            message = _google_message(exc)
            if code in RETRY_STATUS:
                raise _Passing(f"Google answered {code} ({message}) to {what}") from exc
            raise self._explain(code, message, what) from exc
        except requests.exceptions.Timeout as exc:
            raise _Passing(f"Google did not answer {what} in time") from exc
        except (requests.exceptions.ConnectionError, TransportError) as exc:
            raise _Passing(f"no connection to Google for {what} ({type(exc).__name__})") from exc
        except RefreshError as exc:
            raise StoreError(
                "Google did not accept the service account's key (the key may have been deleted "
                "or revoked, or this computer's clock is wrong) — create a new key for the "
                "service account and point google.credentials at it."
            ) from exc

    def _retrying(self, call: Callable[[], T], what: str) -> T:
        for attempt in self._attempts():
            try:
                return self._once(call, what)
            except _Passing as exc:
                last = exc
                if attempt == self.retries:
                    break
        raise StoreError(
            f"{last.text}, {self.retries + 1} times — Google is busy or unreachable; "
            "nothing was written. Wait a few minutes and run again."
        )

    def _attempts(self) -> Iterator[int]:
        for attempt in range(self.retries + 1):
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                self.sleep(min(pause * random.uniform(0.5, 1.5), 60.0))
            yield attempt

    def _explain(self, code: int, message: str, what: str) -> StoreError:
        if code == 403:
            who = self.account or "the service account's client_email (in its JSON key)"
            return StoreError(
                f"Google refused access to the spreadsheet {self.key} (403: {message}) — "
                f"share the sheet with {who} as Editor (Share button in Google Sheets)."
            )
        if code == 404:
            return StoreError(
                f"Google has no spreadsheet with the key {self.key} (404) — check "
                "google.spreadsheet in the config (the part of the address after /d/)."
            )
        if code == 401:
            return StoreError(
                f"Google did not accept the service account's key (401: {message}) — "
                "create a new key and point google.credentials at it."
            )
        return StoreError(f"Google refused {what} ({code}: {message}).")

    # -- reading ---------------------------------------------------------------------------

    def _metadata(self, retry: bool = True) -> None:
        send = self._retrying if retry else self._once
        meta = send(
            lambda: self.http.fetch_sheet_metadata(self.key), "the request for the sheet's tabs"
        )
        self._sheets = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
        self._conditional = {
            s["properties"]["title"]: s.get("conditionalFormats", [])
            for s in meta.get("sheets", [])
        }
        # Part of the same answer: no request of their own.
        self._merges = {}
        for s in meta.get("sheets", []):
            grid = s["properties"].get("gridProperties", {})
            rows, columns = grid.get("rowCount", 1000), grid.get("columnCount", 26)
            self._merges[s["properties"]["title"]] = [
                Merge.from_grid_range(m, rows, columns) for m in s.get("merges", [])
            ]

    def _values(self, titles: Sequence[str], retry: bool = True) -> RawWorkbook:
        if not titles:
            return {}
        ranges = [quote_title(t) for t in titles]
        send = self._retrying if retry else self._once
        answer = send(
            lambda: self.http.values_batch_get(self.key, ranges, params=dict(READ_PARAMS)),
            "the request for the sheet's cells",
        )
        value_ranges = answer.get("valueRanges", [])
        # A range with nothing in it comes back without its `values` key.
        return {
            title: RawSheet(title, [list(r) for r in vr.get("values", [])])
            for title, vr in zip(titles, value_ranges, strict=False)
        }

    def read(self) -> RawWorkbook:
        self._metadata()
        raw = self._values(list(self._sheets))
        mark_covered(raw, self._merges)
        return raw

    def reread(self, tabs: Sequence[str]) -> RawWorkbook:
        if not self._sheets:
            self._metadata()
        titles, _ = locate_tabs({t: RawSheet(t, []) for t in self._sheets})
        wanted = [titles[name] for name in tabs if titles.get(name)]
        # No retries of its own: `apply` retries the re-read and the write together.
        return self._values([t for t in wanted if t is not None], retry=False)

    # -- writing ---------------------------------------------------------------------------

    def apply(self, changes: ChangeSet) -> ApplyResult:
        # A write that failed may still have been applied (an answer lost on the way back),
        # so each attempt reads again and plans afresh: appends already there are dropped.
        for attempt in self._attempts():
            try:
                if attempt:
                    # The failed write may have added a tab or not: ask Google which tabs exist.
                    self._metadata(retry=False)
                return self._apply_once(changes)
            except _Passing as exc:
                last = exc
                if attempt == self.retries:
                    break
        raise StoreError(
            f"{last.text}, {self.retries + 1} times — the changes were not written (Google "
            "applies all of them or none). Run again later."
        )

    def _apply_once(self, changes: ChangeSet) -> ApplyResult:
        """Re-read, plan, write; then check where each value landed and put right what a
        person's moving rows in that instant sent elsewhere."""
        if not changes:
            return ApplyResult()
        fresh = self.reread(changes.tabs())
        plan = self._clear_of_merges(plan_changes(changes, fresh, self.max_cell_chars))
        result = ApplyResult.of(plan)
        if not plan:
            return result
        after = self._send(plan)
        unsure: list[Stray] = []
        for rewrites in range(REPAIRS + 1):
            landed = landing(plan, fresh, after)
            if landed.kept or landed.lost:
                # A row removed in place of another cannot be put back as it was: stop here.
                problem = _removed_elsewhere(landed)
                if landed.strays:
                    problem += "\n" + _strays_text(landed.strays)
                raise StoreError(problem)
            if landed.right:
                break
            if rewrites == REPAIRS:
                raise StoreError(_never_settled(landed.strays, rewrites + 1))
            unsure.extend(s for s in landed.strays if not s.known)
            before = fresh
            plan, fresh, lost = repair(changes, plan, fresh, after, landed, self.max_cell_chars)
            plan = self._clear_of_merges(plan)
            if lost:
                raise StoreError(_not_put_back(lost, before))
            result.skipped.extend(f for f in plan.skipped if f not in result.skipped)
            after = self._send_again(plan, landed.strays)
        if unsure:
            raise StoreError(_unsure(unsure))
        return result

    def _clear_of_merges(self, plan: Plan) -> Plan:
        """`plan` without its writes into cells under merged cells (as the sheet's metadata
        last showed them), each named in `plan.skipped`: only a block's top-left cell holds a
        value, and one written under it nobody would see."""
        drop_refused_writes(plan, self._merges)
        return plan

    def write(self, plan: Plan) -> None:
        self._send(self._clear_of_merges(plan))

    def _send(self, plan: Plan) -> RawWorkbook:
        """Write `plan` in one request; the tabs it wrote rows of, as it left them."""
        return self._once(self._sender(plan), "the write")

    def _send_again(self, plan: Plan, strays: list[Stray]) -> RawWorkbook:
        """`_send` for a repair, retried on its own: the values to put back are in no plan."""
        send = self._sender(plan)
        for attempt in self._attempts():
            try:
                return self._once(send, "the write")
            except _Passing as exc:
                last = exc
                if attempt == self.retries:
                    break
        raise StoreError(
            f"{last.text}, {self.retries + 1} times — {_strays_text(strays)}"
            f"\nPut back what each held ({HISTORY} shows it), then run again."
        )

    def _sender(self, plan: Plan) -> Callable[[], RawWorkbook]:
        requests_ = self._requests(plan)
        if not requests_:
            return dict
        body: dict[str, Any] = {"requests": requests_}
        params: dict[str, str | int | bool | float | list[str] | None] | None = None
        # The tabs whose rows were written (not created now), to see where each value landed.
        titles = {w.title for w in plan.writes if w.row > 0} | set(plan.deletions)
        ranges = [quote_title(t) for t in sorted(titles) if t not in plan.new_sheets]
        if ranges:
            body.update(
                includeSpreadsheetInResponse=True,
                responseRanges=ranges,
                responseIncludeGridData=True,
            )
            params = {"fields": WRITTEN_FIELDS}
        url = SPREADSHEET_BATCH_UPDATE_URL % self.key

        def send() -> RawWorkbook:
            answer = self.http.request("post", url, json=body, params=params).json()
            return _written_tabs(answer)

        return send

    def _requests(self, plan: Plan) -> list[dict[str, Any]]:
        requests_: list[dict[str, Any]] = []
        for title in plan.new_sheets:
            sheet_id = self._new_sheet_id()
            props = {
                "sheetId": sheet_id,
                "title": title,
                "gridProperties": {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1},
            }
            requests_.append({"addSheet": {"properties": props}})
            self._sheets[title] = props
        widest: dict[str, int] = {}
        for w in plan.writes:
            widest[w.title] = max(widest.get(w.title, 0), w.col + 1)
        for title, rows in plan.appends.items():
            widest[title] = max([widest.get(title, 0), *(len(r) for r in rows)])
        for title, width in widest.items():
            grid = self._sheets[title].setdefault("gridProperties", {})
            have = grid.get("columnCount", 26)
            if width > have:
                requests_.append(
                    {
                        "appendDimension": {
                            "sheetId": self._id(title),
                            "dimension": "COLUMNS",
                            "length": width - have,
                        }
                    }
                )
                grid["columnCount"] = width
        ordered = sorted(plan.writes, key=lambda w: (w.title, w.row, w.col))
        for (title, row), group in groupby(ordered, key=lambda w: (w.title, w.row)):
            cells = list(group)
            run: list[Any] = []
            for w in cells:
                if run and w.col != run[-1].col + 1:
                    requests_.append(self._update_cells(title, row, run))
                    run = []
                run.append(w)
            requests_.append(self._update_cells(title, row, run))
        # After the writes, whose row numbers were read before any row moved; bottom-up, so each
        # deletion leaves the rows still to be deleted where they were.
        for title in plan.deletions:
            requests_.extend(self._delete_rows(title, plan))
        for title, rows in plan.appends.items():
            requests_.append(
                {
                    "appendCells": {
                        "sheetId": self._id(title),
                        "rows": [{"values": [_cell_data(v) for v in row]} for row in rows],
                        "fields": "userEnteredValue",
                    }
                }
            )
        return requests_

    def _delete_rows(self, title: str, plan: Plan) -> list[dict[str, Any]]:
        requests_: list[dict[str, Any]] = []
        grid = self._sheets[title].setdefault("gridProperties", {})
        have = int(grid.get("rowCount", 1000))
        frozen = int(grid.get("frozenRowCount", 0))
        gone = len(plan.deletions[title])
        # Google refuses to delete every row below the frozen ones: keep one empty row.
        short = frozen + 1 - (have - gone)
        if short > 0:
            requests_.append(
                {
                    "appendDimension": {
                        "sheetId": self._id(title),
                        "dimension": "ROWS",
                        "length": short,
                    }
                }
            )
            have += short
        for first, count in plan.deletion_runs(title):
            requests_.append(
                {
                    "deleteDimension": {
                        "range": {
                            "sheetId": self._id(title),
                            "dimension": "ROWS",
                            "startIndex": first,
                            "endIndex": first + count,
                        }
                    }
                }
            )
        grid["rowCount"] = have - gone
        return requests_

    def _update_cells(self, title: str, row: int, run: list[Any]) -> dict[str, Any]:
        return {
            "updateCells": {
                "start": {"sheetId": self._id(title), "rowIndex": row, "columnIndex": run[0].col},
                "rows": [{"values": [_cell_data(w.value) for w in run]}],
                "fields": "userEnteredValue",
            }
        }

    def _id(self, title: str) -> int:
        return int(self._sheets[title]["sheetId"])

    def _new_sheet_id(self) -> int:
        used = {int(p.get("sheetId", 0)) for p in self._sheets.values()}
        candidate = 1_000_000 + len(used)
        while candidate in used:
            candidate += 1
        return candidate

    # -- init ------------------------------------------------------------------------------

    def initialize(
        self, rows: Mapping[str, Sequence[Mapping[str, Value]]] | None, force: bool
    ) -> InitResult:
        # Like `apply`: each attempt reads afresh, so a lost answer never doubles a tab or rule.
        for attempt in self._attempts():
            try:
                return self._initialize_once(rows)
            except _Passing as exc:
                last = exc
                if attempt == self.retries:
                    break
        raise StoreError(
            f"{last.text}, {self.retries + 1} times — nothing was changed (Google applies all of "
            "it or none). Run `alumni init` again later."
        )

    def _initialize_once(
        self, rows: Mapping[str, Sequence[Mapping[str, Value]]] | None
    ) -> InitResult:
        self._metadata(retry=False)
        fresh = self._values(list(self._sheets), retry=False)
        if rows is not None and has_data(fresh):
            raise StoreError(
                "the spreadsheet already holds data and the tool never deletes a Google Sheet's "
                "rows — use a new, empty spreadsheet for the demo."
            )
        plan, result = plan_init(fresh, rows)
        result.created = False
        requests_ = self._requests(plan)
        headers = headers_after(fresh, plan)
        body: dict[str, list[Sequence[Any]]] = {
            title: [
                *(fresh[title].rows[1:] if title in fresh else []),
                *plan.appends.get(title, []),
            ]
            for title in headers
        }
        help_ = place_help(headers, body)
        # A grid of one row has nothing below its header to set (and no row 2 to ask about).
        help_ = [h for h in help_ if self._rows(h.title) > 1]
        present = self._present(
            [h.title for h in help_ if h.title in fresh and h.title not in plan.new_sheets]
        )
        for tab_help in help_:
            new = tab_help.title in plan.new_sheets
            requests_.extend(
                self._help_requests(tab_help, None if new else present.get(tab_help.title), result)
            )
        placed: dict[str, int] = {}
        for place in place_colours(headers):
            rules = self._conditional.get(place.title, [])
            existing = json.dumps(rules, ensure_ascii=False)
            if json.dumps("=" + place.formula, ensure_ascii=False)[1:-1] in existing:
                continue  # set once, not again on every init
            # After the tab's own rules: where a person's colour applies too, theirs shows.
            index = len(rules) + placed.get(place.title, 0)
            placed[place.title] = placed.get(place.title, 0) + 1
            requests_.append(_colour_request(self._id(place.title), place, index))
            result.formatting_added.append(place.label)
        if requests_:
            self._once(lambda: self.http.batch_update(self.key, {"requests": requests_}), "init")
        return result

    def _rows(self, title: str) -> int:
        return int(self._sheets[title].get("gridProperties", {}).get("rowCount", 1000))

    def _present(self, titles: Sequence[str]) -> dict[str, _Present]:
        """What each tab already has: the number formats of row 2 (the first below the header),
        which init sets on whole columns, the columns with a validation in any row (init's
        dropdown would replace a person's own), and every column's width."""
        if not titles:
            return {}
        params: dict[str, str | int | bool | float | list[str] | None] = {
            "includeGridData": "true",
            "ranges": [f"{quote_title(t)}!2:{self._rows(t)}" for t in titles],
            "fields": "sheets(properties(title),data(rowData(values("
            "dataValidation,userEnteredFormat(numberFormat))),columnMetadata(pixelSize)))",
        }
        meta = self._once(
            lambda: self.http.fetch_sheet_metadata(self.key, params=params),
            "the request for the sheet's formats",
        )
        present: dict[str, _Present] = {}
        for sheet in meta.get("sheets", []):
            data = (sheet.get("data") or [{}])[0]
            rows = [row.get("values") or [] for row in data.get("rowData") or []]
            cells = rows[0] if rows else []
            present[sheet["properties"]["title"]] = _Present(
                validated={i for row in rows for i, c in enumerate(row) if c.get("dataValidation")},
                formatted={
                    i
                    for i, c in enumerate(cells)
                    if (c.get("userEnteredFormat") or {}).get("numberFormat")
                },
                widths=[
                    int(m.get("pixelSize", DEFAULT_PIXELS)) for m in data.get("columnMetadata", [])
                ],
            )
        return present

    def _help_requests(
        self, help_: TabHelp, present: _Present | None, result: InitResult
    ) -> list[dict[str, Any]]:
        """Requests for what the tab lacks of `help_`; a new tab (`present` None) lacks all."""
        have = present or _Present(set(), set(), [])
        sheet_id = self._id(help_.title)
        grid = self._sheets[help_.title].setdefault("gridProperties", {})
        out: list[dict[str, Any]] = []
        if present is None and grid.get("frozenRowCount"):
            result.formatting_added.append(help_.frozen_label)  # a new tab, made frozen
        elif not grid.get("frozenRowCount"):
            out.append(
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": sheet_id,
                            "gridProperties": {"frozenRowCount": 1},
                        },
                        "fields": "gridProperties.frozenRowCount",
                    }
                }
            )
            grid["frozenRowCount"] = 1
            result.formatting_added.append(help_.frozen_label)
        for drop in help_.dropdowns:
            if drop.column in have.validated:
                continue
            out.append(
                {
                    "setDataValidation": {
                        "range": _below_header(sheet_id, drop.column),
                        "rule": {
                            "condition": {
                                "type": "ONE_OF_LIST",
                                "values": [{"userEnteredValue": v} for v in drop.values],
                            },
                            # A warning, not a refusal: see docs/sheet.md.
                            "strict": False,
                            "showCustomUi": drop.arrow,
                        },
                    }
                }
            )
            result.formatting_added.append(drop.label)
        for fmt in help_.formats:
            if fmt.column in have.formatted:
                continue
            kind = "DATE_TIME" if fmt.with_time else "DATE"
            out.append(
                {
                    "repeatCell": {
                        "range": _below_header(sheet_id, fmt.column),
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": {"type": kind, "pattern": fmt.pattern}
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
            result.formatting_added.append(fmt.label)
        fitted = False
        for index, chars in help_.widths.items():
            if index < len(have.widths) and have.widths[index] != DEFAULT_PIXELS:
                continue  # someone chose this width
            pixels = chars * 7 + 16
            # Never the default, so that the next init sees this width as set.
            pixels += pixels == DEFAULT_PIXELS
            out.append(
                {
                    "updateDimensionProperties": {
                        "range": {
                            "sheetId": sheet_id,
                            "dimension": "COLUMNS",
                            "startIndex": index,
                            "endIndex": index + 1,
                        },
                        "properties": {"pixelSize": pixels},
                        "fields": "pixelSize",
                    }
                }
            )
            fitted = True
        if fitted:
            result.formatting_added.append(help_.widths_label)
        return out


DEFAULT_PIXELS = 100
"""The width Google gives a column nobody has resized."""


@dataclass(frozen=True)
class _Present:
    """What a tab already has: validated and number-formatted columns (0-based), widths."""

    validated: set[int]
    formatted: set[int]
    widths: list[int]


def _below_header(sheet_id: int, column: int) -> dict[str, int]:
    # No endRowIndex: the whole column below the header, as far as the grid goes.
    return {
        "sheetId": sheet_id,
        "startRowIndex": 1,
        "startColumnIndex": column,
        "endColumnIndex": column + 1,
    }


def _colour_request(sheet_id: int, place: Placement, index: int) -> dict[str, Any]:
    colour = place.rule.colour
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {
        "addConditionalFormatRule": {
            "index": index,
            "rule": {
                "ranges": [
                    {
                        "sheetId": sheet_id,
                        # No endRowIndex: unbounded, so rows added later are coloured too.
                        "startRowIndex": 1,
                        "startColumnIndex": place.first,
                        "endColumnIndex": place.last,
                    }
                ],
                "booleanRule": {
                    "condition": {
                        "type": "CUSTOM_FORMULA",
                        "values": [{"userEnteredValue": "=" + place.formula}],
                    },
                    "format": {"backgroundColor": {"red": red, "green": green, "blue": blue}},
                },
            },
        }
    }


def _cell_data(value: Value) -> dict[str, Any]:
    # stringValue is stored as text, never parsed: '=HYPERLINK(...)' or '+46 70' stay as typed.
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


def _written_tabs(answer: Mapping[str, Any]) -> RawWorkbook:
    """The tabs in a write's answer, as `_values` reads them: effective values, rows ragged."""
    out: RawWorkbook = {}
    for sheet in (answer.get("updatedSpreadsheet") or {}).get("sheets") or []:
        title = sheet["properties"]["title"]
        data = (sheet.get("data") or [{}])[0]
        rows = [
            [_effective(c) for c in row.get("values") or []] for row in data.get("rowData") or []
        ]
        for row in rows:
            while row and row[-1] is None:
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        out[title] = RawSheet(title, rows)  # type: ignore[arg-type]
    return out


def _effective(cell: Mapping[str, Any]) -> Value | bool:
    value = cell.get("effectiveValue") or {}
    if "errorValue" in value:
        kind = str((value["errorValue"] or {}).get("type", "ERROR"))
        return ERRORS.get(kind, "#ERROR!")
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in value:
            return value[kind]  # type: ignore[no-any-return]
    return None


# -- what people read when a value landed in another row ---------------------------------------


def _tabs(titles: Sequence[str]) -> str:
    return ", ".join(dict.fromkeys(titles))


def _in_order(strays: Sequence[Stray]) -> list[Stray]:
    return sorted(strays, key=lambda s: (s.title, s.row, s.col))


def _strays_text(strays: Sequence[Stray]) -> str:
    lines = []
    for s in _in_order(strays):
        held = f"it held {s.before!r}" if s.before is not None else "it was empty"
        held = held if s.known else "what it held is not known"
        lines.append(f"  {s.cell} ({s.found}): {s.value!r}, meant for {s.meant} — {held}")
    return (
        f"{_tabs([s.title for s in strays])}: these values landed in rows other than their "
        "own and could not be put back:\n" + "\n".join(lines)
    )


def _never_settled(strays: Sequence[Stray], writes: int) -> str:
    lines = []
    for s in _in_order(strays):
        held = f"it held {s.before!r}" if s.before is not None else "it was empty"
        held = held if s.known else f"what it held is not known ({HISTORY} shows it)"
        lines.append(f"  {s.cell} ({s.found}): {s.value!r}, meant for {s.meant} — {held}")
    if not lines:
        return (
            "rows were inserted, deleted or sorted every time the tool wrote "
            f"({writes} times), so some values did not reach their rows; nothing else was "
            "changed. Run again when nobody is inserting, deleting or sorting rows."
        )
    return (
        f"{_tabs([s.title for s in strays])}: rows were inserted, deleted or sorted every time "
        f"the tool wrote ({writes} times), so these values landed in rows other than their "
        "own:\n" + "\n".join(lines) + "\nPut back what each held, then run again when "
        "nobody is inserting, deleting or sorting rows."
    )


def _not_put_back(lost: Sequence[CellWrite], before: RawWorkbook) -> str:
    lines = [
        f"  {w.title}!{column_letter(w.col)} of {describe(before, w.title, w.row)}: "
        + (f"put back {w.value!r}" if w.value is not None else "empty it")
        for w in lost
    ]
    return (
        f"{_tabs([w.title for w in lost])}: rows were inserted, deleted or sorted while the "
        "tool put back cells its values had landed in, and these rows cannot be found "
        "now:\n" + "\n".join(lines) + "\nDo that by hand, then run again."
    )


def _unsure(strays: Sequence[Stray]) -> str:
    lines = [f"  {s.cell} ({s.found}): {s.value!r}, meant for {s.meant}" for s in _in_order(strays)]
    return (
        f"{_tabs([s.title for s in strays])}: rows were inserted, deleted or sorted while the "
        "tool wrote, so values meant for other rows landed in a row it had not read; each was "
        "written again in its own row, but these cells may have held something else "
        "before:\n" + "\n".join(lines) + f"\nPut back what they held ({HISTORY} shows "
        "it), or empty them if they were empty."
    )


def _removed_elsewhere(landed: Landing) -> str:
    parts = []
    for title in sorted({*landed.kept, *landed.lost}):
        kept, lost = landed.kept.get(title, []), landed.lost.get(title, [])
        rows = ", ".join(lost)
        if kept and len(lost) == len(kept):
            parts.append(
                f"{title}: rows were inserted, deleted or sorted while the tool removed rows, "
                f"so it removed a row it was not asked to: {rows}. Restore it from {HISTORY}, "
                f"then run again: {', '.join(kept)} is still there."
            )
        elif lost:
            parts.append(
                f"{title}: rows were inserted, deleted or sorted while the tool removed rows, "
                f"so a row it was not asked to remove may be gone: {rows}. If it should still "
                f"be there, restore it from {HISTORY}."
            )
        else:
            parts.append(
                f"{title}: rows were inserted, deleted or sorted while the tool removed rows: "
                f"{', '.join(kept)} is still there and another row may be gone. Look in "
                f"{HISTORY}, restore what should be there, then run again."
            )
    return "\n".join(parts)


def _google_message(exc: APIError) -> str:
    try:
        return str(exc.response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return exc.response.reason or "no message"
