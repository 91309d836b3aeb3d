"""Reading the committee's mailbox over IMAP (alumni.mail.imap.read_new) from a real Dovecot on
127.0.0.1 (the tests' helper, tests/fakes/dovecot.py), plain IMAP, folders INBOX and Sent,
logging in with an ASCII app password (LOGIN).

The mailbox is filled by writing Maildir files directly, as a delivery agent does (as the
helper's `deliver`; timed apart and not counted): 80% in INBOX, 20% in Sent, Swedish subjects
and names in encoded words, threads with In-Reply-To and References chains, a Date and an
arrival time spread over three years, bodies of a few hundred bytes. Then:

1. the first reading of the whole mailbox (empty state): once cold, right after the fill, when
   Dovecot builds its index and cache inside the reading (a new mailbox); then warm, with the
   index already built as on a server in use, and a fresh empty state, best of 3;
2. an incremental reading with no new mail, best of 3;
3. an incremental reading after 50 new messages (40 INBOX, 10 Sent), best of 3 with 50 new
   delivered just before each;
4. 1 to 3 again on a small mailbox: an incremental reading should cost about the same whatever
   the size of the mailbox, so the ratio big/small should be near 1x. Besides the wall-clock
   time, the CPU time of this process (alumni, imapclient, the email parser) is given apart:
   the rest is Dovecot's and the wire's. (Mail written into a Maildir behind Dovecot's back, as
   here, costs Dovecot work that grows with the folder in the next session: a slower EXAMINE,
   as it lists the folder again, and a slower FETCH of the new messages, likely as it reads the
   whole dovecot-uidlist to find their files; seen in timings, not traced.)
5. 2 on the small mailbox with a password with å, ä, ö (AUTHENTICATE PLAIN instead of LOGIN).

About two and a half minutes with the defaults on 2 cores (an extra minute with --profile).
Run: .venv/bin/python bench/mailbox_sync.py [--size N] [--small N] [--profile]

`--size` is the big mailbox (20000), `--small` the small one (2000). `--profile` also runs one
warm first reading under cProfile (not timed) and prints the top 10 entries by cumulative time
in alumni and imapclient code.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import email.utils
import io
import itertools
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd

from alumni.mail.imap import FolderState, HeaderRecord, read_new
from alumni.rules.replies import MESSAGE_COLUMNS, place_messages
from tests.fakes.dovecot import PASSWORD as UTF8_PASSWORD
from tests.fakes.dovecot import Dovecot, find_dovecot

STOCKHOLM = ZoneInfo("Europe/Stockholm")
END = datetime(2026, 11, 28, 14, 5, tzinfo=STOCKHOLM)  # the other benches' "now"
SPAN = timedelta(days=3 * 365)  # the mailbox holds three years of mail
COMMITTEE = ("Alumniutskottet, I-sektionen", "alumni@isektionen.se")
# An app password, as Gmail gives: ASCII, so read_new logs in with LOGIN. (The helper's own
# password has Swedish letters, which takes AUTHENTICATE PLAIN: measured apart, see below.)
PASSWORD = "bench-app-password-42"
_SEQUENCE = itertools.count(1)
NEW = 50  # messages delivered before each incremental reading
SENT_EVERY = 5  # every fifth message is the committee's own, in Sent: 20%

FIRST = ["Åsa", "Björn", "Märta", "Örjan", "Linnéa", "Göran", "Ida", "Karl", "Sofie", "Håkan"]
LAST = ["Öberg", "Åström", "Lindqvist", "Ek", "Sjögren", "Bäckström", "Nilsson", "Wång", "Berg"]
SUBJECTS = [
    "Inbjudan till I-sektionens alumnnätverk på LinkedIn",
    "Fråga om medlemskap i alumnföreningen",
    "Ändrad e-postadress efter examen",
    "Mentorprogrammet hösten {year}: anmälan öppnar",
    "Tack för inbjudan!",
    "Alumnmiddag i Luleå – vill du hålla ett tal?",
    "Avregistrering från utskick",
    "Företagsbesök hos SSAB för årskurs tre",
    "Examensbevis och intyg från LTU",
    "Styrelsemöte: protokoll och åtgärdslista",
    "Meeting about the alumni survey",
    "Kan ni dela vår platsannons för nyexaminerade?",
]
ANSWER = (
    "Hej {name},\n\n"
    "Tack för ditt meddelande om {topic}. Vi återkommer så snart vi har gått igenom ärendet i "
    "utskottet; räkna med svar inom en vecka. Hör gärna av dig om något är oklart.\n\n"
    "Med vänliga hälsningar\n{sender}\nI-sektionen, Luleå tekniska universitet\n"
)
QUESTION = (
    "Hej!\n\n"
    "Jag tog examen i Industriell ekonomi för några år sedan och undrar över {topic}. "
    "Jag bor numera i Göteborg men följer gärna vad som händer på sektionen. "
    "Tack på förhand för svar!\n\n"
    "Vänliga hälsningar\n{sender}\n"
)


class Mail:
    """A deterministic stream of the committee's mail in arrival order: graduates write to the
    committee (INBOX, half of it in reply within a thread), the committee answers (Sent).

    `make(count, start, step)` gives `count` messages as (folder, raw bytes, arrival, flags),
    arriving from `start` every `step`; the threads carry on from one call to the next.
    """

    def __init__(self, seed: int = 20261128) -> None:
        self.random = random.Random(seed)
        self.number = 0
        # (subject, [message ids, oldest first], graduate name, address) of the recent threads
        self.threads: list[tuple[str, list[str], str, str]] = []
        self.q = Charset("utf-8")
        self.q.header_encoding = QP  # some clients write =?utf-8?q?, most =?utf-8?b?

    def make(
        self, count: int, start: datetime, step: timedelta
    ) -> Iterator[tuple[str, bytes, datetime, str]]:
        for i in range(count):
            yield self._one(start + i * step)

    def _one(self, arrived: datetime) -> tuple[str, bytes, datetime, str]:
        rnd = self.random
        self.number += 1
        n = self.number
        sent = n % SENT_EVERY == 0 and bool(self.threads)
        if sent or (self.threads and rnd.random() < 0.5):
            thread = rnd.choice(self.threads[-300:])  # an answer to a recent thread
        else:
            name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
            address = f"student{rnd.randrange(100_000)}@alumni.ltu.se"
            base = rnd.choice(SUBJECTS).format(year=arrived.year)
            thread = (base, [], name, address)
            self.threads.append(thread)
        base, chain, name, address = thread
        subject = "Re: " + base if chain else base
        domain = "isektionen.se" if sent else "alumni.ltu.se"
        message_id = f"<{n}.{rnd.getrandbits(40):010x}@{domain}>"
        written = arrived - timedelta(seconds=rnd.randrange(5, 600))
        if sent:
            sender, to = COMMITTEE, (name, address)
        else:
            sender, to = (name, address), COMMITTEE
        lines = [
            f"Return-Path: <{sender[1]}>",
            f"Received: from mail.alumni.ltu.se (mail.alumni.ltu.se [130.240.{n % 250}.{n % 199}])\r\n"
            f"\tby mx.isektionen.se with ESMTPS id {n:08x}\r\n"
            f"\tfor <{to[1]}>; {email.utils.format_datetime(arrived)}",
            f"Message-ID: {message_id}",
            f"Date: {email.utils.format_datetime(written)}",
            f"From: {email.utils.formataddr(sender, charset='utf-8')}",
            f"To: {email.utils.formataddr(to, charset='utf-8')}",
            f"Subject: {self._encoded(subject, n)}",
        ]
        if n % 7 == 0:
            lines.append(f"Cc: {email.utils.formataddr(COMMITTEE, charset='utf-8')}")
        if chain:
            # Clients keep the first and the last few ids of a long thread.
            kept = chain if len(chain) <= 10 else [chain[0], *chain[-9:]]
            lines.append(f"In-Reply-To: {chain[-1]}")
            lines.append("References: " + "\r\n ".join(kept))
        lines += [
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: 8bit",
            "X-Mailer: Thunderbird 128.4.2",
        ]
        chain.append(message_id)
        if len(self.threads) > 2000:
            del self.threads[:1000]
        text = ANSWER if sent else QUESTION
        body = text.format(name=to[0], topic=base.lower(), sender=sender[0])
        raw = ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()
        folder = "Sent" if sent else "INBOX"
        return folder, raw, arrived, ("S" if sent or arrived < END - timedelta(days=14) else "")

    def _encoded(self, subject: str, n: int) -> str:
        if subject.isascii():
            return subject
        charset = self.q if n % 3 == 0 else "utf-8"
        return Header(subject, charset, maxlinelen=76, header_name="Subject").encode()


def fill(server: Dovecot, mail: Mail, count: int) -> float:
    """Deliver `count` messages spread over SPAN up to END; the seconds it took.

    The first message of each folder goes through the helper's `deliver`, which makes the
    folder; the rest are written the same way (tmp/, owner, file time as INTERNALDATE, renamed
    into new/ or cur/ with flags) without its checks of the folders each time: twice as fast.
    """
    start = time.perf_counter()
    places: dict[str, Path] = {}
    for folder, raw, arrived, flags in mail.make(count, END - SPAN, SPAN / count):
        if folder not in places:
            server.deliver(folder, raw, internaldate=arrived, flags=flags)
            # Maildir++ as the helper lays it out: a folder other than INBOX is .Name (ASCII)
            places[folder] = server.maildir if folder == "INBOX" else server.maildir / f".{folder}"
            continue
        place = places[folder]
        name = f"{int(time.time())}.M{next(_SEQUENCE)}P{os.getpid()}.alumni-bench"
        staged = place / "tmp" / name
        staged.write_bytes(raw)
        os.chown(staged, server.uid, server.gid)
        os.utime(staged, (arrived.timestamp(), arrived.timestamp()))
        staged.rename(
            place / ("cur" if flags else "new") / (f"{name}:2,{flags}" if flags else name)
        )
    return time.perf_counter() - start


def deliver_new(server: Dovecot, mail: Mail, since: datetime) -> datetime:
    """NEW more messages after `since`, a minute apart; when the last arrived."""
    step = timedelta(minutes=1)
    for folder, raw, arrived, flags in mail.make(NEW, since + step, step):
        server.deliver(folder, raw, internaldate=arrived, flags=flags)
    return since + NEW * step


def executable() -> str:
    found = find_dovecot()
    if found is None:
        raise SystemExit(
            "Dovecot is not installed: apt-get install --no-install-recommends dovecot-imapd"
        )
    return found


Read = tuple[list[HeaderRecord], dict[str, FolderState], list[str]]


def timed(work: Callable[..., Read], *args: Any) -> tuple[float, float, Read]:
    """Wall-clock seconds, this process's CPU seconds (Dovecot's own work is not in them) and
    what `work` gave."""
    start, cpu = time.perf_counter(), time.process_time()
    result = work(*args)
    return time.perf_counter() - start, time.process_time() - cpu, result


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The (wall, CPU) of the run with the least wall-clock time."""
    return min(runs)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Mailbox:
    """A Dovecot with its mailbox filled, and the mail stream to deliver more of the same."""

    def __init__(self, root: Path, size: int) -> None:
        self.root = root
        self.server = Dovecot(root, executable(), password=PASSWORD)
        self.mail = Mail()
        self.size = size
        self.last = END
        self.fill_s = 0.0

    def __enter__(self) -> Mailbox:
        self.server.start()
        self.fill_s = fill(self.server, self.mail, self.size)
        self.settings = self.server.settings(timeout=120.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def restart(self, password: str) -> None:
        """The same mailbox (index and all) served by a new Dovecot that takes `password`."""
        self.server.stop()
        self.server = Dovecot(self.root, executable(), password=password).start()
        self.settings = self.server.settings(timeout=120.0)

    def read(self, state: dict[str, FolderState]) -> Read:
        return read_new(self.settings, state, since=None)

    def incremental(self, runs: int, state: dict[str, FolderState]) -> dict[str, float]:
        """No new mail, best of `runs`; then NEW new messages delivered just before each of
        `runs` readings, best of them. Wall-clock seconds and this process's CPU seconds."""
        figures: dict[str, float] = {}
        timings = []
        for _ in range(runs):
            wall, cpu, _ = timed(self.read, state)
            timings.append((wall, cpu))
        figures["none_s"], figures["none_cpu_s"] = best(timings)
        timings, counts = [], []
        for _ in range(runs):
            self.last = deliver_new(self.server, self.mail, self.last)
            wall, cpu, (records, state, _) = timed(self.read, state)
            timings.append((wall, cpu))
            counts.append(len(records))
        figures["new_s"], figures["new_cpu_s"] = best(timings)
        figures["new_count"] = min(counts)  # every reading must have found all NEW
        return figures


def profile_first(box: Mailbox, top: int = 10) -> str:
    """One warm first reading under cProfile: the top entries by cumulative time in alumni and
    imapclient code."""
    profiler = cProfile.Profile()
    profiler.runcall(box.read, {})
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"alumni/|imapclient/", top)
    return out.getvalue()


