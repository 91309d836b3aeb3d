"""Running the `alumni` command inside a test, as a person would type it."""

from __future__ import annotations

import pytest

from alumni.cli import run

NOW = "2026-11-28 14:05"


def alumni(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of `alumni --now NOW ARGS...`."""
    code = run(["--now", NOW, *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err
