"""The send journal: what it records survives crashes, torn lines and a second run at once."""

from __future__ import annotations

import errno
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alumni.mail.journal import (
    FAILED,
    SENDING,
    SENT,
    UNCERTAIN,
    Journal,
    JournalBusy,
    JournalError,
    address_tag,
)
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import alumni, demo_folder, write_config

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


def test_a_line_torn_by_a_crash_makes_its_message_uncertain_and_is_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.mark("invite:AK-1:x", SENDING, T0)
        journal.mark("invite:AK-1:x", SENT, T0)
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"at": "2026-11-28T13:05:00+00:00", "key": "invite:AK-2:y", "sta')
    journal = Journal(path)
    entries = journal.entries()
    assert entries["invite:AK-2:y"].state == UNCERTAIN  # never sent again on a guess
    assert entries["invite:AK-1:x"].state == SENT
    assert journal.damaged == [
        f"the send journal {path} has a torn line 3: its message is taken as uncertain "
        "(see --resend-uncertain)"
    ]


def test_a_line_torn_before_its_key_is_reported_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.mark("invite:AK-1:x", SENDING, T0)
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"at": "2026-11-28T13:0')
    journal = Journal(path)
    assert {k: e.state for k, e in journal.entries().items()} == {"invite:AK-1:x": SENDING}
    assert journal.damaged == [
        f"the send journal {path} has a torn line 2 that names no message; nothing depends on it"
    ]


def test_the_entry_after_a_torn_line_starts_a_line_of_its_own(tmp_path: Path) -> None:
    # Appended to the torn text, the next entry would be unreadable: its message sent twice.
    path = tmp_path / "j.jsonl"
    path.write_text('{"at": "2026-11-28T13:05:00+00:00", "key": "invite:AK-1:x", "st')
    with Journal(path) as journal:
        journal.mark("invite:AK-2:y", SENDING, T0)
        journal.mark("invite:AK-2:y", SENT, T0)
    assert Journal(path).entries()["invite:AK-2:y"].state == SENT


@pytest.mark.parametrize(
    "line",
    ['{"key": "invite:AK-1:x", "state": "sent"}', "sent invite:AK-1:x", "<html>"],
)
def test_a_journal_of_another_format_stops_the_run(tmp_path: Path, line: str) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(JournalError, match=r"has a line this version does not write \(line 1\)"):
        Journal(path).entries()


@pytest.mark.parametrize("torn", ["{", '{"a', '{"at": ', '{"at": "2026-11-28T1'])
def test_a_line_torn_before_it_names_anything_is_torn_not_foreign(
    tmp_path: Path, torn: str
) -> None:
    """However early a crash cut the only line, it is this tool's line, not another format."""
    path = tmp_path / "j.jsonl"
    path.write_text(torn)
    journal = Journal(path)
    assert journal.entries() == {}
    assert journal.damaged == [
        f"the send journal {path} has a torn line 1 that names no message; nothing depends on it"
    ]


