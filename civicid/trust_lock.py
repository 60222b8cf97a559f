"""The lock a ledger client holds beside its trust file for as long as it is open: shared by
every client of that file, and wanted alone by ``forget-checkpoint``, which is refused while a
running part holds the checkpoint in memory (it would write it again at its next one)."""

from __future__ import annotations

import fcntl
import os
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from civicid.errors import Error, Refused, StorageError, declare
from civicid.files import open_regular

LOCK_SUFFIX: Final = ".lock"

TRUST_FILE_IN_USE = declare(
    "trust_file_in_use",
    Refused,
    "a running client of the ledger holds this trust file: stop it first",
)
TRUST_FILE_LOCK_INVALID = declare(
    "trust_file_lock_invalid",
    StorageError,
    "the lock beside a trust file cannot be taken: whether a client of it runs is unknown",
)


def lock_file(trust_file: Path) -> Path:
    """Where the clients of ``trust_file`` hold their lock, beside it."""
    return trust_file.with_name(trust_file.name + LOCK_SUFFIX)


def _opened(trust_file: Path, then: str) -> int | None:
    """A descriptor of ``trust_file``'s lock, made if need be; None where none can be made (a
    read-only data directory, where the trust file cannot be written or removed either, and
    no client holds a lock either). A lock that is there but cannot be taken (a directory, a
    link that leads nowhere, a file this user may not open) is ``trust_file_lock_invalid``,
    saying to remove it and ``then`` what: a client that went on without it would hold no
    lock, and a forget beside it could not tell it runs."""
    lock = lock_file(trust_file)
    try:
        trust_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return open_regular(lock, os.O_RDWR | os.O_CREAT, TRUST_FILE_LOCK_INVALID)
    except (OSError, Error) as exc:
        if isinstance(exc, OSError) and not os.path.lexists(lock):
            return None
        link = " (a link)" if os.path.islink(lock) else ""
        why = exc.message if isinstance(exc, Error) else f"cannot open {lock}{link}: {exc.strerror}"
        raise TRUST_FILE_LOCK_INVALID(
            f"{why}: it is the lock that tells whether a client of {trust_file} is running,"
            f" and none can hold it. {then}"
        ) from exc


def hold(owner: object, trust_file: Path) -> Callable[[], object] | None:
    """Hold ``trust_file``'s lock, shared, until the finalizer returned is called (or
    ``owner`` is collected). Waits while a forget holds it alone (a moment): a client never
    reads a trust file half forgotten. A lock that is there but cannot be taken is
    ``trust_file_lock_invalid``: the client does not start without it."""
    then = f"With no client of it running, remove {lock_file(trust_file)}, then start again"
    fd = _opened(trust_file, then)
    if fd is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    except BaseException:
        os.close(fd)
        raise
    return weakref.finalize(owner, os.close, fd)


@contextmanager
def alone(trust_file: Path, running: str) -> Iterator[None]:
    """Hold ``trust_file``'s lock alone while forgetting it: ``trust_file_in_use`` if a
    client of it is open (``running`` says which ones may be); ``trust_file_lock_invalid``
    if the lock is there but cannot be taken (a directory, a link that leads nowhere, a file
    this user may not open): a client started before it was put there holds the lock it
    replaced, unseen, so a forget would go on under it and the checkpoint it keeps in
    memory be written again."""
    if not trust_file.parent.is_dir():  # no client ever kept a file there
        yield
        return
    fd = _opened(
        trust_file,
        f"Stop them ({running}), remove {lock_file(trust_file)}, then forget the checkpoint",
    )
    if fd is None:  # none can be made (a read-only directory): no client holds one either
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise TRUST_FILE_IN_USE(
                f"{trust_file} is held by a running client of the ledger ({running}): it keeps"
                " that checkpoint in memory and would write it again. Stop it first, then"
                " forget the checkpoint"
            ) from exc
        yield
    finally:
        os.close(fd)
