"""A local fake of the Google Sheets v4 REST API that real gspread code talks to via requests.

Where each part of it lives, so that a quirk is found by the module's name:

- ``cells``: what a cell holds and how it reads back (formulas, date serials, sv_SE decimal comma)
- ``ranges``: A1 notation (quoted tab names, whole tabs, open ranges) and "exceeds grid limits"
- ``values``: values get/batchGet/update/append/clear (ragged rows, missing ``values``, RAW vs
  USER_ENTERED, append filling the first blank row of the *contiguous* table)
- ``batch``: spreadsheets:batchUpdate (updateCells, appendCells, deleteDimension, formats, ...)
- ``metadata``: spreadsheets.get; ``fields``: ``fields=`` masks
- ``faults``: 429/5xx answers and time-outs; ``responses``: Google's error bodies, 502's HTML
- ``concurrency``: a person editing between the tool's requests
- ``model``: the books, tabs and cells in memory; ``server``: routing, auth, the token endpoint
- here: FakeSheets itself, and how it is mounted on the requests session gspread uses
"""

from __future__ import annotations

import contextlib
import copy
import functools
import random
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter

from tests.fakes.sheets.cells import Cell, render, typed
from tests.fakes.sheets.concurrency import Hook, PeopleEditing
from tests.fakes.sheets.faults import FaultInjection, Rule
from tests.fakes.sheets.metadata import sheet_properties
from tests.fakes.sheets.model import Book, add_python_sheet, find_book, find_sheet, merge
from tests.fakes.sheets.ranges import a1_cell, col_letter
from tests.fakes.sheets.responses import response
from tests.fakes.sheets.server import (
    DRIVE_ROOT,
    FAKE_TOKEN,
    SHEETS_ROOT,
    TOKEN_ROOT,
    TOKEN_URL,
    json_body,
    op_name,
    query_params,
    serve,
    token,
)

__all__ = [
    "DRIVE_ROOT",
    "FAKE_TOKEN",
    "SERVICE_ACCOUNT_EMAIL",
    "SHEETS_ROOT",
    "TOKEN_ROOT",
    "TOKEN_URL",
    "Call",
    "Cell",
    "FakeSheets",
    "FakeSheetsAdapter",
    "client_for",
    "fake_service_account_info",
    "session_for",
]

SERVICE_ACCOUNT_EMAIL = "alumni-bot@test-project.iam.gserviceaccount.com"


class Call(NamedTuple):
    """One request the fake received (token requests are counted separately)."""

    method: str  # "GET", "POST", "PUT"
    path: str  # decoded URL path, e.g. "/v4/spreadsheets/KEY/values/'Tab'!A1:Z"
    params: dict[str, Any]  # query params; repeated ones (ranges) as lists
    body: Any  # parsed JSON body or None
    op: str  # "spreadsheets.get", "values.batchGet", "spreadsheets.batchUpdate", ...


