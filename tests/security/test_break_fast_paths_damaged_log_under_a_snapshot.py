"""A failing disk under a ledger opened from its snapshot (the fast start-up, its kept hashes
re-hashed in the background): a ``log.dat`` record the snapshot covers damaged in one byte is
refused at open with its code, never served; a leaf hash damaged in ``leaves.dat`` (derived)
is rebuilt from the log, the re-hash then finds every kept hash the log's and every proof
served verifies against the checkpoint."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.errors import Error
from civicid.merkle import leaf_hash, verify_inclusion
from ledger import integrity
from ledger.setup import open_ledger
from ledger.store import RECORD_HEADER
from tests.ledger.conftest import World
from tests.ledger.faults import flip
from tests.ledger.snapshots import populate, reopen, snapshot_file


def written(world: World) -> Path:
    """A ledger with a snapshot of all its entries, closed; its directory."""
    populate(world)
    for _ in range(4):
        world.register()
    reopen(world)
    world.ledger.close()
    assert snapshot_file(world).exists()
    return world.root / "ledger"


def record_middle(log: Path, seq: int) -> int:
    """The offset of a byte in the middle of record ``seq``'s bytes."""
    data, pos = log.read_bytes(), 0
    for _ in range(seq):
        pos += RECORD_HEADER.size + struct.unpack_from(">I", data, pos)[0]
    return pos + RECORD_HEADER.size + struct.unpack_from(">I", data, pos)[0] // 2


@pytest.mark.parametrize("seq", [1, 3, 9])
def test_a_damaged_record_the_snapshot_covers_is_refused_at_open(world: World, seq: int) -> None:
    directory = written(world)
    flip(directory / "log.dat", record_middle(directory / "log.dat", seq))
    with pytest.raises(Error) as caught:
        world.ledger = open_ledger(world.root, clock=world.clock)
    assert caught.value.code == "store_corrupt"
    assert f"record {seq} " in caught.value.message


def test_a_damaged_leaf_hash_is_rebuilt_and_every_proof_verifies(world: World) -> None:
    directory = written(world)
    flip(directory / "leaves.dat", 32 * 3 + 5)  # entry 3's leaf hash
    ledger = world.ledger = open_ledger(world.root, clock=world.clock)
    assert ledger.snapshot_size == ledger.size  # opened from the snapshot
    assert ledger.integrity is not None and ledger.integrity.wait() == integrity.VERIFIED
    checkpoint = open_checkpoint(ledger.checkpoint, NoteVerifier(world.genesis.vkey))
    for seq in range(ledger.size):
        proof = ledger.inclusion_proof(seq)
        verify_inclusion(leaf_hash(ledger.entry(seq)), seq, checkpoint.size, proof, checkpoint.root)
