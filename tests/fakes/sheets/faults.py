"""Fault injection: answer chosen requests with 429/5xx, or let them time out, applied or not."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests

from tests.fakes.sheets.responses import error_response

if TYPE_CHECKING:
    from tests.fakes.sheets.concurrency import Hook


@dataclass
class Rule:
    """One pending fault and the requests it picks."""

    kind: str  # "status" | "timeout"
    status: int = 0
    remaining: int | None = 1
    at: int | None = None  # absolute sequence number
    when: Callable[[str, str], bool] | None = None
    after_apply: bool = False
    connect: bool = False
    message: str | None = None

    def matches(self, seq: int, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.at is not None and seq < self.at:
            return False
        return self.when is None or bool(self.when(method, path))


class FaultInjection:
    """The part of FakeSheets that makes requests fail (error bodies: responses.py)."""

    _lock: threading.RLock
    _rules: list[Rule]
    _hooks: list[Hook]
    _seq: int  # every Sheets request ever seen; fault positions count from here

    def fail(
        self,
        status: int,
        times: int | None = 1,
        at: int | None = None,
        when: Callable[[str, str], bool] | None = None,
        *,
        after_apply: bool = False,
        message: str | None = None,
    ) -> None:
        """Answer upcoming requests with ``status`` and a Google-style error body.

        Without ``at``/``when`` the next ``times`` requests fail. ``at`` = 0-based index counted
        from now (request ``at`` and the ``times - 1`` after it). ``when(method, path)`` picks
        the requests; ``times=None`` means every match. A failed request has no effect, unless
        ``after_apply=True``: then the write is applied and the error returned anyway.
        """
        with self._lock:
            self._rules.append(
                Rule("status", status, times, self._abs(at), when, after_apply, message=message)
            )

    def timeout(
        self,
        times: int | None = 1,
        at: int | None = None,
        when: Callable[[str, str], bool] | None = None,
        *,
        connect: bool = False,
        after_apply: bool = False,
    ) -> None:
        """Raise ReadTimeout (ConnectTimeout if ``connect``) instead of answering.

        ``after_apply=True`` applies the write first: the server did it, the answer got lost.
        """
        if connect and after_apply:
            raise ValueError("a request that never connected cannot have been applied")
        with self._lock:
            self._rules.append(
                Rule("timeout", 0, times, self._abs(at), when, after_apply, connect=connect)
            )

    def clear_faults(self) -> None:
        """Drop pending faults and before_request hooks."""
        with self._lock:
            self._rules.clear()
            self._hooks.clear()

    def _abs(self, at: int | None) -> int | None:
        return None if at is None else self._seq + at

    def _answer(
        self,
        seq: int,
        method: str,
        path: str,
        request: requests.PreparedRequest,
        serve: Callable[[], requests.Response],
    ) -> requests.Response:
        """Request ``seq``'s answer: ``serve()``'s, unless a pending fault picks the request."""
        with self._lock:
            rule = next((r for r in self._rules if r.matches(seq, method, path)), None)
            if rule is not None and rule.remaining is not None:
                rule.remaining -= 1
            if rule is not None and rule.kind == "timeout":
                if rule.after_apply:
                    serve()
                exc = (
                    requests.exceptions.ConnectTimeout
                    if rule.connect
                    else requests.exceptions.ReadTimeout
                )
                raise exc(f"fake Sheets API timeout on {method} {path}", request=request)
            if rule is not None and not rule.after_apply:
                return error_response(request, rule.status, rule.message)
            response = serve()
            if rule is not None:
                return error_response(request, rule.status, rule.message)
            return response
