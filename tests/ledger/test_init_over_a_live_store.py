"""``init`` once overwrote the keys of a store that still had entries. It refuses a data
dir holding any store file or ledger key, and changes nothing there."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from ledger.setup import initialize
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, nothing_lost, reopened, store


@pytest.mark.parametrize("keep", ["everything", "only keys", "only log.dat", "only meta.json"])
def test_init_refuses_and_changes_nothing(world: World, keep: str) -> None:
    before = acknowledge(world, extra=1)
    world.ledger.close()
    keys = {p.name: p.read_bytes() for p in (world.root / "keys").iterdir()}
    if keep == "only keys":
        for path in store(world).iterdir():
            path.rename(path.with_name(path.name + ".moved"))
    elif keep.startswith("only "):
        (world.root / "keys").rename(world.root / "keys.moved")
        for path in store(world).iterdir():
            if path.name != keep.removeprefix("only "):
                path.rename(path.with_name(path.name + ".moved"))
    with pytest.raises(Error) as info:
        initialize(world.root, clock=world.clock)
    assert info.value.code == "ledger_exists"
    for moved in [*store(world).glob("*.moved"), *world.root.glob("*.moved")]:
        moved.rename(moved.with_name(moved.name.removesuffix(".moved")))
    assert {p.name: p.read_bytes() for p in (world.root / "keys").iterdir()} == keys
    world.ledger = reopened(world)
    nothing_lost(world, before, world.ledger)
