"""The desk's SQLite file: private to the desk, made whole before it is found at its path,
and refused, untouched, when what is found there is not the desk's store (an empty file is
not a new store: only a missing one is). What a desk that crashed while making it left beside
it is removed on the next open.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Final

from civicid.errors import Code
from civicid.files import fsync_directory
from civicid.sqlite_file import SQLITE_HEADER as SQLITE_HEADER  # what a desk store begins with
from civicid.sqlite_file import refuse_damaged
from verifier.errors import VERIFIER_STORE_DAMAGED, VERIFIER_STORE_FAILED

DIRECTORY_MODE: Final = 0o700
FILE_MODE: Final = 0o600
# A store is made in milliseconds, its maker holding a lock on it from just after it is
# created: one a minute old that nobody holds was left by a desk that crashed while making it.
LEFTOVER_AGE_SECONDS: Final = 60.0


def require_store_kept(store: Path, trust_file: Path, *, missing: Code, afresh: str) -> None:
    """The desk ran here (its store is made before it accepts its first checkpoint, kept in
    ``trust_file``): a store that is gone was lost, with its decisions and receipts. Opened
    as it is, a new empty one would be made in its place without a word: ``missing``, naming
    ``afresh``, the command that starts afresh (``--new-desk-store``) and keeps
    ``trust_file``: forgetting it instead would have the desk trust whatever checkpoint the
    ledger serves next, on first use, where it now takes only one consistent with the
    checkpoint it accepted."""
    if trust_file.exists() and not store.exists():
        raise missing(
            f"{store} is missing, and the desk ran here before ({trust_file} is the ledger"
            " checkpoint it accepted): restore the store from a backup (its requests,"
            " decisions and receipts); or, to start the desk's records afresh, run"
            f" `{afresh}`, which makes an empty store and"
            f" keeps {trust_file} (do not remove it: the desk would then trust the ledger's"
            " next checkpoint on first use)"
        )


def private(path: Path, schema: str, version: int) -> None:
    """Requests and decisions are the desk's and its citizens' business: the store's folder
    is 0700 and its file 0600 (SQLite gives its journal files the file's mode), whatever the
    umask, and are made so again if found open (as ``civicid up`` once left them). A store
    that is missing is made (``create``); one found empty, not SQLite's or without the desk's
    ``meta`` table is refused."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    if path.parent.stat().st_mode & 0o077:
        path.parent.chmod(DIRECTORY_MODE)
    if path.exists() or path.is_symlink():  # a dangling link is a store lost, not none
        refuse_damaged(
            path,
            "meta",
            store="desk store",
            advice="restore it from a backup, or move it away to start the desk's records afresh",
            damaged=VERIFIER_STORE_DAMAGED,
            failed=VERIFIER_STORE_FAILED,
        )
    else:
        create(path, schema, version)
    if path.stat().st_mode & 0o077:
        path.chmod(FILE_MODE)
    remove_leftovers(path)


def remove_leftovers(path: Path) -> None:
    """Remove the stores a desk was making beside ``path`` when it crashed: ``create``'s
    ``<name>.<pid>.<random>.new`` files that no process holds (their maker ended) and that
    are older than ``LEFTOVER_AGE_SECONDS`` (a maker takes its lock just after it creates
    one). Another desk making the store meanwhile keeps its own."""
    for found in path.parent.glob(f"{glob.escape(path.name)}.*.new"):
        try:
            fd = os.open(found, os.O_RDONLY)
        except FileNotFoundError:  # its maker finished meanwhile
            continue
        try:
            if time.time() - os.fstat(fd).st_mtime < LEFTOVER_AGE_SECONDS:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its maker is still at work
                continue
            with contextlib.suppress(FileNotFoundError):
                found.unlink()
        finally:
            os.close(fd)


def create(path: Path, schema: str, version: int) -> None:
    """A new store at ``path`` (its tables ``schema``, its ``meta`` table's ``version``),
    made whole beside it, on disk, then linked into place: a crash while it is made leaves
    no file at ``path`` (never an empty one, which is refused as damaged), and of two desks
    starting at once, each keeps the first one made."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
    held = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # ours while it is made: no one else removes it
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A rollback journal while it is made: everything is in the one file once closed.
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(schema)
            db.execute("INSERT INTO meta VALUES ('version', ?)", (str(version),))
        finally:
            db.close()
        os.fsync(held)
        with contextlib.suppress(FileExistsError):  # another desk made it first: theirs
            os.link(tmp, path)
        fsync_directory(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.close(held)
