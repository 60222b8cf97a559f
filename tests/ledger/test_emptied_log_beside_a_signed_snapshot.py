"""A lost log the snapshot still remembers: ``log.dat`` emptied and both copies of its last
checkpoint (``checkpoint.dat``, ``acknowledged.dat``) gone, so only the state snapshot this
ledger signed says how long the log was. Opening it must refuse (``store_truncated``, saying
to restore ``log.dat``), never open an empty ledger that would sign a new genesis over what
it acknowledged, and never delete the snapshot that proves the loss."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.setup import open_ledger
from ledger.store import ACKNOWLEDGED_FILE
from tests.ledger.conftest import World
from tests.ledger.snapshots import snapshot_file


def lose_the_log(world: World) -> tuple[int, bytes]:
    world.register()
    world.register()
    size = world.ledger.size
    world.ledger.close()  # a clean close writes the signed snapshot
    snapshot = snapshot_file(world).read_bytes()
    directory = world.root / "ledger"
    (directory / "log.dat").write_bytes(b"")
    for gone in ("checkpoint.dat", ACKNOWLEDGED_FILE):
        (directory / gone).unlink()
    return size, snapshot


@pytest.mark.parametrize("readonly", [False, True])
def test_an_emptied_log_beside_a_snapshot_is_refused(world: World, readonly: bool) -> None:
    size, snapshot = lose_the_log(world)
    directory = world.root / "ledger"
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    with pytest.raises(Error) as info:
        open_ledger(world.root, readonly=readonly, clock=world.clock)
    assert info.value.code == "store_truncated"
    assert info.value.details == {"held": 0, "signed": size}
    assert "restore log.dat" in info.value.message and "state.snapshot" in info.value.message
    # Nothing was changed: the snapshot that proves the loss stays, the log stays empty.
    assert snapshot_file(world).read_bytes() == snapshot
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before


def test_a_log_left_with_a_torn_first_record_is_refused(world: World) -> None:
    size, snapshot = lose_the_log(world)
    log = world.root / "ledger" / "log.dat"
    log.write_bytes(b"\x00\x00\x01")  # the start of a record, cut short
    with pytest.raises(Error) as info:
        open_ledger(world.root, clock=world.clock)
    assert info.value.code == "store_truncated"
    assert info.value.details == {"held": 0, "signed": size}
    assert snapshot_file(world).read_bytes() == snapshot


def test_a_snapshot_of_another_key_proves_nothing(world: World, tmp_path: Path) -> None:
    # Another ledger's snapshot beside an empty log is no witness of this one: the log opens
    # as the empty store it is (the CLI then says no genesis was logged).
    from ledger.setup import initialize

    other = initialize(tmp_path / "other", clock=world.clock)
    assert other.vkey != world.genesis.vkey
    open_ledger(tmp_path / "other", clock=world.clock).close()
    lose_the_log(world)
    foreign = tmp_path / "other" / "ledger" / "state.snapshot"
    snapshot_file(world).write_bytes(foreign.read_bytes())
    ledger = open_ledger(world.root, readonly=True, clock=world.clock)
    try:
        assert ledger.size == 0
    finally:
        ledger.close()


def test_the_commands_say_what_to_restore(world: World) -> None:
    from tests.ledger.test_cli import civicid

    size, _ = lose_the_log(world)
    code, out, err = civicid("ledger", "info", "--data-dir", str(world.root))
    assert code == 3 and out == "", out  # unavailable: a storage fault, not a refusal
    assert err.count("\n") == 1 and err.rstrip().endswith("[store_truncated]"), err
    assert f"signed a checkpoint of {size:,} (state.snapshot)" in err and "restore log.dat" in err
