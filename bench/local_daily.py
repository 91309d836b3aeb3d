"""Local `alumni daily` end to end against the floor: openpyxl alone loading and saving the workbook.

Run: .venv/bin/python bench/local_daily.py [graduates applications contacts]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alumni.config import Config
from alumni.jobs import daily as daily_job
from alumni.sheet.xlsx import XlsxStore
from bench.workbooks import big_tabs

NOW = pd.Timestamp("2026-11-28 14:05", tz="Europe/Stockholm")
# The daily job as `alumni daily` runs it: every step, the notices as a dry run.
CONFIG = Config()


def write_workbook(path: Path, graduates: int, applications: int, contacts: int) -> None:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in big_tabs(graduates, applications, contacts).items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(path)


def best_of(runs: int, work) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(
    graduates: int = 5000, applications: int = 5000, contacts: int = 20000, runs: int = 3
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "alumni.xlsx"
        write_workbook(path, graduates, applications, contacts)
        # IDs, statuses and Översikt in place, as on day 2
        daily_job.run(CONFIG, XlsxStore(path), NOW)

        def floor() -> None:
            load_workbook(path).save(path)

        days = iter(range(1, runs + 1))

        def daily() -> None:
            # A new day each run, so the heartbeat changes and the workbook is saved as in real use.
            when = NOW + pd.Timedelta(days=next(days))
            daily_job.run(CONFIG, XlsxStore(path), when)

        floor_s = best_of(runs, floor)
        daily_s = best_of(runs, daily)
    return {"floor_s": floor_s, "daily_s": daily_s, "ratio": daily_s / floor_s}


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:4]] or [5000, 5000, 20000]
    figures = measure(*sizes)
    print(
        f"local daily on {sizes[0]:,} graduates, {sizes[1]:,} applications, {sizes[2]:,} contact rows"
    )
    print(f"  openpyxl load+save (floor): {figures['floor_s']:.2f} s")
    print(f"  alumni daily:               {figures['daily_s']:.2f} s")
    print(f"  ratio daily/floor:          {figures['ratio']:.2f}x (target <= 1.0x, issue 16)")


if __name__ == "__main__":
    main()
