"""The send journal: what it records survives crashes, torn lines and a second run at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alumni.mail.journal import (
    FAILED,
    SENDING,
    SENT,
    Journal,
    JournalBusy,
    address_tag,
)

T0 = datetime(2026, 11, 28, 13, 5, tzinfo=UTC)


def test_the_latest_entry_per_key_wins(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.jsonl") as journal:
        journal.mark("invite:AK-1:x", SENDING, T0)
        journal.mark("invite:AK-1:x", SENT, T0 + timedelta(seconds=1))
        journal.mark("invite:AK-2:y", SENDING, T0)
        journal.mark("invite:AK-2:y", FAILED, T0, "550 5.1.1 User unknown")
        journal.mark("invite:AK-3:z", SENDING, T0)
    entries = Journal(tmp_path / "j.jsonl").entries()
    assert {k: (e.state, e.reason) for k, e in entries.items()} == {
        "invite:AK-1:x": (SENT, ""),
        "invite:AK-2:y": (FAILED, "550 5.1.1 User unknown"),
        "invite:AK-3:z": (SENDING, ""),
    }
    assert entries["invite:AK-3:z"].unknown and not entries["invite:AK-1:x"].unknown


def test_a_line_torn_by_a_crash_is_passed_over(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.mark("invite:AK-1:x", SENDING, T0)
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"at": "2026-11-28T13:05:00+00:00", "key": "invite:AK-1:x", "sta')
    assert Journal(path).entries()["invite:AK-1:x"].state == SENDING


def test_a_second_run_at_once_is_refused(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.jsonl"), pytest.raises(JournalBusy, match="another run is sending"):
        Journal(tmp_path / "j.jsonl").open()


def test_attempts_in_the_last_day_count_for_the_cap(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.jsonl") as journal:
        for hours in (30, 20, 1):
            journal.mark(f"k{hours}", SENDING, T0 - timedelta(hours=hours))
            journal.mark(f"k{hours}", SENT, T0 - timedelta(hours=hours))
    assert Journal(tmp_path / "j.jsonl").attempts_since(T0 - timedelta(hours=24)) == 2


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("anna@example.org", " Anna@Example.org ", True),
        ("anna@example.org", "anna.ek@example.org", False),
    ],
)
def test_address_tags_notice_a_changed_address_but_not_case(a: str, b: str, same: bool) -> None:
    assert (address_tag(a) == address_tag(b)) is same
    assert "@" not in address_tag(a)
