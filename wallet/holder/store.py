"""The wallet's encrypted TinyDB: the whole database sealed in one file (``vault``), written
atomically on every change, opened by one program at a time.

TinyDB reads and writes the whole document through its storage; ours keeps the decrypted
document in memory while unlocked (so reads cost no decryption) and seals it on each write.
A write that fails takes the in-memory copy back to the one last written: what the program
sees is what it last made durable, even where something outside it damaged the file (read
from the file again, that damage would take everything the program had with it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import IO, Any, Final

from tinydb import TinyDB
from tinydb.storages import Storage

from civicid.errors import Error
from civicid.files import hold_alone, read_bounded
from wallet.errors import (
    WALLET_EXISTS,
    WALLET_IN_USE,
    WALLET_NOT_FOUND,
    WALLET_PASSPHRASE_WRONG,
    WALLET_STORE_CORRUPT,
    WALLET_STORE_MISSING,
    WALLET_STORE_PUT_BACK,
    WALLET_STORE_WRITE_FAILED,
)
from wallet.holder.vault import KdfParams, Sealed, SealKey, check_strength, seal, write_sealed
from wallet.settings import TRUST_FILE_NAME

KIND: Final = "wallet"
FILE_NAME: Final = "wallet.db"
# The store is read whole into memory; a wallet of 10,000 credentials is ~50 MB. More than
# this is not a wallet we wrote, and reading it would only exhaust memory.
MAX_STORE_BYTES: Final = 256 * 1024 * 1024
Document = dict[str, dict[str, Any]]
# Names tried for a damaged file moved aside within one second (``.damaged-STAMP-N``).
MAX_ASIDE_NAMES: Final = 100


def corrupt_advice(path: Path) -> str:
    return (
        f"{path} is damaged or truncated and was left as it is; move it aside, then "
        "`civicid wallet restore BACKUP` brings your credentials back from a backup"
    )


def read_file(path: Path) -> bytes:
    try:
        return read_bounded(
            path,
            MAX_STORE_BYTES,
            too_large=WALLET_STORE_CORRUPT,
            message=f"{path} is larger than any wallet ({MAX_STORE_BYTES} bytes)",
            not_regular=WALLET_STORE_CORRUPT,
        )
    except FileNotFoundError as exc:
        raise WALLET_NOT_FOUND(f"no wallet at {path}: `civicid wallet init` creates one") from exc
    except OSError as exc:
        raise WALLET_STORE_CORRUPT(f"cannot read {path}: {exc.strerror}") from exc


def decode_document(plaintext: bytes, path: Path) -> Document:
    try:
        document = json.loads(plaintext)
    except ValueError as exc:
        raise WALLET_STORE_CORRUPT(corrupt_advice(path)) from exc
    if not isinstance(document, dict) or not all(isinstance(t, dict) for t in document.values()):
        raise WALLET_STORE_CORRUPT(corrupt_advice(path))
    return document


def encode_document(document: Document) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class SealedStorage(Storage):
    """A TinyDB storage that seals the whole database under ``key`` at ``path``.

    ``sealed`` is the file's bytes as this program last read or wrote them: no secret (they
    are what the disk holds), kept once the wallet locks so that a file found damaged at the
    next unlock can be written again from them (``Store.put_back``)."""

    def __init__(
        self,
        path: Path,
        key: SealKey,
        document: Document | None = None,
        sealed: bytes | None = None,
    ) -> None:
        self.path = path
        self.key: SealKey | None = key
        self._document = document
        # The document as last made durable (encoded): what a failed write goes back to.
        self._written = None if document is None else encode_document(document)
        self.sealed = sealed
        # The file as this program last left it (``identity``), and what it found instead
        # at a write, once something else had changed or removed it (for the app to say).
        self.seen = identity(path)
        self.notice: Error | None = None

    def read(self) -> Document | None:
        if self._document is None:
            self._document = self._load()
        return self._document

    def _load(self) -> Document:
        key = self._key()
        data = read_file(self.path)
        plaintext = Sealed.parse(data, KIND, WALLET_STORE_CORRUPT).open(key, WALLET_STORE_CORRUPT)
        document = decode_document(plaintext, self.path)
        self._written, self.sealed, self.seen = plaintext, data, identity(self.path)
        return document

    def write(self, data: Document) -> None:
        try:
            encoded = encode_document(data)
            sealed = seal(encoded, self._key(), KIND)
            # Only this program writes the file while it holds the lock: a file not as it
            # left it was damaged, replaced or removed from outside. It is kept aside, not
            # overwritten, and said; what this program holds is written in its place.
            changed = identity(self.path) != self.seen
            aside = set_aside(self.path) if changed else None
            write_sealed(self.path, sealed)
        except BaseException:
            # TinyDB changed the cached document in place before asking us to write it:
            # back to the one last written (the file read again if there is none).
            self._document = None if self._written is None else json.loads(self._written)
            raise
        self._document, self._written, self.sealed = data, encoded, sealed
        self.seen = identity(self.path)
        if changed:
            kept = f"kept as {aside.name}" if aside else "removed"
            self.notice = WALLET_STORE_PUT_BACK(
                f"{self.path} was changed from outside this program ({kept}); it was written "
                "again from this program's copy"
            )

    def _key(self) -> SealKey:
        if self.key is None:
            raise WALLET_STORE_WRITE_FAILED("the store is closed")
        return self.key

    def close(self) -> None:
        self.key = None
        self._document = None


class Store:
    """An open wallet database: TinyDB over sealed storage, and the lock that makes this
    program its only writer."""

    def __init__(self, path: Path, db: TinyDB, storage: SealedStorage, lock: IO[bytes]) -> None:
        self.path = path
        self.db = db
        self.storage = storage
        self._lock = lock

    @staticmethod
    def exists(path: Path) -> bool:
        return path.exists()

    @classmethod
    def create(cls, path: Path, passphrase: str, kdf: KdfParams | None = None) -> Store:
        check_strength(passphrase)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = _acquire(path)
        try:
            if path.exists():
                raise WALLET_EXISTS(f"a wallet already exists at {path}")
            key = SealKey.derive(passphrase, kdf or KdfParams())
            document: Document = {}
            sealed = seal(encode_document(document), key, KIND)
            write_sealed(path, sealed)
        except BaseException:
            _release(lock)
            raise
        return cls._assemble(path, key, document, lock, sealed)

    @staticmethod
    def require(path: Path) -> None:
        """Why there is no wallet at ``path`` (never made, or lost), if there is none: said
        before a passphrase is asked for it."""
        if not path.exists():
            if (path.parent / TRUST_FILE_NAME).exists():
                # The wallet's view of the ledger is kept beside it from its first start:
                # this is a wallet lost, not one never made, and a new one would be empty.
                raise WALLET_STORE_MISSING(
                    f"{path} is missing, and a wallet ran here ({path.parent / TRUST_FILE_NAME}"
                    " is kept beside it): bring it back from a backup with `civicid wallet "
                    "restore BACKUP`"
                )
            raise WALLET_NOT_FOUND(f"no wallet at {path}: `civicid wallet init` creates one")

    @classmethod
    def open(cls, path: Path, passphrase: str) -> Store:
        """Open with ``passphrase``: a wrong one, or a damaged file, raises and changes nothing."""
        cls.require(path)
        lock = _acquire(path)
        try:
            data = read_file(path)
            sealed = Sealed.parse(data, KIND, WALLET_STORE_CORRUPT)
            key = sealed.key_for(passphrase, WALLET_PASSPHRASE_WRONG)
            document = decode_document(sealed.open(key, WALLET_STORE_CORRUPT), path)
        except Error as exc:
            _release(lock)
            if WALLET_STORE_CORRUPT.matches(exc) and "move it aside" not in exc.message:
                raise WALLET_STORE_CORRUPT(f"{exc.message}. {corrupt_advice(path)}") from exc
            raise
        except BaseException:
            _release(lock)
            raise
        return cls._assemble(path, key, document, lock, data)

    @classmethod
    def put_back(cls, path: Path, passphrase: str, data: bytes) -> tuple[Store, Path | None]:
        """Write ``data``, the file as this program last read or wrote it, over ``path``
        found damaged or lost, once ``passphrase`` opens it (a wrong one changes nothing);
        what was found at ``path`` is kept beside it, renamed (returned): nothing is lost,
        and the damage is there to look at."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = _acquire(path)
        try:
            sealed = Sealed.parse(data, KIND, WALLET_STORE_CORRUPT)
            key = sealed.key_for(passphrase, WALLET_PASSPHRASE_WRONG)
            document = decode_document(sealed.open(key, WALLET_STORE_CORRUPT), path)
            aside = set_aside(path)
            write_sealed(path, data)
        except BaseException:
            _release(lock)
            raise
        return cls._assemble(path, key, document, lock, data), aside

    @classmethod
    def _assemble(
        cls, path: Path, key: SealKey, document: Document, lock: IO[bytes], sealed: bytes
    ) -> Store:
        storage = SealedStorage(path, key, document, sealed)
        db = TinyDB(storage=_Given(storage))
        return cls(path, db, storage, lock)

    def document(self) -> Document:
        """The whole database, as a deep copy (for backups)."""
        document = self.storage.read() or {}
        copy: Document = json.loads(encode_document(document))
        return copy

    def replace(self, document: Document) -> None:
        """Write ``document`` as the whole database (restore), then forget cached tables."""
        self.storage.write(json.loads(encode_document(document)))
        self.db.clear_cache()

    def rekey(self, key: SealKey) -> None:
        """Seal the database under a new key (a changed passphrase) in one atomic write."""
        document = self.storage.read() or {}
        sealed = seal(encode_document(document), key, KIND)
        write_sealed(self.path, sealed)
        self.storage.key, self.storage.sealed = key, sealed
        self.storage.seen = identity(self.path)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        self.storage.close()
        _release(self._lock)


