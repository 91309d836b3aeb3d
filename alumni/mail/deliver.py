"""One send path for notices: each message noted in the journal, sent at most once per key."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import pandas as pd

from alumni.mail.base import Mailer, PermanentFailure, TemporaryFailure, UncertainOutcome
from alumni.mail.journal import DEFERRED, FAILED, SENDING, SENT, UNCERTAIN, Journal

ALREADY = "already"


def deliver(
    mailer: Mailer,
    journal: Journal,
    key: str,
    message: EmailMessage,
    clock: Callable[[], pd.Timestamp],
) -> tuple[str, str]:
    """Send `message` unless the journal already knows `key`; returns (outcome, reason).

    A key the journal has as sent, or whose outcome is unknown, is never sent again: the
    outcome is then `already`. Otherwise the key is noted as sending before the hand-over and
    as sent, failed, deferred or uncertain after it.
    """
    entry = journal.entries().get(key)
    if entry is not None and (entry.state == SENT or entry.unknown):
        return ALREADY, ""
    journal.mark(key, SENDING, clock())
    try:
        mailer.send(message)
    except PermanentFailure as exc:
        journal.mark(key, FAILED, clock(), exc.reason)
        return FAILED, exc.reason
    except TemporaryFailure as exc:
        journal.mark(key, DEFERRED, clock(), exc.reason)
        return DEFERRED, exc.reason
    except UncertainOutcome as exc:
        journal.mark(key, UNCERTAIN, clock(), exc.reason)
        return UNCERTAIN, exc.reason
    journal.mark(key, SENT, clock())
    return SENT, ""
