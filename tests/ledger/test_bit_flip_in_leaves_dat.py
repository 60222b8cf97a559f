"""A bit flip inside leaves.dat once made the server (and the read-only ``prove``) sign a
checkpoint of the same size with another root. Leaf hashes are re-derived from log.dat."""

from __future__ import annotations

from ledger.setup import open_ledger
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, consistent, flip, nothing_lost, reopened, store


def test_the_server_signs_the_true_root(world: World) -> None:
    before = acknowledge(world)
    world.ledger.close()
    flip(store(world) / "leaves.dat", 40, 0x80)
    world.ledger = reopened(world)
    nothing_lost(world, before, world.ledger)


def test_a_reader_signs_the_true_root_and_leaves_the_file_alone(world: World) -> None:
    before = acknowledge(world)
    world.ledger.close()
    flip(store(world) / "leaves.dat", 5)
    damaged = (store(world) / "leaves.dat").read_bytes()
    reader = open_ledger(world.root, readonly=True)
    try:
        consistent(world, reader, before.checkpoint, reader.checkpoint)
    finally:
        reader.close()
    assert (store(world) / "leaves.dat").read_bytes() == damaged
    world.ledger = open_ledger(world.root, clock=world.clock)
