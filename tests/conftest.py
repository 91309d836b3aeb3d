"""Fixtures every test module may use: the real SMTP servers on 127.0.0.1, the demo workbook
in a folder of its own, a headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.dovecot import dovecot, tls_dovecot
from tests.fakes.libreoffice import libreoffice
from tests.fakes.smtp_server import FakeSmtpServer, smtp_server, ssl_smtp_server, tls_smtp_server
from tests.helpers import cannot_run, demo_folder

__all__ = [
    "Chromium",
    "chromium",
    "dovecot",
    "folder",
    "libreoffice",
    "smtp_server",
    "ssl_smtp_server",
    "tls_dovecot",
    "tls_smtp_server",
]


@pytest.fixture
def folder(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
) -> Path:
    """The working folder with the demo workbook and a config sending through `smtp_server`
    (a module may define its own `folder` instead)."""
    demo_folder(tmp_path, monkeypatch, smtp_server)
    capsys.readouterr()
    return tmp_path


# The machine may have no network at all: every flag that would make Chromium call home is
# off, or it waits for timeouts that never come.
_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
)


@dataclass(frozen=True)
class Chromium:
    """The real browser, started once per page, headless and offline."""

    executable: str
    profile: Path

    def _run(self, page: Path, *flags: str) -> str:
        done = subprocess.run(
            [
                self.executable,
                *_CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}",
                *flags,
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"chromium exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}"
            )
        return done.stdout.decode("utf-8")

    def dom(self, page: Path) -> str:
        """The page's DOM as HTML after it loaded and any script in it ran."""
        return self._run(page, "--dump-dom")

    def screenshot(self, page: Path, png: Path, size: str = "1000,2400") -> Path:
        """A picture of the page as a reader sees it, for a person to look at."""
        self._run(page, f"--screenshot={png.resolve()}", f"--window-size={size}")
        return png


def find_chromium() -> str | None:
    """The Chromium on this machine: $CHROMIUM, or the one on PATH (Debian's `chromium`)."""
    given = os.environ.get("CHROMIUM")
    if given:
        return given
    return next(
        (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
    )


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """A headless Chromium; the test is skipped where none is installed, except in CI
    (CI=true), where a missing browser is a failure: .ci/run installs it."""
    executable = find_chromium()
    if executable is None:
        reason = (
            "Chromium is not installed, so the report is not checked in a browser "
            "(install it: apt-get install chromium)"
        )
        cannot_run(reason)
    yield Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))
