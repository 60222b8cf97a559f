"""Attacks a witness quorum defeats: one key holder showing two histories (split view), a
ledger that stops checkpointing (freeze), and a server stripping cosignatures. Ledgers are
served over HTTP; three witnesses (quorum 2) cosign what they are sent; clients hold every
checkpoint to their trust policy through the one acceptance point."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from civicid.checkpoint_policy import (
    CHECKPOINT_QUORUM_MISSING,
    CHECKPOINT_TOO_OLD,
    CheckpointPolicy,
)
from civicid.cosignature import COSIGNATURE_INVALID, CosignerKey, split_cosigned
from civicid.errors import Code, Error
from civicid.ledger_client import LEDGER_ANSWER_STALE, LedgerClient
from civicid.tlog_policy import TlogPolicy
from ledger.log import Ledger
from ledger.setup import open_ledger
from ledger.witnessing import Witnessing
from tests.ledger.conftest import NOW, World
from tests.ledger.witnesses import MemoryWitness, Witnesses, policy_text
from tests.security.test_fork_across_client_runs import served, world_register_tx

DEADLINE = 10.0
MAX_AGE = 600


def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


class Now:
    """The clients' clock, moved by the tests (the witnesses date their cosignatures NOW)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def witnesses(world: World) -> dict[str, MemoryWitness]:
    return {
        name: MemoryWitness(CosignerKey.generate(f"{name}.example"), world.genesis.vkey)
        for name in ("w1", "w2", "w3")
    }


@pytest.fixture
def policy(witnesses: dict[str, MemoryWitness]) -> CheckpointPolicy:
    """The clients' policy: the same three witnesses, any two, for ten minutes."""
    return CheckpointPolicy.parse(policy_text(witnesses, 2), max_age=MAX_AGE)


@contextmanager
def witnessed(ledger: Ledger, witnesses: dict[str, MemoryWitness]) -> Iterator[Witnessing]:
    running = Witnessing(
        ledger,
        TlogPolicy.parse(policy_text(witnesses, 2)),
        interval=3600,
        timeout=2.0,
        transport=Witnesses(witnesses),
    )
    running.start()
    try:
        yield running
    finally:
        running.close()


def client(url: str, world: World, policy: CheckpointPolicy, clock: Now, trust: Path | None = None
           ) -> LedgerClient:  # fmt: skip
    return LedgerClient(url, world.genesis.vkey, policy=policy, clock=clock, trust_file=trust)


def refused(code: Code, call: Callable[[], object]) -> Error:
    with pytest.raises(Error) as raised:
        call()
    assert code.matches(raised.value), raised.value
    return raised.value


def test_a_quorum_cosigned_checkpoint_is_accepted_and_writes_wait_for_it(
    world: World, witnesses: dict[str, MemoryWitness], policy: CheckpointPolicy
) -> None:
    clock = Now()
    with witnessed(world.ledger, witnesses), served(world.ledger) as url:
        until(lambda: world.ledger.size == world.ledger.signed.size and "w1" in
              world.ledger.checkpoint, "a first quorum")  # fmt: skip
        reader = client(url, world, policy, clock)
        assert reader.checkpoint().size == world.ledger.size
        assert reader.witnessed is not None and len(reader.witnessed.cosigners) >= 2
        # A write: its receipt's checkpoint is not cosigned yet; the client waits for one.
        receipt = reader.submit(world_register_tx(world))
        assert reader.trusted is not None and reader.trusted.size > int(receipt["seq"])
        reader.close()


