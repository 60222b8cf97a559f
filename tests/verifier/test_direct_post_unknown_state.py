"""Attack: a direct_post for a state the desk never issued (or guessed), or malformed."""

import pytest

from civicid.errors import Error
from tests.verifier.attacks import fresh, store_state
from tests.verifier.world import World, form
from verifier.service import Verifier


def test_unknown_state(world: World, verifier: Verifier) -> None:
    presentation, _ = fresh(world, verifier, world.credential())
    before = store_state(verifier)
    with pytest.raises(Error) as caught:
        verifier.receive_response(form("s" * 32, presentation))
    assert caught.value.code == "request_unknown" and caught.value.http_status == 404
    assert store_state(verifier) == before


@pytest.mark.parametrize(
    "body",
    [
        {"vp_token": '{"credential": ["x"]}'},
        {"state": "short", "vp_token": '{"credential": ["x"]}'},
        {"state": "s" * 32, "vp_token": "[1, 2]"},
    ],
)
def test_malformed_response(verifier: Verifier, body: dict[str, str]) -> None:
    before = store_state(verifier)
    with pytest.raises(Error) as caught:
        verifier.receive_response(body)
    assert caught.value.code == "oid4vp_response_malformed"
    assert store_state(verifier) == before
