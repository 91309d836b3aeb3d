"""Row identity: every row of a tab with an ID column gets a unique, stable ID from the tool."""

from __future__ import annotations

import re

import pandas as pd

from alumni.contract import ROW, TABS
from alumni.sheet.changes import ChangeSet
from alumni.sheet.workbook import Workbook


def next_number(ids: list[str], prefix: str) -> int:
    """The number after the highest `PREFIX-n` in use (1 when there is none)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$", re.IGNORECASE)
    numbers = [int(m.group(1)) for i in ids if (m := pattern.match(i))]
    return max(numbers, default=0) + 1


def give_missing_ids(wb: Workbook, changes: ChangeSet) -> dict[str, int]:
    """Give each row with an empty ID cell the next free ID, in the frame and in `changes`.

    Returns how many IDs each tab got. The rows are found again at write time by what people
    typed in them, so a row that moved in the meantime still gets its own ID.
    """
    given: dict[str, int] = {}
    for tab in TABS:
        sheet = wb.sheets[tab.name]
        if tab.id_prefix is None or "ID" not in sheet.layout.columns or sheet.frame.empty:
            continue
        frame = sheet.frame
        empty = frame.index[frame["ID"] == ""]
        if not len(empty):
            continue
        number = next_number(frame["ID"].tolist(), tab.id_prefix)
        for index, sheet_row in zip(empty, frame.loc[empty, ROW].tolist(), strict=True):
            new_id = f"{tab.id_prefix}-{number:04d}"
            number += 1
            changes.give_id(tab.name, new_id, sheet.fingerprint(int(sheet_row)))
            frame.at[index, "ID"] = new_id
        given[tab.name] = len(empty)
    return given


def doubled_ids(ids: pd.Series) -> set[str]:
    """The IDs that stand in more than one row (as read, so `KL-3` and `KL-0003` are one).

    Such rows cannot be told apart: whatever the tool records for one it would record for
    both, so no message goes to either until a person gives each its own ID.
    """
    filled = ids[ids != ""]
    return set(filled[filled.duplicated(keep=False)].tolist())
