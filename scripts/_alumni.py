"""Finds the `alumni` tool for a script that cron starts without the virtual environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def run(argv: Sequence[str]) -> None:
    """`alumni ARGV...` with this Python if it has the tool, else with the project's .venv."""
    try:
        from alumni.cli import main
    except ImportError:
        python = VENV / "bin" / "python"
        if python.is_file() and Path(sys.prefix).resolve() != VENV.resolve():
            # Cron's plain python3: the same script again, inside the project's environment.
            os.execv(python, [str(python), sys.argv[0], *sys.argv[1:]])
        print(
            f"alumni is not installed for {sys.executable} — in {ROOT} run: "
            "python3 -m venv .venv && .venv/bin/pip install -e .",
            file=sys.stderr,
        )
        sys.exit(2)
    main(list(argv))
