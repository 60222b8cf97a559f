"""A state snapshot that is missing, damaged (a flipped byte anywhere), truncated or another
ledger's: the ledger opens by replaying its log, keeps why the snapshot was not used, leaves
the log untouched and answers exactly as a full replay does. One this ledger signed of more
entries than the log holds (the store restored from an older backup) is no damage: it shows
acknowledged entries are gone, and opening refuses."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from civicid.errors import Error
from ledger import snapshot as snapshots
from ledger.setup import initialize, open_ledger
from tests.ledger.conftest import World
from tests.ledger.snapshots import (
    answers,
    full_replay,
    log_digest,
    opened_with,
    populate,
    reopen,
    snapshot_file,
)
from tests.ledger.test_cli import civicid

NOTE_START = len(snapshots.MAGIC) + snapshots.NOTE_LENGTH.size


def written(world: World) -> bytes:
    populate(world)
    reopen(world)
    return snapshot_file(world).read_bytes()


def test_missing(world: World) -> None:
    written(world)
    opened_with(world, None, "")


@pytest.mark.parametrize(
    "where, reason",
    [
        (lambda data: 3, "not a state snapshot"),  # the magic line
        (lambda data: len(snapshots.MAGIC) + 1, "damaged or truncated"),  # the note's length
        (lambda data: NOTE_START + 2, "not signed by this ledger"),  # the note's text
        (lambda data: data.index(b"\n\n", NOTE_START) + 8, "not signed by this ledger"),  # sig
        (lambda data: len(data) // 2, "body is not the one signed"),
        (lambda data: len(data) - 1, "body is not the one signed"),
    ],
    ids=["magic", "note-length", "note-text", "signature", "body", "last-byte"],
)
def test_a_flipped_byte(world: World, where: Callable[[bytes], int], reason: str) -> None:
    data = bytearray(written(world))
    data[where(bytes(data))] ^= 0x01
    opened_with(world, bytes(data), reason)


@pytest.mark.parametrize(
    "keep, reason",
    [
        (lambda data: 0, "not a state snapshot"),
        (lambda data: len(snapshots.MAGIC) + 2, "not a state snapshot"),
        (lambda data: NOTE_START + 10, "damaged or truncated"),
        (lambda data: len(data) // 2, "body is not the one signed"),
        (lambda data: len(data) - 1, "body is not the one signed"),
    ],
    ids=["empty", "in-length", "in-note", "half", "all-but-one"],
)
def test_truncated(world: World, keep: Callable[[bytes], int], reason: str) -> None:
    data = written(world)
    opened_with(world, data[: keep(data)], reason)


def test_another_ledgers(world: World, tmp_path: Path) -> None:
    """Same origin name, another checkpoint key: its signature is not this ledger's."""
    other_root = tmp_path / "other"
    initialize(other_root, clock=world.clock)
    open_ledger(other_root, clock=world.clock).close()
    written(world)
    foreign = (other_root / "ledger" / snapshots.FILE).read_bytes()
    opened_with(world, foreign, "not signed by this ledger's checkpoint key")


def test_longer_than_the_log(world: World, tmp_path: Path) -> None:
    """The store rolled back to a copy taken earlier: the newer snapshot (signed by this very
    ledger) describes entries the log no longer holds, so serving the copy would sign a fork
    of what the ledger acknowledged."""
    world.ledger.close()
    copy = tmp_path / "copy"
    shutil.copytree(world.root / "ledger", copy)
    world.ledger = open_ledger(world.root, clock=world.clock)
    newer = written(world)
    world.ledger.close()
    shutil.rmtree(world.root / "ledger")
    shutil.copytree(copy, world.root / "ledger")
    snapshot_file(world).write_bytes(newer)
    with pytest.raises(Error) as info:
        open_ledger(world.root, clock=world.clock)
    assert info.value.code == "store_truncated", info.value
    assert "(state.snapshot)" in info.value.message
    assert snapshot_file(world).read_bytes() == newer  # the witness is kept


def test_a_link_to_nothing_is_a_missing_one_said_in_the_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Passed over as a deleted snapshot is, not a failure to retry (``file_access_failed``):
    the state is rebuilt from the log, and the next snapshot's rename replaces the link."""
    written(world)
    world.ledger.close()
    path = snapshot_file(world)
    path.unlink()
    expected, log = full_replay(world), log_digest(world)
    path.symlink_to(path.parent / "gone.snapshot")
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == 0 and world.ledger.snapshot_refused is None
    assert f"{path} is a link to nothing: passed over as a missing snapshot" in caplog.text
    assert log_digest(world) == log
    assert answers(world.ledger) == expected


def test_the_commands_pass_a_link_to_nothing_over_and_repair_drops_it(tmp_path: Path) -> None:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    path = tmp_path / "ledger" / snapshots.FILE
    path.unlink(missing_ok=True)
    path.symlink_to(tmp_path / "nowhere")
    code, out, err = civicid("ledger", "info", "--data-dir", str(tmp_path))
    assert code == 0, err
    code, out, err = civicid("ledger", "repair", "--data-dir", str(tmp_path))
    assert code == 0 and "dropped the state snapshot" in out, (out, err)
    assert not os.path.lexists(path)
