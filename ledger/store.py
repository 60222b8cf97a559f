"""Durable storage for the log: append-only files for entries, TinyDB for small metadata.

An append writes the record, its offset and its leaf hash to three append-only files and
fsyncs them; cost does not grow with the log. On open, a torn tail left by a crash is cut back
to the last whole, checksummed record that all three files agree on. Only one process may
write (an exclusive ``flock``); readers open without it and see a consistent prefix.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Any, Final, Protocol

from tinydb import Query, TinyDB
from tinydb.storages import JSONStorage

from civicid.merkle import HASH_SIZE, leaf_hash
from ledger.errors import (
    LEDGER_NOT_INITIALIZED,
    STORE_CORRUPT,
    STORE_FORMAT_UNSUPPORTED,
    STORE_LOCKED,
    STORE_READONLY,
    STORE_SYNC_FAILED,
    STORE_WRITE_FAILED,
)

# Bumped whenever the on-disk layout changes; a store of another format is refused.
STORE_FORMAT: Final = 1
RECORD_HEADER: Final = struct.Struct(">II")  # length, crc32 of the record bytes
OFFSET: Final = struct.Struct(">Q")


class LogStore(Protocol):
    """What the ledger needs from a store; a PostgreSQL backend implements the same."""

    readonly: bool

    @property
    def size(self) -> int: ...
    def append(self, leaves: list[bytes], hashes: list[bytes]) -> None: ...
    def sync(self) -> None: ...
    def truncate(self, size: int) -> None: ...
    def read(self, index: int) -> bytes: ...
    def leaf_hashes(self) -> bytes: ...
    def get_meta(self, key: str) -> Any: ...
    def put_meta(self, key: str, value: Any) -> None: ...
    def close(self) -> None: ...


class DurableJSONStorage(JSONStorage):
    """TinyDB storage that reaches the disk before a write returns (write, fsync, rename)."""

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        path = Path(self._handle.name)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        self._handle.close()
        self._handle = open(path, "r+", encoding="utf-8")  # noqa: SIM115 - TinyDB owns it


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileLogStore:
    """The embedded store: ``log.dat`` + ``log.idx`` + ``leaves.dat`` + ``meta.json``."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        self.directory = directory
        self.readonly = readonly
        self._io = threading.Lock()
        if readonly and not (directory / "log.dat").exists():
            raise LEDGER_NOT_INITIALIZED(f"no ledger in {directory}")
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_fd: int | None = None
        if not readonly:
            self._lock_fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                os.close(self._lock_fd)
                raise STORE_LOCKED(
                    f"another process is writing to {directory} (a running ledger server? "
                    "then pass --ledger URL to write through it)",
                ) from exc
        flags = os.O_RDONLY if readonly else os.O_RDWR | os.O_CREAT | os.O_APPEND
        self._data = os.open(directory / "log.dat", flags, 0o600)
        self._idx = os.open(directory / "log.idx", flags, 0o600)
        self._hashes = os.open(directory / "leaves.dat", flags, 0o600)
        self._size = self._recover()
        self._data_end = self._end_of(self._size)
        self._meta_path = directory / "meta.json"
        self._meta: TinyDB | None = None
        if self._meta_path.exists() or not readonly:
            self._meta = TinyDB(self._meta_path, storage=DurableJSONStorage, access_mode="r+")
        found = self.get_meta("format")
        if found is None and not readonly:
            self.put_meta("format", STORE_FORMAT)
        elif found not in (None, STORE_FORMAT):
            raise STORE_FORMAT_UNSUPPORTED(
                f"store format {found!r}; this version reads {STORE_FORMAT}",
            )

    # -- recovery -------------------------------------------------------------------------

    def _recover(self) -> int:
        """Number of whole records all three files agree on; cut the rest (writers only)."""
        n = min(
            os.fstat(self._idx).st_size // OFFSET.size, os.fstat(self._hashes).st_size // HASH_SIZE
        )
        data_size = os.fstat(self._data).st_size
        while n > 0 and not self._record_ok(n - 1, data_size):
            n -= 1
        if not self.readonly:
            end = self._end_of(n)
            if os.fstat(self._data).st_size != end:
                os.ftruncate(self._data, end)
            os.ftruncate(self._idx, n * OFFSET.size)
            os.ftruncate(self._hashes, n * HASH_SIZE)
            for fd in (self._data, self._idx, self._hashes):
                os.fsync(fd)
        return n

    def _record_ok(self, index: int, data_size: int) -> bool:
        (offset,) = OFFSET.unpack(os.pread(self._idx, OFFSET.size, index * OFFSET.size))
        if offset + RECORD_HEADER.size > data_size:
            return False
        length, crc = RECORD_HEADER.unpack(os.pread(self._data, RECORD_HEADER.size, offset))
        if offset + RECORD_HEADER.size + length > data_size:
            return False
        record = os.pread(self._data, length, offset + RECORD_HEADER.size)
        stored = os.pread(self._hashes, HASH_SIZE, index * HASH_SIZE)
        return zlib.crc32(record) == crc and leaf_hash(record) == stored

    def _end_of(self, n: int) -> int:
        if n == 0:
            return 0
        (offset,) = OFFSET.unpack(os.pread(self._idx, OFFSET.size, (n - 1) * OFFSET.size))
        (length, _) = RECORD_HEADER.unpack(os.pread(self._data, RECORD_HEADER.size, offset))
        return int(offset) + RECORD_HEADER.size + int(length)

    # -- the log --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaves: list[bytes], hashes: list[bytes]) -> None:
        """Write records to the OS (not yet durable: call ``sync``)."""
        if self.readonly:
            raise STORE_READONLY("this store was opened read-only")
        data, offsets = bytearray(), bytearray()
        end = self._data_end
        for leaf in leaves:
            offsets += OFFSET.pack(end + len(data))
            data += RECORD_HEADER.pack(len(leaf), zlib.crc32(leaf))
            data += leaf
        with self._io:
            try:
                _write_all(self._data, bytes(data))
                _write_all(self._idx, bytes(offsets))
                _write_all(self._hashes, b"".join(hashes))
            except OSError as exc:
                self._cut(self._size, end)
                raise STORE_WRITE_FAILED(f"could not write the log: {exc}") from exc
            self._size += len(leaves)
            self._data_end = end + len(data)

    def sync(self) -> None:
        try:
            for fd in (self._data, self._idx, self._hashes):
                os.fsync(fd)
        except OSError as exc:
            raise STORE_SYNC_FAILED(f"could not make the log durable: {exc}") from exc

    def truncate(self, size: int) -> None:
        with self._io:
            self._cut(size, self._end_of(size))

    def _cut(self, size: int, end: int) -> None:
        os.ftruncate(self._data, end)
        os.ftruncate(self._idx, size * OFFSET.size)
        os.ftruncate(self._hashes, size * HASH_SIZE)
        self._size, self._data_end = size, end

    def read(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        (offset,) = OFFSET.unpack(os.pread(self._idx, OFFSET.size, index * OFFSET.size))
        (length, crc) = RECORD_HEADER.unpack(os.pread(self._data, RECORD_HEADER.size, offset))
        record = os.pread(self._data, length, offset + RECORD_HEADER.size)
        if len(record) != length or zlib.crc32(record) != crc:
            raise STORE_CORRUPT(f"entry {index} fails its checksum")
        return record

    def leaf_hashes(self) -> bytes:
        return os.pread(self._hashes, self._size * HASH_SIZE, 0)

    def bytes_on_disk(self) -> int:
        return sum(os.fstat(fd).st_size for fd in (self._data, self._idx, self._hashes))

    # -- metadata -------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        if self._meta is None:
            return None
        doc = self._meta.table("meta").get(Query().key == key)
        return None if doc is None else doc.get("value")

    def put_meta(self, key: str, value: Any) -> None:
        if self._meta is None or self.readonly:
            raise STORE_READONLY("this store was opened read-only")
        self._meta.table("meta").upsert({"key": key, "value": value}, Query().key == key)

    def close(self) -> None:
        for fd in (self._data, self._idx, self._hashes):
            os.close(fd)
        if self._meta is not None:
            self._meta.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
