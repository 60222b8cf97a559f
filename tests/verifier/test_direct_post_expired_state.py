"""Attack: an answer after the request expired (a presentation captured and held back)."""

import pytest

from civicid.errors import Error
from tests.verifier.attacks import store_state
from tests.verifier.world import Clock, World, fetch_request, form
from verifier.service import Verifier


def test_expired_state(world: World, verifier: Verifier, desk_clock: Clock) -> None:
    request = fetch_request(
        verifier, verifier.create_request("housing-benefit").link, desk_clock.now
    )
    presentation = world.present(
        world.credential(), nonce=request.nonce, aud=request.client_id, iat=desk_clock.now
    )
    desk_clock.now = request.exp
    before = store_state(verifier)
    with pytest.raises(Error) as caught:
        verifier.receive_response(form(request.state, presentation))
    assert caught.value.code == "request_expired" and caught.value.http_status == 410
    assert store_state(verifier) == before


def test_request_object_after_expiry(verifier: Verifier, desk_clock: Clock) -> None:
    created = verifier.create_request("housing-benefit")
    desk_clock.now = created.expires
    with pytest.raises(Error) as caught:
        verifier.request_object(created.id)
    assert caught.value.code == "request_expired"
