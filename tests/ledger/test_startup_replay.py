"""Start-up's replay: what it tells its caller as it goes (a snapshot refused, then every so
many entries, then the end), and a replay of more entries than ``DEFER_MAP_ABOVE`` building
the state map once at the end, with the same answers as one that updates it per entry."""

from __future__ import annotations

from typing import Any

import pytest

from ledger import startup
from ledger.setup import open_ledger
from ledger.startup import REPLAYED, SNAPSHOT_REFUSED, Loading
from ledger.state import State
from tests.ledger.conftest import World
from tests.ledger.snapshots import answers, killed, populate, snapshot_file


def closed_without_snapshot(world: World) -> dict[str, Any]:
    """The ledger's answers; then closed, its snapshot gone: the next open replays all."""
    populate(world)
    expected = answers(world.ledger)
    world.ledger.close()
    snapshot_file(world).unlink()
    return expected


def test_progress_every_so_many_entries(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    closed_without_snapshot(world)
    monkeypatch.setattr(startup, "PROGRESS_EVERY", 3)
    events: list[Loading] = []
    world.ledger = open_ledger(world.root, clock=world.clock, progress=events.append)
    total = world.ledger.size
    assert total > 7  # several reports on the way
    assert events == [
        *(Loading(REPLAYED, done, total) for done in range(3, total + 1, 3)),
        Loading(REPLAYED, total, total),
    ]


def test_a_snapshot_not_used_is_said_before_the_replay(world: World) -> None:
    populate(world)
    world.ledger.close()
    data = bytearray(snapshot_file(world).read_bytes())
    data[-1] ^= 0x01  # the body is no longer the one signed
    snapshot_file(world).write_bytes(bytes(data))
    events: list[Loading] = []
    world.ledger = open_ledger(world.root, clock=world.clock, progress=events.append)
    total, reason = world.ledger.size, world.ledger.snapshot_refused
    assert reason is not None and reason.endswith("[state_snapshot_invalid]")
    assert events == [Loading(SNAPSHOT_REFUSED, 0, total, reason), Loading(REPLAYED, total, total)]


@pytest.mark.parametrize("above", [0, 1, 5])
def test_a_long_replay_builds_the_map_once_at_the_end(
    world: World, monkeypatch: pytest.MonkeyPatch, above: int
) -> None:
    expected = closed_without_snapshot(world)
    deferred: list[int] = []
    defer = State.defer_map

    def spied(state: State) -> None:
        deferred.append(len(state.dids))
        defer(state)

    monkeypatch.setattr(State, "defer_map", spied)
    monkeypatch.setattr(startup, "DEFER_MAP_ABOVE", above)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert deferred == [0]  # before the first entry
    assert world.ledger.state.deferred is None  # built: entries written now update it
    assert answers(world.ledger) == expected
    world.register()
    assert world.ledger.state.statemap.root == world.ledger.view.statemap.root


def test_a_replay_of_exactly_the_bound_updates_the_map_per_entry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = closed_without_snapshot(world)
    deferred: list[State] = []
    monkeypatch.setattr(State, "defer_map", deferred.append)
    monkeypatch.setattr(startup, "DEFER_MAP_ABOVE", expected["size"])  # not more than it
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert deferred == []
    assert answers(world.ledger) == expected


def test_a_replayed_state_reads_documents_back_from_the_log(world: World) -> None:
    agency = world.register()
    world.ledger.close()
    snapshot_file(world).unlink()
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == 0
    state = world.ledger.state
    state.documents.clear()  # what the replay kept parsed, evicted
    current = state.record(agency.did).current
    assert world.ledger.document_of(current) == agency.document
    document = state.document(agency.did, current)
    assert document is not None and document.did == agency.did


def test_the_few_entries_after_a_snapshot_update_its_map_in_place(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound counts the entries replayed, not the log: after a snapshot of many, a
    replay of a few does not build the whole map again."""
    populate(world)
    world.ledger.close()  # a snapshot of the log so far
    world.ledger = open_ledger(world.root, clock=world.clock)
    world.register()
    world.register()
    expected = answers(world.ledger)
    killed(world)  # what kill -9 leaves: the snapshot two entries behind
    deferred: list[State] = []
    monkeypatch.setattr(State, "defer_map", deferred.append)
    monkeypatch.setattr(startup, "DEFER_MAP_ABOVE", 2)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == expected["size"] - 2 > 2
    assert deferred == []
    assert answers(world.ledger) == expected
