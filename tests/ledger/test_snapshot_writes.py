"""Writing a snapshot: private (0600) like the log, over a leftover temporary file whatever
its mode, replacing the one before; a write that fails leaves no temporary behind and is
``state_snapshot_invalid``; a database row takes the bytes and the size they describe; a
ledger without its genesis has nothing to snapshot."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from ledger import snapshot as snapshots
from ledger.setup import Paths, load_signer
from ledger.state import State
from tests.ledger.conftest import World
from tests.ledger.snapshots import populate


def parts(world: World) -> tuple[Any, ...]:
    ledger = world.ledger
    return ledger.state, ledger.size, ledger.checkpoint, load_signer(Paths(world.root)), ledger.tree


def test_written_private_over_a_leftover_and_replacing_the_last(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "elsewhere" / snapshots.FILE
    path.parent.mkdir()
    leftover = path.with_suffix(".tmp")
    leftover.write_bytes(b"a temporary file a crash left")
    leftover.chmod(0o644)
    snapshots.write(path, *parts(world))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not leftover.exists()
    assert snapshots.signed_size(path, vkey=world.genesis.vkey, origin=world.origin) == 1
    populate(world)
    snapshots.write(path, *parts(world))
    body = snapshots.read(path, vkey=world.genesis.vkey, origin=world.origin)
    assert body["size"] == world.ledger.size > 1 and body["checkpoint"] == world.ledger.checkpoint
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not leftover.exists()


def test_a_failed_write_leaves_no_temporary(world: World, tmp_path: Path) -> None:
    path = tmp_path / snapshots.FILE
    path.mkdir()  # a directory with something in it cannot be replaced by a file
    (path / "inside").write_bytes(b"")
    with pytest.raises(Error) as exc:
        snapshots.write(path, *parts(world))
    assert exc.value.code == "state_snapshot_invalid"
    assert "cannot write the snapshot" in exc.value.message
    assert not path.with_suffix(".tmp").exists() and path.is_dir()


class Row:
    name = "state snapshot row"

    def __init__(self) -> None:
        self.data: bytes | None = None
        self.size: int | None = None

    def exists(self) -> bool:
        return self.data is not None

    def read_bytes(self) -> bytes:
        assert self.data is not None
        return self.data

    def put(self, data: bytes, size: int) -> None:
        self.data, self.size = data, size


def test_a_row_takes_the_bytes_and_their_size(world: World, tmp_path: Path) -> None:
    populate(world)
    row = Row()
    snapshots.write(row, *parts(world))
    assert row.size == world.ledger.size and row.data is not None
    assert row.data.startswith(snapshots.MAGIC)
    assert snapshots.signed_size(row, vkey=world.genesis.vkey, origin=world.origin) == row.size
    assert list(tmp_path.rglob("*.tmp")) == []


def test_a_ledger_without_its_genesis_has_nothing_to_snapshot(world: World) -> None:
    _, size, checkpoint, signer, tree = parts(world)
    with pytest.raises(Error) as exc:
        snapshots.dump(State(), size, checkpoint, signer, tree)
    assert exc.value.code == "state_snapshot_invalid"
