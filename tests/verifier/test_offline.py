"""Offline mode: sync records proven answers; check replays them, every proof checked again,
says how old they are, and refuses once older than the policy allows."""

from __future__ import annotations

import json

import httpx
import pytest

from civicid.errors import Error
from tests.verifier.world import EXAMPLES, NOW, Clock, World, settings_for, write_policy
from verifier.service import Verifier, checkpoint_key
from verifier.snapshot import Snapshot, sync

NONCE = "offline-nonce-0123456789abcdef"


def take_snapshot(world: World, verifier: Verifier, http: httpx.BaseTransport) -> Snapshot:
    settings = settings_for(world.root)
    snapshot = sync(
        ledger_url=settings.ledger_url,
        vkey=checkpoint_key(settings),
        trust_file=None,
        desk=verifier.desk.did,
        policies=list(verifier.policies.values()),
        status_lists=sorted(verifier.store.status_uris()),
        clock=verifier.clock,
        transport=http,
    )
    snapshot.save(settings.snapshot_path)
    return snapshot


# Housing benefit asks for fresh ledger data (max_ledger_age_seconds = 0), so it never runs
# offline; this desk's own variant accepts data five minutes old.
OFFLINE_HOUSING = "housing-offline"


def offline_desk(world: World, clock: Clock) -> Verifier:
    text = (EXAMPLES / "housing-benefit.toml").read_text("utf-8")
    write_policy(
        world,
        OFFLINE_HOUSING,
        text.replace("max_ledger_age_seconds = 0", "max_ledger_age_seconds = 300"),
    )
    return Verifier.open(settings_for(world.root), clock=clock, offline=True)


def test_offline_check_replays_proven_answers(
    world: World, verifier: Verifier, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    credential = world.credential(iat=NOW + 10)
    online = verifier.check(
        world.present(credential, nonce="n" * 24, aud=verifier.client_id, iat=desk_clock.now),
        policy=verifier.policy("housing-benefit"),
        nonce="n" * 24,
    )
    assert online.eligible, online.to_text()
    snapshot = take_snapshot(world, verifier, http)
    assert snapshot.status_lists and not snapshot.problems
    # A revocation published after the sync is not seen offline; the snapshot's age is.
    later = Clock(desk_clock.now + 60)
    desk = offline_desk(world, later)
    try:
        presentation = world.present(credential, nonce=NONCE, aud=desk.client_id, iat=later.now)
        decision = desk.check(presentation, policy=desk.policy(OFFLINE_HOUSING), nonce=NONCE)
        assert decision.eligible and decision.offline, decision.to_text()
        assert decision.to_json()["offline"] is True
    finally:
        desk.close()


def test_offline_check_refuses_a_stale_snapshot(
    world: World, verifier: Verifier, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    take_snapshot(world, verifier, http)
    later = Clock(desk_clock.now + 301)  # the offline variant allows 300 s of ledger data age
    desk = offline_desk(world, Clock(desk_clock.now))
    desk.clock = later
    try:
        presentation = world.present(
            world.credential(iat=NOW + 10), nonce=NONCE, aud=desk.client_id, iat=later.now
        )
        decision = desk.check(presentation, policy=desk.policy(OFFLINE_HOUSING), nonce=NONCE)
        assert not decision.eligible
        assert decision.code == "snapshot_stale" and decision.failed.step == "issuer_key"  # type: ignore[union-attr]
    finally:
        desk.close()


def test_snapshot_answers_are_verified_again(
    world: World, verifier: Verifier, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    snapshot = take_snapshot(world, verifier, http)
    path = settings_for(world.root).snapshot_path
    data = json.loads(path.read_text())
    for exchange in data["exchanges"]:
        if exchange["path"] == "/checkpoint":
            exchange["body"] = exchange["body"].replace("\n", "\n\n", 1)
    path.write_text(json.dumps(data))
    with pytest.raises(Error) as caught:
        offline_desk(world, desk_clock)
    assert caught.value.code == "note_signature_invalid"
    assert snapshot.checkpoint_size > 0


def test_missing_snapshot(world: World, desk_clock: Clock) -> None:
    with pytest.raises(Error) as caught:
        offline_desk(world, desk_clock)
    assert caught.value.code == "snapshot_missing"
