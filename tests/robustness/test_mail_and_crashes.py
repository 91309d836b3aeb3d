"""Robustness of `alumni invite --send` and of the local workbook under crashes and mail faults.

1. Twenty invitations: SIGKILL at every message, transient replies (421, 451), a refusal (550)
   and dropped connections never send twice and never lose anyone silently.
2. A kill at any moment of an atomic save leaves the old workbook or the new one, whole.
3. Neither the SMTP password nor the service account's private key is ever shown.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from alumni.contract import TABS
from alumni.sheet.xlsx import XlsxStore
from tests.fakes.sheets import FakeSheets, fake_service_account_info
from tests.fakes.smtp_server import PASSWORD, USERNAME, FakeSmtpServer, Received
from tests.helpers import COMMITTEE, NOW, SIGNUP_LINK, alumni, write_config

# The committee's own settings, ready for --send (no example address or link left).
READY = f'[invite]\nsignup_link = "{SIGNUP_LINK}"\n'

COUNT = 20
FIRST = ["Åsa", "Märta", "Björn", "Örjan", "Linnéa", "Håkan", "Jöns", "Säde", "Ärla", "Göran"]
LAST = ["Öberg", "Åkesson", "Ängström", "Löfgren", "Sjögren", "Bäckström", "Forsén", "Nyström"]
NAMES = {f"s{i}@example.org": f"{FIRST[i % 10]} {LAST[i % 8]}-{i}" for i in range(1, COUNT + 1)}
ADDRESSES = list(NAMES)


# -- a workbook with twenty graduates of 2026 -----------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workbook with every contract tab, built once and copied into each test's folder."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for tab in TABS:
        book.create_sheet(tab.name).append(tab.header)
    graduates = book["Avgångsklass"]
    for i, (address, name) in enumerate(NAMES.items(), start=1):
        graduates.append([f"AK-{i:04d}", name, address, 2026, "sv", None, None])
    path = tmp_path_factory.mktemp("template") / "alumni.xlsx"
    book.save(path)
    return path


@pytest.fixture
def folder(
    tmp_path: Path, template: Path, smtp_server: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    shutil.copy(template, tmp_path / "alumni.xlsx")
    write_config(tmp_path, smtp_server)
    return tmp_path


def statuses(folder: Path) -> dict[str, Any]:
    """Invitation status (Inbjudningsstatus) by address."""
    ws = load_workbook(folder / "alumni.xlsx")["Avgångsklass"]
    return {r[2]: r[6] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}


def received(messages: list[Received]) -> Counter[str]:
    return Counter(address for m in messages for address in m.rcpt_tos)


def assert_once_each(
    server: FakeSmtpServer, folder: Path, missing: frozenset[str] = frozenset()
) -> None:
    got = received(server.messages)
    assert all(n == 1 for n in got.values()), f"duplicates: {[a for a, n in got.items() if n > 1]}"
    assert set(got) == set(ADDRESSES) - missing
    status = statuses(folder)
    assert {a for a, s in status.items() if s == "skickad"} == set(ADDRESSES) - missing


# -- 1a. SIGKILL at every message -------------------------------------------------------------------


@pytest.mark.parametrize("kill_at", range(1, COUNT + 1))
def test_a_kill_at_any_message_then_a_rerun_sends_nobody_twice_and_loses_nobody(
    kill_at: int, folder: Path, smtp_server: FakeSmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("ALUMNI_CONFIG", "PYTHONPROFILEIMPORTTIME")
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "alumni", "--now", NOW, "--for-real", "invite", "--send"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: list[str] = []
    killed: list[str] = []

    def kill(message: Received) -> None:
        seen.extend(message.rcpt_tos)
        if len(seen) == kill_at:
            killed.extend(message.rcpt_tos)
            os.kill(process.pid, signal.SIGKILL)  # the server holds message k, unanswered

    smtp_server.on_data(kill)
    try:
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    first = received(smtp_server.messages)
    assert sum(first.values()) == kill_at and len(killed) == 1
    smtp_server.reset()

    code, out, _ = alumni(capsys, "invite", "--send")
    second = received(smtp_server.messages)
    total = first + second
    status = statuses(folder)

    assert all(n == 1 for n in total.values()), f"sent twice: {total}"  # zero duplicates
    assert set(total) == set(ADDRESSES)  # the server had every invitation once
    # The one the kill cut off is in doubt (the server had it, nobody heard so); all others
    # are sent and marked; nobody is left unsent.
    assert {a for a, s in status.items() if s == "osäker"} == set(killed)
    assert {a for a, s in status.items() if s == "skickad"} == set(ADDRESSES) - set(killed)
    # Not silent: the rerun fails and names the graduate the chair must ask.
    assert code == 1
    assert (
        f"  Uncertain (osäker; not sent again without --resend-uncertain): {NAMES[killed[0]]}"
        in out.splitlines()
    )


# -- 1b. replies that say "later", a refusal, dropped connections --------------------------------


@pytest.mark.parametrize("code", [421, 451])
def test_a_transient_reply_then_success_delivers_everyone_once(
    code: int, folder: Path, smtp_server: FakeSmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp_server.defer(1, code=code)
    status, out, err = alumni(capsys, "invite", "--send")
    assert status == 0, out + err
    assert_once_each(smtp_server, folder)


def test_a_refused_recipient_is_marked_failed_and_everyone_else_gets_one(
    folder: Path, smtp_server: FakeSmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp_server.refuse("s7@example.org")
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 1
    assert f"Failed: {NAMES['s7@example.org']}: 550 5.1.1 User unknown" in out
    assert statuses(folder)["s7@example.org"] == "misslyckad: 550 5.1.1 User unknown"
    assert_once_each(smtp_server, folder, missing=frozenset({"s7@example.org"}))


def test_a_connection_dropped_at_rcpt_sends_nobody_twice_and_loses_nobody(
    folder: Path, smtp_server: FakeSmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp_server.drop_connection(at_message=5, stage="RCPT")
    code, out, err = alumni(capsys, "invite", "--send")
    got = received(smtp_server.messages)
    assert all(n == 1 for n in got.values())
    status = statuses(folder)
    # Nothing was handed over when the line went dead at RCPT: safe to send again, so it is.
    assert code == 0, out + err
    assert_once_each(smtp_server, folder)
    assert set(status.values()) == {"skickad"}


def test_a_connection_dropped_after_data_leaves_that_one_uncertain(
    folder: Path, smtp_server: FakeSmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp_server.drop_connection(at_message=5, stage="DATA", keep=True)
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 1
    got = received(smtp_server.messages)
    assert all(n == 1 for n in got.values()) and set(got) == set(ADDRESSES)
    status = statuses(folder)
    assert status["s5@example.org"] == "osäker"
    assert f"Uncertain: {NAMES['s5@example.org']}" in out
    assert {a for a, s in status.items() if s == "skickad"} == set(ADDRESSES) - {"s5@example.org"}

    smtp_server.reset()  # a rerun sends nothing again, the uncertain one included
    assert alumni(capsys, "invite", "--send")[0] == 1
    assert smtp_server.messages == []


# -- 2. a kill during the atomic save -------------------------------------------------------------

ROWS = 3000
SAVER = textwrap.dedent(
    """
    import sys, time
    from alumni.sheet.plan import CellWrite, Plan
    from alumni.sheet.xlsx import XlsxStore

    store = XlsxStore(sys.argv[1])
    raw = store.read()
    rows = len(raw["Avgångsklass"].rows)
    plan = Plan(writes=[CellWrite("Avgångsklass", r, 6, f"ny-{r}") for r in range(1, rows)])
    print("loaded", flush=True)
    start = time.perf_counter()
    store.write(plan)
    print(f"saved {time.perf_counter() - start:.3f}", flush=True)
    """
)


@pytest.fixture(scope="module")
def big_workbook(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    book = load_workbook(template)
    ws = book["Avgångsklass"]
    for i in range(COUNT + 1, ROWS + 1):
        ws.append([f"AK-{i:04d}", f"Graduate Öst {i}", f"g{i}@example.org", 2026, "sv", None, None])
    path = tmp_path_factory.mktemp("big") / "alumni.xlsx"
    book.save(path)
    return path


def graduates_tab(path: Path) -> list[tuple[Any, ...]]:
    return list(load_workbook(path, read_only=True)["Avgångsklass"].iter_rows(values_only=True))


def start_saver(path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "loaded"
    return process


@pytest.fixture(scope="module")
def save_contents(big_workbook: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tab before and after a save left to finish, and how long the save took."""
    path = tmp_path_factory.mktemp("measured") / "alumni.xlsx"
    shutil.copy(big_workbook, path)
    process = start_saver(path)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    seconds = float(out.split()[-1])
    return {"old": graduates_tab(big_workbook), "new": graduates_tab(path), "seconds": seconds}


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_a_kill_during_the_save_leaves_the_old_or_the_new_workbook_whole(
    fraction: float, big_workbook: Path, save_contents: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "alumni.xlsx"
    shutil.copy(big_workbook, path)
    process = start_saver(path)
    time.sleep(fraction * save_contents["seconds"])
    process.kill()
    process.wait(timeout=30)
    assert process.stdout is not None
    process.stdout.close()

    tab = graduates_tab(path)  # opens as a whole workbook: never partial
    assert tab in (save_contents["old"], save_contents["new"])
    assert len(tab) == ROWS + 1
    XlsxStore(path).read()  # and the tool itself reads it
    # A temporary file left behind by the kill is never taken for the workbook.
    assert [p.name for p in tmp_path.glob("*.xlsx")] == ["alumni.xlsx"]
    for leftover in set(tmp_path.iterdir()) - {path}:
        assert leftover.name.startswith(".") and leftover.suffix == ".tmp"


# -- 3. secrets never shown -------------------------------------------------------------------------


def shown(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, *runs: str) -> str:
    out, err = capsys.readouterr()
    return "\n".join([*runs, out, err, caplog.text])


def password_forms(password: str) -> list[str]:
    utf8 = password.encode()
    plain = b"\0" + USERNAME.encode() + b"\0" + utf8
    return [
        password,
        base64.b64encode(utf8).decode(),
        base64.b64encode(plain).decode(),
        repr(password)[1:-1],
        password.encode("unicode_escape").decode(),
    ]


@pytest.mark.parametrize("right", [True, False], ids=["right-password", "wrong-password"])
def test_the_smtp_password_is_never_shown(
    right: bool,
    tmp_path: Path,
    template: Path,
    tls_smtp_server: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = tls_smtp_server
    assert server.tls is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    shutil.copy(template, tmp_path / "alumni.xlsx")
    (tmp_path / "config.toml").write_text(
        f'[mail]\nbackend = "smtp"\nrate_per_minute = 0\nfrom_address = "{COMMITTEE}"\n'
        f'[smtp]\nhost = "{server.host}"\n'
        f'port = {server.port}\nsecurity = "starttls"\nusername = "{USERNAME}"\n'
        f'ca_file = "{server.tls.ca_file}"\nbackoff_seconds = 0.0\n' + READY,
        encoding="utf-8",
    )
    password = PASSWORD if right else "fel-lösenord-hemligt-99"
    monkeypatch.setenv("ALUMNI_SMTP_PASSWORD", password)
    caplog.set_level(logging.DEBUG)

    code, out, err = alumni(capsys, "invite", "--send")
    if right:
        assert code == 0 and len(server.messages) == COUNT and server.logins == [USERNAME]
    else:
        assert code == 2 and "ALUMNI_SMTP_PASSWORD" in err and server.messages == []
    text = shown(capsys, caplog, out, err)
    for form in password_forms(password):
        assert form not in text
    assert PASSWORD not in text


def key_chunks(pem: str, size: int = 40) -> Iterator[str]:
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    for start in range(len(body) - size + 1):
        yield body[start : start + size]


def test_a_failing_google_run_never_shows_the_private_key_and_warns_about_the_key_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    info = fake_service_account_info()
    key_file = tmp_path / "alumniutskottet-1234abcd.json"
    key_file.write_text(json.dumps(info), encoding="utf-8")
    key_file.chmod(0o644)
    fake = FakeSheets()
    sheet = fake.create_spreadsheet("Alumni", {t.name: [t.header] for t in TABS})
    (tmp_path / "config.toml").write_text(
        f'backend = "google"\n[google]\nspreadsheet = "{sheet}"\n'
        f'credentials = "{key_file}"\nretries = 0\nbackoff_seconds = 0.0\n'
        f'[mail]\nfrom_address = "{COMMITTEE}"\n' + READY,
        encoding="utf-8",
    )
    fake.fail(403, times=None, message="The caller does not have permission")
    caplog.set_level(logging.DEBUG)

    with fake.intercept():
        code, out, err = alumni(capsys, "invite", "--send")

    assert code == 2
    assert "share the sheet with alumni-bot@test-project.iam.gserviceaccount.com" in err
    assert (
        f"warning: {key_file} can be read by other users of this computer; it holds a private "
        f"key — run: chmod 600 {key_file}"
    ) in err
    text = shown(capsys, caplog, out, err)
    assert "PRIVATE KEY" not in text
    assert info["private_key"] not in text
    leaked = [chunk for chunk in key_chunks(info["private_key"]) if chunk in text]
    assert leaked == []
