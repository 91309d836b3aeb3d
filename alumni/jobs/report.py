"""The `report` job: the year's charts as one self-contained HTML page, written to a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alumni.config import Config
from alumni.errors import ConfigError
from alumni.report import build_report
from alumni.sheet.store import Store
from alumni.sheet.workbook import load_workbook


@dataclass(frozen=True)
class ReportResult:
    """Where the page was written and how long it is (in characters)."""

    path: Path
    length: int

    @property
    def found_problems(self) -> bool:
        return False


def run(
    config: Config,
    store: Store,
    now: pd.Timestamp,
    *,
    year: int | None = None,
    out: str | Path | None = None,
) -> ReportResult:
    """Build the page for `year` (default: `now`'s) and write it to `out` (default:
    report-YYYY.html in the working folder); ConfigError when it cannot be written."""
    year = year or now.year
    wb = load_workbook(store.read(), config.timezone, now)
    page = build_report(wb, now, year, config.deadlines.reply_hours)
    path = Path(out or f"report-{year}.html")
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror} — choose another --out.") from exc
    return ReportResult(path, len(page))
