"""What the fake answers: JSON with Google's headers, Google's error envelope, a 502's HTML page."""

from __future__ import annotations

import http
import json
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

STATUS_NAMES = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    409: ("ABORTED", "The operation was aborted."),
    429: (
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:123456789012'.",
    ),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request deadline was exceeded."),
}


class ApiError(Exception):
    """A refusal the API answers with ``status`` and Google's message for it."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or STATUS_NAMES.get(status, ("", "Error"))[1]


def response(
    request: requests.PreparedRequest,
    status: int,
    payload: Any,
    content_type: str = "application/json; charset=UTF-8",
) -> requests.Response:
    """A requests.Response as Google's front end sends it."""
    answer = requests.Response()
    answer.status_code = status
    answer.reason = http.HTTPStatus(status).phrase
    answer.headers = CaseInsensitiveDict(
        {"Content-Type": content_type, "Server": "ESF", "Vary": "Origin, X-Origin, Referer"}
    )
    if isinstance(payload, bytes | str):
        raw = payload.encode() if isinstance(payload, str) else payload
    else:
        raw = json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")
    answer._content = raw
    answer.encoding = "utf-8"
    answer.url = request.url or ""
    answer.request = request
    return answer


def error_response(
    request: requests.PreparedRequest, status: int, message: str | None = None
) -> requests.Response:
    """Google's error envelope (with quota details on 429), or the HTML page of a 502."""
    if status == 502:
        # Google's front end answers 502 with an HTML page, not the JSON error envelope.
        html = (
            "<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Error 502 (Server "
            "Error)!!1</title><p><b>502.</b> <ins>That's an error.</ins><p>The server "
            "encountered a temporary error and could not complete your request."
        )
        return response(request, 502, html, "text/html; charset=UTF-8")
    name, default = STATUS_NAMES.get(status, ("UNKNOWN", http.HTTPStatus(status).phrase))
    error: dict[str, Any] = {"code": status, "message": message or default, "status": name}
    if status == 429:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": "sheets.googleapis.com",
                    "quota_limit": "WriteRequestsPerMinutePerUser",
                    "quota_metric": "sheets.googleapis.com/write_requests",
                    "consumer": "projects/123456789012",
                },
            }
        ]
    return response(request, status, {"error": error})
