"""§3.1: who in the graduating class gets the invitation now, given earlier outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alumni.addresses import is_email
from alumni.contract import GRADUATES, InviteStatus, fold, is_missing

RULE = "the invitation list"
NEEDS: dict[str, tuple[str, ...]] = {
    # Who is of the year, where the message goes, in which language and to whom it speaks;
    # whether it went out before (Inbjuden, Inbjudningsstatus), and the key the journal uses.
    GRADUATES.name: ("ID", "Namn", "E-post", "Examensår", "Språk", "Inbjuden", "Inbjudningsstatus"),
}
"""The columns each tab must have, readable, for the invitation list to judge a graduate."""

SEND = "send"
ALREADY_SENT = "already sent"
FAILED_BEFORE = "failed before"
UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class Earlier:
    """What the send journal says of one graduate's invitation to the address in the row now.

    `status` is the Inbjudningsstatus that outcome earned (skickad, misslyckad: reason,
    osäker), or "" when the server asked to try again later.
    """

    status: str
    at: pd.Timestamp | None = None


@dataclass(frozen=True)
class Verdict:
    """What to do with one graduate, and what the sheet should say about it."""

    action: str
    status: str | None = None  # Inbjudningsstatus the sheet should show, when known
    at: pd.Timestamp | None = None  # Inbjuden, when known


def judge(
    sheet_status: str, earlier: Earlier | None, resend_uncertain: bool, invited: bool = False
) -> Verdict:
    """Decide for one graduate: send now, or leave alone because of an earlier outcome.

    The journal is the record; the sheet's status is trusted where the journal knows nothing
    (it may have been kept elsewhere): someone marked `skickad` whose address changed since is
    not invited again, while a new person in a row that reuses a deleted row's ID is. So is a
    time in Inbjuden (`invited`) without any status, as the purge and §3.1 read it: the tool
    writes both together, so someone recorded an invitation by hand. A failed address is tried
    again only once the chair has changed it; an uncertain one only with `resend_uncertain`.
    """
    if earlier is not None:
        if earlier.status == InviteStatus.SENT:
            return Verdict(ALREADY_SENT, earlier.status, earlier.at)
        if InviteStatus.is_failed(earlier.status):
            return Verdict(FAILED_BEFORE, earlier.status, earlier.at)
        if earlier.status == InviteStatus.UNCERTAIN:
            return Verdict(SEND if resend_uncertain else UNCERTAIN, earlier.status, earlier.at)
        return Verdict(SEND)  # deferred: the server asked us to come back
    status = fold(sheet_status)
    if status == InviteStatus.SENT or (invited and not status):
        return Verdict(ALREADY_SENT)
    if status == InviteStatus.UNCERTAIN and not resend_uncertain:
        return Verdict(UNCERTAIN)
    return Verdict(SEND)


def select_invitees(
    graduates: pd.DataFrame,
    year: int,
    earlier: Mapping[str, Earlier],
    resend_uncertain: bool = False,
    *,
    judged: Sequence[bool] | np.ndarray | None = None,
) -> pd.DataFrame:
    """The graduates of `year`, each with the action to take.

    `earlier` holds, by row ID, what the journal knows of an invitation to the address the row
    has now. Returns the rows of `graduates` for that year (IDs must be filled in) with the
    columns `action`, `new_status` and `new_at` added; `problem` names a row that cannot be
    sent to (no or a bad e-mail address, an unknown language). `judged` (by position; every
    row when None) says which rows could be read: any other row is left out, never invited on
    a guess (the caller names its cell).
    """
    readable = np.ones(len(graduates), dtype=bool) if judged is None else np.asarray(judged, bool)
    of_year = (graduates["Examensår"] == year).fillna(False).to_numpy(dtype=bool)
    rows = graduates[of_year & readable].copy()
    invited_at = rows["Inbjuden"] if "Inbjuden" in rows else pd.Series(pd.NaT, index=rows.index)
    verdicts = [
        judge(str(status), earlier.get(str(row_id)), resend_uncertain, not is_missing(at))
        for row_id, status, at in zip(
            rows["ID"], rows["Inbjudningsstatus"], invited_at, strict=True
        )
    ]
    rows["action"] = [v.action for v in verdicts]
    rows["new_status"] = [v.status for v in verdicts]
    rows["new_at"] = [v.at for v in verdicts]
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
