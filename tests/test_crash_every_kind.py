"""kill -9 again and again through a run of 30 messages, for each kind of message.

For invitations (`invite --send`), first contacts (`contact --send`) and the deadline notices
with the chair's summary (`daily --send`: reminders, breach notices, the breach report), the
sending process is killed with SIGKILL while the real SMTP test server takes a message, then
started again, and killed again further on, until a run gets to the end. Across all the
restarts every message reaches the server at most once, every message not in doubt exactly
once; those in doubt (the one in flight at each kill) are the journal's uncertain ones, named
by the run that finishes, and the sheet shows the same; one more run sends nothing.

Two schedules of kills. "six steps": 30 messages, the kills cycling through the 1st, 2nd or
3rd new message of a run, each either at MAIL FROM (the journal has "sending" on disk, nothing
handed over: the server never gets it) or after the data (the server has the message, its
reply is never read); so a kill comes both before anything of a run went and after some of its
messages went but before the run wrote them to the sheet, and half the messages go normally.
"every message": each restart is killed at its first new message, alternately at MAIL FROM and
after the data, so every message is cut off once and all end in doubt (8 messages: it takes
a run per message).

ALUMNI_CRASH_MESSAGES and ALUMNI_CRASH_EVERY set the two sizes (default 30 and 8; at least 8).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from alumni.contract import TABS
from alumni.jobs.uncertain import reference
from alumni.mail.journal import SENDING, SENT, Journal, person_key
from tests.fakes.smtp_server import FakeSmtpServer, Received
from tests.helpers import NOW, alumni, write_config

TODAY = NOW[:10]
CHAIR, BUSINESS = "Åsa Ordförande", "Märta Näringsliv"
SCHEDULES = {
    "six steps": [(1, "DATA"), (2, "MAIL"), (3, "DATA"), (1, "MAIL"), (2, "DATA"), (3, "MAIL")],
    "every message": [(1, "DATA"), (1, "MAIL")],
}
"""(which new message of the run, where in its transaction): the kill of run 1, 2, ..."""
SIZES = {
    "six steps": int(os.environ.get("ALUMNI_CRASH_MESSAGES", "30")),
    "every message": int(os.environ.get("ALUMNI_CRASH_EVERY", "8")),
}


def graduate(i: int) -> str:
    return f"Ebba Lundström {i:02d}"


def alumnus(i: int) -> str:
    return f"Karin Nyström {i:02d}"


def member(j: int) -> str:
    return f"Björn Ångström {j:02d}"


@dataclass
class Sheet:
    """The workbook's due messages: by kind, each journal key and the name of its recipient."""

    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    reminders: list[str] = field(default_factory=list)  # contact-log IDs
    breaches: list[str] = field(default_factory=list)


def build(path: Path, n: int) -> Sheet:
    """A workbook with `n` invitations, `n` first contacts and `n` notices due at NOW.

    The notices: a reminder per row due soon, a breach notice to the contact person and one
    to the chair per row overdue, the breach report to Näringslivsansvarig and the chair's
    daily summary (reminders + 2 × breaches + 2 = n).
    """
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for tab in TABS:
        book.create_sheet(tab.name).append(tab.header)

    def add(tab: str, **row: Any) -> None:
        header = next(t.header for t in TABS if t.name == tab)
        assert set(row) <= set(header)
        book[tab].append([row.get(column) for column in header])

    sheet = Sheet({"invite": {}, "contact": {}, "daily": {}})
    for i in range(1, n + 1):
        address = f"grad{i:02d}@student.example.org"
        add(
            "Avgångsklass",
            ID=f"AK-{i:04d}",
            Namn=graduate(i),
            Examensår=2026,
            Språk="en" if i % 5 == 0 else "sv",
            **{"E-post": address},
        )
        sheet.keys["invite"][person_key("invite", f"AK-{i:04d}", address)] = graduate(i)
        address = f"alum{i:02d}@example.org"
        add(
            "Alumner",
            ID=f"AL-{i:04d}",
            Namn=alumnus(i),
            Företag="LKAB",
            Befattning="Inköpschef",
            Examensår=2017,
            Språk="en" if i % 4 == 0 else "sv",
            **{"E-post": address},
        )
        sheet.keys["contact"][person_key("contact", f"KL-{i:04d}", address)] = alumnus(i)
    trained = {"Aktiv": "Ja", "Utbildad": "2026-09-11", "Policy signerad": "2026-09-04"}
    add("Utskott", Namn=CHAIR, Post="Ordförande", **{"E-post": "chair@example.org"}, **trained)
    add(
        "Utskott",
        Namn=BUSINESS,
        Post="Näringslivsansvarig",
        **trained,
        **{"E-post": "business@example.org"},
    )
    breaches = (n - 2) // 3
    reminders = n - 2 - 2 * breaches
    people = reminders + breaches
    for j in range(1, people + 1):
        add(
            "Utskott",
            Namn=member(j),
            Post="Ledamot",
            **trained,
            **{"E-post": f"member{j:02d}@example.org"},
        )
    for i in range(1, n + 1):  # selected alumni, not yet contacted
        add(
            "Kontaktlogg",
            ID=f"KL-{i:04d}",
            Projekt="Branschdag 2027",
            Alumn=alumnus(i),
            Kontaktperson=member((i - 1) % people + 1),
        )
    for j in range(1, people + 1):
        contact_id = f"KL-{n + j:04d}"
        due_soon = j <= reminders  # the alumnus replied 20 hours ago, or 30
        add(
            "Kontaktlogg",
            ID=contact_id,
            Projekt="Branschdag 2027",
            Alumn=alumnus(j),
            Kontaktperson=member(j),
            Kontaktad="2026-11-25 10:00",
            **{"Alumnen svarade": f"2026-11-27 {18 if due_soon else 8:02d}:{j:02d}"},
        )
        notices = sheet.keys["daily"]
        if due_soon:
            sheet.reminders.append(contact_id)
            notices[f"remind:{contact_id}"] = member(j)
        else:
            sheet.breaches.append(contact_id)
            notices[f"breach:{contact_id}:person"] = member(j)
            notices[f"breach:{contact_id}:chair"] = CHAIR
    sheet.keys["daily"]["report:" + ",".join(sheet.breaches)] = BUSINESS
    sheet.keys["daily"][f"summary:{TODAY}"] = CHAIR
    assert all(len(keys) == n for keys in sheet.keys.values())
    book.save(path)
    return sheet


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, Sheet]]:
    """A workbook per size, built once."""
    built: dict[int, tuple[Path, Sheet]] = {}
    for n in set(SIZES.values()):
        assert n >= 8, "ALUMNI_CRASH_*: at least 8 messages, for two breaches and a reminder"
        path = tmp_path_factory.mktemp(f"template-{n}") / "alumni.xlsx"
        built[n] = path, build(path, n)
    return built


