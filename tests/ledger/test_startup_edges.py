"""Start-up at its edges: a log cut back to its genesis alone while the snapshot it signed
remembers more (refused, as any shorter cut is); a log of its genesis alone whose snapshot is
loaded without one prepared during the walk; a replay reporting to no one; the few entries
replayed after a snapshot updating its map in place, however many entries it covered; a
store with no place for a snapshot replayed whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import Checkpoint
from civicid.errors import Error
from civicid.statemap import extension_line
from ledger import snapshot as snapshots
from ledger import startup
from ledger.setup import Paths, initialize, load_signer, open_ledger
from ledger.state import State
from ledger.store import ACKNOWLEDGED_FILE, SLOT_HEADER, FileLogStore
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, offset_of, store
from tests.ledger.snapshots import answers, full_replay, killed, log_digest, populate, reopen
from tests.ledger.snapshots import snapshot_file as snapshot_of
from tests.ledger.test_cli import civicid


def test_a_log_cut_to_its_genesis_is_refused_by_its_snapshot(world: World) -> None:
    """log.dat cut back to the genesis and checkpoint.dat with it, acknowledged.dat gone: the
    snapshot alone witnesses the entries acknowledged, and opening refuses the log."""
    size = len(acknowledge(world, extra=3).entries)
    world.ledger.close()  # a snapshot of all of them
    directory = store(world)
    with open(directory / "log.dat", "r+b") as handle:
        handle.truncate(offset_of(world, 1))
    with open(directory / "checkpoint.dat", "r+b") as handle:
        handle.truncate(SLOT_HEADER.size + 10)  # the first slot's note cut: neither reads
    (directory / ACKNOWLEDGED_FILE).unlink()
    log = log_digest(world)
    with pytest.raises(Error) as info:
        open_ledger(world.root, clock=world.clock).close()
    assert info.value.code == "store_truncated", info.value
    message = str(info.value)
    assert f"holds 1 entries but this ledger signed a checkpoint of {size:,}" in message
    assert f"({snapshots.FILE})" in message  # the witness named
    assert log_digest(world) == log


def test_a_log_of_its_genesis_alone_loads_its_snapshot_without_early(world: World) -> None:
    """Opened with nothing prepared during the walk (as a database store opens), the
    snapshot of a one-entry log is loaded all the same."""
    world.ledger.close()  # a snapshot of the genesis alone
    file_store = FileLogStore(store(world), readonly=True)
    try:
        assert file_store.size == 1
        opened = startup.load(file_store, snapshot_of(world), None, None)
        assert (opened.snapshot_size, opened.snapshot_refused) == (1, None)
        assert opened.tree.size == 1
        startup.check_last_checkpoint(file_store, opened)
    finally:
        file_store.close()
    world.ledger = open_ledger(world.root, clock=world.clock)


def test_a_damaged_snapshot_refused_without_early_says_why(world: World) -> None:
    """With nothing prepared during the walk, a snapshot that fails its checks is not used,
    and the open says why, as one refused during the walk does."""
    populate(world)
    world.ledger.close()
    data = bytearray(snapshot_of(world).read_bytes())
    data[-1] ^= 0x01  # the body is no longer the one signed
    snapshot_of(world).write_bytes(bytes(data))
    file_store = FileLogStore(store(world), readonly=True)
    try:
        opened = startup.load(file_store, snapshot_of(world), None, None)
        refused = opened.snapshot_refused
        assert opened.snapshot_size == 0 and refused is not None
        assert "not the one signed" in refused and refused.endswith("[state_snapshot_invalid]")
        assert opened.tree.size == file_store.size
        startup.check_last_checkpoint(file_store, opened)
    finally:
        file_store.close()
    world.ledger = open_ledger(world.root, clock=world.clock)


def last_checkpoint_signed(world: World, origin: str, size: int, root: bytes) -> None:
    """Closed, its last checkpoint then one the ledger's own key signs over ``origin``,
    ``size`` and tree ``root``, with the map root the log's state has at its size."""
    map_root = world.ledger.view.statemap.root
    world.ledger.close()
    signer = load_signer(Paths(world.root))
    note = signer.sign_checkpoint(Checkpoint(origin, size, root, (extension_line(map_root),)))
    file_store = FileLogStore(store(world))
    file_store.put_checkpoint(note)
    file_store.close()


