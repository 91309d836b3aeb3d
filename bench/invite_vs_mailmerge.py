"""Invitations to a local SMTP server: `alumni invite --send` side by side with mailmerge 2.3.

Both run as commands, as the chair would run them, against the same aiosmtpd server on
127.0.0.1: 500 messages with the rate limit off (plain, STARTTLS with a login, and every
reply 5 ms late as across a network), then 10 at the default pace of 20 a minute with 5 ms
replies, which is how a real run goes: there the pace sets the time, and the tools' own
speed is what is left over. The two cases on bare loopback run as five pairs of runs, one
tool right after the other (each goes first in every other pair), and give the medians. About
five minutes in all.
Needs mailmerge: `.venv/bin/pip install -e '.[bench]'`.
Run: .venv/bin/python bench/invite_vs_mailmerge.py [rows] [--sink HOST:PORT]

`--sink` sends the plain case to a server already running instead (Postfix's `smtp-sink`,
written in C, answers in microseconds: then what is measured is the tools alone, not the
test server's own Python); messages and connections are not counted there.
"""

from __future__ import annotations

import compileall
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alumni.contract import TABS
from tests.fakes.smtp_server import FakeSmtpServer, make_tls_files

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-28 14:05"
USER, SECRET = "alumni@example.org", "bench-secret-42"
BIN = Path(sys.executable).parent

# text/markdown: mailmerge then sends text and HTML as multipart/alternative, as alumni does.
MAILMERGE_TEMPLATE = """TO: {{name}} <{{email}}>
SUBJECT: Inbjudan till I-sektionens alumnnätverk på LinkedIn
FROM: Alumniutskottet, I-sektionen <alumni@example.org>
CONTENT-TYPE: text/markdown

Hej {{name}},

Vi gratulerar dig till din examen 2026. På uppdrag av Alumniutskottet vid I-sektionen
vill vi bjuda in dig till sektionens alumnnätverk för Industriell ekonomi vid Luleå tekniska
universitet.

https://www.linkedin.com/groups/0000000/

Med vänliga hälsningar
Alumniutskottet
"""


# The floor: the same messages (text and HTML, built with the standard email API) over one
# connection in a plain loop, with no journal, sheet or templates: what the wire itself costs.
SMTPLIB_LOOP = """
import smtplib, ssl, sys
from email.message import EmailMessage
host, port, rows, tls, user, secret, ca = sys.argv[1:8]
context = ssl.create_default_context(cafile=ca) if tls == "1" else None
with smtplib.SMTP(host, int(port)) as conn:
    if context is not None:
        conn.starttls(context=context)
        conn.login(user, secret)
    for i in range(int(rows)):
        m = EmailMessage()
        m["From"] = "Alumniutskottet, I-sektionen <alumni@example.org>"
        m["To"] = f"Student Nummer{i} Åström <student{i}@example.org>"
        m["Subject"] = "Inbjudan till I-sektionens alumnnätverk på LinkedIn"
        text = f"Hej Student Nummer{i} Åström,\\n\\nVi gratulerar dig till din examen 2026."
        m.set_content(text)
        m.add_alternative(f"<p>{text}</p>", subtype="html")
        conn.send_message(m)
"""

# The wire alone: one message built once, its bytes sent `rows` times over one connection. What
# is left is the server's own work and the round trips, which every tool pays.
WIRE_LOOP = """
import smtplib, ssl, sys
from email.message import EmailMessage
host, port, rows, tls, user, secret, ca = sys.argv[1:8]
context = ssl.create_default_context(cafile=ca) if tls == "1" else None
m = EmailMessage()
m["From"] = "Alumniutskottet, I-sektionen <alumni@example.org>"
m["To"] = "Student Nummer0 Åström <student0@example.org>"
m["Subject"] = "Inbjudan till I-sektionens alumnnätverk på LinkedIn"
text = "Hej Student Nummer0 Åström,\\n\\nVi gratulerar dig till din examen 2026."
m.set_content(text)
m.add_alternative(f"<p>{text}</p>", subtype="html")
data = m.as_bytes()
with smtplib.SMTP(host, int(port)) as conn:
    if context is not None:
        conn.starttls(context=context)
        conn.login(user, secret)
    for i in range(int(rows)):
        conn.sendmail("alumni@example.org", [f"student{i}@example.org"], data)
"""