# -- the runs -------------------------------------------------------------------------------------


def key_of(message: Received) -> str:
    return str(message.message["X-Alumni-Key"])


def messages_only(keys: Iterable[str]) -> list[str]:
    """The keys of messages: without each breach's own report key that a report covering
    several breaches notes along with its own."""
    keys = list(keys)
    covered = {
        f"report:{part}"
        for key in keys
        if key.startswith("report:") and "," in key
        for part in key.removeprefix("report:").split(",")
    }
    return [key for key in keys if key not in covered]


def handed_over(journal: Path) -> Counter[str]:
    """How often each key was noted as `sending`: once per hand-over to the server."""
    lines = journal.read_text(encoding="utf-8").splitlines()
    keys = [e["key"] for e in map(json.loads, lines) if e["state"] == SENDING]
    return Counter(messages_only(keys))


def unknown(journal: Path) -> set[str]:
    entries = Journal(journal).entries()
    return set(messages_only(key for key, entry in entries.items() if entry.unknown))


def start(folder: Path, command: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ALUMNI_CONFIG", "ALUMNI_DEBUG")}
    return subprocess.Popen(
        [sys.executable, "-m", "alumni", "--now", NOW, "--for-real", command, "--send"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@dataclass
class Kill:
    stage: str
    key: str  # the message in flight


def run_killed_at(
    folder: Path, command: str, server: FakeSmtpServer, position: int, stage: str
) -> tuple[Kill | None, int, str]:
    """One run, killed at its `position`-th new message at `stage`: what was killed (None if
    the run got to its end first), its exit status and what it printed."""
    journal = folder / "sent-journal.jsonl"
    before = unknown(journal) if journal.exists() else set()
    process = start(folder, command)
    mails: list[str] = []
    data: list[str] = []
    cut: list[str] = []

    def at_mail(sender: str) -> None:
        mails.append(sender)
        if stage == "MAIL" and len(mails) == position:
            cut.append("?")
            os.kill(process.pid, signal.SIGKILL)  # "sending" is on disk; nothing handed over

    def at_data(message: Received) -> None:
        data.append(key_of(message))
        if stage == "DATA" and len(data) == position:
            cut.append(key_of(message))
            os.kill(process.pid, signal.SIGKILL)  # the server has it; its reply is never read

    server.on_mail(at_mail)
    server.on_data(at_data)
    try:
        out, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    if not cut:
        assert process.returncode in (0, 1), out
        return None, process.returncode, out
    assert process.returncode == -signal.SIGKILL, out
    (left,) = unknown(journal) - before  # the kill leaves exactly the one in flight unknown
    if stage == "DATA":
        assert left == cut[0]
        # The server stores the message just after its hook ran: wait for that before counting.
        deadline = time.monotonic() + 10
        while left not in (key_of(m) for m in server.messages):
            assert time.monotonic() < deadline, "the server never kept the message it was sent"
            time.sleep(0.01)
    else:
        assert left not in data  # it never got as far as the data
    return Kill(stage, left), process.returncode, out


# -- the test -------------------------------------------------------------------------------------


def uncertain_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if "ncertain" in line or "osäker" in line]


def sheet_rows(folder: Path, tab: str) -> dict[str, dict[str, Any]]:
    ws = load_workbook(folder / "alumni.xlsx", read_only=True)[tab]
    rows = list(ws.iter_rows(values_only=True))
    return {str(r[0]): dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[0]}


def check_the_sheet(
    folder: Path, kind: str, sheet: Sheet, sent: set[str], doubt: set[str], n: int
) -> None:
    """What the sheet shows agrees with the journal, though no killed run wrote to it."""
    if kind == "invite":
        status = {
            row["Namn"]: row["Inbjudningsstatus"]
            for row in sheet_rows(folder, "Avgångsklass").values()
        }
        names = sheet.keys["invite"]
        assert status == {names[k]: "skickad" for k in sent} | {names[k]: "osäker" for k in doubt}
    elif kind == "contact":
        rows = sheet_rows(folder, "Kontaktlogg")
        contacted = {
            row["Alumn"] for i, row in rows.items() if int(i[3:]) <= n and row["Kontaktad"]
        }
        assert contacted == {sheet.keys["contact"][k] for k in sent}
    else:
        rows = sheet_rows(folder, "Kontaktlogg")
        reminded = {i for i in sheet.reminders if rows[i]["Påmind"]}
        assert reminded == {i for i in sheet.reminders if f"remind:{i}" in sent}
        # A breach is Rapporterad once both its notices went; one in doubt keeps it open.
        reported = {i for i in sheet.breaches if rows[i]["Rapporterad"]}
        both = {i for i in sheet.breaches if {f"breach:{i}:person", f"breach:{i}:chair"} <= sent}
        assert reported == both


@pytest.mark.parametrize("kind", ["invite", "contact", "daily"])
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_kill_9_at_every_step_sends_each_message_at_most_once_and_names_those_in_doubt(
    schedule: str,
    kind: str,
    templates: dict[int, tuple[Path, Sheet]],
    tmp_path: Path,
    smtp_server: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    n = SIZES[schedule]
    path, sheet = templates[n]
    names = sheet.keys[kind]
    shutil.copy(path, tmp_path / "alumni.xlsx")
    write_config(tmp_path, smtp_server)
    journal = tmp_path / "sent-journal.jsonl"
    received: Counter[str] = Counter()  # by message (journal key)
    addresses: Counter[str] = Counter()  # by recipient
    kills: list[Kill] = []
    steps = SCHEDULES[schedule]
    for attempt in range(n + 2):
        position, stage = steps[attempt % len(steps)]
        kill, code, out = run_killed_at(tmp_path, kind, smtp_server, position, stage)
        received += Counter(key_of(m) for m in smtp_server.messages)
        addresses += Counter(a for m in smtp_server.messages for a in m.rcpt_tos)
        smtp_server.reset()
        assert all(count == 1 for count in received.values()), f"sent twice: {received}"
        if kill is None:
            break
        kills.append(kill)
    else:
        pytest.fail(f"no run got to the end in {n + 2} tries")
    assert len(kills) >= 2

    # Every message was handed over once at most, and every one of them at some point.
    assert set(handed_over(journal)) == set(names)
    assert all(count == 1 for count in handed_over(journal).values())
    entries = Journal(journal).entries()
    sent = {k for k in names if entries[k].state == SENT}
    doubt = {k for k in names if entries[k].unknown}
    assert sent | doubt == set(names)  # nothing failed, deferred or left out
    assert doubt == {kill.key for kill in kills}  # in doubt: exactly those in flight at a kill
    if schedule == "every message":
        assert len(kills) == n and not sent  # each one cut off in turn
    else:
        assert len(sent) >= n // 3  # many went normally, some in runs that were killed later
    # The server had each sent message once, and of those in doubt the ones cut after the
    # data; those cut at MAIL FROM never reached it.
    assert received == Counter(sent | {kill.key for kill in kills if kill.stage == "DATA"})
    if kind != "daily":  # one message per person (the chair has many notices, each once)
        assert addresses.total() == received.total() and set(addresses.values()) == {1}

    # The run that finished names every message in doubt (and no other) and exits 1.
    assert code == 1, out
    named = Counter(
        name for line in uncertain_lines(out) for name in set(names.values()) if name in line
    )
    if kind == "daily":  # one line per notice; the chair has several
        assert named == Counter(names[k] for k in doubt), out
    else:
        assert set(named) == {names[k] for k in doubt}, out

    check_the_sheet(tmp_path, kind, sheet, sent, doubt, n)

    # One more run sends nothing: none twice, none in doubt on a guess.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    code, out, err = alumni(capsys, kind, "--send")
    assert smtp_server.messages == [], out + err
    assert code == 1, out + err
    # And the chair's list of messages in doubt is exactly those.
    code, out, _ = alumni(capsys, "uncertain")
    listed = [m[1] for line in out.splitlines() if (m := re.match(r"  (\S+)  ", line))]
    assert code == 1 and sorted(listed) == sorted(reference(k) for k in doubt), out
