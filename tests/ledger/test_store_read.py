"""``FileLogStore.read``: a record read in one piece from its offset to the next record's (or
the log's end), the header's length and checksum deciding what it is, as when the header was
read first on its own."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.merkle import leaf_hash
from ledger.store import RECORD_HEADER, FileLogStore

RECORDS = [b"first record", b"x" * 3000, b"", b"the last one"]


def _store(tmp_path: Path) -> FileLogStore:
    store = FileLogStore(tmp_path / "ledger", create=True)
    store.append(RECORDS, [leaf_hash(r) for r in RECORDS])
    store.sync()
    return store


def _poke(path: Path, offset: int, data: bytes) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, data, offset)
    finally:
        os.close(fd)


def test_every_record_reads_back_as_appended(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        assert [store.read(i) for i in range(store.size)] == RECORDS
        with pytest.raises(IndexError):
            store.read(store.size)
        with pytest.raises(IndexError):
            store.read(-1)
    finally:
        store.close()


def test_the_last_record_is_its_headers_length_when_more_follows_it(tmp_path: Path) -> None:
    """A record appended while the last one is read moves the log's end first: the read
    takes the header's length, not the bytes to that end."""
    store = _store(tmp_path)
    try:
        more = b"appended meanwhile"
        data = RECORD_HEADER.pack(len(more), zlib.crc32(more)) + more
        _poke(tmp_path / "ledger" / "log.dat", store._data_end, data)
        store._data_end += len(data)  # the end moved, the offsets not yet
        assert store.read(store.size - 1) == RECORDS[-1]
    finally:
        store.close()


# Where the damage is (bytes from the record's header) and what it writes there.
DAMAGE = {
    "a byte of the record": (RECORD_HEADER.size + 5, b"!"),
    "a length past the record": (0, (len(RECORDS[1]) + 7).to_bytes(4, "big")),
    "a length short of it": (0, (len(RECORDS[1]) - 7).to_bytes(4, "big")),
    "a length past the file": (0, (1 << 30).to_bytes(4, "big")),
    "a checksum of another record": (4, zlib.crc32(RECORDS[0]).to_bytes(4, "big")),
}


@pytest.mark.parametrize("what", DAMAGE)
def test_a_record_damaged_after_opening_is_store_corrupt(tmp_path: Path, what: str) -> None:
    store = _store(tmp_path)
    try:
        at, data = DAMAGE[what]
        _poke(tmp_path / "ledger" / "log.dat", store._offsets[1] + at, data)
        with pytest.raises(Error) as info:
            store.read(1)
        assert info.value.code == "store_corrupt"
        assert info.value.details["seq"] == 1
        assert store.read(0) == RECORDS[0] and store.read(2) == RECORDS[2]
    finally:
        store.close()
