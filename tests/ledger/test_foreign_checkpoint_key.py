"""A checkpoint key from another ledger with the same origin was once used without
complaint. The key in the key store must be the one the genesis names."""

from __future__ import annotations

import shutil

import pytest

from ledger.setup import initialize
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, nothing_lost, refuses, reopened


def test_a_foreign_checkpoint_key_is_refused(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    initialize(other, origin=world.origin, clock=world.clock)
    before = acknowledge(world, extra=1)
    world.ledger.close()
    ours = world.root / "keys" / "ledger-checkpoint.json"
    saved = ours.read_bytes()
    shutil.copy(other / "keys" / "ledger-checkpoint.json", ours)
    refuses(world, "ledger_key_mismatch")
    ours.write_bytes(saved)
    world.ledger = reopened(world)
    nothing_lost(world, before, world.ledger)