def measure(
    size: int = 20_000,
    small: int = 2_000,
    runs: int = 3,
    profile: Callable[[str], object] | None = None,
) -> dict[str, float]:
    """Every figure in seconds (`..._s`), counts and ratios; given `profile`, it is handed the
    top of a profile of a warm first reading of the big mailbox."""
    figures: dict[str, float] = {"size": size, "small": small}
    with tempfile.TemporaryDirectory(prefix="alumni-mailbox-") as tmp:
        with Mailbox(Path(tmp) / "big", size) as box:
            figures["fill_s"] = box.fill_s
            figures["rss_before_mb"] = peak_rss_mb()
            wall, cpu, (records, _, _) = timed(box.read, {})
            figures["rss_after_mb"] = peak_rss_mb()
            figures["cold_s"], figures["cold_cpu_s"], figures["cold_count"] = (
                wall,
                cpu,
                len(records),
            )
            figures["tie_s"], figures["tie_placed"] = tie(records)
            del records
            figures["warm_s"], figures["warm_cpu_s"], state = warm_first(box, runs, figures)
            if profile is not None:
                profile(profile_first(box))
            figures.update({f"big_{k}": v for k, v in box.incremental(runs, state).items()})
        with Mailbox(Path(tmp) / "small", small) as box:
            figures["small_fill_s"] = box.fill_s
            box.read({})  # Dovecot builds its index: the small mailbox is warm, as the big one
            figures["small_warm_s"], _, state = warm_first(box, runs, {})
            figures.update({f"small_{k}": v for k, v in box.incremental(runs, state).items()})
            # The same reading with no new mail, logging in with a password with å, ä, ö
            # (AUTHENTICATE PLAIN, as imaplib sends it) instead of LOGIN.
            box.restart(UTF8_PASSWORD)
            _, _, (_, state, _) = timed(box.read, state)  # the last run's new mail, untimed
            figures["small_none_plain_s"] = min(timed(box.read, state)[0] for _ in range(runs))
    for key in ("new", "none"):
        figures[f"{key}_ratio"] = figures[f"big_{key}_s"] / figures[f"small_{key}_s"]
    figures["warm_ratio"] = figures["warm_s"] / figures["small_warm_s"]
    figures["new_cpu_ratio"] = figures["big_new_cpu_s"] / figures["small_new_cpu_s"]
    figures["cold_ratio"] = figures["cold_s"] / figures["warm_s"]
    return figures


