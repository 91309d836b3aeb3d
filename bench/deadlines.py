"""The deadline rule on a big contact log: `flag_overdue` against its target of under 0.5 s.

Run: .venv/bin/python bench/deadlines.py [rows]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alumni.contract import Status
from alumni.rules.deadlines import flag_overdue

TZ = "Europe/Stockholm"
NOW = pd.Timestamp("2026-11-28 14:05", tz=TZ)
TARGET_S = 0.5


def contact_log(rows: int, seed: int = 2026) -> pd.DataFrame:
    """A contact log as the sheet reader gives it, with rounds spread over half a year.

    Most rounds are long closed, answered in time or late; the newest ones are still open, so
    every status turns up, and about one row in a hundred has its times in an impossible order.
    """
    rng = np.random.default_rng(seed)
    minute = np.timedelta64(60, "s").astype("m8[ns]")
    now = NOW.tz_convert("UTC").tz_localize(None).as_unit("ns").to_datetime64()

    def minutes(values: np.ndarray) -> np.ndarray:
        return values.astype(np.int64) * minute

    # Half a year back, weighted towards recent weeks as a busy autumn would be.
    contacted = now - minutes(rng.exponential(30 * 24 * 60, rows).clip(0, 182 * 24 * 60))
    replied = contacted + minutes(rng.exponential(36 * 60, rows))
    answered = replied + minutes(rng.exponential(14 * 60, rows))
    nat = np.datetime64("NaT", "ns")
    replied = np.where(rng.random(rows) < 0.15, nat, replied)  # the alumnus never answered
    answered = np.where((answered > now) | (rng.random(rows) < 0.05), nat, answered)
    replied = np.where(replied > now, nat, replied)
    answered = np.where(np.isnat(replied), nat, answered)
    contacted = np.where(rng.random(rows) < 0.03, nat, contacted)  # selected, not e-mailed
    replied = np.where(np.isnat(contacted), nat, replied)
    answered = np.where(np.isnat(contacted), nat, answered)
    swapped = rng.random(rows) < 0.01  # someone typed the times into the wrong columns
    contacted, replied = (
        np.where(swapped, replied, contacted),
        np.where(swapped, contacted, replied),
    )

    def column(values: np.ndarray) -> pd.Series:
        return pd.Series(values).dt.tz_localize("UTC").dt.tz_convert(TZ)

    members = np.array([f"Medlem {i}" for i in range(12)], dtype=object)
    return pd.DataFrame(
        {
            "ID": [f"KL-{i + 1:06d}" for i in range(rows)],
            "Projekt": np.where(rng.random(rows) < 0.7, "Branschdag", "Mentorskap").astype(object),
            "Alumn": [f"Alumn {i % 5000}" for i in range(rows)],
            "Kontaktperson": members[rng.integers(0, len(members), rows)],
            "Kontaktad": column(contacted),
            "Alumnen svarade": column(replied),
            "Vi svarade": column(answered),
            "_row": np.arange(2, rows + 2, dtype=np.int64),
        }
    )


def measure(rows: int = 100_000, runs: int = 5) -> dict[str, float]:
    log = contact_log(rows)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = flag_overdue(log, NOW)
        times.append(time.perf_counter() - start)
    best = min(times)
    counts = result["Status"].value_counts()
    figures = {"rows": float(rows), "best_s": best, "rows_per_s": rows / best}
    figures.update(
        {status or "ej flaggad": float(counts.get(status, 0)) for status in (*Status.ALL, "")}
    )
    return figures


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    figures = measure(rows)
    print(f"flag_overdue on {rows:,} contact-log rows (best of 5)")
    print(f"  time:        {figures['best_s'] * 1000:.1f} ms (target < {TARGET_S * 1000:.0f} ms)")
    print(f"  throughput:  {figures['rows_per_s']:,.0f} rows/s")
    print(
        "  statuses:    "
        + ", ".join(
            f"{s or 'ej flaggad'} {figures[s or 'ej flaggad']:,.0f}" for s in (*Status.ALL, "")
        )
    )


if __name__ == "__main__":
    main()
