"""After any run the workbook keeps its place, name, owner and mode, and the tool never saves
over a version another program (a sync client, Excel, a colleague) wrote since it read it."""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import string
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from alumni.errors import StoreError
from alumni.sheet import filesave
from alumni.sheet.changes import ChangeSet
from alumni.sheet.xlsx import XlsxStore
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW, alumni, cannot_run, write_config
from tests.test_xlsx_store import make_workbook, mark_invited

# A file a failed writer left open must not print a traceback when Python cleans it up later.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

CONFLICT = re.compile(r"alumni\.conflict-\d{8}-\d{6}\.xlsx")
REAL_SAVE = Workbook.save
REAL_WRITE = filesave._write
"""How the store has its new version written, by openpyxl or by patching a tab's XML."""


@pytest.fixture(autouse=True)
def umask() -> Iterator[None]:
    # The new file is made under the process's umask: a test must not depend on the shell's.
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "alumni.xlsx"
    make_workbook(p)
    return p


def listing(*folders: Path) -> set[str]:
    return {str(p) for folder in folders for p in folder.iterdir()}


def cell(path: Path, ref: str) -> object:
    return load_workbook(path)["Avgångsklass"][ref].value


def other_program_saves(path: Path, same_size_and_time: bool = False, name: str = "Bo Ek") -> bytes:
    """Save another version of the workbook over `path`, as Excel or a sync client would: Bo
    Åström's name changed. With `same_size_and_time` the file keeps its size and gets its old
    modification time back, as a sync client that restores times may leave it."""
    before = path.stat()
    book = load_workbook(path)
    names = [f"Bo Åströ{c}" for c in string.ascii_letters] if same_size_and_time else [name]
    for candidate in names:
        book["Avgångsklass"]["B3"] = candidate
        REAL_SAVE(book, path)
        if not same_size_and_time:
            break
        short = before.st_size - path.stat().st_size
        if short >= 0:
            # Compression makes the size vary by a few bytes: a zip comment pads it exactly.
            with zipfile.ZipFile(path, "a") as archive:
                archive.comment = b"x" * short
            if path.stat().st_size == before.st_size:
                break
    else:
        raise AssertionError("no name of the same file size found")
    if same_size_and_time:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (
            before.st_size,
            before.st_mtime_ns,
        )
    return path.read_bytes()


# -- mode, links, owner --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "umask"),
    [(0o640, 0o022), (0o600, 0o022), (0o664, 0o022), (0o664, 0o077), (0o644, 0o002)],
)
def test_the_file_keeps_its_mode_whatever_the_umask(path: Path, mode: int, umask: int) -> None:
    path.chmod(mode)
    os.umask(umask)
    mark_invited(XlsxStore(path))
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert cell(path, "G2") == "skickad"


@pytest.mark.parametrize(
    ("link_at", "points_to"),
    [
        ("data/alumni.xlsx", "alumni-2026.xlsx"),  # relative, same folder
        ("alumni.xlsx", "{target}"),  # absolute, into a subfolder
        ("alumni.xlsx", "data/alumni-2026.xlsx"),  # relative, into a subfolder
        ("work/alumni.xlsx", "../data/alumni-2026.xlsx"),  # relative, from another folder
        ("work/alumni.xlsx", "{target}"),  # absolute, from another folder
    ],
)
def test_a_linked_workbook_stays_a_link_and_its_target_is_saved(
    tmp_path: Path, link_at: str, points_to: str
) -> None:
    target = tmp_path / "data" / "alumni-2026.xlsx"
    target.parent.mkdir()
    make_workbook(target)
    target.chmod(0o640)
    link = tmp_path / link_at
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(points_to.format(target=target))
    before = listing(link.parent, target.parent)
    mark_invited(XlsxStore(link))
    assert link.is_symlink() and os.readlink(link) == points_to.format(target=target)
    assert cell(target, "G2") == "skickad"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert listing(link.parent, target.parent) == before  # no temp file, no plain copy


