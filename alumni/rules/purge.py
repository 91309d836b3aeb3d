"""GDPR rule: which rows hold personal data the committee no longer needs, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alumni.contract import (
    APPLICATIONS,
    GRADUATES,
    Decision,
    InviteStatus,
    cell_text,
    final_decision,
    fold,
    is_blank,
    is_missing,
    read_decision,
)

RULE = "the purge"
NEEDS: dict[str, tuple[str, ...]] = {
    # The decision and the age of a request, its key to delete it by and its name to show.
    APPLICATIONS.name: ("ID", "Namn", "Tidstämpel", "Bedömd", "Beslut", "Bedömning"),
    # Whether the invitation went out and the year is over, the key and the name.
    GRADUATES.name: ("ID", "Namn", "Examensår", "Inbjuden", "Inbjudningsstatus"),
}
"""The columns each tab must have, readable, for the purge to judge a row."""

Mask = Sequence[bool] | np.ndarray


@dataclass(frozen=True)
class PurgeItem:
    """One row to remove: its tab, its ID, a name for people, and why it may go (English)."""

    tab: str
    key: str
    name: str
    reason: str


def select_purge(
    applications: pd.DataFrame,
    graduates: pd.DataFrame,
    now: pd.Timestamp,
    *,
    rejected_after_months: int = 12,
    judged_applications: Mask | None = None,
    judged_graduates: Mask | None = None,
) -> list[PurgeItem]:
    """Rows whose personal data is no longer needed, applications first, each in sheet order.

    An application goes once it is rejected (the chair's Beslut, or the tool's Bedömning when
    there is no Beslut) and its Tidstämpel (else its Bedömd) is more than
    `rejected_after_months` months before `now`. A graduate goes once the invitation was sent
    (Inbjudningsstatus `skickad`, or no status but a time in Inbjuden) and the graduation year
    (Examensår) is before `now`'s year. A row without an ID is never selected: it could not
    be found again safely to be deleted.

    `judged_applications` and `judged_graduates` (by position; every row when None) say which
    rows had every cell the purge reads readable: any other row is kept, since a date or a
    decision that cannot be read could be the one that says the data is still needed.
    """
    return [
        *_rejected_applications(
            applications, now, rejected_after_months, _mask(applications, judged_applications)
        ),
        *_invited_graduates(graduates, now, _mask(graduates, judged_graduates)),
    ]


def _mask(frame: pd.DataFrame, judged: Mask | None) -> list[bool]:
    return [True] * len(frame) if judged is None else [bool(j) for j in judged]


def _rejected_applications(
    frame: pd.DataFrame, now: pd.Timestamp, months: int, judged: list[bool]
) -> list[PurgeItem]:
    items: list[PurgeItem] = []
    for (_, row), ok in zip(frame.iterrows(), judged, strict=True):
        key = cell_text(row.get("ID"))
        if not ok or not key or not _rejected(row):
            continue
        at: Any = row.get("Tidstämpel")
        what = "from"
        if is_missing(at):
            at, what = row.get("Bedömd"), "assessed"
        if is_missing(at):
            continue  # its age is unknown: keep it rather than guess
        at = pd.Timestamp(at)
        cutoff = _like(now, at) - pd.DateOffset(months=months)
        if at < cutoff:
            items.append(
                PurgeItem(
                    "Ansökningar",
                    key,
                    cell_text(row.get("Namn")),
                    f"rejected application {what} {at:%Y-%m-%d}, "
                    f"older than {months} month{'s' if months != 1 else ''}",
                )
            )
    return items


def _rejected(row: pd.Series) -> bool:
    decision = row.get("Beslut")
    if not is_blank(decision):
        # The chair's decision overrides the tool's assessment whatever it says: one the tool
        # cannot read keeps the row until the chair corrects it (`alumni check` names it).
        return read_decision(decision) == Decision.REJECT
    return final_decision(decision, row.get("Bedömning")) == Decision.REJECT


def _invited_graduates(
    frame: pd.DataFrame, now: pd.Timestamp, judged: list[bool]
) -> list[PurgeItem]:
    items: list[PurgeItem] = []
    for (_, row), ok in zip(frame.iterrows(), judged, strict=True):
        key = cell_text(row.get("ID"))
        raw_year: Any = row.get("Examensår")
        if not ok or not key or is_missing(raw_year):
            continue
        year = int(raw_year)
        if year >= now.year:
            continue
        status = fold(cell_text(row.get("Inbjudningsstatus")))
        # Inbjuden counts only without a status: a failed or uncertain send also has a time,
        # and then the chair may still need the address to sort it out.
        sent = status == fold(InviteStatus.SENT)
        invited = sent or (not status and not is_missing(row.get("Inbjuden")))
        if not invited:
            continue
        items.append(
            PurgeItem(
                "Avgångsklass",
                key,
                cell_text(row.get("Namn")),
                f"graduated {year} and invited; the invitation year is over",
            )
        )
    return items


def _like(now: pd.Timestamp, other: pd.Timestamp) -> pd.Timestamp:
    """`now` in the same kind of time as `other`, so that they can be compared."""
    if other.tzinfo is None:
        return now.tz_localize(None) if now.tzinfo is not None else now
    if now.tzinfo is None:
        return now.tz_localize(other.tzinfo)
    return now.tz_convert(other.tzinfo)
