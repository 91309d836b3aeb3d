"""Killing the sending process (SIGKILL) at any message and running again never sends twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.fakes.smtp_server import FakeSmtpServer, Received
from tests.helpers import demo_folder

NOW = "2026-11-28 14:05"
CLASS = 6  # graduates of 2026 in the demo who have not been invited yet


def send(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "alumni", "--now", NOW, "--for-real", "invite", "--send"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def statuses(folder: Path, invited: bool = True) -> dict[str, str]:
    """Invitation status by name for the class of 2026 (only those marked sent, or all)."""
    ws = load_workbook(folder / "alumni.xlsx")["Avgångsklass"]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[3] == 2026]
    return {r[1]: r[6] for r in rows if not invited or r[6] == "skickad"}


@pytest.mark.parametrize("kill_at", [1, 3, CLASS])
def test_a_kill_while_the_server_answers_leaves_one_uncertain_and_no_duplicates(
    kill_at: int, tmp_path: Path, smtp_server: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_folder(tmp_path, monkeypatch, smtp_server)
    invited_before = set(statuses(tmp_path))
    seen: list[int] = []
    process = send(tmp_path)

    def kill(message: Received) -> None:
        seen.append(1)
        if len(seen) == kill_at:
            os.kill(
                process.pid, signal.SIGKILL
            )  # after the server has the message, before it says so

    smtp_server.on_data(kill)
    assert process.wait(timeout=60) == -signal.SIGKILL
    first = Counter(str(m.message["To"].addresses[0].display_name) for m in smtp_server.messages)
    assert sum(first.values()) == kill_at  # the killed one too: the server had it
    smtp_server.reset()

    rerun = send(tmp_path)
    assert rerun.wait(timeout=60) == 1  # one uncertain message: the chair must look at it

    status = {n: s for n, s in statuses(tmp_path, invited=False).items() if n not in invited_before}
    assert len(status) == CLASS
    second = Counter(str(m.message["To"].addresses[0].display_name) for m in smtp_server.messages)
    uncertain = [name for name, s in status.items() if s == "osäker"]
    assert len(uncertain) == 1 and uncertain[0] in first
    total = first + second
    assert set(total) == set(status) and all(n == 1 for n in total.values())  # once each
    assert [s for s in status.values() if s not in ("skickad", "osäker")] == []
