"""A flipped byte in log.idx once cut a record and made the server sign a size-3 checkpoint
after the size-4 one. The index is derived: it is rebuilt from log.dat, nothing is cut."""

from __future__ import annotations

import pytest

from ledger.store import OFFSET
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, flip, nothing_lost, reopened, store


@pytest.mark.parametrize("entry", [0, 1, -1])
@pytest.mark.parametrize("byte", [0, 7])
def test_a_flipped_index_byte_is_rebuilt(world: World, entry: int, byte: int) -> None:
    before = acknowledge(world)
    seq = entry % len(before.entries)
    world.ledger.close()
    flip(store(world) / "log.idx", seq * OFFSET.size + byte, 0x10)
    world.ledger = reopened(world)
    nothing_lost(world, before, world.ledger)
    assert world.ledger.size == len(before.entries)
    assert "log.idx" in world.ledger.store.findings.rebuilt  # type: ignore[attr-defined]
