"""From an HTTP request to an answer: the token endpoint, auth, routing, ``fields=`` masks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

import requests

from tests.fakes.sheets import batch, values
from tests.fakes.sheets.fields import apply_mask, parse_mask
from tests.fakes.sheets.metadata import get_spreadsheet
from tests.fakes.sheets.model import Book
from tests.fakes.sheets.responses import ApiError, error_response, response

SHEETS_ROOT = "https://sheets.googleapis.com/"
TOKEN_ROOT = "https://oauth2.googleapis.com/"
TOKEN_URL = "https://oauth2.googleapis.com/token"
# gspread reaches Drive for a few things (open by title, modified time); answer those loudly
# instead of letting them leak to the real network.
DRIVE_ROOT = "https://www.googleapis.com/"
FAKE_TOKEN = "fake-token"

_API_PREFIX = "/v4/spreadsheets/"


def token(method: str, url: str, body: Any) -> tuple[int, Any]:
    """The OAuth token endpoint: any well-formed JWT-bearer grant gets FAKE_TOKEN."""
    if method != "POST" or urlsplit(url).path != "/token":
        return 404, {"error": "not_found", "error_description": f"{method} {url}"}
    text = body.decode() if isinstance(body, bytes) else (body or "")
    form = {k: v[0] for k, v in parse_qs(text).items()}
    assertion = form.get("assertion", "")
    if (
        form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer"
        or assertion.count(".") != 2
    ):
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}
    return 200, {"access_token": FAKE_TOKEN, "expires_in": 3600, "token_type": "Bearer"}


def serve(
    books: dict[str, Book],
    method: str,
    url: str,
    parts: SplitResult,
    params: dict[str, Any],
    body: Any,
    request: requests.PreparedRequest,
) -> requests.Response:
    """Answer one Sheets request, keeping in ``books`` what a successful write made."""
    try:
        auth = request.headers.get("Authorization")
        if auth is not None and auth != f"Bearer {FAKE_TOKEN}":
            raise ApiError(401)
        if not url.startswith(SHEETS_ROOT):
            raise ApiError(
                400,
                f"the fake serves only the Sheets v4 API, not {method} "
                f"{parts.scheme}://{parts.netloc}{unquote(parts.path)}",
            )
        status, payload = _route(books, method, parts.path, params, body)
        if "fields" in params and isinstance(payload, dict):
            payload = apply_mask(payload, parse_mask(str(params["fields"])))
        return response(request, status, payload)
    except ApiError as err:
        return error_response(request, err.status, err.message)


def _route(
    books: dict[str, Book], method: str, raw_path: str, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    if not raw_path.startswith(_API_PREFIX):
        raise ApiError(400, f"unsupported endpoint: {method} {unquote(raw_path)}")
    rest = raw_path[len(_API_PREFIX) :]
    m = re.match(r"([^/:]+)(.*)", rest)
    if m is None:
        raise ApiError(400, f"unsupported endpoint: {method} {unquote(raw_path)}")
    key, tail = unquote(m.group(1)), m.group(2)
    book = books.get(key)
    if book is None:
        raise ApiError(404)

    def keep(answer: tuple[Any, Book]) -> tuple[int, Any]:
        payload, kept = answer
        books[key] = kept
        return 200, payload

    routes: dict[tuple[str, str], Callable[[], tuple[Any, Book]]] = {
        ("GET", ""): lambda: (get_spreadsheet(book, params), book),
        ("POST", ":batchUpdate"): lambda: batch.batch_update(book, body, params),
        ("GET", "/values:batchGet"): lambda: values.batch_get(book, params),
        ("POST", "/values:batchUpdate"): lambda: values.values_batch_update(book, body),
        ("POST", "/values:batchClear"): lambda: values.values_batch_clear(book, body),
    }
    if (method, tail) in routes:
        return keep(routes[(method, tail)]())
    if tail.startswith("/values/"):
        encoded = tail[len("/values/") :]
        if method == "POST" and encoded.endswith(":append"):
            rng = unquote(encoded[: -len(":append")])
            return keep(values.values_append(book, rng, params, body))
        if method == "POST" and encoded.endswith(":clear"):
            return keep(values.values_clear(book, unquote(encoded[: -len(":clear")])))
        if method == "GET":
            return keep(values.values_get(book, unquote(encoded), params))
        if method == "PUT":
            return keep(values.values_update(book, unquote(encoded), params, body))
    raise ApiError(
        400, f"the fake Sheets API does not support {method} {_API_PREFIX}{{id}}{unquote(tail)}"
    )


# ----------------------------------------------------------------------------- request parsing


def query_params(query: str) -> dict[str, Any]:
    """Query parameters; ``ranges`` and any repeated one as a list."""
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: (v if k == "ranges" or len(v) > 1 else v[0]) for k, v in parsed.items()}


def json_body(body: Any) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, TypeError):
        return body if isinstance(body, str) else bytes(body).decode("utf-8", "replace")


def op_name(method: str, raw_path: str) -> str:
    """The request log's short name, e.g. "values.batchGet"."""
    tail = re.sub(r"^/v4/spreadsheets/[^/:]+", "", raw_path)
    if tail == "":
        return "spreadsheets.get" if method == "GET" else "unsupported"
    if tail == ":batchUpdate":
        return "spreadsheets.batchUpdate"
    if tail.startswith("/values:"):
        return "values." + tail[len("/values:") :]
    if tail.startswith("/values/"):
        for suffix in ("append", "clear"):
            if tail.endswith(":" + suffix):
                return f"values.{suffix}"
        return {"GET": "values.get", "PUT": "values.update"}.get(method, "unsupported")
    return "unsupported"
