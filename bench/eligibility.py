"""The eligibility rule on a big intake: `assess_applications` against its target of under 2 s.

Run: .venv/bin/python bench/eligibility.py [applications] [roster]
     .venv/bin/python bench/eligibility.py --scaling [all|ordinary|varied|shared] [sizes...]

`--scaling` times N applications against N graduates for each N (1,000 to 8,000 by default)
and prints the growth per doubling. `ordinary` names come from a few hundred first and last
names (so many people share a name), `varied` ones have compound last names (mostly distinct,
as in a real class), and `shared` are the varied names with the middle name Maria and the
last name Andersson for everyone, as when a whole class shares words.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz

from alumni.contract import Decision
from alumni.rules.eligibility import assess_applications, normalise_name

TZ = "Europe/Stockholm"
TARGET_S = 2.0
SAMPLE = 0.10

FIRST = [
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Lena",
    "Emma",
    "Kristina",
    "Elin",
    "Ida",
    "Johanna",
    "Linnéa",
    "Åsa",
    "Märta",
    "Ebba",
    "Klara",
    "Frida",
    "Ingrid",
    "Sofia",
    "Astrid",
    "Erik",
    "Lars",
    "Karl",
    "Anders",
    "Johan",
    "Per",
    "Nils",
    "Mikael",
    "Jonas",
    "Oskar",
    "Axel",
    "Gustav",
    "Hugo",
    "Olle",
    "Björn",
    "Jörgen",
    "Måns",
    "Viktor",
    "Erika",
    "Ludvig",
    "Sixten",
    "Agnes",
    "Alva",
    "Wilma",
]
LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Lindström",
    "Lindqvist",
    "Lindgren",
    "Berg",
    "Axelsson",
    "Bergström",
    "Lundberg",
    "Lind",
    "Lundgren",
    "Lundqvist",
    "Mattsson",
    "Berglund",
    "Fredriksson",
    "Sandberg",
    "Henriksson",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Eklund",
    "Danielsson",
    "Håkansson",
    "Lundin",
    "Björk",
    "Bergman",
    "Gunnarsson",
    "Holm",
    "Samuelsson",
    "Fransson",
    "Wikström",
    "Isaksson",
    "Öberg",
    "Ek",
    "Åberg",
    "Nyström",
    "Holmberg",
    "Strand",
    "Söderberg",
    "Nordin",
    "Hedlund",
    "Lund",
    "Åström",
    "Nyberg",
    "Sundberg",
]
PROGRAMMES = ("Industriell ekonomi", "Indek", "I", "Maskinteknik", "", "Manager at Volvo")
UNIVERSITIES = ("LTU", "Luleå tekniska universitet", "KTH", "", "Lulea tekniska")


def people(count: int, rng: np.random.Generator) -> list[str]:
    """Swedish-like full names; one in five has a double last name, one in six two first."""
    first = rng.choice(FIRST, count)
    second = np.where(rng.random(count) < 1 / 6, rng.choice(FIRST, count), "")
    last = rng.choice(LAST, count)
    double = np.where(rng.random(count) < 0.2, rng.choice(LAST, count), "")
    return [
        " ".join(filter(None, (f, s, f"{la}-{d}" if d else la)))
        for f, s, la, d in zip(first, second, last, double, strict=True)
    ]


# Parts of Swedish compound surnames: with these, a class of thousands has mostly distinct
# names, as a real one has, where `people` repeats the same few hundred.
PREFIX = [
    "Lind",
    "Berg",
    "Sjö",
    "Ek",
    "Holm",
    "Lund",
    "Nord",
    "Sund",
    "Ström",
    "Åker",
    "Björk",
    "Gran",
    "Hed",
    "Wall",
    "Dahl",
    "Mal",
    "Fors",
    "Sand",
    "Ny",
    "Öster",
    "Väster",
    "Al",
    "Ros",
    "Stjärn",
    "Hag",
    "Lil",
    "Rud",
    "Falk",
    "Vik",
    "Kvarn",
]
SUFFIX = [
    "berg",
    "ström",
    "gren",
    "qvist",
    "lund",
    "holm",
    "dahl",
    "man",
    "blad",
    "ling",
    "stedt",
    "by",
    "kvist",
    "näs",
    "fors",
    "mark",
    "sten",
    "bäck",
    "ander",
    "ell",
]


def varied(count: int, rng: np.random.Generator) -> list[str]:
    """Names like `people`, but with compound last names: few namesakes even among 8,000."""
    first = rng.choice(FIRST, count)
    second = np.where(rng.random(count) < 1 / 6, rng.choice(FIRST, count), "")
    last = np.char.add(rng.choice(PREFIX, count), rng.choice(SUFFIX, count))
    double = np.where(
        rng.random(count) < 0.2,
        np.char.add(rng.choice(PREFIX, count), rng.choice(SUFFIX, count)),
        "",
    )
    return [
        " ".join(filter(None, (f, s, f"{la}-{d}" if d else la)))
        for f, s, la, d in zip(first, second, last, double, strict=True)
    ]


def data(
    applications: int,
    roster_size: int,
    seed: int = 2026,
    names_of: Callable[[int, np.random.Generator], list[str]] = people,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A roster and an intake as the sheet reader gives them.

    Half the applicants are graduates (some with their roster address, some with the name
    typed differently), the rest strangers; a few apply twice and a few are pasted requests.
    """
    rng = np.random.default_rng(seed)
    names = names_of(roster_size, rng)
    years = rng.integers(2000, 2027, roster_size)
    roster = pd.DataFrame(
        {
            "ID": [f"AK-{i + 1:06d}" for i in range(roster_size)],
            "Namn": pd.Series(names, dtype=object),
            "E-post": pd.Series(
                [f"{n.casefold().replace(' ', '.')}{i}@example.se" for i, n in enumerate(names)],
                dtype=object,
            ),
            "Examensår": pd.Series(years, dtype="Int64"),
            "_row": np.arange(2, roster_size + 2, dtype=np.int64),
        }
    )
    picks = rng.integers(0, roster_size, applications)
    graduate = rng.random(applications) < 0.5
    strangers = names_of(applications, rng)
    app_names = [names[p] if g else s for p, g, s in zip(picks, graduate, strangers, strict=True)]
    swapped = rng.random(applications) < 0.2
    app_names = [
        " ".join(reversed(n.split())) if s else n for n, s in zip(app_names, swapped, strict=True)
    ]
    with_mail = graduate & (rng.random(applications) < 0.4)
    emails = [roster["E-post"][p] if m else "" for p, m in zip(picks, with_mail, strict=True)]
    app_years = pd.Series(
        np.where(graduate, years[picks], rng.integers(2000, 2027, applications)), dtype="Int64"
    )
    app_years[rng.random(applications) < 0.15] = pd.NA
    stamps = pd.Timestamp("2026-09-01", tz=TZ) + pd.to_timedelta(
        rng.integers(0, 90 * 24 * 3600, applications), unit="s"
    )
    frame = pd.DataFrame(
        {
            "Tidstämpel": pd.Series(stamps).where(rng.random(applications) > 0.1),
            "ID": [f"AN-{i + 1:06d}" for i in range(applications)],
            "Namn": pd.Series(app_names, dtype=object),
            "E-post": pd.Series(emails, dtype=object),
            "LinkedIn": pd.Series(
                [
                    f"https://www.linkedin.com/in/{n.casefold().replace(' ', '-')}"
                    for n in app_names
                ],
                dtype=object,
            ),
            "Program": pd.Series(rng.choice(PROGRAMMES, applications), dtype=object),
            "Lärosäte": pd.Series(rng.choice(UNIVERSITIES, applications), dtype=object),
            "Examensår": app_years,
            "Beslut": pd.Series(
                np.where(rng.random(applications) < 0.05, "Godkänn", ""), dtype=object
            ),
            "Godkänd i LinkedIn": pd.Series(
                pd.NaT, index=range(applications), dtype=f"datetime64[ns, {TZ}]"
            ),
            "_row": np.arange(2, applications + 2, dtype=np.int64),
        }
    )
    return frame, roster