# What alumni imports before it reads the workbook or sends anything.
STARTUP = (
    "import alumni.cli, alumni.jobs.invite, alumni.sheet.xlsx, alumni.mail.smtp, "
    "alumni.mail.render, jinja2"
)


def people(rows: int) -> list[tuple[str, str]]:
    return [(f"Student Nummer{i} Åström", f"student{i}@example.org") for i in range(rows)]


class Sink:
    """A server someone else runs (e.g. `smtp-sink 127.0.0.1:2525 100`): nothing to start,
    nothing counted."""

    tls = None
    connections = 0

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)
        self.messages: list[object] = []

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def reset(self) -> None: ...


def prepare_alumni(
    folder: Path, server: FakeSmtpServer | Sink, rows: int, tls: bool, rate: int
) -> None:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for tab in TABS:
        book.create_sheet(tab.name).append(tab.header)
    ws = book["Avgångsklass"]
    for i, (name, address) in enumerate(people(rows)):
        ws.append([f"AK-{i + 1:04d}", name, address, 2026, "sv"])
    book.save(folder / "alumni.xlsx")
    security = 'security = "none"\n'
    if tls and server.tls is not None:
        security = f'security = "starttls"\nusername = "{USER}"\nca_file = "{server.tls.ca_file}"\n'
    (folder / "config.toml").write_text(
        f'[mail]\nbackend = "smtp"\nrate_per_minute = {rate}\ndaily_cap = 0\n'
        'from_address = "alumniutskottet@isektionen.se"\n'
        f'[smtp]\nhost = "{server.host}"\nport = {server.port}\n{security}'
        '[invite]\nsignup_link = "https://www.linkedin.com/groups/1234567/"\n'
    )


def prepare_mailmerge(
    folder: Path, server: FakeSmtpServer | Sink, rows: int, tls: bool, rate: int
) -> None:
    (folder / "mailmerge_template.txt").write_text(MAILMERGE_TEMPLATE, encoding="utf-8")
    with open(folder / "mailmerge_database.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "email"])
        writer.writerows(people(rows))
    security = f"security = STARTTLS\nusername = {USER}\n" if tls else "security = Never\n"
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = {server.host}\nport = {server.port}\nratelimit = {rate}\n{security}"
    )