class FakeSheets(PeopleEditing, FaultInjection):
    """In-memory Google Sheets: spreadsheets by key, a request log and fault injection.

    Usage::

        fake = FakeSheets()
        key = fake.create_spreadsheet("Alumni", {"Medlemmar": [["Namn", "Datum"],
                                                               ["Anna", date(2026, 11, 28)]]})
        client = client_for(fake)      # real service-account credentials, token from the fake
        client.open_by_key(key).worksheet("Medlemmar").get_all_values()
        assert fake.values(key, "Medlemmar")[1] == ["Anna", date(2026, 11, 28)]

    Product code that builds its own client can run inside ``with fake.intercept():``.

    Row and column arguments of the Python helpers follow the UI: rows are 1-based like the row
    headers, ``a1`` is a cell like "B3", and ``sort`` takes a 0-based column index or a letter.
    A person's edits (insert_rows, sort, set_cell, ...) are in concurrency.py, fail/timeout in
    faults.py.

    Quirks reproduced on purpose, because product code must cope with them on the real API:
    ragged rows and a missing ``values`` key on reads; A1 ranges with quoted sheet names;
    RAW vs USER_ENTERED ("0123" and "+4670..." become numbers under USER_ENTERED); date cells as
    serial numbers; sv_SE decimal comma in FORMATTED_VALUE; values.append continuing the
    *contiguous* table (it fills the first blank row); "exceeds grid limits" on writes past the
    grid; atomic spreadsheets.batchUpdate; a text over 50,000 characters refusing the whole
    write; Google-style error bodies, and an HTML body for 502 (which makes gspread's
    ``APIError.code`` -1).
    """

    def __init__(self, locale: str = "sv_SE", time_zone: str = "Europe/Stockholm") -> None:
        self.locale = locale
        self.time_zone = time_zone
        self.adapter = FakeSheetsAdapter(self)
        self.requests: list[Call] = []
        self.token_requests = 0
        self._books: dict[str, Book] = {}
        self._rules: list[Rule] = []
        self._hooks: list[Hook] = []
        self._seq = 0
        self._lock = threading.RLock()
        self._key_counter = 0

    # -- counting -----------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Sheets API requests since the last reset (token requests not included)."""
        return len(self.requests)

    def ops(self) -> list[str]:
        """The logged requests as short operation names, e.g. ["values.batchGet", ...]."""
        return [c.op for c in self.requests]

    def reset_counts(self) -> None:
        """Forget logged requests; pending faults keep their positions."""
        with self._lock:
            self.requests.clear()
            self.token_requests = 0

    # -- building and inspecting ----------------------------------------------------------------

    def create_spreadsheet(
        self,
        title: str,
        tabs: dict[str, list[list[Any]]] | None = None,
        *,
        key: str | None = None,
        locale: str | None = None,
        time_zone: str | None = None,
    ) -> str:
        """Create a spreadsheet whose tabs hold rows of Python values; returns its key.

        str -> text ("=..." -> formula), int/float -> number, bool -> boolean,
        datetime/date -> serial number formatted DATE_TIME/DATE, None or "" -> empty.
        The first tab gets sheetId 0 like a new real spreadsheet; the others random ids.
        """
        with self._lock:
            if key is None:
                self._key_counter += 1
                key = f"1FakeSheet{self._key_counter:04d}" + "x" * 30
            rng = random.Random(key)
            book = Book(key, title, locale or self.locale, time_zone or self.time_zone, [], rng)
            for name, rows in (tabs or {"Blad1": []}).items():
                add_python_sheet(book, name, rows, None, None, None)
            self._books[key] = book
            return key

    def values(self, key: str, title: str, *, formatted: bool = False) -> list[list[Any]]:
        """The tab as a person sees it: effective values, rows padded to the widest row.

        Python values by default (formulas evaluated, dates as date/datetime, whole numbers as
        int, empty cells ""); ``formatted=True`` gives the FORMATTED_VALUE strings instead.
        """
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            locale = self._books[key].locale
            height = sheet.last_data_row()
            width = max((c for _, c in sheet.cells), default=-1) + 1
            out = []
            for r in range(height):
                row = []
                for c in range(width):
                    cell = sheet.cells.get((r, c))
                    if formatted:
                        shown = render(cell, "FORMATTED_VALUE", "SERIAL_NUMBER", locale)
                        row.append("" if shown is None else shown)
                    else:
                        row.append(typed(cell))
                out.append(row)
            return out

    def cell(self, key: str, title: str, a1: str) -> Cell | None:
        """The stored cell at ``a1`` (kind, userEnteredValue, number_format) or None if empty."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            r, c = a1_cell(a1)
            return sheet.cells.get((r, c))

    def sheet_titles(self, key: str) -> list[str]:
        with self._lock:
            return [s.title for s in find_book(self._books, key).sheets]

    def sheet_properties(self, key: str, title: str) -> dict[str, Any]:
        """The sheet's ``properties`` exactly as spreadsheets.get returns them."""
        with self._lock:
            book = find_book(self._books, key)
            return sheet_properties(book, find_sheet(self._books, key, title))

    def merge(self, key: str, title: str, a1_range: str) -> None:
        """Merge the cells of ``a1_range`` (``"B3:C3"``) as a person does in Google Sheets: the
        top-left cell keeps its value, the others lose theirs."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            first, _, last = a1_range.partition(":")
            (r0, c0), (r1, c1) = a1_cell(first), a1_cell(last or first)
            merge(sheet, r0, r1 + 1, c0, c1 + 1, "merge")

    def merges(self, key: str, title: str) -> list[str]:
        """The tab's merged blocks in A1 notation, in the order they were made."""
        with self._lock:
            sheet = find_sheet(self._books, key, title)
            return [
                f"{col_letter(c0)}{r0 + 1}:{col_letter(c1 - 1)}{r1}"
                for r0, r1, c0, c1 in sheet.merges
            ]

    def conditional_formats(self, key: str, title: str) -> list[dict[str, Any]]:
        """Conditional format rules in order, as stored from addConditionalFormatRule."""
        with self._lock:
            return copy.deepcopy(find_sheet(self._books, key, title).conditional_formats)

    def format_requests(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        """Presentation-only batchUpdate requests (repeatCell formats, borders, ...) received."""
        with self._lock:
            return list(find_book(self._books, key).format_requests)

    # -- mounting -------------------------------------------------------------------------------

    def mount(self, session: requests.Session) -> requests.Session:
        """Route the Sheets, token and Drive hosts of ``session`` to this fake."""
        for root in (SHEETS_ROOT, TOKEN_ROOT, DRIVE_ROOT):
            session.mount(root, self.adapter)
        return session

    @contextlib.contextmanager
    def intercept(self) -> Iterator[FakeSheets]:
        """Route those hosts to the fake for *every* requests.Session created or used inside.

        For product code that builds its own gspread client (gspread.service_account...).
        """
        original = requests.Session.get_adapter
        roots = (SHEETS_ROOT, TOKEN_ROOT, DRIVE_ROOT)
        adapter = self.adapter

        def get_adapter(session: requests.Session, url: str) -> BaseAdapter:
            if url.lower().startswith(roots):
                return adapter
            return original(session, url)

        requests.Session.get_adapter = get_adapter  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            requests.Session.get_adapter = original  # type: ignore[method-assign]

    # -- serving --------------------------------------------------------------------------------

    def _handle(self, request: requests.PreparedRequest) -> requests.Response:
        url = request.url or ""
        method = (request.method or "GET").upper()
        if url.startswith(TOKEN_ROOT):
            with self._lock:
                status, payload = token(method, url, request.body)
                if status == 200:
                    self.token_requests += 1
                return response(request, status, payload)
        with self._lock:
            parts = urlsplit(url)
            path = unquote(parts.path)
            params = query_params(parts.query)
            body = json_body(request.body)
            op = op_name(method, parts.path) if url.startswith(SHEETS_ROOT) else "unsupported"
            index = len(self.requests)
            self.requests.append(Call(method, path, params, body, op))
            seq = self._seq
            self._seq += 1
        self._run_hooks(index, method, path)
        return self._answer(
            seq,
            method,
            path,
            request,
            lambda: serve(self._books, method, url, parts, params, body, request),
        )


class FakeSheetsAdapter(BaseAdapter):
    """A requests transport that answers from a FakeSheets instead of the network."""

    def __init__(self, fake: FakeSheets) -> None:
        super().__init__()
        self.fake = fake

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        return self.fake._handle(request)

    def close(self) -> None:
        pass


# ----------------------------------------------------------------------------- credentials


@functools.cache
def _private_key_pem() -> str:
    # Generating RSA keys is slow; one per test session is plenty.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def fake_service_account_info() -> dict[str, str]:
    """A service-account key JSON (as a dict) whose token_uri is served by the fake."""
    return {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
        "private_key": _private_key_pem(),
        "client_email": SERVICE_ACCOUNT_EMAIL,
        "client_id": "104942217368841530917",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URL,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        "alumni-bot%40test-project.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }


def session_for(fake: FakeSheets) -> requests.Session:
    """A plain requests.Session routed to the fake, for gspread.Client(auth=None, session=...)."""
    return fake.mount(requests.Session())


def client_for(fake: FakeSheets) -> Any:
    """A gspread.Client with real service-account credentials whose token comes from the fake."""
    import gspread
    from google.auth.transport.requests import AuthorizedSession, Request
    from google.oauth2.service_account import Credentials

    credentials = Credentials.from_service_account_info(
        fake_service_account_info(), scopes=gspread.auth.DEFAULT_SCOPES
    )
    # AuthorizedSession refreshes tokens through its own inner session unless given one.
    session = AuthorizedSession(credentials, auth_request=Request(session_for(fake)))
    fake.mount(session)
    return gspread.Client(auth=None, session=session)  # type: ignore[arg-type]
