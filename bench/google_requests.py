"""Google requests per `alumni daily` run, counted on the local Sheets API fake, for small and big sheets.

Run: .venv/bin/python bench/google_requests.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alumni.config import Config
from alumni.jobs import daily
from alumni.sheet.google import GoogleStore
from bench.workbooks import big_tabs
from tests.fakes.sheets import FakeSheets, client_for

NOW = pd.Timestamp("2026-11-28 14:05", tz="Europe/Stockholm")
# The daily job as `alumni daily` runs it: every step, the notices as a dry run.
CONFIG = Config()


def measure(rows: int) -> dict[str, float]:
    """Requests and seconds of one daily run (the second: IDs and Översikt already in place)."""
    fake = FakeSheets()
    key = fake.create_spreadsheet("Alumniutskottet", big_tabs(rows, rows, rows, others=rows))
    client = client_for(fake)
    daily.run(CONFIG, GoogleStore(client, key), NOW)
    fake.reset_counts()
    start = time.perf_counter()
    daily.run(CONFIG, GoogleStore(client, key), NOW + pd.Timedelta(days=1))
    seconds = time.perf_counter() - start
    return {"rows": rows, "requests": fake.request_count, "seconds": seconds, "ops": fake.ops()}  # type: ignore[dict-item]


def main() -> None:
    print("Google requests per daily run (every tab this many rows; fake Sheets API on loopback)")
    for rows in (10, 10_000):
        m = measure(rows)
        print(
            f"  {rows:>6,} rows per tab: {m['requests']} requests ({', '.join(m['ops'])}); "  # type: ignore[arg-type]
            f"{m['seconds']:.2f} s in-process"
        )


if __name__ == "__main__":
    main()
