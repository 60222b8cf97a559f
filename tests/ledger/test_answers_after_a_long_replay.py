"""A long replay at open writes a fresh snapshot before the ledger serves, but not the
answers rendered ahead (seconds at a million entries, all before serving): first answers are
rendered as asked until the close writes the snapshot and its answers."""

from __future__ import annotations

import pytest

from ledger import answers_file
from ledger import snapshot as snapshots
from ledger.setup import open_ledger
from tests.ledger.conftest import World
from tests.ledger.snapshots import killed, populate, snapshot_file


def rendered_for(world: World) -> int | None:
    """The snapshot size the answers beside the snapshot were rendered for (None: none)."""
    path = world.root / "ledger" / answers_file.FILE
    if not path.exists():
        return None
    head = path.read_bytes()[: len(answers_file.MAGIC) + answers_file.HEADER.size]
    size: int = answers_file.HEADER.unpack_from(head, len(answers_file.MAGIC))[0]
    return size


def test_a_long_replay_writes_the_snapshot_at_open_without_its_answers(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(world)
    killed(world)  # no clean close, and no snapshot at all
    snapshot_file(world).unlink()
    (world.root / "ledger" / answers_file.FILE).unlink(missing_ok=True)
    monkeypatch.setattr(snapshots, "REFRESH_AFTER", 5)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert snapshot_file(world).exists() and world.ledger.snapshot_size == world.ledger.size
    assert rendered_for(world) is None
    world.register("agency")  # something to snapshot at the close
    size = world.ledger.size
    world.ledger.close()
    assert rendered_for(world) == size
    world.ledger = open_ledger(world.root, clock=world.clock)
