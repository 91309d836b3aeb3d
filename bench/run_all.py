"""Runs every benchmark in bench/ and prints one table of figures, with targets and ratios.

Run: .venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import google_requests, local_daily


def main() -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    rows: list[tuple[str, str, str]] = []
    for size in (10, 10_000):
        m = google_requests.measure(size)
        rows.append(
            (f"Google requests per daily run, {size:,} rows per tab", f"{m['requests']}", "<= 4")
        )
    local = local_daily.measure()
    rows.append(("Local daily, 5,000 + 5,000 + 20,000 rows (s)", f"{local['daily_s']:.2f}", ""))
    rows.append(("openpyxl load + save of the same workbook (s)", f"{local['floor_s']:.2f}", ""))
    rows.append(("Local daily / openpyxl floor", f"{local['ratio']:.2f}x", "<= 1.5x"))
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'figure':>8}  target")
    for name, figure, target in rows:
        print(f"{name:<{width}}  {figure:>8}  {target}")


if __name__ == "__main__":
    main()
