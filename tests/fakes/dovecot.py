"""A real Dovecot IMAP server on 127.0.0.1 for tests: Debian's binary with a throwaway config and
Maildir under the test's folder, started in the foreground (-F) and stopped after the test.

Dovecot serves mail only as an unprivileged user. Run as root (as CI does), the mailbox belongs
to `nobody` and each session chroots into the server's folder first, so `nobody` needs no way
through the folders above it (pytest keeps its own at 0700). Run as anyone else, Dovecot runs
wholly as that user. Nothing is written outside the folder: base_dir, state_dir, the log and the
rawlog of what clients sent are in it. A start takes some 20 ms: each test gets a fresh server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import imap_utf7

from alumni.mail.imap import ImapSettings
from tests.fakes.smtp_server import TlsFiles, free_port, make_tls_files
from tests.helpers import cannot_run

HOST = "127.0.0.1"
USER = "alumni"
PASSWORD = "rätt-lösenord-42"  # Swedish letters: the login must carry UTF-8
_SEQUENCE = itertools.count(1)

_CONFIG = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
instance_name = alumni-test-{port}
log_path = {root}/dovecot.log
# A wrong password is refused at once, not after the usual two seconds.
auth_failure_delay = 0
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
valid_chroot_dirs = {root}
mail_location = maildir:~/Maildir
# Every account has its folder of sent mail, "Sent", and announces it as such (RFC 6154), as
# Gmail and Outlook announce theirs.
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    auto = create
    special_use = \\Sent
  }}
}}
# What clients send after login, one file per session: tests read it with commands().
rawlog_dir = %h/rawlog
{unprivileged}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
  }}
}}
"""