def refused_to_open(world: World) -> Error:
    log = log_digest(world)
    with pytest.raises(Error) as info:
        open_ledger(world.root, clock=world.clock).close()
    assert info.value.code == "checkpoint_mismatch", info.value
    assert log_digest(world) == log
    return info.value


def test_a_checkpoint_the_key_signed_for_another_log_is_refused(world: World) -> None:
    """The last checkpoint signed by the ledger's own key over its very tree and map, but
    naming another log: it is not this log's checkpoint, and the open refuses."""
    populate(world)
    other = f"{world.origin}-other"
    last_checkpoint_signed(world, other, world.ledger.size, world.ledger.tree.root())
    assert repr(other) in refused_to_open(world).message


def test_a_checkpoint_of_another_tree_of_the_same_size_is_refused(world: World) -> None:
    """Signed by the ledger's own key, of the log's very size and map, over another tree:
    the stored log is not the one it signed."""
    populate(world)
    size = world.ledger.size
    last_checkpoint_signed(world, world.origin, size, bytes(32))
    assert f"(size {size})" in refused_to_open(world).message


@pytest.mark.parametrize("command", [["info"], ["serve", "--port", "0"]])
def test_an_emptied_log_beside_its_snapshot_is_a_lost_log(
    tmp_path: Path, command: list[str]
) -> None:
    """The store's files emptied while a snapshot of its genesis stays: no genesis names
    the key, but the ledger's own key in the key store reads the snapshot, which shows a
    signed entry is gone. A lost log, said in one line with what to restore; never a ledger
    not initialized, which `init` would then be asked to start again."""
    initialize(tmp_path)
    open_ledger(tmp_path).close()  # a snapshot of the genesis
    directory = Paths(tmp_path).log
    assert (directory / snapshots.FILE).exists()
    for path in directory.iterdir():
        if path.suffix in (".dat", ".idx"):
            path.write_bytes(b"")
    code, out, err = civicid("ledger", *command, "--data-dir", str(tmp_path))
    assert code == 3, out
    assert "Traceback" not in out + err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: ") and line.endswith("[store_truncated]")
    assert "signed a checkpoint of 1 (state.snapshot)" in line and "restore log.dat" in line


def test_a_replay_with_no_one_to_tell(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """No progress asked for: a replay of many reporting intervals tells no one."""
    populate(world)
    expected = answers(world.ledger)
    world.ledger.close()
    snapshot_of(world).unlink()
    monkeypatch.setattr(startup, "PROGRESS_EVERY", 1)  # a report due at every entry
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == 0
    assert answers(world.ledger) == expected == full_replay(world)


def test_the_replay_after_a_snapshot_is_counted_from_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound on a replay that updates the map per entry counts the entries replayed
    after the snapshot, not those it covers: a few after a large snapshot are a short
    replay, the loaded map updated in place."""
    populate(world)
    covered = reopen(world).size
    replayed = 2
    world.register("agency")
    world.register("service-desk")
    expected = answers(world.ledger)
    killed(world)  # what kill -9 leaves: no snapshot written at close
    deferred: list[int] = []
    defer = State.defer_map

    def spied(state: State) -> None:
        deferred.append(len(state.dids))
        defer(state)

    monkeypatch.setattr(State, "defer_map", spied)
    monkeypatch.setattr(startup, "DEFER_MAP_ABOVE", replayed)
    assert covered > replayed
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == covered == world.ledger.size - replayed
    assert deferred == []
    assert answers(world.ledger) == expected == full_replay(world)


def test_a_store_with_no_snapshot_slot_is_replayed_whole(world: World) -> None:
    """Opened with no place for a snapshot (``None``, as a store kept without one is), the
    whole log is replayed and nothing is said refused, beside a snapshot file or not."""
    populate(world)
    expected = answers(world.ledger)
    world.ledger.close()
    assert snapshot_of(world).exists()  # there, but not this open's to use
    file_store = FileLogStore(store(world), readonly=True)
    try:
        startup.check_snapshot_witness(file_store, None)
        opened = startup.load(file_store, None, None, None)
        assert (opened.snapshot_size, opened.snapshot_refused) == (0, None)
        assert opened.tree.size == file_store.size > 1
        startup.check_last_checkpoint(file_store, opened)
    finally:
        file_store.close()
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert answers(world.ledger) == expected
