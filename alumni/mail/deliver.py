"""One send path for notices: each message noted in the journal, sent at most once per key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.message import EmailMessage

import pandas as pd

from alumni.mail.base import Mailer, PermanentFailure, TemporaryFailure, UncertainOutcome
from alumni.mail.journal import DEFERRED, FAILED, SENDING, SENT, UNCERTAIN, Entry, Journal

ALREADY = "already"


def deliver(
    mailer: Mailer,
    journal: Journal,
    key: str,
    message: EmailMessage,
    clock: Callable[[], pd.Timestamp],
    known: Mapping[str, Entry] | None = None,
) -> tuple[str, str]:
    """Send `message` through the journal; returns (outcome, reason).

    With `known` (the journal's entries, read once per run), a key already sent, or whose
    outcome is unknown, is not sent again: the outcome is then `already`. Otherwise the key is
    noted as sending before the hand-over and as sent, failed, deferred or uncertain after it.
    Failures that stop the whole run (MailError) pass through with the key left as sending.
    """
    entry = known.get(key) if known is not None else None
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
