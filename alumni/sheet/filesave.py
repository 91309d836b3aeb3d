"""Puts a new version of a file in the old one's place: atomically, with its link, mode and
owner kept, and never over a version another program saved since the tool read it."""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import stat
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alumni.errors import StoreError


@dataclass(frozen=True)
class Stamp:
    """Which version of a file the tool read: its size and a SHA-256 of its bytes.

    The modification time is left out on purpose. Sync clients (Dropbox, OneDrive, Syncthing)
    give a downloaded file the time it had on the other machine, FAT and some network drives
    keep it to the second or two, and a restored file gets its old time back: the same time
    and size can hide another version. A hash cannot be fooled that way and costs about 5 ms
    for a 5 MB workbook; and bytes that are the same are no change, even when touched.
    """

    size: int
    digest: bytes


def stamp_of_bytes(data: bytes) -> Stamp:
    """The stamp of a file whose whole content is `data`."""
    return Stamp(len(data), hashlib.sha256(data).digest())


def stamp_of(path: Path) -> Stamp:
    """The stamp of the file at `path` as it is now (through a link, of its target)."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return Stamp(size, sha.digest())


def replace_file(path: Path, write: Callable[[Path], None], read_stamp: Stamp | None) -> Stamp:
    """Replace the file at `path` with what `write(tmp)` writes to a temporary path.

    Through a symbolic link the link's target is replaced and the link stays. The new file gets
    the old one's mode and, where this process may set them, its owner and group. `read_stamp`
    is the version the caller read (None: the caller read no file, so there is nothing to keep
    safe): when the file on disk is another version by now, the new one is kept beside it and a
    StoreError says where. Every other failure is a StoreError too, the old file left whole.

    Returns the stamp of the file now in place.
    """
    target = Path(os.path.realpath(path))
    shown = f"{path} (a link to {target})" if os.path.islink(path) else str(path)
    old = _stat_or_none(target)
    if old is not None:
        _check_writable(target, old, shown)
    _check_folder(target, shown)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        _write(write, tmp)
        if old is not None:
            _take_owner_and_mode(tmp, old)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        new = stamp_of(tmp)
        if read_stamp is not None:
            _refuse_if_changed(target, tmp, read_stamp, shown)
        os.replace(tmp, target)
    except OSError as exc:
        raise StoreError(_os_failure(shown, target, exc)) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    # Without this the rename may still be only in memory when the power goes.
    with contextlib.suppress(OSError):
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return new


def _write(write: Callable[[Path], None], tmp: Path) -> None:
    try:
        write(tmp)
    except OSError as exc:
        # A writer that fails midway may leave its file open (openpyxl leaves its zip archive
        # open). Python closes it later, the close fails on the same full disk, and Python
        # prints that as a traceback after the run's one line. Closed now, it says nothing new.
        hook = sys.unraisablehook
        sys.unraisablehook = lambda u: None if isinstance(u.exc_value, OSError) else hook(u)
        try:
            traceback.clear_frames(exc.__traceback__)
            gc.collect()
        finally:
            sys.unraisablehook = hook
        raise


def _stat_or_none(target: Path) -> os.stat_result | None:
    try:
        return target.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(_os_failure(str(target), target, exc)) from exc


def _check_writable(target: Path, old: os.stat_result, shown: str) -> None:
    # Root may write any file, so os.access alone would overrule a person's read-only mark.
    if not old.st_mode & stat.S_IWUSR:
        raise StoreError(
            f"{shown} is marked read-only, so nothing was saved to it — if the tool is meant to "
            f"write it, make it writable (`chmod u+w {target}`, or untick Read-only in its "
            "Properties) and run again."
        )
    if not os.access(target, os.W_OK):
        if _read_only_disk(target.parent):
            raise StoreError(
                f"{shown} is on a read-only disk, so nothing was saved to it — mount it "
                "writable, or move the workbook to a disk this user may write, then run again."
            )
        raise StoreError(
            f"{shown} may not be written by this user, so nothing was saved to it — ask its "
            "owner to let you write it, or work on a copy of your own, then run again."
        )


def _check_folder(target: Path, shown: str) -> None:
    # The new version is made beside the old one and renamed over it: the folder must let
    # this user create and rename files, even when the file itself is writable.
    folder = target.parent
    if os.access(folder, os.W_OK | os.X_OK):
        return
    if _read_only_disk(folder):
        raise StoreError(
            f"{shown} is on a read-only disk, so nothing was saved to it — mount it writable, "
            "or move the workbook to a disk this user may write, then run again."
        )
    raise StoreError(
        f"the folder {folder} does not let this user create files, which saving {shown} needs "
        "(a new version is written beside it, then put in its place), so nothing was saved — "
        "make the folder writable, or move the workbook to a folder this user may write, then "
        "run again."
    )


def _read_only_disk(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False


def _take_owner_and_mode(tmp: Path, old: os.stat_result) -> None:
    # Owner first: chown clears the set-user-ID and set-group-ID bits that chmod then restores.
    if hasattr(os, "chown"):
        uid = old.st_uid if os.geteuid() == 0 else -1
        if uid != -1 or old.st_gid != tmp.stat().st_gid:
            # Not root and not in the file's group: the new file is this user's, with this
            # user's group, as any editor's save would leave it; its mode still says who may
            # read it.
            with contextlib.suppress(PermissionError):
                os.chown(tmp, uid, old.st_gid)
    mode = stat.S_IMODE(old.st_mode)
    # Only when it differs: FAT and SMB drives refuse a chmod they cannot store.
    if stat.S_IMODE(tmp.stat().st_mode) != mode:
        os.chmod(tmp, mode)


def _refuse_if_changed(target: Path, tmp: Path, read_stamp: Stamp, shown: str) -> None:
    before = _stat_or_none(target)
    changed = before is None or stamp_of(target) != read_stamp
    # Hashing takes a few milliseconds: a save in that time shows in the metadata. What is
    # left unchecked is the moment from this stat to the rename; POSIX has no rename that
    # checks the file it replaces.
    if not changed and before is not None:
        changed = _identity(before) != _identity(_stat_or_none(target))
    if not changed:
        return
    clash = (
        f"{shown} was changed by another program while this run worked on it (a sync client, "
        "Excel, another person), so this run did not save over it"
    )
    again = (
        "Run the command again: it reads the file as it is now and makes this run's changes "
        "again (mail already sent is not sent again)."
    )
    try:
        aside = _put_aside(tmp, target)
    except OSError as exc:
        kept = f"its own version could not be kept either ({exc.strerror or exc})"
        raise StoreError(f"{clash}, and {kept}. {again}") from exc
    raise StoreError(
        f"{clash}; this run's version is kept as {aside}. {again} "
        f"{aside.name} is only for comparing: delete it afterwards."
    )


def _identity(st: os.stat_result | None) -> tuple[int, ...] | None:
    if st is None:
        return None
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _put_aside(tmp: Path, target: Path) -> Path:
    # Named apart from the workbook, not hidden and not ".tmp": the tool and a sync client
    # leave the workbook alone, while the sync client carries this copy to the person who
    # looks for it, and Excel opens it.
    base = f"{target.stem}.conflict-{datetime.now():%Y%m%d-%H%M%S}"
    for n in range(1, 100):
        aside = target.with_name(f"{base}{'' if n == 1 else f'-{n}'}{target.suffix}")
        if not os.path.lexists(aside):
            os.replace(tmp, aside)
            return aside
    raise FileExistsError(errno.EEXIST, "too many conflict copies", str(target.parent))


_ADVICE = {
    errno.ENOSPC: "free some space on that disk and run again",
    errno.EDQUOT: "your disk quota is used up: free some space in it and run again",
    errno.EACCES: "check that this user may write the file and its folder, then run again",
    errno.EPERM: "check that this user may write the file and its folder, then run again",
    errno.EROFS: "the disk is read-only: mount it writable or move the workbook, then run again",
    errno.EIO: "the disk or network drive failed: check it (and its connection), then run again",
}


def _os_failure(shown: str, target: Path, exc: OSError) -> str:
    cause = exc.strerror or str(exc)
    advice = _ADVICE.get(exc.errno or 0, "check the disk and the folder, then run again")
    return f"could not save {shown}: {cause} — {target.name} was left as it was; {advice}."