ROUNDS = 500
"""Contact rounds the tying rule is given: the first messages of that many threads."""


def tie(records: list[Any]) -> tuple[float, float]:
    """Seconds for the reply rule (`place_messages`, what `alumni mailbox` does with the
    headers it read) to tie every message read to ROUNDS contact rounds, and how many it tied."""
    starters = [r for r in records if not r.in_reply_to and r.message_id][:ROUNDS]
    contacts = pd.DataFrame(
        [
            {
                "ID": f"KL-{i:04d}",
                "address": r.to_addrs[0] if r.folder == "Sent" else r.from_addr,
                "sent_ids": (r.message_id,),
                "contacted": pd.Timestamp(r.internaldate),
            }
            for i, r in enumerate(starters, start=1)
        ]
    )
    frame = pd.DataFrame(
        [
            {
                **dataclasses.asdict(r),
                "date": pd.Timestamp(r.date) if r.date else pd.NaT,
                "internaldate": pd.Timestamp(r.internaldate),
            }
            for r in records
        ],
        columns=list(MESSAGE_COLUMNS),
    )
    committee = {COMMITTEE[1]: COMMITTEE[0]}
    now = pd.Timestamp(END)
    start = time.perf_counter()
    placed = place_messages(contacts, frame, committee, {}, now)
    return time.perf_counter() - start, float(placed.placed)


