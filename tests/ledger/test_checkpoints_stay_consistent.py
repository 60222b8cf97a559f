"""Property: for random sequences of appends, crashes, clean closes (which write the state
snapshot) and damage to the store's files and the snapshot, every checkpoint the ledger ever
signed is consistent with every later one (each one's root is the final log's root at its
size): the ledger refuses to open rather than fork. Opened with or without a snapshot, its
state map is the one a full replay of the log builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicid.errors import Error
from ledger import snapshot as snapshots
from ledger.setup import initialize, open_ledger
from tests.ledger.conftest import Clock, World
from tests.ledger.faults import flip, verified

ACTIONS = st.lists(
    st.sampled_from(
        [
            "append",
            "append",
            "crash",
            "close",
            "flip log.idx",
            "flip leaves.dat",
            "flip state.snapshot",
            "torn tail",
            "cut",
        ]
    ),
    min_size=2,
    max_size=10,
)
# What a refusal to open may say: each names damage it will not paper over.
REFUSALS = {"store_corrupt", "store_truncated", "checkpoint_mismatch"}


def replayed_map_root(root: Path, clock: Clock) -> bytes:
    """The state map root a full replay of the log (no snapshot) builds, on a copy."""
    copy = root.with_name(root.name + "-replayed")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    (copy / "ledger" / snapshots.FILE).unlink(missing_ok=True)
    ledger = open_ledger(copy, readonly=True, clock=clock)
    try:
        assert ledger.snapshot_size == 0
        return ledger.view.statemap.root
    finally:
        ledger.close()
        shutil.rmtree(copy)


def crash(world: World) -> None:
    """Stop as kill -9 would: release the files, close nothing cleanly."""
    world.ledger.store.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=ACTIONS, data=st.data())
def test_no_two_signed_checkpoints_disagree(
    tmp_path_factory: pytest.TempPathFactory, actions: list[str], data: st.DataObject
) -> None:
    root: Path = tmp_path_factory.mktemp("property")
    clock = Clock()
    genesis = initialize(root, clock=clock)
    world = World(root, genesis, open_ledger(root, clock=clock), clock)
    signed = [world.ledger.checkpoint]
    log = root / "ledger" / "log.dat"
    try:
        for action in actions:
            if action == "append":
                world.register()
                signed.append(world.ledger.checkpoint)
                continue
            if action == "close":
                world.ledger.close()
            else:
                crash(world)
            backup = log.with_suffix(".backup")
            shutil.copy(log, backup)
            size = log.stat().st_size
            if action.startswith("flip "):
                victim = root / "ledger" / action.removeprefix("flip ")
                # Drawn whatever the file's size (which varies with the keys made at random
                # each run): the draws stay the same from one run of an example to the next.
                where = data.draw(st.integers(0, 2**32))
                if victim.exists() and victim.stat().st_size:
                    flip(victim, where % victim.stat().st_size)
            elif action == "torn tail":
                with open(log, "ab") as handle:
                    handle.write(data.draw(st.binary(min_size=1, max_size=40)))
            elif action == "cut":
                with open(log, "r+b") as handle:
                    handle.truncate(max(0, size - data.draw(st.integers(1, 60))))
            try:
                world.ledger = open_ledger(root, clock=clock)
            except Error as exc:
                assert exc.code in REFUSALS, exc
                shutil.copy(backup, log)  # the operator restores log.dat from a backup
                world.ledger = open_ledger(root, clock=clock)
            signed.append(world.ledger.checkpoint)
            assert world.ledger.view.statemap.root == replayed_map_root(root, clock)
        final = world.ledger
        for note in signed:
            checkpoint = verified(world, note)
            assert checkpoint.size <= final.size
            assert final.root(checkpoint.size) == checkpoint.root
    finally:
        world.ledger.close()