def test_a_chain_of_links_saves_the_last_target(tmp_path: Path) -> None:
    target = tmp_path / "alumni-2026.xlsx"
    make_workbook(target)
    (tmp_path / "middle.xlsx").symlink_to("alumni-2026.xlsx")
    (tmp_path / "alumni.xlsx").symlink_to("middle.xlsx")
    mark_invited(XlsxStore(tmp_path / "alumni.xlsx"))
    assert (tmp_path / "alumni.xlsx").is_symlink() and (tmp_path / "middle.xlsx").is_symlink()
    assert cell(target, "G2") == "skickad"


@pytest.mark.parametrize(
    ("user", "group"), [("nobody", "nogroup"), ("root", "nogroup"), ("nobody", "root")]
)
def test_root_keeps_the_owner_and_group(path: Path, user: str, group: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root may give a file to another user, so only root can keep it")
    try:
        shutil.chown(path, user, group)
    except LookupError:
        pytest.skip(f"this machine has no user {user} or group {group}")
    before = path.stat()
    mark_invited(XlsxStore(path))
    after = path.stat()
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid) != (0, 0)
    assert cell(path, "G2") == "skickad"


def test_an_owner_the_process_may_not_give_is_left_quietly(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not root, not in the file's group: chown says EPERM; the save goes on, mode kept.
    path.chmod(0o640)
    if os.geteuid() == 0:
        shutil.chown(path, "nobody")

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "chown", refused)
    mark_invited(XlsxStore(path))
    assert cell(path, "G2") == "skickad"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


# -- read-only -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "denied", "message"),
    [
        (
            0o444,
            None,
            r"{path} is marked read-only, so nothing was saved to it — if the tool is meant to "
            r"write it, make it writable \(`chmod u\+w {path}`, or untick Read-only in its "
            r"Properties\) and run again\.",
        ),
        (0o400, None, r"{path} is marked read-only, so nothing was saved to it — "),
        (
            0o644,
            "file",
            r"{path} may not be written by this user, so nothing was saved to it — ask its owner "
            r"to let you write it, or work on a copy of your own, then run again\.",
        ),
        (
            0o644,
            "folder",
            r"the folder {folder} does not let this user create files, which saving {path} needs "
            r"\(a new version is written beside it, then put in its place\), so nothing was "
            r"saved — make the folder writable, or move the workbook to a folder this user may "
            r"write, then run again\.",
        ),
    ],
)
def test_a_read_only_workbook_is_refused_before_any_work_and_left_untouched(
    path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, denied: str | None, message: str
) -> None:
    store = XlsxStore(path)
    store.read()
    path.chmod(mode)
    refused = {"file": path, "folder": path.parent}.get(denied or "")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, m: False if Path(p) == refused else real_access(p, m)
    )
    saves: list[object] = []
    monkeypatch.setattr(filesave, "_write", lambda write, tmp: saves.append(tmp))
    before, files = path.read_bytes(), listing(path.parent)
    pattern = message.format(path=re.escape(str(path)), folder=re.escape(str(path.parent)))
    with pytest.raises(StoreError, match=pattern) as info:
        mark_invited(store)
    assert info.value.exit_code == 2
    assert saves == []  # refused before the new version was written
    assert path.read_bytes() == before and listing(path.parent) == files
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_read_only_target_is_named_with_its_link(tmp_path: Path) -> None:
    target = tmp_path / "alumni-2026.xlsx"
    make_workbook(target)
    target.chmod(0o444)
    link = tmp_path / "alumni.xlsx"
    link.symlink_to(target.name)
    with pytest.raises(
        StoreError, match=re.escape(f"{link} (a link to {target}) is marked read-only")
    ):
        mark_invited(XlsxStore(link))
    assert link.is_symlink()


# -- another program's save ----------------------------------------------------------------


@pytest.mark.parametrize("same_size_and_time", [False, True], ids=["new size", "same size+time"])
def test_a_save_by_another_program_after_reading_is_taken_in_not_overwritten(
    path: Path, same_size_and_time: bool
) -> None:
    # Before the write the store reads the file again: the other program's change stays and
    # the run's change is made on top of it. Size and time alone would miss the second case.
    store = XlsxStore(path)
    store.read()
    other_program_saves(path, same_size_and_time)
    changes = ChangeSet()
    changes.set("Avgångsklass", "AK-0001", "Inbjudningsstatus", "skickad")
    store.apply(changes)
    assert cell(path, "B3") != "Bo Åström" and cell(path, "G2") == "skickad"
    assert sorted(p.name for p in path.parent.iterdir()) == ["alumni.xlsx"]


