"""Attack: a presentation replayed: to a second request (its nonce is the first's), to the
same request twice, the same nonce spent by two desk processes sharing one store, and an
answer whose nonce was spent before it came (its claim spends the nonce in the same commit)."""

import httpx
import pytest

from civicid.errors import Error
from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import Clock, World, fetch_request, form, open_desk
from verifier.checks import STEPS
from verifier.service import SpentWithClaim, Verifier


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


def test_an_answer_whose_nonce_was_spent_before_fails_at_the_replay_step(
    world: World, verifier: Verifier, desk_clock: Clock
) -> None:
    request = fetch_request(
        verifier, verifier.create_request("housing-benefit").link, desk_clock.now
    )
    verifier.store.use_nonce(request.nonce, desk_clock.now)  # e.g. checked from a file first
    presentation = world.present(
        world.credential(), nonce=request.nonce, aud=request.client_id, iat=desk_clock.now
    )
    decision = verifier.receive_response(form(request.state, presentation)).decision
    assert decision.code == "presentation_replayed"
    assert decision.failed is not None and decision.failed.step == "replay"
    assert all(
        o.status == "passed" for o in decision.outcomes[: [s.name for s in STEPS].index("replay")]
    )


def test_an_answer_spends_its_nonce_even_when_refused_before_the_replay_step(
    world: World, verifier: Verifier, desk_clock: Clock
) -> None:
    """The claim and the nonce commit together: a presentation refused at its structure
    leaves the nonce spent, as the request is answered, so neither is used again."""
    request = fetch_request(
        verifier, verifier.create_request("housing-benefit").link, desk_clock.now
    )
    decision = verifier.receive_response(form(request.state, "not~an~sd-jwt")).decision
    assert decision.failed is not None and decision.failed.step == "structure"
    with pytest.raises(Error) as caught:
        verifier.store.use_nonce(request.nonce, desk_clock.now)
    assert caught.value.code == "presentation_replayed"


def test_the_claim_s_guard_passes_its_nonce_once_and_spends_any_other(
    verifier: Verifier, desk_clock: Clock
) -> None:
    guard = SpentWithClaim("claimed".ljust(24, "c"), True, verifier.store)
    guard.use_nonce("claimed".ljust(24, "c"), desk_clock.now)  # spent by the claim: passes
    verifier.store.use_nonce("claimed".ljust(24, "c"), desk_clock.now)  # the store's, unspent
    with pytest.raises(Error) as caught:  # a second use of the claimed one goes to the store
        guard.use_nonce("claimed".ljust(24, "c"), desk_clock.now)
    assert caught.value.code == "presentation_replayed"
    guard.use_nonce("other".ljust(24, "o"), desk_clock.now)  # another: spent in the store
    with pytest.raises(Error) as caught:
        verifier.store.use_nonce("other".ljust(24, "o"), desk_clock.now)
    assert caught.value.code == "presentation_replayed"
    stale = SpentWithClaim("spent".ljust(24, "s"), False, verifier.store)
    with pytest.raises(Error) as caught:  # spent before the claim: a replay
        stale.use_nonce("spent".ljust(24, "s"), desk_clock.now)
    assert caught.value.code == "presentation_replayed"
