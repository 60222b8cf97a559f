"""Attack: a presentation replayed: to a second request (its nonce is the first's), to the
same request twice, and the same nonce spent by two desk processes sharing one store."""

import httpx
import pytest

from civicid.errors import Error
from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import Clock, World, fetch_request, form, open_desk
from verifier.service import Verifier


def test_replayed_to_a_second_request(world: World, verifier: Verifier, desk_clock: Clock) -> None:
    first = fetch_request(verifier, verifier.create_request("housing-benefit").link, desk_clock.now)
    second = fetch_request(
        verifier, verifier.create_request("housing-benefit").link, desk_clock.now
    )
    presentation = world.present(
        world.credential(), nonce=first.nonce, aud=first.client_id, iat=desk_clock.now
    )
    assert verifier.receive_response(form(first.state, presentation)).decision.eligible
    replayed = verifier.receive_response(form(second.state, presentation)).decision
    assert not replayed.eligible and replayed.code == "kb_nonce_mismatch"


def test_replayed_to_the_same_request(world: World, verifier: Verifier, desk_clock: Clock) -> None:
    request = fetch_request(
        verifier, verifier.create_request("housing-benefit").link, desk_clock.now
    )
    presentation = world.present(
        world.credential(), nonce=request.nonce, aud=request.client_id, iat=desk_clock.now
    )
    verifier.receive_response(form(request.state, presentation))
    trail = verifier.store.audit_trail()
    with pytest.raises(Error) as caught:
        verifier.receive_response(form(request.state, presentation))
    assert caught.value.code == "request_already_answered"
    assert verifier.store.audit_trail() == trail


def test_nonce_spent_once_across_desk_processes(
    world: World, verifier: Verifier, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    other = open_desk(world, http, desk_clock)  # a second process: its own connection
    try:
        presentation, nonce = fresh(world, verifier, world.credential())
        passes(verifier, presentation, nonce=nonce)
        decision = other.check(presentation, policy=other.policy("housing-benefit"), nonce=nonce)
        assert decision.code == "presentation_replayed"
        assert decision.failed is not None and decision.failed.step == "replay"
    finally:
        other.close()


def test_checked_twice_from_a_file(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential())
    passes(verifier, presentation, nonce=nonce)
    refused(verifier, presentation, "presentation_replayed", nonce=nonce, step="replay")
