"""Helpers for the storage-fault regression files: damage a store file, reopen, and check
that nothing acknowledged was lost and no checkpoint disagrees with an earlier one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from civicid.errors import Error
from civicid.merkle import verify_consistency
from ledger.log import Ledger
from ledger.setup import open_ledger
from ledger.store import OFFSET
from tests.ledger.conftest import World


@dataclass(frozen=True)
class Acknowledged:
    """What the ledger had acknowledged before the fault: every entry and its checkpoint."""

    entries: list[bytes]
    checkpoint: str


def acknowledge(world: World, *, extra: int = 2) -> Acknowledged:
    for _ in range(extra):
        world.register()
    entries = [leaf for _, leaf in world.ledger.entries()]
    return Acknowledged(entries, world.ledger.checkpoint)


def store(world: World) -> Path:
    return world.root / "ledger"


def offset_of(world: World, seq: int) -> int:
    with open(store(world) / "log.idx", "rb") as handle:
        handle.seek(seq * OFFSET.size)
        (offset,) = OFFSET.unpack(handle.read(OFFSET.size))
    return int(offset)


def flip(path: Path, position: int, mask: int = 0x01) -> None:
    with open(path, "r+b") as handle:
        handle.seek(position)
        byte = handle.read(1)
        handle.seek(position)
        handle.write(bytes([byte[0] ^ mask]))


def reopened(world: World) -> Ledger:
    world.ledger.close()
    return open_ledger(world.root, clock=world.clock)


def verified(world: World, note: str) -> Checkpoint:
    return open_checkpoint(note, NoteVerifier(world.genesis.vkey), origin=world.origin)


def nothing_lost(world: World, before: Acknowledged, ledger: Ledger) -> None:
    """Every acknowledged entry is there, unchanged, and the new checkpoint extends the old."""
    assert ledger.size >= len(before.entries)
    assert [ledger.entry(i) for i in range(len(before.entries))] == before.entries
    consistent(world, ledger, before.checkpoint, ledger.checkpoint)


def consistent(world: World, ledger: Ledger, old_note: str, new_note: str) -> None:
    old, new = verified(world, old_note), verified(world, new_note)
    assert old.size <= new.size
    if old.size == new.size:
        assert old.root == new.root
    else:
        proof = ledger.consistency_proof(old.size, new.size)
        verify_consistency(old.size, new.size, old.root, new.root, proof)


def refuses(world: World, code: str) -> Error:
    world.ledger.close()
    with pytest.raises(Error) as info:
        open_ledger(world.root, clock=world.clock).close()
    assert info.value.code == code, info.value
    return info.value
