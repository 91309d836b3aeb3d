"""A set of changes a job wants made to the sheet: cells by (tab, key, column), rows to append
and rows to delete."""

from __future__ import annotations

from dataclasses import dataclass, field

from alumni.contract import Owner, tab
from alumni.sheet.workbook import Value


@dataclass
class ChangeSet:
    """What one run will write, addressed by row key, never by row number.

    `updates[tab][key][column]` sets a cell of the row whose key column holds `key`;
    `appends[tab]` are new rows (column → value); `new_ids[tab]` gives rows that had no ID
    one, each found again by the fingerprint of what people typed in it; `deletions[tab]` are
    the keys of rows to remove.
    Only columns the tool may write are accepted through `set`: asking for a human-owned one
    is a bug. `fill` writes a human-owned cell only while it still holds what the run saw
    there (`guards`), for the few cells the tool fills for people from a source it can prove.
    """

    updates: dict[str, dict[str, dict[str, Value]]] = field(default_factory=dict)
    appends: dict[str, list[dict[str, Value]]] = field(default_factory=dict)
    new_ids: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    deletions: dict[str, list[str]] = field(default_factory=dict)
    guards: dict[tuple[str, str, str], Value] = field(default_factory=dict)
    """(tab, key, column) of each `fill`, and what the cell must still hold to be written."""

    def set(self, tab_name: str, key: str, column: str, value: Value) -> None:
        """Set one cell of the row keyed `key`; upserts on tabs the tool owns wholly."""
        _check_writable(tab_name, column)
        self.updates.setdefault(tab_name, {}).setdefault(key, {})[column] = value

    def fill(self, tab_name: str, key: str, column: str, value: Value, *, over: Value) -> None:
        """Write a cell people own, but only while it still holds `over` (None: nothing; else
        what the tool itself wrote there before): a value a person typed since the run read
        the sheet is never written over."""
        self.updates.setdefault(tab_name, {}).setdefault(key, {})[column] = value
        self.guards[(tab_name, key, column)] = over

    def append(self, tab_name: str, row: dict[str, Value]) -> None:
        """Add a row at the end of the tab (skipped when a row with its key already exists)."""
        for column in row:
            _check_writable(tab_name, column)
        self.appends.setdefault(tab_name, []).append(dict(row))

    def give_id(self, tab_name: str, new_id: str, fingerprint: tuple[str, ...]) -> None:
        """Write `new_id` into the empty ID cell of the row people typed as `fingerprint`."""
        self.new_ids.setdefault(tab_name, []).append((new_id, fingerprint))

    def delete(self, tab_name: str, key: str) -> None:
        """Remove the row whose key column holds `key`; updates to that row are dropped."""
        if tab(tab_name).key is None:
            # Without a key a row can only be named by its position, which people change.
            raise ValueError(f"{tab_name} has no key column: its rows cannot be deleted by key")
        keys = self.deletions.setdefault(tab_name, [])
        if key not in keys:
            keys.append(key)

    def tabs(self) -> list[str]:
        """Every tab this change set touches."""
        names = [*self.updates, *self.appends, *self.new_ids, *self.deletions]
        return list(dict.fromkeys(names))

    def cell_count(self) -> int:
        updates = sum(len(cols) for rows in self.updates.values() for cols in rows.values())
        appends = sum(len(r) for rows in self.appends.values() for r in rows)
        return updates + appends + sum(len(v) for v in self.new_ids.values())

    def __bool__(self) -> bool:
        return bool(self.updates or self.appends or self.new_ids or self.deletions)


def _check_writable(tab_name: str, column: str) -> None:
    owner = tab(tab_name).column(column).owner
    if owner is Owner.HUMAN:
        raise ValueError(f"{tab_name}.{column} belongs to the committee; the tool never writes it")