def warm_first(
    box: Mailbox, runs: int, figures: dict[str, float]
) -> tuple[float, float, dict[str, FolderState]]:
    """The best of `runs` first readings with a fresh empty state: wall and CPU seconds, and the
    state after the last; the count of records read goes in `figures`."""
    timings = []
    for _ in range(runs):
        wall, cpu, (records, state, _) = timed(box.read, {})
        timings.append((wall, cpu))
        figures["warm_count"] = len(records)
        del records
    return (*best(timings), state)


def table_rows() -> list[tuple[str, str, str]]:
    """The main figures as (benchmark, figure, target) rows for bench/run_all.py (about two
    minutes); one row saying so when Dovecot is not installed."""
    if find_dovecot() is None:
        return [("IMAP reading against Dovecot: Dovecot is not installed", "-", "")]
    f = measure()
    big, little = f"{f['size']:,.0f}", f"{f['small']:,.0f}"
    new = f"IMAP incremental reading, {NEW} new in {big} messages"
    return [
        (f"IMAP first reading of {big} messages, warm Dovecot (s)", f"{f['warm_s']:.2f}", ""),
        ("  the same, cold: Dovecot indexes inside it (s)", f"{f['cold_s']:.2f}", ""),
        (
            f"IMAP incremental reading, no new mail, {big} messages (ms)",
            f"{f['big_none_s'] * 1e3:.0f}",
            "",
        ),
        (f"{new} (ms)", f"{f['big_new_s'] * 1e3:.0f}", ""),
        (f"  the same, {big} / {little} messages", f"{f['new_ratio']:.2f}x", "~1x"),
        (f"Tying {big} messages to {ROUNDS} contact rounds (s)", f"{f['tie_s']:.2f}", ""),
        (
            f"  the same, {big} / {little}, this process's CPU alone",
            f"{f['new_cpu_ratio']:.2f}x",
            "~1x",
        ),
    ]


