"""A SQLite file found where a store should be: that store, or damaged, decided without writing.

Only a missing file is a new store. An empty file (a crash as it was made, a full disk, a bad
restore), one that is not SQLite's (another program's, one cut short in its header), one
cut short after its first page (its header counting more pages than it holds), SQLite's
header with nonsense after it, a database without the store's own table (another program's, one
emptied by hand), and one whose write-ahead log was lost after a crash are each a store
lost: opened to write, it would become a fresh store, or an older one, and forget what the
old one held. Each store raises its own code with its own advice; the file is
read, never written, so it is left exactly as it was found (no journal made beside it)."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path
from typing import Final

from civicid.errors import Code, Error
from civicid.files import open_regular, why_not_written

# The first bytes of every SQLite database file (sqlite.org/fileformat.html §1.3.1).
SQLITE_HEADER: Final = b"SQLite format 3\x00"
# What SQLite answers for a file that is no database and for a damaged one (sqlite.org/
# rescode.html: SQLITE_NOTADB, SQLITE_CORRUPT). Any other failure (a lock held too long, a
# permission) says nothing of the file's content: the store failed, it is not damaged.
DAMAGE: Final = frozenset({sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT})
# An extended result code keeps its primary code in its low byte (sqlite.org/rescode.html).
PRIMARY_CODE: Final = 0xFF
# The database header (sqlite.org/fileformat.html §1.3): its page size (offset 16, two bytes;
# 1 stands for 65,536), file change counter (24), size in pages (28) and version-valid-for
# number (92): the size is SQLite's own count of the file's pages when the last two agree.
HEADER_BYTES: Final = 100
PAGE_SIZES: Final = frozenset(2**n for n in range(9, 17))  # 512 to 65,536 bytes (§1.3.2)


def why_not_committed(exc: sqlite3.Error) -> str:
    """Why SQLite refused a write, and for a full disk (``SQLITE_FULL``: the disk or the
    writer's quota) what to do, in the words a refused file write uses."""
    code = getattr(exc, "sqlite_errorcode", None)  # None for an error raised by Python itself
    if code is not None and code & PRIMARY_CODE == sqlite3.SQLITE_FULL:
        return why_not_written(OSError(errno.ENOSPC, str(exc)))
    return str(exc)


def wal_lost(path: Path) -> bool:
    """Whether the write-ahead log of the WAL database at ``path`` was lost: its shared-memory
    file is there and the log is not. SQLite makes the log before that file, and on the last
    close removes that file before the log, so the one is never found without the other but
    by a loss (a crash and a disk, a restore or a copy that left the log out). Opened so,
    SQLite says nothing: every write committed since the last checkpoint is gone, silently
    (sqlite.org/wal.html: "the WAL file is part of the persistent state of the database")."""
    wal, shm = f"{path}-wal", f"{path}-shm"
    # The log looked for again after the other file: a process opening the database meanwhile
    # makes both (the log first), and the one closing it last removes both (the log last).
    return not os.path.lexists(wal) and os.path.lexists(shm) and not os.path.lexists(wal)


def cut_short(path: Path, header: bytes, size: int) -> str | None:
    """Why the database at ``path`` (``header`` its first bytes, ``size`` its length) is cut
    short, or None: its header counts more pages than the file holds. SQLite reads a page
    past the end only when a query needs it, so such a file opens, and its store only fails
    (or finds nothing) later, row by row. A write-ahead log holding frames may hold the
    missing pages (a crash as they were copied back): the file is left to SQLite then."""
    if len(header) < HEADER_BYTES or header[24:28] != header[92:96]:
        return None  # too short for SQLite to count on its size, or a count left stale
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size not in PAGE_SIZES:
        return None  # no header SQLite wrote: its own reading says what it is
    counted = int.from_bytes(header[28:32], "big") * page_size
    if size >= counted:
        return None
    with contextlib.suppress(FileNotFoundError):
        if os.stat(f"{path}-wal").st_size > 0:
            return None
    return f"is cut short ({size} bytes of the {counted} its header counts)"


def _why(exc: OSError, path: Path) -> str:
    """Why ``exc`` failed: its reason alone where it names ``path`` (said already), else
    with the file it names (the store's write-ahead log)."""
    named = exc.filename is not None and os.fspath(exc.filename) != os.fspath(path)
    if named and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return exc.strerror or str(exc)


def refuse_damaged(
    path: Path, table: str, *, store: str, advice: str, damaged: Code, failed: Code
) -> None:
    """Raise ``damaged`` unless the file at ``path`` is a SQLite database holding ``table``
    (the store's own), naming ``path``, what was found there and ``advice``; ``failed`` when
    the file cannot be read at all. Opened read-only: nothing is written."""

    def refused(found: str) -> Error:
        return damaged(f"{path} {found} and was left as it is: {advice}")

    try:
        try:  # a named pipe in the store's place told at once, never waited on
            fd = open_regular(path, os.O_RDONLY, damaged)
        except Error as exc:
            raise damaged(f"{exc.message} and was left as it is: {advice}") from exc
        try:
            header = os.read(fd, HEADER_BYTES)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if not header:
            raise refused("is empty (0 bytes)")
        if header[: len(SQLITE_HEADER)] != SQLITE_HEADER:
            raise refused("is not a SQLite database")
        if wal_lost(path):
            raise refused(
                f"was not closed (its {path.name}-shm is there) and its write-ahead log "
                f"{path.name}-wal is missing: what was committed to that log is lost"
            )
        short = cut_short(path, header, size)
        if short is not None:
            raise refused(short)
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode & PRIMARY_CODE in DAMAGE:
            raise refused(f"is a damaged SQLite database ({exc})") from exc
        raise failed(f"cannot read {path}: {exc}") from exc
    except FileNotFoundError as exc:
        if path.is_symlink():  # a link left pointing at nothing: the store is not there
            raise refused(f"is a link to {os.readlink(path)}, which is missing") from exc
        raise failed(f"cannot read {path}: {_why(exc, path)}") from exc
    except OSError as exc:
        raise failed(f"cannot read {path}: {_why(exc, path)}") from exc
    except sqlite3.Error as exc:
        raise failed(f"cannot read {path}: {exc}") from exc
    if found is None:
        raise refused(f"holds no {store}")


class OpenedFile:
    """The database file a store opened, told from whatever its path names later. SQLite
    keeps writing to the file it opened: removed or replaced while the service runs (a
    clean-up or restore script), every commit still succeeds, into a file no restart finds,
    and all of it is lost. A store asks ``changed`` before each commit (one ``stat``)."""

    __slots__ = ("_id", "path")

    def __init__(self, path: Path) -> None:
        found = os.stat(path)
        self.path = path
        self._id = (found.st_dev, found.st_ino)

    def changed(self) -> str | None:
        """Why ``path`` no longer names the file opened (in words that follow the path), or
        None while it does."""
        try:
            found = os.stat(self.path)
        except OSError as exc:
            return f"is gone ({exc.strerror})"
        if (found.st_dev, found.st_ino) != self._id:
            return "is another file than the one this process opened"
        return None

    def refusal(self, failed: Code, service: str) -> Error | None:
        """``failed`` naming the path and what to do, or None while the file is the one opened."""
        why = self.changed()
        if why is None:
            return None
        return failed(
            f"{self.path} {why}: it was removed or replaced while the {service} ran, so "
            f"nothing more is written there (it would be lost at the next start): stop the "
            f"{service} and put the store's file back, or restore it from a backup"
        )
