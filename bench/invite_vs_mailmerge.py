"""500 invitations to a local SMTP server: `alumni invite --send` side by side with mailmerge 2.3.

Both run as commands, as the chair would run them, against the same aiosmtpd server on
127.0.0.1 with the rate limit off. Needs mailmerge: `.venv/bin/pip install -e '.[bench]'`.
Run: .venv/bin/python bench/invite_vs_mailmerge.py [rows]
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alumni.contract import TABS
from tests.fakes.smtp_server import FakeSmtpServer, make_tls_files

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


def people(rows: int) -> list[tuple[str, str]]:
    return [(f"Student Nummer{i} Åström", f"student{i}@example.org") for i in range(rows)]


def prepare_alumni(folder: Path, server: FakeSmtpServer, rows: int, tls: bool) -> None:
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
        '[mail]\nbackend = "smtp"\nrate_per_minute = 0\ndaily_cap = 0\n'
        f'[smtp]\nhost = "{server.host}"\nport = {server.port}\n{security}'
    )


def prepare_mailmerge(folder: Path, server: FakeSmtpServer, rows: int, tls: bool) -> None:
    (folder / "mailmerge_template.txt").write_text(MAILMERGE_TEMPLATE, encoding="utf-8")
    with open(folder / "mailmerge_database.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "email"])
        writer.writerows(people(rows))
    security = f"security = STARTTLS\nusername = {USER}\n" if tls else "security = Never\n"
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = {server.host}\nport = {server.port}\n{security}"
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


def measure(rows: int = 500, tls: bool = False, latency: float = 0.0) -> dict[str, float]:
    """Both tools on the same rows; with `tls`, as with Gmail: STARTTLS and a login; with
    `latency`, every server reply delayed by that many seconds, as across a network."""
    if shutil.which("mailmerge", path=str(BIN)) is None:
        raise SystemExit("mailmerge is not installed: .venv/bin/pip install -e '.[bench]'")
    figures: dict[str, float] = {"rows": rows}
    with tempfile.TemporaryDirectory() as tmp:
        files = make_tls_files(Path(tmp)) if tls else None
        server = FakeSmtpServer(tls=files, username=USER, password=SECRET, latency=latency)
        server.start()
        try:
            ours, theirs = Path(tmp) / "alumni", Path(tmp) / "mailmerge"
            ours.mkdir()
            theirs.mkdir()
            prepare_alumni(ours, server, rows, tls)
            prepare_mailmerge(theirs, server, rows, tls)
            env = {"ALUMNI_SMTP_PASSWORD": SECRET}
            if files is not None:
                env["SSL_CERT_FILE"] = str(files.ca_file)  # mailmerge trusts the system's CAs only

            server.reset()
            alumni = [str(BIN / "alumni"), "--now", NOW, "invite", "--send"]
            figures["alumni_s"] = timed(alumni, ours, env)
            figures["alumni_messages"] = len(server.messages)
            figures["alumni_connections"] = server.connections

            server.reset()
            mailmerge = [
                str(BIN / "mailmerge"),
                "--no-dry-run",
                "--no-limit",
                "--output-format",
                "raw",
            ]
            figures["mailmerge_s"] = timed(mailmerge, theirs, env)
            figures["mailmerge_messages"] = len(server.messages)
            figures["mailmerge_connections"] = server.connections
        finally:
            server.stop()
    figures["ratio"] = figures["alumni_s"] / figures["mailmerge_s"]
    return figures


CASES = (
    # (STARTTLS and login, delay of every reply in seconds, what it stands for, short name)
    (False, 0.0, "plain SMTP, no login", "plain"),
    (True, 0.0, "STARTTLS and login, as with Gmail", "STARTTLS + login"),
    (
        True,
        0.005,
        "STARTTLS and login, every reply 5 ms late as across a network",
        "STARTTLS + login, 5 ms replies",
    ),
)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    for tls, latency, label, _ in CASES:
        f = measure(rows, tls, latency)
        print(f"{rows} invitations, local SMTP server (aiosmtpd, 127.0.0.1), {label}:")
        print(
            f"  alumni invite --send: {f['alumni_s']:.2f} s, {f['alumni_messages']:.0f} messages, "
            f"{f['alumni_connections']:.0f} connection(s)"
        )
        print(
            f"  mailmerge 2.3:        {f['mailmerge_s']:.2f} s, {f['mailmerge_messages']:.0f} "
            f"messages, {f['mailmerge_connections']:.0f} connection(s)"
        )
        print(f"  ratio alumni/mailmerge: {f['ratio']:.2f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
