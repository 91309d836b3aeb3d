"""A one-line progress bar for long sends, shown only when a person watches the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO


def progress_bar(stream: TextIO | None = None, width: int = 30) -> Callable[[int, int], None]:
    """A callback `show(done, total)` drawing `[#####.....] 5/10`; silent when not a terminal,
    so that cron's logs stay clean."""
    out = stream if stream is not None else sys.stderr
    if not out.isatty():
        return lambda done, total: None

    def show(done: int, total: int) -> None:
        filled = width * done // total if total else width
        out.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            out.write("\n")
        out.flush()

    return show
