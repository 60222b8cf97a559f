"""A flipped byte in the last record once made the server cut it and sign a smaller
checkpoint. A record the last signed checkpoint covers is never cut: the store refuses to
open. Only an incomplete record past it (a torn write, never acknowledged) is trimmed."""

from __future__ import annotations

import pytest

from ledger.audit import AuditFailure, audit
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, flip, nothing_lost, offset_of, refuses, reopened, store


def test_an_acknowledged_record_is_never_cut(world: World) -> None:
    before = acknowledge(world)
    last = len(before.entries) - 1
    world.ledger.close()
    flip(store(world) / "log.dat", offset_of(world, last) + 30)
    size = (store(world) / "log.dat").stat().st_size
    error = refuses(world, "store_corrupt")
    assert error.details["seq"] == last
    assert (store(world) / "log.dat").stat().st_size == size
    with pytest.raises(AuditFailure) as info:
        audit(store(world))
    assert info.value.seq == last and info.value.code == "store_corrupt"


def test_a_damaged_record_followed_by_intact_ones_is_never_cut(world: World) -> None:
    before = acknowledge(world, extra=3)
    world.ledger.close()
    flip(store(world) / "log.dat", offset_of(world, 1) + 2)  # inside the length field
    (store(world) / "log.idx").unlink()  # and no index to point past it: the walk must
    error = refuses(world, "store_corrupt")
    assert error.details["seq"] == 1
    assert len(before.entries) > 2


def test_a_torn_write_past_the_checkpoint_is_trimmed(world: World) -> None:
    before = acknowledge(world)
    world.ledger.close()
    with open(store(world) / "log.dat", "ab") as handle:
        handle.write(b"\x00\x00\x01\x00" + b"\x12\x34\x56\x78" + b"half a record")
    world.ledger = reopened(world)
    nothing_lost(world, before, world.ledger)
    assert world.ledger.store.findings.trimmed == 21  # type: ignore[attr-defined]