class _Given:
    """Hand TinyDB an already built storage (it insists on constructing one itself)."""

    def __init__(self, storage: SealedStorage) -> None:
        self.storage = storage

    def __call__(self) -> SealedStorage:
        return self.storage


def _acquire(path: Path) -> IO[bytes]:
    """Hold ``<path>.lock`` exclusively while the wallet is open: two programs writing the
    same wallet would each overwrite the other's changes."""
    lock_path = path.with_name(path.name + ".lock")
    fd = hold_alone(
        lock_path,
        holder="wallet program",
        in_use=WALLET_IN_USE,
        message=f"{path} is open in another program; close it there first",
    )
    return os.fdopen(fd, "r+b")


def identity(path: Path) -> tuple[int, int, int] | None:
    """Which file is at ``path`` (inode, size, modification time), None if none can be seen:
    each atomic write is a new inode, so any change from outside shows."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def set_aside(path: Path) -> Path | None:
    """Rename whatever is at ``path`` (a damaged file, a directory) to a free name beside it;
    None if nothing is there."""
    if not os.path.lexists(path):
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for n in range(MAX_ASIDE_NAMES):
        aside = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n else ""))
        if not os.path.lexists(aside):
            try:
                os.replace(path, aside)
            except OSError as exc:
                raise WALLET_STORE_WRITE_FAILED(
                    f"cannot move {path} aside to {aside.name}: {exc.strerror}"
                ) from exc
            return aside
    raise WALLET_STORE_WRITE_FAILED(f"no free name beside {path} to move it aside to")


def _release(handle: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()


__all__ = ["FILE_NAME", "SealedStorage", "Store"]