def test_a_split_view_never_reaches_quorum_on_both_sides(
    world: World,
    witnesses: dict[str, MemoryWitness],
    policy: CheckpointPolicy,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two stores under one key diverge after entry 1: the witnesses see A first and cosign
    only A; the wallet shown B never gets a quorum, whatever else it is shown."""
    root = tmp_path_factory.mktemp("split") / "data"
    shutil.copytree(world.root, root)
    other = open_ledger(root, clock=world.clock)
    try:
        world.register()
        other.submit(world_register_tx(world))  # same size, another root: B
        assert other.signed.size == world.ledger.signed.size
        clock = Now()
        with witnessed(world.ledger, witnesses), served(world.ledger) as a_url:
            until(lambda: all(w.state and w.state[0] == world.ledger.signed.size
                              for w in witnesses.values()), "A cosigned")  # fmt: skip
            with witnessed(other, witnesses) as b_witnessing, served(other) as b_url:
                until(lambda: all(f.conflict for f in b_witnessing.followers), "B refused")
                desk = client(a_url, world, policy, clock)
                wallet = client(b_url, world, policy, clock)
                assert desk.checkpoint().size == world.ledger.size  # A: witnessed
                error = refused(CHECKPOINT_QUORUM_MISSING, wallet.checkpoint)
                assert "no witness" in error.message
                # B grows on: still no witness cosigns it (no consistency with A).
                other.submit(world_register_tx(world))
                until(lambda: all(f.known_size for f in b_witnessing.followers), "B asked")
                refused(CHECKPOINT_QUORUM_MISSING, wallet.checkpoint)
                # Nor does B's checkpoint with A's cosignatures appended pass.
                a_lines = split_cosigned(world.ledger.checkpoint).cosignature_lines
                b_note = other.signed.checkpoint + "".join(a_lines)
                refused(COSIGNATURE_INVALID, lambda: wallet.accept_checkpoint(b_note))
                desk.close()
                wallet.close()
    finally:
        other.close()


def test_a_frozen_ledger_is_refused_after_the_maximum_age(
    world: World, witnesses: dict[str, MemoryWitness], policy: CheckpointPolicy
) -> None:
    clock = Now()
    with witnessed(world.ledger, witnesses), served(world.ledger) as url:
        until(lambda: "w2.example" in world.ledger.checkpoint, "a first quorum")
        reader = client(url, world, policy, clock)
        reader.checkpoint()
        clock.now = NOW + MAX_AGE  # exactly the maximum age: still stands
        reader.checkpoint()
        clock.now = NOW + MAX_AGE + 1  # the ledger stopped checkpointing: nothing newer comes
        error = refused(CHECKPOINT_TOO_OLD, reader.checkpoint)
        assert f"{MAX_AGE + 1} s ago" in error.message
        # A fresh client (no trust file) is refused the same: freshness is not memory.
        refused(CHECKPOINT_TOO_OLD, client(url, world, policy, clock).checkpoint)
        reader.close()


def test_cosignatures_stripped_by_a_mirror_are_refused(
    world: World, witnesses: dict[str, MemoryWitness], policy: CheckpointPolicy
) -> None:
    with witnessed(world.ledger, witnesses):
        until(lambda: "w2.example" in world.ledger.checkpoint, "a first quorum")
    stripped = split_cosigned(world.ledger.checkpoint).log_note()
    with served(world.ledger) as url:
        reader = client(url, world, policy, Now())
        error = refused(CHECKPOINT_QUORUM_MISSING, lambda: reader.accept_checkpoint(stripped))
        assert "w1, w2, w3" in error.message
        reader.accept_checkpoint(world.ledger.checkpoint)  # the same, cosigned: accepted
        reader.close()


def test_a_rollback_is_still_refused_with_a_quorum(
    world: World,
    witnesses: dict[str, MemoryWitness],
    policy: CheckpointPolicy,
    tmp_path: Path,
) -> None:
    """An old checkpoint with its genuine cosignatures, replayed: stale, as before."""
    with witnessed(world.ledger, witnesses), served(world.ledger) as url:
        until(lambda: "w2.example" in world.ledger.checkpoint, "a first quorum")
        old = world.ledger.checkpoint
        world.register()
        until(lambda: world.ledger.size == world.ledger.signed.size, "the new one cosigned")
        reader = client(url, world, policy, Now(), tmp_path / "trusted")
        reader.checkpoint()
        refused(LEDGER_ANSWER_STALE, lambda: reader.accept_checkpoint(old))
        reader.close()


def test_the_offline_snapshot_carries_the_cosigned_checkpoint(
    world: World, witnesses: dict[str, MemoryWitness], policy: CheckpointPolicy, tmp_path: Path
) -> None:
    from verifier.snapshot import Snapshot, sync

    clock = Now()
    with witnessed(world.ledger, witnesses), served(world.ledger) as url:
        until(lambda: "w3.example" in world.ledger.checkpoint, "three cosignatures")
        taken = sync(
            ledger_url=url,
            vkey=world.genesis.vkey,
            trust_file=None,
            desk="",
            policies=[],
            status_lists=[],
            clock=clock,
            checkpoint_policy=policy,
        )
    taken.save(tmp_path / "snapshot.json")
    loaded = Snapshot.load(tmp_path / "snapshot.json")
    assert split_cosigned(loaded.checkpoint).cosignature_lines  # kept with the snapshot
    seen = loaded.witnessed(world.genesis.vkey, policy)
    assert seen.cosigners == ("w1", "w2", "w3") and seen.quorum_at == NOW
    assert "cosigned by w1, w2, w3" in seen.describe()
    # Stripped in the file, the snapshot's checkpoint no longer stands.
    bare = Snapshot.from_json({**loaded.to_json(), "checkpoint": split_cosigned(
        loaded.checkpoint).log_note()})  # fmt: skip
    refused(CHECKPOINT_QUORUM_MISSING, lambda: bare.witnessed(world.genesis.vkey, policy))


def test_the_monitor_holds_the_ledger_to_the_quorum(
    world: World, witnesses: dict[str, MemoryWitness], policy: CheckpointPolicy, tmp_path: Path
) -> None:
    from ledger.monitor import TRUST_FILE, client_for, monitor

    for witness in witnesses.values():
        witness.now = int(time.time())  # the monitor reads the system clock
    with served(world.ledger) as url:  # nothing witnessed: the checkpoint is the log's alone
        watcher = client_for(url, None, world.genesis.vkey, tmp_path / TRUST_FILE, policy=policy)
        refused(CHECKPOINT_QUORUM_MISSING, lambda: monitor(watcher, tmp_path / "mirror"))
        watcher.close()
        with witnessed(world.ledger, witnesses):
            until(lambda: "w2.example" in world.ledger.checkpoint, "a first quorum")
            watcher = client_for(
                url, None, world.genesis.vkey, tmp_path / TRUST_FILE, policy=policy
            )
            assert monitor(watcher, tmp_path / "mirror").audit.checkpoint_verified
            watcher.close()
