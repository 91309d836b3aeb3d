"""Runs every benchmark in bench/ and prints one table of figures, with targets and ratios.

Run: .venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    deadlines,
    eligibility,
    google_requests,
    invite_vs_mailmerge,
    local_daily,
    mailbox_sync,
)


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
    rule = deadlines.measure()
    rows.append(
        (
            "Deadline rule over 100,000 contact-log rows (ms)",
            f"{rule['best_s'] * 1000:.1f}",
            "< 500",
        )
    )
    match = eligibility.measure()
    rows.append(
        ("Assess 2,000 applications against 20,000 graduates (s)", f"{match['best_s']:.2f}", "< 2")
    )
    rows.append(
        (
            "  the same as a plain double loop (10% sample, extrapolated) / ours",
            f"{match['speedup']:.0f}x",
            "",
        )
    )
    local = local_daily.measure()
    rows.append(("Local daily, 5,000 + 5,000 + 20,000 rows (s)", f"{local['daily_s']:.2f}", ""))
    rows.append(("openpyxl load + save of the same workbook (s)", f"{local['floor_s']:.2f}", ""))
    rows.append(("Local daily / openpyxl floor", f"{local['ratio']:.2f}x", "<= 1.0x"))
    try:
        rows += invite_vs_mailmerge.table_rows()
    except SystemExit as exc:  # mailmerge not installed: say so, keep the other figures
        rows.append((f"invitations against mailmerge: {exc}", "-", ""))
    rows += mailbox_sync.table_rows()
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'figure':>8}  target")
    for name, figure, target in rows:
        print(f"{name:<{width}}  {figure:>8}  {target}")


if __name__ == "__main__":
    main()