# Run as a user other than root, Dovecot can change to no other user and chroot nowhere.
_UNPRIVILEGED = """\
default_login_user = {name}
default_internal_user = {name}
default_internal_group = {group}
service imap-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def find_dovecot() -> str | None:
    """Dovecot's master on this machine: $DOVECOT, else on PATH, else Debian's place for it
    (/usr/sbin is not on an ordinary user's PATH)."""
    given = os.environ.get("DOVECOT")
    if given:
        return given if shutil.which(given) else None
    found = shutil.which("dovecot")
    if found is None and os.access("/usr/sbin/dovecot", os.X_OK):
        found = "/usr/sbin/dovecot"
    return found


class Dovecot:
    """A Dovecot serving one mailbox, `user` / `password`, over IMAP on `host`:`port`.

    Without `tls` it speaks plain IMAP only (no STARTTLS). With `tls` it offers STARTTLS on
    `port` and TLS from the first byte on `ssl_port`; its certificate authority is
    `tls.ca_file`. (It is set to require TLS, but Dovecot takes a connection from its own
    address as secure, so a client on 127.0.0.1 may still log in without.) Mail is put in with
    `deliver`, as a delivery agent would; `kill` and `drop_connections` break connections.
    """

    def __init__(
        self,
        root: Path,
        executable: str = "/usr/sbin/dovecot",
        *,
        tls: TlsFiles | None = None,
        password: str = PASSWORD,
    ) -> None:
        if any(ch.isspace() for ch in password):
            raise ValueError("the static passdb of the config cannot hold a blank in a password")
        self.root = root.resolve()
        self.executable = executable
        self.tls = tls
        self.host, self.user, self.password = HOST, USER, password
        self.port = 0
        self.ssl_port: int | None = None
        self.log_file = self.root / "dovecot.log"
        self.config_file = self.root / "dovecot.conf"
        self.maildir = self.root / "home" / USER / "Maildir"
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
        else:
            self.uid, self.gid = os.geteuid(), os.getegid()
        self._process: subprocess.Popen[bytes] | None = None

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> Dovecot:
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in (self.root / "run", self.root / "state"):
            folder.mkdir(exist_ok=True)
        self._make_folder("INBOX")
        self._own(self.root / "home" / USER / "rawlog", directory=True)
        problem = ""
        for _ in range(3):  # a free port may be taken between choosing it and binding it
            self.port = free_port()
            self.ssl_port = free_port() if self.tls else None
            self._write_config()
            problem = self._launch()
            if not problem:
                return self
        raise AssertionError(f"Dovecot did not start: {problem}")

    def stop(self) -> None:
        """Stop the server and every process it started, and wait for them.

        Asked to stop (SIGTERM), Dovecot's master waits a second or more for its processes; a
        throwaway server has nothing to save, so they are all killed at once instead.
        """
        self.kill()
        self._process = None

    def kill(self) -> None:
        """Kill the server at once (SIGKILL to it and all its processes): every open connection
        breaks wherever it is, and nothing answers on the ports any more."""
        if self._process is None:
            return
        group = self._process.pid  # started in a session of its own: the group's id
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
        self._process.wait(timeout=10)
        # Until the last login process is gone, the port still takes connections in.
        deadline = time.monotonic() + 10
        while any(pgrp == group for _, _, _, pgrp in _processes()):
            if time.monotonic() > deadline:
                raise AssertionError(f"Dovecot's processes outlived SIGKILL: {self.root}")
            time.sleep(0.005)

    def drop_connections(self) -> None:
        """Kill every logged-in session (the `imap` processes) and keep the server running:
        a client in the middle of a FETCH sees its connection end; the next one logs in."""
        for pid in self._children("imap"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every session has ended: a client that logged out has its answer before
        the server has finished writing the session's log and rawlog."""
        deadline = time.monotonic() + timeout
        while self._children("imap") and time.monotonic() < deadline:
            time.sleep(0.01)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the mailbox -----------------------------------------------------------------------------

    def settings(self, **changes: Any) -> ImapSettings:
        """The tool's settings for this server: plain IMAP, INBOX and Sent, a short timeout;
        `changes` replace any of them."""
        base = ImapSettings(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            security="plain",
            folders=("INBOX", "Sent"),
            first_days=90,
            timeout=5.0,
            ca_file=None,
        )
        return dataclasses.replace(base, **changes)

    def deliver(
        self, folder: str, raw: bytes, *, internaldate: datetime | None = None, flags: str = ""
    ) -> None:
        """Put a message in `folder` as a delivery agent does: written in tmp/, renamed into
        new/ (no `flags`, unseen) or cur/ with Maildir flags such as "S" (seen) or "RS".
        The file's time is `internaldate`, which Dovecot reports as the INTERNALDATE."""
        place = self._make_folder(folder)
        now = time.time()
        name = f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{next(_SEQUENCE)}.alumni-test"
        staged = place / "tmp" / name
        staged.write_bytes(raw)
        os.chown(staged, self.uid, self.gid)
        if internaldate is not None:
            os.utime(staged, (internaldate.timestamp(), internaldate.timestamp()))
        final = (
            place / "new" / name
            if not flags
            else place / "cur" / f"{name}:2,{_maildir_flags(flags)}"
        )
        staged.rename(final)

    def files(self, folder: str, subfolder: str = "new") -> list[Path]:
        """The message files in `folder`'s new/ (or cur/)."""
        return sorted((self._folder_path(folder) / subfolder).iterdir())

    def set_uidvalidity(self, folder: str, value: int) -> None:
        """Give `folder` a new UIDVALIDITY, as a server does when it renumbers a folder's
        messages (a restore, a migration): a client's saved UIDs then mean nothing."""
        self._doveadm("mailbox", "update", "--uid-validity", str(value), folder)

    def uidvalidity(self, folder: str) -> int:
        out = self._doveadm("mailbox", "status", "uidvalidity", folder)
        return int(out.split("uidvalidity=")[1].split()[0])

    def commands(self) -> list[str]:
        """Every command clients sent after logging in, session by session ('EXAMINE "INBOX"',
        "UID FETCH 1:3 (...)", ...), tags left out; the login itself is not kept."""
        self.settle()
        lines = []
        for log in sorted((self.root / "home" / USER / "rawlog").glob("*.in")):
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                # "<time> <tag> <command>"
                parts = line.split(" ", 2)
                if len(parts) == 3:
                    lines.append(parts[2])
        return lines

    def log(self, waiting_for: str = "", timeout: float = 5.0) -> str:
        """Dovecot's log once every session has ended, and (given `waiting_for`) once that text
        is in it: a session's last lines reach the file through Dovecot's log process."""
        self.settle()
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            if waiting_for in text or time.monotonic() > deadline:
                return text
            time.sleep(0.01)

    # -- inside ----------------------------------------------------------------------------------

    def _folder_path(self, folder: str) -> Path:
        # Maildir++: every folder but INBOX is a dot-directory in the Maildir, its name in IMAP's
        # modified UTF-7, "." between levels ("Sent" is .Sent, "Arkiv.Två" is .Arkiv.Tv&AOU-).
        if folder.upper() == "INBOX":
            return self.maildir
        return self.maildir / ("." + imap_utf7.encode(folder).decode("ascii"))

    def _make_folder(self, folder: str) -> Path:
        place = self._folder_path(folder)
        for part in (*reversed(place.relative_to(self.root).parents), place.relative_to(self.root)):
            if part != Path("."):
                self._own(self.root / part, directory=True)
        for sub in ("cur", "new", "tmp"):
            self._own(place / sub, directory=True)
        if place != self.maildir and not (place / "maildirfolder").exists():
            (place / "maildirfolder").touch()
            os.chown(place / "maildirfolder", self.uid, self.gid)
        return place

    def _own(self, path: Path, *, directory: bool) -> None:
        if directory:
            path.mkdir(exist_ok=True)
        if path.stat().st_uid != self.uid:
            os.chown(path, self.uid, self.gid)

    def _write_config(self) -> None:
        # As root, each session chroots into the folder ("/./" marks where), so that `nobody`
        # needs no way through the folders above it (pytest keeps its own at 0700).
        home = f"{self.root}/./home/%u"
        unprivileged = ""
        if os.geteuid() != 0:
            home = f"{self.root}/home/%u"
            unprivileged = _UNPRIVILEGED.format(
                name=pwd.getpwuid(os.geteuid()).pw_name, group=grp.getgrgid(os.getegid()).gr_name
            )
        ssl_files = ""
        if self.tls is not None:
            ssl_files = f"ssl_cert = <{self.tls.cert_file}\nssl_key = <{self.tls.key_file}"
        self.config_file.write_text(
            _CONFIG.format(
                host=self.host,
                root=self.root,
                port=self.port,
                ssl_port=self.ssl_port or 0,
                ssl="required" if self.tls else "no",
                ssl_files=ssl_files,
                password=self.password,
                uid=self.uid,
                gid=self.gid,
                unprivileged=unprivileged,
                home=home,
            ),
            encoding="utf-8",
        )

    def _launch(self) -> str:
        """Start the master in the foreground (-F) and wait for its ports; "" or what failed."""
        with (
            open(self.root / "stdout.txt", "wb") as out,
            open(self.root / "stderr.txt", "wb") as err,
        ):
            process = subprocess.Popen(
                [self.executable, "-F", "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: kill() reaches every process
            )
        self._process = process
        ports = [p for p in (self.port, self.ssl_port) if p]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._process = None
                return (
                    f"exit {process.returncode}: "
                    + (self.root / "stderr.txt").read_text(errors="replace")[-2000:]
                    + self.log()[-2000:]
                )
            if all(_accepts(port) for port in ports):
                return ""
            time.sleep(0.01)
        self.stop()
        return f"its ports {ports} did not open within 10 s: {self.log()[-2000:]}"

    def _children(self, name: str) -> list[int]:
        """The pids of the master's live child processes called `name`."""
        master = self._process.pid if self._process else None
        return [pid for pid, comm, ppid, _ in _processes() if comm == name and ppid == master]

    def _doveadm(self, *args: str) -> str:
        doveadm = shutil.which("doveadm") or str(
            Path(self.executable).parent.parent / "bin/doveadm"
        )
        done = subprocess.run(
            [doveadm, "-c", str(self.config_file), *args[:2], "-u", self.user, *args[2:]],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"doveadm {' '.join(args)}: {done.stderr.decode(errors='replace')}"
            )
        return done.stdout.decode()


def _maildir_flags(flags: str) -> str:
    """Maildir flags as Maildir keeps them: letters, each once, in ASCII order."""
    return "".join(sorted(set(flags)))


def _processes() -> Iterator[tuple[int, str, int, int]]:
    """Every live process (zombies left out) as pid, name, parent's pid, process group."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # "pid (name) state ppid pgrp ...": the name may hold blanks and parentheses.
        state, ppid, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if state != "Z":
            yield (
                int(entry.name),
                text[text.index("(") + 1 : text.rindex(")")],
                int(ppid),
                int(pgrp),
            )


def _accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


# -- fixtures ----------------------------------------------------------------------------------


def dovecot_executable() -> str:
    """Dovecot's master, or the test is skipped (failed under CI=true) saying how to get it."""
    executable = find_dovecot()
    if executable is None:
        cannot_run(
            "Dovecot is not installed, so the IMAP reading is not tried against a real server "
            "(install it: apt-get install --no-install-recommends dovecot-imapd)"
        )
        raise AssertionError("unreachable")  # cannot_run skips or fails
    return executable


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    """A fresh Dovecot with an empty mailbox, plain IMAP (no TLS) on 127.0.0.1, for one test."""
    with Dovecot(tmp_path / "dovecot", dovecot_executable()) as server:
        yield server


@pytest.fixture
def tls_dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    """A fresh Dovecot with TLS: STARTTLS on `port`, TLS at once on `ssl_port` (it asks for TLS
    before a login, but lets one from its own address, 127.0.0.1, through without).

    Its certificate authority is `server.tls.ca_file`, for the client's ca_file.
    """
    executable = dovecot_executable()
    with Dovecot(tmp_path / "dovecot", executable, tls=make_tls_files(tmp_path / "tls")) as server:
        yield server
