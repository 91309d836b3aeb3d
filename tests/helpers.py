"""Running the `alumni` command inside a test, as a person would type it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from alumni.contract import Owner, match_column, match_tab
from tests.fakes.smtp_server import FakeSmtpServer

NOW = "2026-11-28 14:05"
COMMITTEE = "alumni@sektionen.se"
SIGNUP_LINK = "https://www.linkedin.com/groups/1234567/"


def alumni(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of `alumni --now NOW --for-real ARGS...`
    (a run at the tests' fixed time that writes and sends, not a trial)."""
    code = run(["--now", NOW, "--for-real", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def write_config(folder: Path, server: FakeSmtpServer | None = None, **mail: Any) -> None:
    """A config.toml sending through `server` (plain SMTP, no pauses), or to the outbox, from
    a committee whose settings are ready for --send (no example address or link left)."""
    settings: dict[str, Any] = {"rate_per_minute": 0, "from_address": COMMITTEE, **mail}
    lines = ["[mail]"] + [f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()]
    if server is not None:
        lines[1:1] = ['backend = "smtp"']
        lines += [
            "[smtp]",
            f'host = "{server.host}"',
            f"port = {server.port}",
            'security = "none"',
            "backoff_seconds = 0.0",
        ]
    lines += ["[invite]", f'signup_link = "{SIGNUP_LINK}"']
    (folder / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def demo_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSmtpServer | None = None
) -> Path:
    """`folder` as the working folder, with the demo workbook and (with `server`) its config."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    if server is not None:
        write_config(folder, server)
    assert run(["--now", NOW, "init", "--demo"]) == 0
    return folder


def people_cells(path: Path) -> dict[tuple[str, int, int], Any]:
    """Every cell the tool must never change: all but script-owned columns and Översikt."""
    book = load_workbook(path, read_only=True)
    cells: dict[tuple[str, int, int], Any] = {}
    for ws in book.worksheets:
        tab = match_tab(ws.title)
        if tab is not None and tab.by_tool:
            continue
        rows = list(ws.iter_rows(values_only=True))
        header = rows[0] if rows else ()
        for c, head in enumerate(header):
            column = match_column(tab, str(head)) if tab and head else None
            if column is not None and column.owner is Owner.SCRIPT:
                continue
            for r, row in enumerate(rows):
                cells[(ws.title, r, c)] = row[c] if c < len(row) else None
        # Cells beyond the header (ragged rows) are people's too.
        for r, row in enumerate(rows):
            for c in range(len(header), len(row)):
                cells[(ws.title, r, c)] = row[c]
    book.close()
    return cells


def cannot_run(reason: str) -> None:
    """Skip a test this machine cannot run, saying why; on CI (CI=true) that is a failure, not
    a skip: .ci/run installs what the tests drive."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} — CI=true, where this test must run", pytrace=False)
    pytest.skip(reason)
