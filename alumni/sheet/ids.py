"""Row identity: every row of a tab with an ID column gets a unique, stable ID from the tool."""

from __future__ import annotations

import re

import pandas as pd

from alumni.contract import OVERVIEW, ROW, TABS, Figure
from alumni.sheet.changes import ChangeSet
from alumni.sheet.workbook import Workbook


def next_number(ids: list[str], prefix: str) -> int:
    """The number after the highest `PREFIX-n` in use (1 when there is none)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$", re.IGNORECASE)
    numbers = [int(m.group(1)) for i in ids if (m := pattern.match(i))]
    return max(numbers, default=0) + 1


def first_free(wb: Workbook, ids: list[str], prefix: str) -> int:
    """The number of the next new `PREFIX-n`: after the highest in use and after the highest
    the tool ever gave (kept in Översikt), so a deleted row's ID is never given again — the
    journal knows messages by row ID, and a reused one could pass for a row already mailed."""
    return max(next_number(ids, prefix), issued_before(wb, prefix) + 1)


def issued_before(wb: Workbook, prefix: str) -> int:
    """The highest `PREFIX-n` number the tool has given, as Översikt keeps it (0 if unknown)."""
    overview = wb[OVERVIEW.name]
    if not {"Nyckeltal", "Värde"} <= set(overview.columns):
        return 0
    values = overview.loc[overview["Nyckeltal"] == last_id_figure(prefix), "Värde"].tolist()
    return _kept_number(values[0] if values else "", prefix)


def note_issued(changes: ChangeSet, prefix: str, number: int) -> None:
    """Keep in Översikt that `PREFIX-number` was given (never lowering a higher one noted in
    the same run)."""
    figure = last_id_figure(prefix)
    pending = changes.updates.get(OVERVIEW.name, {}).get(figure, {}).get("Värde")
    if _kept_number(pending, prefix) < number:
        changes.set(OVERVIEW.name, figure, "Värde", f"{prefix}-{number:04d}")


def _kept_number(value: object, prefix: str) -> int:
    """The number of the `PREFIX-n` a Översikt figure holds (0 for anything else)."""
    match = re.fullmatch(rf"{re.escape(prefix)}-(\d+)", str(value or "").strip())
    return int(match.group(1)) if match else 0


def last_id_figure(prefix: str) -> str:
    return Figure.LAST_ID.format(prefix=prefix)


def give_missing_ids(wb: Workbook, changes: ChangeSet) -> dict[str, int]:
    """Give each row with an empty ID cell the next free ID, in the frame and in `changes`.

    Returns how many IDs each tab got. The rows are found again at write time by what people
    typed in them, so a row that moved in the meantime still gets its own ID. The highest ID
    of each tab, given now or found, is kept in Översikt, so that it is never given again
    after its row is deleted.
    """
    given: dict[str, int] = {}
    for tab in TABS:
        sheet = wb.sheets[tab.name]
        if tab.id_prefix is None or "ID" not in sheet.layout.columns or sheet.frame.empty:
            continue
        frame = sheet.frame
        empty = frame.index[frame["ID"] == ""]
        number = first_free(wb, frame["ID"].tolist(), tab.id_prefix)
        if number - 1 > issued_before(wb, tab.id_prefix):
            note_issued(changes, tab.id_prefix, number - 1)
        if not len(empty):
            continue
        for index, sheet_row in zip(empty, frame.loc[empty, ROW].tolist(), strict=True):
            new_id = f"{tab.id_prefix}-{number:04d}"
            number += 1
            changes.give_id(tab.name, new_id, sheet.fingerprint(int(sheet_row)))
            frame.at[index, "ID"] = new_id
        note_issued(changes, tab.id_prefix, number - 1)
        given[tab.name] = len(empty)
    return given


def doubled_ids(ids: pd.Series) -> set[str]:
    """The IDs that stand in more than one row (as read, so `KL-3` and `KL-0003` are one).

    Such rows cannot be told apart: whatever the tool records for one it would record for
    both, so no message goes to either until a person gives each its own ID.
    """
    filled = ids[ids != ""]
    return set(filled[filled.duplicated(keep=False)].tolist())
