"""A model of what people and machines do to the sheet and the journal, checked after every step.

Hypothesis interleaves people's edits (add, copy, delete and sort rows, retype IDs, edit cells),
every sending command with and without --send, runs killed at a random journal write (the
process dies: nothing after that point happens), a journal lost and put back, and a journal
whose last line is torn as a crash can tear it. After every step:

- nobody gets the same message twice (by journal key at the real SMTP test server, and an
  invitation by address);
- nothing the server accepted goes unrecorded (its key is in the journal as sent, or as a
  message of unknown fate);
- no cell a person owns is changed by a run (a cell the tool fills only while empty may be
  filled).

CI runs a few hundred steps; `pytest -m long tests/test_exactly_once_model.py` many more. A
shrunk counterexample becomes an ordinary test below the machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from openpyxl import load_workbook

from alumni.cli import run
from alumni.contract import Owner, match_column, match_tab
from alumni.mail.journal import SENDING, SENT, UNCERTAIN, Journal
from alumni.mail.message import KEY_HEADER
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW, write_config

GRADUATES, LOG = "Avgångsklass", "Kontaktlogg"
COMMANDS = ("invite", "contact", "daily", "overdue", "votes")
SENDERS = ("invite", "contact", "daily", "overdue")


class Killed(BaseException):
    """The process died: raised where `kill -9` would have stopped it, caught by no handler."""


@contextlib.contextmanager
def killed_at(write: int | None) -> Iterator[None]:
    """Kill the run just before its `write`-th journal entry reaches the file (not at all
    when None): before a hand-over, or after the server accepted and before that is noted."""
    if write is None:
        yield
        return
    original = Journal.mark
    count = 0

    def mark(self: Journal, *args: Any, **kwargs: Any) -> None:
        nonlocal count
        count += 1
        if count == write:
            raise Killed
        original(self, *args, **kwargs)

    with mock.patch.object(Journal, "mark", mark):
        yield


def owned_cells(path: Path) -> dict[tuple[str, int, int], tuple[Owner, Any]]:
    """Every cell outside the columns only the tool writes, with who owns its column."""
    book = load_workbook(path, read_only=True)
    cells: dict[tuple[str, int, int], tuple[Owner, Any]] = {}
    for ws in book.worksheets:
        tab = match_tab(ws.title)
        if tab is not None and tab.by_tool:
            continue
        rows = list(ws.iter_rows(values_only=True))
        header = rows[0] if rows else ()
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                head = header[c] if c < len(header) else None
                column = match_column(tab, str(head)) if tab and head else None
                owner = column.owner if column is not None else Owner.HUMAN
                if owner is not Owner.SCRIPT:
                    cells[(ws.title, r, c)] = (owner, value)
    book.close()
    return cells


class People(RuleBasedStateMachine):
    """The committee's workbook, its journal and the mail server, as one machine."""

    server: FakeSmtpServer

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="alumni-model-"))
        self.config = self.folder / "config.toml"
        self.server.reset()
        write_config(self.folder, self.server)
        self.book = self.folder / "alumni.xlsx"
        self.journal = self.folder / "sent-journal.jsonl"
        self.people = 0
        self.log: list[str] = []

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------------------

    def alumni(self, *args: str) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = run(["--config", str(self.config), "--now", NOW, "--for-real", *args])
        text = out.getvalue()
        self.log.append(f"$ alumni {' '.join(args)} -> {code}")
        assert "This is a bug" not in text, text
        assert "Traceback" not in text, text
        return code, text

    def edit(self, title: str, change: Any) -> None:
        book = load_workbook(self.book)
        change(book[title])
        book.save(self.book)

    def data_rows(self, title: str) -> int:
        book = load_workbook(self.book, read_only=True)
        count = max(book[title].max_row - 1, 0)
        book.close()
        return count

    # -- the start -----------------------------------------------------------------------------

    @initialize()
    def a_demo_workbook(self) -> None:
        code, text = self.alumni("init", "--demo")
        assert code == 0, text

    # -- what people do ------------------------------------------------------------------------

    @rule()
    def add_a_graduate(self) -> None:
        self.people += 1
        number = self.people

        def add(ws: Any) -> None:
            header = [c.value for c in ws[1]]
            values = {
                "Namn": f"Ny Person {number}",
                "E-post": f"ny.person.{number}@example.org",
                "Examensår": 2026,
                "Språk": "sv",
            }
            ws.append([values.get(h) for h in header])

        self.edit(GRADUATES, add)

    @rule(title=st.sampled_from([GRADUATES, LOG]), pick=st.integers(0, 50))
    def copy_a_row(self, title: str, pick: int) -> None:
        count = self.data_rows(title)
        if count:
            row = 2 + pick % count
            self.edit(title, lambda ws: ws.append([c.value for c in ws[row]]))

    @rule(title=st.sampled_from([GRADUATES, LOG]), pick=st.integers(0, 50))
    def delete_a_row(self, title: str, pick: int) -> None:
        count = self.data_rows(title)
        if count > 1:
            self.edit(title, lambda ws: ws.delete_rows(2 + pick % count))

    @rule(title=st.sampled_from([GRADUATES, LOG]), column=st.integers(0, 3), down=st.booleans())
    def sort_the_rows(self, title: str, column: int, down: bool) -> None:
        def sort(ws: Any) -> None:
            rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
            rows.sort(key=lambda r: str(r[column] if column < len(r) else ""), reverse=down)
            for r, values in enumerate(rows, start=2):
                for c, value in enumerate(values, start=1):
                    ws.cell(r, c, value)

        self.edit(title, sort)

    @rule(
        title=st.sampled_from([GRADUATES, LOG]),
        pick=st.integers(0, 50),
        form=st.sampled_from(["{p}-{n}", "{l} {n}", "{p}{n:04d}", "{l}-0{n}"]),
    )
    def retype_an_id(self, title: str, pick: int, form: str) -> None:
        count = self.data_rows(title)
        if not count:
            return

        def retype(ws: Any) -> None:
            cell = ws.cell(2 + pick % count, 1)
            text = str(cell.value or "")
            if "-" in text and text.split("-")[1].isdigit():
                prefix, number = text.split("-")
                cell.value = form.format(p=prefix, l=prefix.lower(), n=int(number))

        self.edit(title, retype)

    @rule(pick=st.integers(0, 50), text=st.sampled_from(["Mentorskap", "Branschdag 2027", ""]))
    def edit_projekt(self, pick: int, text: str) -> None:
        count = self.data_rows(LOG)
        if count:
            self.edit(LOG, lambda ws: ws.cell(2 + pick % count, 2, text or None))

    # -- what the tool and the machine do -----------------------------------------------------

    @rule(
        command=st.sampled_from(COMMANDS),
        send=st.booleans(),
        kill=st.one_of(st.none(), st.integers(1, 12)),
    )
    def run_a_command(self, command: str, send: bool, kill: int | None) -> None:
        before = owned_cells(self.book)
        args = [command, "--send"] if send and command in SENDERS else [command]
        try:
            with killed_at(kill if send else None):
                code, text = self.alumni(*args)
            assert code in (0, 1, 2), text
        except Killed:
            self.log.append(f"  killed at journal write {kill}")
        after = owned_cells(self.book)
        for cell, (owner, value) in before.items():
            if owner is Owner.FILL and value in (None, ""):
                continue  # the tool may fill an empty cell of a column it fills
            assert after.get(cell, (owner, None))[1] == value, (cell, value, after.get(cell))

    @rule()
    def the_journal_is_lost_and_put_back(self) -> None:
        if not self.journal.exists():
            return
        aside = self.folder / "journal-moved-aside"
        self.journal.rename(aside)
        received = len(self.server.messages)
        code, text = self.alumni("daily", "--send")
        marks = "the sheet says mail went out" in text
        # A sheet without the tool's marks is one nobody was mailed from yet: it may send.
        assert code == 2 or not marks, text
        if code == 2:
            assert len(self.server.messages) == received
            assert not self.journal.exists()  # the place is free to put the journal back
        if self.journal.exists():
            return  # a first run, from a sheet nobody was mailed from: its journal stays
        aside.rename(self.journal)

    @rule(cut=st.integers(1, 40))
    def the_last_journal_line_is_torn(self, cut: int) -> None:
        """A crash, or a full disk, while the last entry was being written: part of it is lost.

        Only an entry the disk may not have had whole can be torn: an outcome (written without
        an fsync), or a `sending` entry whose message never left (its fsync comes before the
        send, so once the server has the message the entry is on disk whole). A line torn
        already stays as it is: no crash cuts into what an earlier crash left.
        """
        if not self.journal.exists():
            return
        data = self.journal.read_bytes()
        last = data.rstrip(b"\n").rfind(b"\n") + 1
        line = data[last:].rstrip(b"\n")
        try:
            entry = json.loads(line)
        except ValueError:
            return  # torn already
        if entry.get("state") == SENDING and entry.get("key") in self.keys_at_server():
            return  # on disk before its message left: not to be torn by any crash after
        if len(line) > cut:
            self.journal.write_bytes(data[:last] + line[: len(line) - cut])

    @precondition(lambda self: self.journal.exists())
    @rule()
    def the_chair_settles_what_is_uncertain(self) -> None:
        """The chair asks each person: what arrived is confirmed, the rest is sent again."""
        at_server = set(self.keys_at_server())
        entries = Journal(self.journal).entries()
        arrived = [k for k, e in entries.items() if e.unknown and k in at_server]
        if arrived:
            code, text = self.alumni("uncertain", "--arrived", *arrived)
            assert code in (0, 1), text
        for command in SENDERS:
            self.alumni(command, "--send", "--resend-uncertain")

    # -- what must always hold -------------------------------------------------------------------

    def keys_at_server(self) -> list[str]:
        return [str(m.message[KEY_HEADER]) for m in self.server.messages]

    @invariant()
    def nobody_gets_the_same_message_twice(self) -> None:
        twice = [k for k, n in Counter(self.keys_at_server()).items() if n > 1]
        assert not twice, (twice, self.log)
        invited = Counter(
            m.rcpt_tos[0]
            for m in self.server.messages
            if str(m.message[KEY_HEADER]).startswith("invite:")
        )
        assert all(n == 1 for n in invited.values()), (invited, self.log)

    @invariant()
    def nothing_the_server_accepted_goes_unrecorded(self) -> None:
        if not self.journal.exists():
            return
        entries = Journal(self.journal).entries()
        for key in self.keys_at_server():
            assert key in entries, (key, self.log)
            assert entries[key].state in (SENT, SENDING, UNCERTAIN), (entries[key], self.log)


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server


def _run(server: FakeSmtpServer, examples: int, steps: int) -> None:
    People.server = server
    machine = People.TestCase
    machine.settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    previous = os.getcwd()
    try:
        machine().runTest()
    finally:
        os.chdir(previous)


def test_people_and_crashes_never_make_the_tool_mail_twice(model_server: FakeSmtpServer) -> None:
    """A few hundred steps, in every CI run."""
    _run(model_server, examples=12, steps=25)


@pytest.mark.long
def test_people_and_crashes_never_make_the_tool_mail_twice_at_length(
    model_server: FakeSmtpServer,
) -> None:
    """Many more steps, on demand: `pytest -m long tests/test_exactly_once_model.py`."""
    _run(model_server, examples=200, steps=50)