def test_the_journal_is_private(tmp_path: Path) -> None:
    with Journal(tmp_path / "new" / "j.jsonl") as journal:
        journal.mark("invite:AK-1:x", SENDING, T0)
    assert stat.S_IMODE((tmp_path / "new" / "j.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    old = tmp_path / "old.jsonl"
    old.write_text("")
    old.chmod(0o644)  # as earlier versions left it
    with Journal(old):
        pass
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


def test_a_journal_that_cannot_be_opened_says_which_file(tmp_path: Path) -> None:
    (tmp_path / "j.jsonl").mkdir()  # a folder where the file should be
    with pytest.raises(
        JournalError, match=r"cannot be opened \(Is a directory\) — nothing was sent"
    ):
        Journal(tmp_path / "j.jsonl").open()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("state", [SENDING, SENT])
def test_a_full_disk_stops_before_the_send_with_the_file_named(state: str) -> None:
    with Journal(Path("/dev/full")) as journal, pytest.raises(JournalError, match="No space left"):
        journal.mark("invite:AK-1:x", state, T0)
        journal.commit()  # a "sending" entry is written here, before the message can leave


def test_only_a_sending_entry_waits_for_the_disk_and_commit_writes_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    with Journal(tmp_path / "j.jsonl") as journal:
        monkeypatch.setattr(os, "fsync", synced.append)
        journal.mark("invite:AK-1:x", SENT, T0)
        journal.commit()
        assert (journal.uncommitted, synced) == (False, [])  # an outcome never waits

        journal.mark("invite:AK-2:y", SENDING, T0)
        assert (journal.uncommitted, synced) == (True, [])  # marked, not yet durable
        # Not even written yet: a run that dies now has handed nothing over.
        assert "invite:AK-2:y" not in journal.path.read_text()
        journal.commit()
        journal.commit()
        assert (journal.uncommitted, len(synced)) == (False, 1)
        assert list(journal.entries()) == ["invite:AK-1:x", "invite:AK-2:y"]


def test_a_commit_the_disk_refuses_names_the_file_and_stays_uncommitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_disk(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    with Journal(tmp_path / "j.jsonl") as journal:
        journal.mark("invite:AK-1:x", SENDING, T0)
        monkeypatch.setattr(os, "fsync", broken_disk)
        with pytest.raises(
            JournalError, match=r"j\.jsonl cannot be written \(Input/output error\)"
        ):
            journal.commit()
        assert journal.uncommitted  # so the mailer delivers nothing


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


def test_invite_send_with_an_unusable_journal_sends_nothing_and_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
) -> None:
    demo_folder(tmp_path, monkeypatch, smtp_server)
    (tmp_path / "sent-journal.jsonl").unlink()
    (tmp_path / "sent-journal.jsonl").mkdir()
    capsys.readouterr()
    code, _, err = alumni(capsys, "invite", "--send")
    assert code == 2
    assert err.splitlines() == [
        f"alumni: the send journal {tmp_path / 'sent-journal.jsonl'} cannot be opened (Is a "
        "directory) — nothing was sent. Check that it is a file this user may read and write "
        "and that the disk is not full, or set [mail] journal to another file."
    ]
    assert smtp_server.messages == []


def test_a_torn_journal_line_is_reported_by_the_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
) -> None:
    demo_folder(tmp_path, monkeypatch, smtp_server)
    (tmp_path / "sent-journal.jsonl").write_text('{"at": "2026-11-28T13:0')
    capsys.readouterr()
    code, _, err = alumni(capsys, "invite", "--send")
    assert code == 0
    assert "has a torn line 1 that names no message" in err


def test_the_outbox_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_folder(tmp_path, monkeypatch)
    write_config(tmp_path)
    code, _, _ = alumni(capsys, "invite", "--send")
    assert code == 0
    outbox = tmp_path / "outbox"
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in outbox.iterdir()} == {0o600}


def test_the_message_ids_handed_over_are_kept_per_message_for_threading(tmp_path: Path) -> None:
    # A reply names the Message-ID it answers; a message sent again after an uncertain try
    # has two, and a reply may answer either. A torn line is skipped, not fatal.
    path = tmp_path / "journal.jsonl"
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with Journal(path) as journal:
        journal.mark("contact:KL-0001:abc", SENDING, at, message_id="<one@example.org>")
        journal.mark("contact:KL-0001:abc", UNCERTAIN, at)
        journal.mark("contact:KL-0001:abc", SENDING, at, message_id="<two@example.org>")
        journal.mark("contact:KL-0001:abc", SENT, at)
        journal.mark("invite:AK-0001:def", SENDING, at)
    with open(path, "a", encoding="utf-8") as f:
        f.write(
            '{"at": "2026-12-01T09:00:00+00:00", "key": "contact:KL-0002:x", "message_id": "<thr'
        )
    assert Journal(path).message_ids() == {
        "contact:KL-0001:abc": ["<one@example.org>", "<two@example.org>"]
    }


def test_a_journal_disk_failing_mid_run_stops_there_and_says_what_went(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
) -> None:
    demo_folder(tmp_path, monkeypatch, smtp_server)
    journal = tmp_path / "sent-journal.jsonl"
    fsync, synced = os.fsync, []

    def failing_from_the_third(fd: int) -> None:
        # The journal's disk fails while the third message is under way; other files are fine.
        if os.readlink(f"/proc/self/fd/{fd}") == str(journal):
            synced.append(fd)
            if len(synced) >= 3:
                raise OSError(errno.EIO, "Input/output error")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_from_the_third)
    capsys.readouterr()
    code, _, err = alumni(capsys, "invite", "--send")

    assert code == 2
    assert err.splitlines() == [
        f"alumni: the send journal {journal} could not be written during the run (Input/output "
        "error) — the run stopped: 2 message(s) went out before that and the sheet shows them; "
        "the message to Maja Fält was not sent. Free some space or repair the disk, then run "
        "again: nothing goes out twice."
    ]
    assert len(smtp_server.messages) == 2  # the third never left: its record was not on disk

    monkeypatch.setattr(os, "fsync", fsync)  # the disk is mended
    code, out, err = alumni(capsys, "invite", "--send")
    assert code == 0, out + err
    names = [m.message["To"].addresses[0].display_name for m in smtp_server.messages]
    assert len(names) == 6 and len(set(names)) == 6 and "Maja Fält" in names