@pytest.mark.parametrize(
    "other", ["new size", "same size+time", "removed"], ids=lambda other: other
)
def test_a_save_by_another_program_while_the_tool_saves_is_kept_and_the_tools_put_beside(
    path: Path, monkeypatch: pytest.MonkeyPatch, other: str
) -> None:
    path.chmod(0o640)
    theirs: list[bytes] = []

    def meanwhile(write: Callable[[Path], None], tmp: Path) -> None:
        # Between the tool's last look at the file and its rename.
        if not theirs:
            if other == "removed":
                path.unlink()
                theirs.append(b"")
            else:
                theirs.append(other_program_saves(path, other == "same size+time"))
        REAL_WRITE(write, tmp)

    monkeypatch.setattr(filesave, "_write", meanwhile)
    store = XlsxStore(path)
    with pytest.raises(StoreError) as info:
        mark_invited(store)
    asides = [p for p in path.parent.iterdir() if CONFLICT.fullmatch(p.name)]
    assert len(asides) == 1
    aside = asides[0]
    assert str(info.value) == (
        f"{path} was changed by another program while this run worked on it (a sync client, "
        f"Excel, another person), so this run did not save over it; this run's version is kept "
        f"as {aside}. Run the command again: it reads the file as it is now and makes this "
        f"run's changes again (mail already sent is not sent again). {aside.name} is only for "
        "comparing: delete it afterwards."
    )
    assert info.value.exit_code == 2
    if other == "removed":
        assert not path.exists()
        assert sorted(p.name for p in path.parent.iterdir()) == [aside.name]
        return
    assert path.read_bytes() == theirs[0]  # theirs, to the byte
    assert (cell(aside, "G2"), cell(aside, "B3")) == ("skickad", "Bo Åström")  # the tool's
    assert stat.S_IMODE(aside.stat().st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(["alumni.xlsx", aside.name])

    # Run again: the change is made on the other program's version.
    monkeypatch.setattr(filesave, "_write", REAL_WRITE)
    mark_invited(store)
    assert cell(path, "G2") == "skickad" and cell(path, "B3") != "Bo Åström"


def test_a_second_conflict_in_the_same_second_gets_a_name_of_its_own(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["Bo Ek", "Bo Al"])

    def meanwhile(write: Callable[[Path], None], tmp: Path) -> None:
        other_program_saves(path, name=next(names))
        REAL_WRITE(write, tmp)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Frozen:
            return cls(2026, 11, 28, 14, 5, 0)

    monkeypatch.setattr(filesave, "datetime", Frozen)
    monkeypatch.setattr(filesave, "_write", meanwhile)
    for _ in range(2):
        with pytest.raises(StoreError, match="was changed by another program"):
            mark_invited(XlsxStore(path))
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "alumni.conflict-20261128-140500-2.xlsx",
        "alumni.conflict-20261128-140500.xlsx",
        "alumni.xlsx",
    ]


# -- failures of the disk ------------------------------------------------------------------

ADVICE = {
    errno.ENOSPC: "free some space on that disk and run again",
    errno.EDQUOT: "your disk quota is used up: free some space in it and run again",
    errno.EACCES: "check that this user may write the file and its folder, then run again",
    errno.EROFS: "the disk is read-only: mount it writable or move the workbook, then run again",
    errno.EIO: "the disk or network drive failed: check it (and its connection), then run again",
}