def timed(command: list[str], folder: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=folder,
        capture_output=True,
        check=False,
        input=(SECRET + "\n").encode(),  # mailmerge asks for the password on standard input
        env={**os.environ, **env},
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return seconds


class Case(NamedTuple):
    """One way of sending: how many messages, over what, at what pace."""

    rows: int
    tls: bool  # STARTTLS and a login, as with Gmail
    latency: float  # every server reply this many seconds late
    rate: int  # messages a minute for both tools; 0: as fast as they go
    label: str
    short: str
    repeats: int = 1  # pairs of runs; the figures are their medians


DEFAULT_RATE = 20  # [mail] rate_per_minute when the config does not say

# The two cases on bare loopback take seconds a run, and vary most with the machine: five
# pairs each.
CASES = (
    Case(500, False, 0.0, 0, "plain SMTP, no login", "plain", repeats=5),
    Case(500, True, 0.0, 0, "STARTTLS and login, as with Gmail", "STARTTLS + login", repeats=5),
    Case(
        500,
        True,
        0.005,
        0,
        "STARTTLS and login, every reply 5 ms late as across a network",
        "STARTTLS + login, 5 ms replies",
    ),
    Case(
        10,
        True,
        0.005,
        DEFAULT_RATE,
        f"the default pace ({DEFAULT_RATE} a minute), STARTTLS and login, every reply 5 ms late",
        f"default pace {DEFAULT_RATE}/min, 5 ms replies",
    ),
)


def compile_as_installed() -> None:
    """Compile alumni's modules to bytecode, as pip compiled mailmerge's when it installed it.

    The README's editable install leaves that to the first run, which writes `__pycache__`
    itself, except where PYTHONDONTWRITEBYTECODE is set (as on this workplace's machines): there
    every run would compile alumni's 80 modules from source again, 0.1 s, while mailmerge
    loads its bytecode. A chair's second run loads bytecode too.
    """
    if not compileall.compile_dir(ROOT / "alumni", quiet=1):
        raise SystemExit("alumni's modules do not compile")


def measure(case: Case, sink: Sink | None = None) -> dict[str, float]:
    """Both tools on the same rows, the same server and the same pace: the median of
    `case.repeats` pairs of runs (times, and the ratio of each pair)."""
    compile_as_installed()
    repeats = case.repeats
    if shutil.which("mailmerge", path=str(BIN)) is None:
        raise SystemExit("mailmerge is not installed: .venv/bin/pip install -e '.[bench]'")
    rows, tls = case.rows, case.tls
    figures: dict[str, float] = {"rows": rows}
    with tempfile.TemporaryDirectory() as tmp:
        files = make_tls_files(Path(tmp)) if tls else None
        server: FakeSmtpServer | Sink = sink or FakeSmtpServer(
            tls=files, username=USER, password=SECRET, latency=case.latency
        )
        server.start()
        try:
            ours, theirs = Path(tmp) / "alumni", Path(tmp) / "mailmerge"
            env = {"ALUMNI_SMTP_PASSWORD": SECRET}
            if files is not None:
                env["SSL_CERT_FILE"] = str(files.ca_file)  # mailmerge trusts the system's CAs only

            alumni = [str(BIN / "alumni"), "--now", NOW, "--for-real", "invite", "--send"]
            mailmerge = [
                str(BIN / "mailmerge"),
                "--no-dry-run",
                "--no-limit",
                "--output-format",
                "raw",
            ]
            ratios: list[float] = []
            times: dict[str, list[float]] = {"alumni": [], "mailmerge": []}
            tools = (
                ("alumni", alumni, ours, prepare_alumni),
                ("mailmerge", mailmerge, theirs, prepare_mailmerge),
            )
            for pair in range(repeats):
                # In pairs, one right after the other: what the machine is doing at the time
                # (it varies by a tenth from minute to minute here) weighs on both alike. Each
                # tool goes first in every other pair, so neither always meets the machine as
                # the other left it.
                for tool, command, folder, fresh in tools[:: 1 if pair % 2 == 0 else -1]:
                    shutil.rmtree(folder, ignore_errors=True)  # nobody invited yet, no journal
                    folder.mkdir()
                    fresh(folder, server, rows, tls, case.rate)
                    server.reset()
                    times[tool].append(timed(command, folder, env))
                    figures[f"{tool}_messages"] = len(server.messages)
                    figures[f"{tool}_connections"] = server.connections
                ratios.append(times["alumni"][-1] / times["mailmerge"][-1])
            figures["alumni_s"] = statistics.median(times["alumni"])
            figures["mailmerge_s"] = statistics.median(times["mailmerge"])
            figures["ratio"] = statistics.median(ratios)
            figures["ratio_low"], figures["ratio_high"] = min(ratios), max(ratios)
            figures["repeats"] = repeats

            if not case.rate:
                server.reset()
                ca = str(files.ca_file) if files is not None else ""
                loop = [sys.executable, "-c", SMTPLIB_LOOP, server.host, str(server.port)]
                loop += [str(rows), "1" if tls else "0", USER, SECRET, ca]
                figures["smtplib_s"] = timed(loop, theirs, {})
                figures["smtplib_messages"] = len(server.messages)
                server.reset()
                loop[2] = WIRE_LOOP
                figures["wire_s"] = timed(loop, theirs, {})
                figures["wire_messages"] = len(server.messages)
                figures["startup_s"] = timed([sys.executable, "-c", STARTUP], theirs, {})
        finally:
            server.stop()
    # The waits between messages that the pace alone asks for; the rest is the tools' own.
    figures["pace_s"] = (rows - 1) * 60 / case.rate if case.rate else 0.0
    return figures


def table_rows(rows: int = 500) -> list[tuple[str, str, str]]:
    """Every case as (benchmark, figure, target) rows for bench/run_all.py; the unpaced cases
    send `rows` messages."""
    table: list[tuple[str, str, str]] = []
    for case in CASES:
        if not case.rate:
            case = case._replace(rows=rows)
        f = measure(case)
        name = f"{case.rows} invitations, {case.short}"
        table.append((f"{name}: alumni (s)", f"{f['alumni_s']:.2f}", ""))
        table.append((f"{name}: mailmerge 2.3 (s)", f"{f['mailmerge_s']:.2f}", ""))
        if case.rate:
            table.append((f"{name}: the pace's own waits (s)", f"{f['pace_s']:.2f}", ""))
            table.append(
                (f"{name}: alumni beyond the pace (s)", f"{f['alumni_s'] - f['pace_s']:.2f}", "")
            )
        if not case.rate:
            table.append(
                (f"{name}: plain smtplib loop, one connection (s)", f"{f['smtplib_s']:.2f}", "")
            )
            table.append(
                (
                    f"{name}: plain smtplib loop / alumni",
                    f"{f['smtplib_s'] / f['alumni_s']:.2f}x",
                    "",
                )
            )
            # The floor against the target: no tool that builds its messages with the standard
            # email API can go below this ratio on the same server.
            table.append(
                (
                    f"{name}: plain smtplib loop / mailmerge",
                    f"{f['smtplib_s'] / f['mailmerge_s']:.2f}x",
                    "",
                )
            )
            table.append((f"{name}: the wire alone, prebuilt bytes (s)", f"{f['wire_s']:.2f}", ""))
            table.append(
                (
                    f"{name}: alumni's start-up, interpreter + imports (s)",
                    f"{f['startup_s']:.2f}",
                    "",
                )
            )
            # What alumni cannot go below on this server, whatever its own work costs.
            table.append(
                (
                    f"{name}: (start-up + wire) / mailmerge",
                    f"{(f['startup_s'] + f['wire_s']) / f['mailmerge_s']:.2f}x",
                    "",
                )
            )
        table.append(
            (f"{name}: alumni / mailmerge", f"{f['ratio']:.2f}x", "" if case.rate else "<= 0.5x")
        )
        if f["repeats"] > 1:
            table.append(
                (
                    f"{name}: alumni / mailmerge, lowest and highest of {f['repeats']:.0f} pairs",
                    f"{f['ratio_low']:.2f}x-{f['ratio_high']:.2f}x",
                    "",
                )
            )
        table.append(
            (
                f"{name}: connections alumni / mailmerge",
                f"{f['alumni_connections']:.0f}/{f['mailmerge_connections']:.0f}",
                "",
            )
        )
    return table


def main() -> None:
    args = sys.argv[1:]
    sink = None
    if "--sink" in args:
        at = args.index("--sink")
        sink = Sink(args[at + 1])
        del args[at : at + 2]
    rows = int(args[0]) if args else 500
    for case in CASES[:1] if sink else CASES:
        if not case.rate:
            case = case._replace(rows=rows)
        f = measure(case, sink)
        print(f"{case.rows} invitations, local SMTP server (aiosmtpd, 127.0.0.1), {case.label}:")
        print(
            f"  alumni invite --send: {f['alumni_s']:.2f} s, {f['alumni_messages']:.0f} messages, "
            f"{f['alumni_connections']:.0f} connection(s)"
        )
        print(
            f"  mailmerge 2.3:        {f['mailmerge_s']:.2f} s, {f['mailmerge_messages']:.0f} "
            f"messages, {f['mailmerge_connections']:.0f} connection(s)"
        )
        if case.rate:
            print(
                f"  of which the pace's own waits: {f['pace_s']:.2f} s; alumni beyond the pace "
                f"{f['alumni_s'] - f['pace_s']:.2f} s, mailmerge {f['mailmerge_s'] - f['pace_s']:.2f} s"
            )
            print(f"  ratio alumni/mailmerge: {f['ratio']:.2f}x (the pace sets the time)")
        else:
            print(
                f"  plain smtplib loop:   {f['smtplib_s']:.2f} s (one connection, no journal; "
                f"{f['smtplib_s'] / f['mailmerge_s']:.2f}x mailmerge)"
            )
            print(
                f"  the wire alone:       {f['wire_s']:.2f} s (prebuilt bytes, one connection); "
                f"alumni's start-up {f['startup_s']:.2f} s; together "
                f"{(f['wire_s'] + f['startup_s']) / f['mailmerge_s']:.2f}x mailmerge"
            )
            spread = ""
            if f["repeats"] > 1:
                spread = (
                    f", median of {f['repeats']:.0f} pairs of runs, "
                    f"{f['ratio_low']:.2f}x to {f['ratio_high']:.2f}x"
                )
            print(f"  ratio alumni/mailmerge: {f['ratio']:.2f}x (target <= 0.5x{spread})")


if __name__ == "__main__":
    main()
