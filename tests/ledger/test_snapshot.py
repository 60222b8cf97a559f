"""State snapshots: written (signed) at close and after a long replay, loaded at open once
shown to describe the log, so only the entries after it are replayed; every answer is the
one a full replay gives, and DID documents come back from the log, not the file."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from ledger import snapshot as snapshots
from ledger import startup
from ledger.cli import replaying
from ledger.setup import open_ledger
from ledger.startup import REPLAYED, SNAPSHOT_LOADED, SNAPSHOT_REFUSED, Loading
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.snapshots import (
    answers,
    full_replay,
    killed,
    log_digest,
    populate,
    reopen,
    snapshot_file,
)
from tests.ledger.trust import LIST_URI


def test_written_at_close_and_loaded_at_open(world: World) -> None:
    agency = populate(world)
    before, log = answers(world.ledger), log_digest(world)
    ledger = reopen(world)
    assert snapshot_file(world).exists() and ledger.snapshot_size == ledger.size
    assert ledger.snapshot_refused is None
    assert answers(ledger) == before == full_replay(world)
    assert log_digest(world) == log
    # Documents come back from the log: a rotation (pre-rotated key) and a publish by the
    # rotated key still check, and the new head resolves to the new document.
    successor, update = agency.rotate(world.head(agency), ledger=world.origin,
                                      now=world.clock.now)  # fmt: skip
    ledger.submit(update)
    world.clock.now += 5
    trust.publish(world, successor, LIST_URI,
                  trust.token(successor, now=world.clock.now, revoked=(3, 4)))  # fmt: skip
    current = ledger.state.record(agency.did).current
    assert ledger.document_of(current) == successor.document
    assert sorted(ledger.state.status_revoked[LIST_URI]) == [3, 4]
    assert answers(reopen(world)) == answers(world.ledger) == full_replay(world)


def test_a_stale_snapshot_replays_the_rest(world: World) -> None:
    """Entries after the snapshot and no clean close (kill -9): the next open loads the
    snapshot, replays what follows it, and answers as a full replay would."""
    populate(world)
    covered = reopen(world).size
    world.register("agency")
    world.register("service-desk")
    expected = answers(world.ledger)
    killed(world)  # what kill -9 leaves: no snapshot written at close
    events: list[Loading] = []
    world.ledger = open_ledger(world.root, clock=world.clock, progress=events.append)
    assert world.ledger.snapshot_size == covered == expected["size"] - 2
    assert events[0] == Loading(SNAPSHOT_LOADED, covered, covered + 2)
    assert events[-1] == Loading(REPLAYED, covered + 2, covered + 2)
    assert answers(world.ledger) == expected == full_replay(world)


def test_a_long_replay_writes_a_fresh_snapshot_at_open(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(world)
    killed(world)  # no clean close, and no snapshot at all
    snapshot_file(world).unlink()
    monkeypatch.setattr(snapshots, "REFRESH_AFTER", 5)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert snapshot_file(world).exists() and world.ledger.snapshot_size == world.ledger.size


def test_read_only_opens_load_one_but_never_write_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(world)
    killed(world)  # no clean close, and no snapshot at all
    snapshot_file(world).unlink()
    monkeypatch.setattr(snapshots, "REFRESH_AFTER", 1)
    reader = open_ledger(world.root, readonly=True, clock=world.clock)
    reader.close()
    assert not snapshot_file(world).exists()
    open_ledger(world.root, clock=world.clock).close()  # writes one
    reader = open_ledger(world.root, readonly=True, clock=world.clock)
    assert reader.snapshot_size == reader.size
    reader.close()
    world.ledger = open_ledger(world.root, clock=world.clock)


def test_serve_says_what_opening_does(capsys: pytest.CaptureFixture[str]) -> None:
    replaying(Loading(SNAPSHOT_LOADED, 1_000_000, 1_000_250))
    replaying(Loading(SNAPSHOT_REFUSED, 0, 20_000, "damaged [state_snapshot_invalid]"))
    replaying(Loading(REPLAYED, 10_000, 20_000))
    assert capsys.readouterr().err.splitlines() == [
        "  loaded snapshot at 1,000,000, replaying 250",
        "  snapshot not used (damaged [state_snapshot_invalid]): replaying all 20,000 entries",
        "  replayed 10,000 of 20,000 entries",
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_collector_as_it_found_it(
    world: World, enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cyclic collector is paused while a snapshot loads, and then as it was; what the
    load made is in its oldest generation, not walked again by the young collections."""
    agency = populate(world)
    world.ledger.close()
    during: list[bool] = []
    prepare = snapshots.prepare  # what makes the state's objects (while log.dat is walked)

    def spied(*args: Any, **kwargs: Any) -> Any:
        during.append(gc.isenabled())
        return prepare(*args, **kwargs)

    monkeypatch.setattr(snapshots, "prepare", spied)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        world.ledger = open_ledger(world.root, clock=world.clock)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert world.ledger.snapshot_size == world.ledger.size  # loaded from the snapshot
    assert during == [False]
    record = world.ledger.state.record(agency.did)
    assert any(found is record for found in gc.get_objects(generation=2))
    assert not any(found is record for found in gc.get_objects(generation=0))


def test_the_memory_the_load_let_go_of_is_given_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(world)
    world.ledger.close()
    given: list[bool] = []
    monkeypatch.setattr(startup, "release_freed_memory", lambda: given.append(True))
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == world.ledger.size and given == [True]
    startup.release_freed_memory()  # the real one: glibc's, or nothing elsewhere
