"""Deleting log.idx, emptying leaves.dat, or swapping in another ledger's derived files once
made a restart cut an intact log.dat to zero. They are rebuilt from log.dat now; another
ledger's log.dat is refused, never cut."""

from __future__ import annotations

import shutil

import pytest

from ledger.setup import initialize
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, nothing_lost, refuses, reopened, store


@pytest.mark.parametrize(
    "damage",
    ["delete log.idx", "empty log.idx", "delete leaves.dat", "empty leaves.dat", "both gone"],
)
def test_derived_files_are_rebuilt_from_the_log(world: World, damage: str) -> None:
    before = acknowledge(world)
    world.ledger.close()
    action, _, name = damage.partition(" ")
    names = ["log.idx", "leaves.dat"] if damage == "both gone" else [name]
    for victim in names:
        path = store(world) / victim
        if action == "empty":
            path.write_bytes(b"")
        else:
            path.unlink()
    world.ledger = reopened(world)
    nothing_lost(world, before, world.ledger)
    assert set(world.ledger.store.findings.rebuilt) >= {n for n in names}  # type: ignore[attr-defined]


def test_another_ledgers_index_and_leaves_are_replaced(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    initialize(other, clock=world.clock)
    before = acknowledge(world)
    world.ledger.close()
    for name in ("log.idx", "leaves.dat"):
        shutil.copy(other / "ledger" / name, store(world) / name)
    world.ledger = reopened(world)
    nothing_lost(world, before, world.ledger)


def test_another_ledgers_log_is_refused_and_kept(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    initialize(other, clock=world.clock)
    acknowledge(world)
    swapped = (other / "ledger" / "log.dat").read_bytes()
    world.ledger.close()
    (store(world) / "log.dat").write_bytes(swapped)
    error = refuses(world, "store_truncated")
    assert "restore log.dat" in error.message
    assert (store(world) / "log.dat").read_bytes() == swapped  # nothing cut
