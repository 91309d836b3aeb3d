"""What the sheet itself says was sent: the marks only the tool writes after a message went."""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from alumni.clock import heartbeat_text
from alumni.contract import CONTACT_LOG, GRADUATES, OVERVIEW, Figure, InviteStatus, fold


class Tabs(Protocol):
    """The sheet's tabs by name, as a workbook gives them."""

    def __getitem__(self, name: str) -> pd.DataFrame: ...


def marks_of_sending(tabs: Tabs) -> list[str]:
    """Each kind of mark in the tool's own columns that says messages went out, counted.

    Only columns the tool writes count (Inbjudningsstatus, Påmind, Rapporterad, Senaste
    sammanfattning): a time a person typed into Kontaktad says nothing about the journal.
    An empty list: nothing says that this sheet was ever mailed from.
    """
    marks: list[str] = []
    graduates = tabs[GRADUATES.name]
    if "Inbjudningsstatus" in graduates:
        statuses = graduates["Inbjudningsstatus"].map(lambda v: fold(str(v)) if v else "")
        invited = int(statuses.isin([InviteStatus.SENT, InviteStatus.UNCERTAIN]).sum())
        if invited:
            marks.append(f"{GRADUATES.name}: {invited} invited (Inbjudningsstatus)")
    log = tabs[CONTACT_LOG.name]
    for column in ("Påmind", "Rapporterad"):
        if column in log:
            count = int(log[column].notna().sum())
            if count:
                marks.append(f"{CONTACT_LOG.name}: {count} with {column}")
    overview = tabs[OVERVIEW.name]
    if {"Nyckeltal", "Värde"} <= set(overview.columns):
        last = heartbeat_text(overview, Figure.LAST_SUMMARY)
        if last:
            marks.append(f"{OVERVIEW.name}: {Figure.LAST_SUMMARY} {last}")
    return marks