def dovecot_version() -> str:
    done = subprocess.run([executable(), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split()[0] if done.stdout else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="the big mailbox (20000)")
    parser.add_argument("--small", type=int, default=2_000, help="the small mailbox (2000)")
    parser.add_argument("--profile", action="store_true", help="profile a warm first reading")
    args = parser.parse_args()
    started = time.perf_counter()
    profiled: list[str] = []
    f = measure(args.size, args.small, profile=profiled.append if args.profile else None)
    size, small = args.size, args.small
    sent = size // SENT_EVERY
    print(
        f"IMAP reading (read_new, headers only) from Dovecot {dovecot_version()} on 127.0.0.1, "
        "plain IMAP, INBOX and Sent"
    )
    print(
        f"  fill: {size:,} messages ({size - sent:,} INBOX + {sent:,} Sent) as Maildir files in "
        f"{f['fill_s']:.1f} s; {small:,} in {f['small_fill_s']:.1f} s (not counted)"
    )
    for key, what in (
        ("cold", "first run, cold (Dovecot builds its index and cache inside it)"),
        ("warm", "first run, warm (index built, empty state), best of 3"),
    ):
        wall, cpu, count = f[f"{key}_s"], f[f"{key}_cpu_s"], f[f"{key}_count"]
        print(
            f"  {what + ':':<64}{wall:6.2f} s, {count / wall:,.0f} messages/s ({count:,.0f} read; "
            f"CPU of this process {cpu:.2f} s)"
        )
    print(f"  ratio cold/warm first run: {f['cold_ratio']:.2f}x")
    print(
        f"  tying all {f['cold_count']:,.0f} messages to {ROUNDS} contact rounds "
        f"(place_messages): {f['tie_s']:.2f} s, {f['tie_placed']:,.0f} messages tied"
    )
    print(
        f"  peak RSS of this process after the first run: {f['rss_after_mb']:.0f} MB "
        f"({f['rss_before_mb']:.0f} MB before it)"
    )
    width = 52
    print(f"  {'':<{width}}{f'{size:,} msgs':>12}{f'{small:,} msgs':>12}{'ratio':>9}  (best of 3)")
    rows = [
        ("first run, warm (s)", f["warm_s"], f["small_warm_s"], 1),
        ("incremental, no new mail (ms)", f["big_none_s"], f["small_none_s"], 1e3),
        ("  of which CPU of this process (ms)", f["big_none_cpu_s"], f["small_none_cpu_s"], 1e3),
        (
            f"incremental, {NEW} new (40 INBOX + 10 Sent) (ms)",
            f["big_new_s"],
            f["small_new_s"],
            1e3,
        ),
        ("  of which CPU of this process (ms)", f["big_new_cpu_s"], f["small_new_cpu_s"], 1e3),
    ]
    for name, big, little, scale in rows:
        decimals = 2 if scale == 1 else 1
        print(
            f"  {name:<{width}}{big * scale:>12.{decimals}f}{little * scale:>12.{decimals}f}"
            f"{big / little:>8.2f}x"
        )
    print(
        f"  incremental, no new mail, {small:,} msgs, password with å/ä/ö (AUTHENTICATE PLAIN "
        f"instead of LOGIN): {f['small_none_plain_s'] * 1e3:.1f} ms, "
        f"{f['small_none_plain_s'] / f['small_none_s']:.2f}x the LOGIN figure above"
    )
    print(
        f"  new messages found by each incremental run: {f['big_new_count']:.0f} and "
        f"{f['small_new_count']:.0f} of {NEW}; an incremental run should cost about the same "
        f"whatever the mailbox size (ratio near 1x; the first run's ratio is ~{size / small:.0f}x)"
    )
    print(f"  whole benchmark: {time.perf_counter() - started:.0f} s")
    for text in profiled:
        print("\nwarm first run under cProfile, top by cumulative time (alumni, imapclient):")
        print(text)


if __name__ == "__main__":
    main()
