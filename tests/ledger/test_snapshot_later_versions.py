"""A snapshot of a ledger whose credential types and status lists have more than one version
(a type registered again by its owner, a list published again): each later version stands at
a later place than the one before it, and the snapshot of them loads, with the state a full
replay builds. The version order check refuses only what is out of order, never a history."""

from __future__ import annotations

from ledger import snapshot as snapshots
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.snapshots import answers, body_of, full_replay, populate, reopen
from tests.ledger.test_snapshot_state_checks import fields_of, replayed_state

VERSIONS = 3  # the first, then two later ones: each is held to the one before it


def test_types_and_lists_of_several_versions_load_from_their_snapshot(world: World) -> None:
    agency = populate(world)
    for _ in range(VERSIONS - 1):
        world.clock.now += 60  # a list's token is newer than the one it replaces
        trust.register_type(world, agency)
        trust.publish(world, agency)
    state = world.ledger.state
    assert [len(v) for v in state.credential_types.values()] == [VERSIONS]
    assert [len(v) for v in state.status_lists.values()] == [VERSIONS]
    reopen(world)
    body = body_of(world)
    assert world.ledger.snapshot_refused is None
    assert world.ledger.snapshot_size == world.ledger.size == body["size"]
    assert fields_of(world.ledger.state) == replayed_state(world)
    assert answers(world.ledger) == full_replay(world)
    # Loaded, not replayed: the later versions came from the snapshot's body.
    assert [len(versions) for _, versions in body["types"]] == [VERSIONS]
    assert [len(versions) for _, versions in body["lists"]] == [VERSIONS]
    assert body["format"] == snapshots.FORMAT
