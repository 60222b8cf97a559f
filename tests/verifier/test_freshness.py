"""How old the ledger data behind a decision may be, and what a schema describes."""

from __future__ import annotations

import httpx

from civicid.status_list import STATUS_INVALID
from tests.verifier.world import Clock, World, fetch_request, form, open_desk, write_policy

FRESH = """
title = "Benefit, decided on fresh ledger data"
purpose = "Check residence"
credential_types = ["https://civicid.example/vct/national-id"]
required_claims = ["resident"]
max_ledger_age_seconds = 0
"""


def decide(world: World, verifier: object, credential: str, policy: str, now: int) -> object:
    created = verifier.create_request(policy)  # type: ignore[attr-defined]
    request = fetch_request(verifier, created.link, now)  # type: ignore[arg-type]
    presentation = world.present(credential, nonce=request.nonce, aud=request.client_id, iat=now)
    return verifier.receive_response(form(request.state, presentation)).decision  # type: ignore[attr-defined]


def test_max_ledger_age_zero_sees_a_revocation_published_a_moment_ago(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    write_policy(world, "fresh", FRESH)
    verifier = open_desk(world, http, desk_clock)
    try:
        credential = world.credential(iat=world.clock.now + 10, index=11)
        first = decide(world, verifier, credential, "fresh", desk_clock.now)
        assert first.eligible, first.to_text()  # type: ignore[attr-defined]
        world.status.set(11, STATUS_INVALID)
        world.clock.now += 1  # a newer token than the one the desk read
        world.publish_status()
        again = decide(world, verifier, credential, "fresh", desk_clock.now)  # same second
        assert not again.eligible  # type: ignore[attr-defined]
        assert again.code == "status_revoked"  # type: ignore[attr-defined]
    finally:
        verifier.close()


def test_a_cached_list_is_used_within_the_policys_age(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    """A policy may accept ledger data a few minutes old: the list is read once (this is
    what the 0 above turns off)."""
    write_policy(world, "cached", FRESH.replace("= 0", "= 300"))
    verifier = open_desk(world, http, desk_clock)
    try:
        credential = world.credential(iat=world.clock.now + 10, index=12)
        assert decide(world, verifier, credential, "cached", desk_clock.now).eligible  # type: ignore[attr-defined]
        world.status.set(12, STATUS_INVALID)
        world.clock.now += 1
        world.publish_status()
        cached = decide(world, verifier, credential, "cached", desk_clock.now)
        assert cached.eligible  # type: ignore[attr-defined]
    finally:
        verifier.close()