def shared_word(frame: pd.DataFrame, roster: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same frames with the middle name Maria and the last name Andersson in every name."""

    def rename(name: object) -> object:
        words = str(name).split()
        return " ".join([words[0], "Maria", *words[1:], "Andersson"]) if words else name

    frame, roster = frame.copy(), roster.copy()
    frame["Namn"] = frame["Namn"].map(rename).astype(object)
    roster["Namn"] = roster["Namn"].map(rename).astype(object)
    return frame, roster


SIZES = (1_000, 2_000, 4_000, 8_000)
CASES = ("ordinary", "varied", "shared")


def scaling(case: str, sizes: Sequence[int] = SIZES, runs: int = 1) -> list[tuple[int, float]]:
    """Seconds for N applications against N graduates, best of `runs`, for each N."""
    figures = []
    for n in sizes:
        frame, roster = data(n, n, names_of=people if case == "ordinary" else varied)
        if case == "shared":
            frame, roster = shared_word(frame, roster)
        assess_applications(frame.head(10), roster.head(10))
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            assess_applications(frame, roster)
            best = min(best, time.perf_counter() - start)
        figures.append((n, best))
    return figures


def print_scaling(case: str, sizes: Sequence[int]) -> None:
    print(f"assess_applications, N applications against N graduates, {case} names:")
    previous: float | None = None
    for n, seconds in scaling(case, sizes):
        growth = f"  x{seconds / previous:.2f}" if previous else ""
        print(f"  N = {n:>6,}: {seconds:7.2f} s{growth}")
        previous = seconds


def double_loop(applications: pd.DataFrame, roster: pd.DataFrame, threshold: float = 90.0) -> int:
    """The plain way: every applicant against every graduate, one rapidfuzz call per pair."""
    graduates = [normalise_name(n) for n in roster["Namn"]]
    hits = 0
    for name in applications["Namn"]:
        key = normalise_name(name)
        for other in graduates:
            if fuzz.token_sort_ratio(key, other) >= threshold:
                hits += 1
    return hits


def measure(
    applications: int = 2_000, roster_size: int = 20_000, runs: int = 3
) -> dict[str, float]:
    frame, roster = data(applications, roster_size)
    assess_applications(frame.head(10), roster)  # warm the caches and the thread pool
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = assess_applications(frame, roster)
        times.append(time.perf_counter() - start)
    best = min(times)

    sample = frame.sample(frac=SAMPLE, random_state=1)
    start = time.perf_counter()
    double_loop(sample, roster)
    loop_s = (time.perf_counter() - start) * len(frame) / len(sample)

    counts = result["Bedömning"].value_counts()
    return {
        "applications": float(applications),
        "roster": float(roster_size),
        "best_s": best,
        "double_loop_s": loop_s,
        "speedup": loop_s / best,
        "duplicates": float((result["duplicate_of"] != "").sum()),
        **{
            label: float(counts.get(label, 0))
            for label in (Decision.APPROVE, Decision.REVIEW, Decision.REJECT)
        },
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--scaling":
        case = sys.argv[2] if len(sys.argv) > 2 else "all"
        sizes = [int(a) for a in sys.argv[3:]] or list(SIZES)
        for one in CASES if case == "all" else (case,):
            print_scaling(one, sizes)
        return
    applications = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    roster_size = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    figures = measure(applications, roster_size)
    print(
        f"assess_applications: {applications:,} applications against {roster_size:,} graduates (best of 3)"
    )
    print(f"  time:         {figures['best_s'] * 1000:.0f} ms (target < {TARGET_S * 1000:.0f} ms)")
    print(
        f"  double loop:  {figures['double_loop_s']:.1f} s (fuzz.token_sort_ratio per pair, "
        f"{SAMPLE:.0%} sample extrapolated): {figures['speedup']:.0f}x slower"
    )
    print(
        "  assessments:  "
        + ", ".join(
            f"{label} {figures[label]:,.0f}"
            for label in (Decision.APPROVE, Decision.REVIEW, Decision.REJECT)
        )
        + f"; duplicates {figures['duplicates']:,.0f}"
    )


if __name__ == "__main__":
    main()
