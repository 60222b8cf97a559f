"""The desk's SQLite file: private to the desk, made whole before it is found at its path,
and refused, untouched, when what is found there is no database (an empty file is not a new
store: only a missing one is).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Final

from civicid.files import fsync_directory
from verifier.errors import VERIFIER_STORE_DAMAGED

DIRECTORY_MODE: Final = 0o700
FILE_MODE: Final = 0o600
# The first bytes of every SQLite database file (sqlite.org/fileformat.html §1.3.1).
SQLITE_HEADER: Final = b"SQLite format 3\x00"


def private(path: Path, schema: str, version: int) -> None:
    """Requests and decisions are the desk's and its citizens' business: the store's folder
    is 0700 and its file 0600 (SQLite gives its journal files the file's mode), whatever the
    umask, and are made so again if found open (as ``civicid up`` once left them). A store
    that is missing is made (``create``); one found empty or not SQLite's is refused."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    if path.parent.stat().st_mode & 0o077:
        path.parent.chmod(DIRECTORY_MODE)
    try:
        with path.open("rb") as found:
            header = found.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        create(path, schema, version)
    else:
        refuse_damaged(path, header)
    if path.stat().st_mode & 0o077:
        path.chmod(FILE_MODE)


def refuse_damaged(path: Path, header: bytes) -> None:
    """``verifier_store_damaged`` unless ``header`` begins a SQLite database: an empty file
    is no new store (a new store is a missing file), and neither is one cut short or another
    program's. Nothing of the file is touched."""
    if header == SQLITE_HEADER:
        return
    what = "it is empty (0 bytes)" if not header else "it is not a SQLite database"
    raise VERIFIER_STORE_DAMAGED(
        f"{path}: {what}; the desk left it as it is. Restore it from a backup, or move it"
        " away to start the desk's records afresh"
    )


def create(path: Path, schema: str, version: int) -> None:
    """A new store at ``path`` (its tables ``schema``, its ``meta`` table's ``version``),
    made whole beside it, on disk, then linked into place: a crash while it is made leaves
    no file at ``path`` (never an empty one, which is refused as damaged), and of two desks
    starting at once, each keeps the first one made."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
    os.close(os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A rollback journal while it is made: everything is in the one file once closed.
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(schema)
            db.execute("INSERT INTO meta VALUES ('version', ?)", (str(version),))
        finally:
            db.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another desk made it first: theirs
            os.link(tmp, path)
        fsync_directory(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