def fail_at(stage: str, code: int, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    error = OSError(code, os.strerror(code))
    if stage == "write":

        def half(write: Callable[[Path], None], tmp: Path) -> None:
            tmp.write_bytes(b"PK\x03\x04 half a zip")
            raise error

        monkeypatch.setattr(filesave, "_write", half)
    elif stage == "fsync":
        real_fsync = os.fsync
        calls: list[int] = []

        def fsync(fd: int) -> None:
            calls.append(fd)
            if len(calls) == 1:  # the new file's, before the rename
                raise error
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)
    else:
        real_replace = os.replace

        def replace(src: str | Path, dst: str | Path) -> None:
            if Path(dst) == path:
                raise error
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("stage", ["write", "fsync", "rename"])
@pytest.mark.parametrize("code", list(ADVICE), ids=lambda code: errno.errorcode[code])
def test_a_disk_error_ends_in_one_line_with_the_file_the_cause_and_what_to_do(
    path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, code: int
) -> None:
    store = XlsxStore(path)
    store.read()
    before, files = path.read_bytes(), listing(path.parent)
    fail_at(stage, code, path, monkeypatch)
    with pytest.raises(StoreError) as info:
        mark_invited(store)
    assert str(info.value) == (
        f"could not save {path}: {os.strerror(code)} — alumni.xlsx was left as it was; "
        f"{ADVICE[code]}."
    )
    assert "\n" not in str(info.value) and info.value.exit_code == 2
    assert path.read_bytes() == before
    assert listing(path.parent) == files  # the temporary file is gone


# -- a real small disk, through the command line -------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs mounted in the test's folder (root only), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        cannot_run("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        cannot_run(f"mount -t tmpfs failed: {done.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> None:
    """Take every free block of `disk`."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 16, 1 << 12, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)


def remount_read_only(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)


@pytest.mark.parametrize(
    ("trouble", "message"),
    [
        (
            fill,
            "could not save {wb}: No space left on device — alumni.xlsx was left as it was; "
            "free some space on that disk and run again.",
        ),
        (
            remount_read_only,
            "{wb} is on a read-only disk, so nothing was saved to it — mount it writable, or "
            "move the workbook to a disk this user may write, then run again.",
        ),
    ],
    ids=["full", "read-only"],
)
def test_a_real_full_or_read_only_disk_ends_the_run_in_one_line_with_the_file_intact(
    small_disk: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    trouble: Callable[[Path], None],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    write_config(tmp_path)
    wb = small_disk / "alumni.xlsx"
    with (tmp_path / "config.toml").open("a", encoding="utf-8") as f:
        f.write(f'[local]\nworkbook = "{wb}"\n')
    assert alumni(capsys, "init", "--demo")[0] == 0
    before = wb.read_bytes()
    trouble(small_disk)
    files = listing(small_disk)
    # A process of its own: what it prints to the very end, interpreter shutdown included.
    done = subprocess.run(
        [sys.executable, "-m", "alumni", "--now", NOW, "--for-real", "status"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (2, "alumni: " + message.format(wb=wb) + "\n")
    assert wb.read_bytes() == before
    assert listing(small_disk) == files  # no temporary file left


# -- mail already sent when the save finds another program's version -----------------------


def test_a_conflict_after_sending_loses_no_record_and_mails_nobody_twice(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workbook = folder / "alumni.xlsx"
    theirs: list[bytes] = []

    def meanwhile(write: Callable[[Path], None], tmp: Path) -> None:
        # Someone edits the sheet while the invitations go out; their save lands just as the
        # run saves its statuses.
        if not theirs:
            book = load_workbook(workbook)
            book["Avgångsklass"]["B2"] = "Ändrad av någon annan"
            REAL_SAVE(book, workbook)
            theirs.append(workbook.read_bytes())
        REAL_WRITE(write, tmp)

    monkeypatch.setattr(filesave, "_write", meanwhile)
    code, _, err = alumni(capsys, "invite", "--send")
    sent = [str(m.message["To"].addresses[0].display_name) for m in smtp_server.messages]
    assert (code, len(sent)) == (2, 6)
    [line] = err.splitlines()
    assert line.startswith(f"alumni: {workbook} was changed by another program")
    assert "(mail already sent is not sent again)" in line
    assert workbook.read_bytes() == theirs[0]
    assert len([p for p in folder.iterdir() if CONFLICT.fullmatch(p.name)]) == 1

    monkeypatch.setattr(filesave, "_write", REAL_WRITE)
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 0
    assert len(smtp_server.messages) == 6  # nobody a second time
    assert out.splitlines()[0].endswith("9 already invited, 0 to send.")
    ws = load_workbook(workbook)["Avgångsklass"]
    rows = {r[1]: (r[5], r[6]) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert ws["B2"].value == "Ändrad av någon annan"  # their change stays
    assert all(rows[name] == (NOW, "skickad") for name in sent)  # from the journal
