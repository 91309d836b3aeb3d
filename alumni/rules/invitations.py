"""§3.1: who in the graduating class gets the invitation now, from the sheet and the journal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from alumni.addresses import is_email
from alumni.mail.journal import FAILED, SENT, Entry, address_tag

SKICKAD, OSAKER, MISSLYCKAD = "skickad", "osäker", "misslyckad"

SEND = "send"
ALREADY_SENT = "already sent"
FAILED_BEFORE = "failed before"
UNCERTAIN = "uncertain"


def invite_key(row_id: str, address: str) -> str:
    """The journal's key for one graduate at one address: a new address is a new message."""
    return f"invite:{row_id}:{address_tag(address)}"


@dataclass(frozen=True)
class Verdict:
    """What to do with one graduate, and what the sheet should say about it."""

    action: str
    status: str | None = None  # Inbjudningsstatus the sheet should show, when known
    at: pd.Timestamp | None = None  # Inbjuden, when known


def judge(
    row_id: str,
    address: str,
    sheet_status: str,
    journal: Mapping[str, Entry],
    resend_uncertain: bool,
) -> Verdict:
    """Decide for one graduate: send now, or leave alone because of an earlier outcome.

    The journal is the record; the sheet's status is trusted where the journal knows nothing
    (it may have been kept elsewhere): someone marked `skickad` whose address changed since is
    not invited again, while a new person in a row that reuses a deleted row's ID is. A failed
    address is tried again only once the chair has changed it; an uncertain one only with
    `resend_uncertain`.
    """
    entry = journal.get(invite_key(row_id, address)) if address else None
    if entry is not None:
        at = pd.Timestamp(entry.at)
        if entry.state == SENT:
            return Verdict(ALREADY_SENT, SKICKAD, at)
        if entry.state == FAILED:
            return Verdict(FAILED_BEFORE, f"{MISSLYCKAD}: {entry.reason}", at)
        if entry.unknown:
            return Verdict(SEND if resend_uncertain else UNCERTAIN, OSAKER, at)
        return Verdict(SEND)  # deferred: the server asked us to come back
    status = sheet_status.strip().casefold()
    if status == SKICKAD:
        return Verdict(ALREADY_SENT)
    if status == OSAKER and not resend_uncertain:
        return Verdict(UNCERTAIN)
    return Verdict(SEND)


def select_invitees(
    graduates: pd.DataFrame,
    year: int,
    journal: Mapping[str, Entry],
    resend_uncertain: bool = False,
) -> pd.DataFrame:
    """The graduates of `year`, each with the action to take and the key to journal it under.

    Returns the rows of `graduates` for that year (IDs must be filled in) with the columns
    `action`, `key`, `new_status` and `new_at` added; `problem` names a row that cannot be sent
    to (no or a bad e-mail address, an unknown language).
    """
    rows = graduates[graduates["Examensår"] == year].copy()
    verdicts = [
        judge(str(i), str(a), str(s), journal, resend_uncertain)
        for i, a, s in zip(rows["ID"], rows["E-post"], rows["Inbjudningsstatus"], strict=True)
    ]
    rows["action"] = [v.action for v in verdicts]
    rows["new_status"] = [v.status for v in verdicts]
    rows["new_at"] = [v.at for v in verdicts]
    rows["key"] = [
        invite_key(str(i), str(a)) for i, a in zip(rows["ID"], rows["E-post"], strict=True)
    ]
    rows["problem"] = [
        _problem(str(address), language)
        for address, language in zip(rows["E-post"], rows["Språk"], strict=True)
    ]
    return rows


def _problem(address: str, language: object) -> str:
    if not address:
        return "no e-mail address"
    if not is_email(address):
        return f"'{address}' is not an e-mail address"
    if pd.isna(language):  # type: ignore[call-overload]
        return "an unknown language"
    return ""
