"""Audit: a clean log passes; a tampered one fails naming the first bad entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.audit import AuditFailure, audit
from ledger.store import OFFSET, RECORD_HEADER
from tests.ledger.conftest import World


def test_clean_log_passes_with_checkpoint(world: World) -> None:
    agency = world.register()
    world.ledger.submit(
        agency.deactivate_tx(world.head(agency), ledger=world.origin, now=world.clock.now)
    )
    report = audit(world.root / "ledger", checkpoint=world.ledger.checkpoint)
    assert report.size == world.ledger.size == 3
    assert report.root == world.ledger.tree.root()
    assert report.checkpoint_verified
    assert report.counts == {"genesis": 1, "did.create": 1, "did.deactivate": 1}


def flip_byte_in_entry(root: Path, seq: int, delta: int) -> None:
    directory = root / "ledger"
    with open(directory / "log.idx", "rb") as handle:
        handle.seek(seq * OFFSET.size)
        (offset,) = OFFSET.unpack(handle.read(OFFSET.size))
    position = offset + RECORD_HEADER.size + delta
    with open(directory / "log.dat", "r+b") as handle:
        handle.seek(position)
        byte = handle.read(1)
        handle.seek(position)
        handle.write(bytes([byte[0] ^ 0x01]))


def test_tampered_entry_is_named(world: World) -> None:
    world.register()
    world.register()
    world.register()
    flip_byte_in_entry(world.root, 2, 40)
    with pytest.raises(AuditFailure) as info:
        audit(world.root / "ledger")
    assert info.value.seq == 2
    assert info.value.code == "store_corrupt"


def test_tampered_entry_with_fixed_checksum_still_fails_the_leaf_hash(world: World) -> None:
    """Someone who rewrites an entry and its CRC is caught by the Merkle leaf hash."""
    import zlib

    world.register()
    world.register()
    directory = world.root / "ledger"
    with open(directory / "log.idx", "rb") as handle:
        handle.seek(1 * OFFSET.size)
        (offset,) = OFFSET.unpack(handle.read(OFFSET.size))
    with open(directory / "log.dat", "r+b") as handle:
        handle.seek(offset)
        length, _ = RECORD_HEADER.unpack(handle.read(RECORD_HEADER.size))
        record = bytearray(handle.read(length))
        record[10] ^= 0x02
        handle.seek(offset)
        handle.write(RECORD_HEADER.pack(length, zlib.crc32(record)) + record)
    with pytest.raises(AuditFailure) as info:
        audit(world.root / "ledger")
    assert info.value.seq == 1 and info.value.code == "leaf_hash_mismatch"


def test_checkpoint_from_another_log_fails(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from ledger.setup import initialize

    other_root = tmp_path_factory.mktemp("other")
    initialize(other_root, clock=world.clock)
    from ledger.setup import open_ledger

    other = open_ledger(other_root, readonly=True)
    try:
        with pytest.raises(Error) as info:
            audit(world.root / "ledger", checkpoint=other.checkpoint)
        assert info.value.code in {"note_unknown_key", "note_signature_invalid"}
    finally:
        other.close()


def test_a_log_cut_short_fails_against_the_last_checkpoint(world: World) -> None:
    """Rollback: removing acknowledged entries is caught by the checkpoint kept durable."""
    world.register()
    world.register()
    size = world.ledger.size
    world.ledger.close()
    assert audit(world.root / "ledger").checkpoint_verified
    directory = world.root / "ledger"
    with open(directory / "log.idx", "rb") as handle:
        handle.seek((size - 1) * OFFSET.size)
        (last,) = OFFSET.unpack(handle.read(OFFSET.size))
    with open(directory / "log.dat", "r+b") as handle:
        handle.truncate(last)  # a whole record gone: no torn write looks like this
    with pytest.raises(Error) as info:
        audit(directory)
    assert info.value.code == "store_truncated"


def test_a_store_of_another_format_is_refused(world: World) -> None:
    from ledger.store import FileLogStore

    world.ledger.close()
    store = FileLogStore(world.root / "ledger")
    store.put_meta("format", 99)
    store.close()
    with pytest.raises(Error) as info:
        FileLogStore(world.root / "ledger", readonly=True)
    assert info.value.code == "store_format_unsupported"
