"""A DID's versions are bounded: past ``MAX_DID_VERSIONS`` an update is refused with
``did_versions_exhausted`` and nothing is logged, while its deactivation is still taken. The
bound holds on live submits only: a log that already holds more versions (written under a
higher bound) reopens and serves as it is."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.identity import Identity
from ledger import rules
from tests.ledger.conftest import World
from tests.ledger.snapshots import answers, full_replay, reopen


def rotate(world: World, who: Identity) -> Identity:
    world.clock.now += 1
    successor, update = who.rotate(world.head(who), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    return successor


def test_an_update_past_the_bound_is_refused_and_deactivation_still_taken(
    world: World, agency: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules, "MAX_DID_VERSIONS", 3)
    agency = rotate(world, agency)
    agency = rotate(world, agency)  # the third version: at the bound
    size = world.ledger.size
    with pytest.raises(Error) as info:
        rotate(world, agency)
    assert info.value.code == "did_versions_exhausted"
    assert world.ledger.size == size
    assert len(world.ledger.state.record(agency.did).versions) == 3
    world.clock.now += 1
    world.ledger.submit(
        agency.deactivate_tx(world.head(agency), ledger=world.origin, now=world.clock.now)
    )
    record = world.ledger.state.record(agency.did)
    assert len(record.versions) == 4
    assert record.current.deactivated


def test_a_log_holding_more_versions_than_the_bound_reopens(
    world: World, agency: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        agency = rotate(world, agency)
    monkeypatch.setattr(rules, "MAX_DID_VERSIONS", 2)
    assert full_replay(world) == answers(world.ledger)  # the whole log replays, no snapshot
    reopen(world)
    assert len(world.ledger.state.record(agency.did).versions) == 4
    with pytest.raises(Error) as info:
        rotate(world, agency)
    assert info.value.code == "did_versions_exhausted"
