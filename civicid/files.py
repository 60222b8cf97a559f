"""Files read from disk, where one may be damaged, replaced, or made endless or huge by
whoever can write there: each read within a bound the reader names."""

from __future__ import annotations

import errno
import fcntl
import fnmatch
import os
import stat
from pathlib import Path
from typing import BinaryIO, Final

from civicid.errors import Code, Error, StorageError, declare

LOCK_FILE_INVALID = declare(
    "lock_file_invalid",
    StorageError,
    "a lock file is not a regular file: whether another process holds the data is unknown",
)


def read_bounded(
    path: Path,
    limit: int,
    *,
    too_large: Code,
    message: str | None = None,
    unreadable: Code | None = None,
    not_regular: Code | None = None,
) -> bytes:
    """``path``'s bytes, reading one past ``limit`` at the most: a longer file is
    ``too_large`` (with ``message``; by default one naming the file and the bound) and the
    rest of it is never read, so a huge or endless file (a FIFO, ``/dev/zero``) costs no more
    than the bound. A file that cannot be opened or read is ``unreadable`` ("cannot read
    PATH: reason"), or without it the ``OSError`` itself, for the caller to judge (a missing
    file is often not damage).

    With ``not_regular``, a path that is not a regular file (a named pipe, a directory, a
    device) is that code ("PATH is not a regular file (a named pipe)"), told without waiting:
    opened without blocking and checked with ``fstat`` (opening a FIFO blocks until a writer
    comes, and a stat before the open could be of another file)."""
    try:
        with _opened(path, not_regular) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        if unreadable is None:
            raise
        raise unreadable(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > limit:
        raise too_large(message or f"{path} exceeds {limit} bytes")
    return data


def listed(
    directory: Path,
    pattern: str,
    *,
    unreadable: Code,
    what: str | None = None,
    missing_ok: bool = False,
) -> list[Path]:
    """The entries of ``directory`` whose names match ``pattern`` (``fnmatch``, as
    ``Path.glob`` matches one level: ``*.toml``), sorted. Not ``Path.glob``: it passes over a
    directory it cannot read (or a file in its place) and lists nothing, so a directory a
    restore or a ``chmod`` left to another user looked empty. Here that is ``unreadable``,
    naming the directory ("cannot read [WHAT] DIRECTORY: reason"). A directory that is not
    there is that too, unless ``missing_ok`` (then none)."""
    try:
        names = os.listdir(directory)
    except OSError as exc:
        if missing_ok and isinstance(exc, FileNotFoundError):
            return []
        where = f"{what} {directory}" if what else str(directory)
        raise unreadable(f"cannot read {where}: {exc.strerror or exc}") from exc
    return sorted(directory / name for name in names if fnmatch.fnmatchcase(name, pattern))


# A write refused for want of room: the disk is full, or the writer's quota is.
NO_ROOM: Final = frozenset({errno.ENOSPC, errno.EDQUOT})


def naming(exc: OSError, path: Path) -> OSError:
    """``exc`` with ``path`` as its file: a failed ``os.write``/``fsync`` on a descriptor
    names none, and "No space left on device" alone does not say where."""
    if exc.filename is not None:
        return exc
    return type(exc)(exc.errno, exc.strerror, str(path))


def why_not_written(exc: OSError) -> str:
    """Why a write failed, and for a full disk what to do (the write was not acknowledged)."""
    why = exc.strerror or str(exc)
    if exc.errno in NO_ROOM:
        return f"{why}: free space on that disk (or raise the quota), then retry"
    return why


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new name in ``directory`` durable (a file's own fsync is not)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_regular(path: Path, flags: int, not_regular: Code, mode: int = 0o600) -> int:
    """A descriptor of ``path`` opened with ``flags`` (and ``mode`` if it creates it), if it
    is a regular file; else ``not_regular`` ("PATH is not a regular file (a named pipe)"),
    told at once: opened without blocking (opening a FIFO to read waits for a writer, for
    ever) and checked with ``fstat`` (a ``stat`` before the open could be of another file).
    Other failures to open are the ``OSError`` itself."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except IsADirectoryError as exc:  # opening a directory to write
        raise not_regular(f"{path} is not a regular file (a directory)") from exc
    try:
        kind = os.fstat(fd).st_mode
        if not stat.S_ISREG(kind):
            raise not_regular(f"{path} is not a regular file ({kind_of(kind)})")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def hold_alone(path: Path, *, holder: str, in_use: Code, message: str) -> int:
    """Hold ``path`` alone (an exclusive ``flock``, made 0600 if missing, never waited for):
    its descriptor, for a process that must be the only ``holder`` of the data beside it.
    Held by another process: ``in_use`` with ``message``. Not a regular file (a directory, a
    named pipe, a device, a link to one): ``lock_file_invalid``, naming the path and what to
    do, the same words for every service (no lock can be held there, so whether a ``holder``
    runs is unknown; nothing is removed, since what is there is not ours)."""
    try:
        fd = open_regular(path, os.O_RDWR | os.O_CREAT, LOCK_FILE_INVALID)
    except Error as exc:
        raise LOCK_FILE_INVALID(
            f"{exc.message}: it is the lock that keeps a second {holder} off {path.parent},"
            f" and none can be held there. With no {holder} running, move {path} aside, then"
            " try again"
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise in_use(message) from exc
    except BaseException:
        os.close(fd)
        raise
    return fd


def _opened(path: Path, not_regular: Code | None) -> BinaryIO:
    if not_regular is None:
        return path.open("rb")
    return open(open_regular(path, os.O_RDONLY, not_regular), "rb")


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, for a message."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "another kind of file"
