"""Start-up prepares the snapshot while other processes walk log.dat, with the key named by
the log's first record as read before the walk. An open uses what was prepared, and only
when the walk found that very record first: one prepared with another log's first record
(another key) is not used, and the snapshot is loaded as without it."""

from __future__ import annotations

import copy
import pickle
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger import snapshot as snapshots
from ledger import startup
from ledger.setup import Paths, initialize, load_signer, open_ledger
from ledger.store import FileLogStore, first_record
from tests.ledger import test_snapshot_kept_hashes
from tests.ledger.conftest import World
from tests.ledger.snapshots import populate, sealed, snapshot_file


def test_an_open_uses_the_snapshot_prepared_during_the_walk(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(world)
    world.ledger.close()

    def loaded_again(*args: object, **kwargs: object) -> None:
        pytest.fail("the snapshot was loaded again after the walk")

    monkeypatch.setattr(snapshots, "load", loaded_again)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == world.ledger.size


def test_prepared_with_another_logs_first_record_it_is_not_used(
    world: World, tmp_path: Path
) -> None:
    populate(world)
    world.ledger.close()
    initialize(tmp_path / "other")  # another ledger: another genesis, another key
    path = snapshot_file(world)
    early = startup.Early(tmp_path / "other" / "ledger" / "log.dat", path)
    store = FileLogStore(world.root / "ledger", readonly=True, meanwhile=early)
    try:
        assert early.genesis == first_record(tmp_path / "other" / "ledger" / "log.dat")
        assert early.prepared is None and early.refused is not None
        assert "not signed by this ledger's checkpoint key" in early.refused
        opened = startup.load(store, path, None, early)
        assert (opened.snapshot_size, opened.snapshot_refused) == (store.size, None)
    finally:
        store.close()


def test_a_first_record_that_is_not_whole_or_fails_its_checksum(tmp_path: Path) -> None:
    log = tmp_path / "log.dat"
    assert first_record(log) is None  # no file
    log.write_bytes(b"\x00\x00\x00")  # a header cut short
    assert first_record(log) is None
    record = b"genesis"
    log.write_bytes(struct.pack(">II", len(record), zlib.crc32(record)) + record)
    assert first_record(log) == record
    log.write_bytes(struct.pack(">II", len(record), zlib.crc32(record) ^ 1) + record)
    assert first_record(log) is None
    log.write_bytes(struct.pack(">II", len(record) + 1, zlib.crc32(record)) + record)
    assert first_record(log) is None  # shorter than its length says


def test_a_snapshot_refused_during_the_walk_is_not_loaded_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(world)
    world.ledger.close()
    data = bytearray(snapshot_file(world).read_bytes())
    data[-1] ^= 0x01  # the body is no longer the one signed
    snapshot_file(world).write_bytes(bytes(data))

    def loaded_again(*args: object, **kwargs: object) -> None:
        pytest.fail("the snapshot was loaded again after the walk refused it")

    monkeypatch.setattr(snapshots, "load", loaded_again)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == 0
    refused = world.ledger.snapshot_refused
    assert refused is not None and refused.endswith("[state_snapshot_invalid]")
    assert "not the one signed" in refused


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (test_snapshot_kept_hashes._edit_tree_digest, "tree is not of this log's entries"),
        (test_snapshot_kept_hashes._edit_top_level, "checkpoint does not sign this log"),
    ],
    ids=["tree-digest", "tree-top-level"],
)
def test_a_snapshot_refused_once_held_to_the_leaves_is_not_loaded_again(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[dict[str, Any]], None],
    reason: str,
) -> None:
    """Prepared during the walk, then refused by the tree the walk hashed (``finish``)."""
    body = test_snapshot_kept_hashes.written(world)
    edited = copy.deepcopy(body)
    edit(edited)
    data = pickle.dumps(edited, protocol=snapshots.PICKLE_PROTOCOL)
    world.ledger.close()
    sealed_data = sealed(data, load_signer(Paths(world.root)), world.origin, body["size"])
    snapshot_file(world).write_bytes(sealed_data)

    def loaded_again(*args: object, **kwargs: object) -> None:
        pytest.fail("the snapshot was loaded again after the walk refused it")

    monkeypatch.setattr(snapshots, "load", loaded_again)
    world.ledger = open_ledger(world.root, clock=world.clock)
    refused = world.ledger.snapshot_refused
    assert world.ledger.snapshot_size == 0 and refused is not None
    assert reason in refused and refused.endswith("[state_snapshot_invalid]")


def test_prepared_from_another_slot_it_is_not_used(world: World, tmp_path: Path) -> None:
    """Prepared from an older snapshot of this very log, kept elsewhere: the open loads the
    snapshot it is given, not the one prepared."""
    populate(world)
    world.ledger.close()
    older = tmp_path / "older.snapshot"
    older.write_bytes(snapshot_file(world).read_bytes())
    world.ledger = open_ledger(world.root, clock=world.clock)
    world.register()
    world.ledger.close()  # a newer snapshot where the ledger keeps it
    early = startup.Early(world.root / "ledger" / "log.dat", older)
    store = FileLogStore(world.root / "ledger", readonly=True, meanwhile=early)
    try:
        assert early.prepared is not None  # the older one, prepared with the right key
        opened = startup.load(store, snapshot_file(world), None, early)
        assert (opened.snapshot_size, opened.snapshot_refused) == (store.size, None)
    finally:
        store.close()


def test_a_log_of_its_genesis_alone_uses_the_snapshot_prepared(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.ledger.close()  # a snapshot of the genesis alone

    def loaded_again(*args: object, **kwargs: object) -> None:
        pytest.fail("the snapshot was loaded again after the walk")

    monkeypatch.setattr(snapshots, "load", loaded_again)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.size == world.ledger.snapshot_size == 1
