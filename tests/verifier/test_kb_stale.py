"""Attack: an old key-binding JWT (captured earlier) or one dated in the future (pitfall 2)."""

import pytest

from tests.verifier.attacks import bind, refused, selected
from tests.verifier.world import World
from verifier.service import Verifier


@pytest.mark.parametrize(("shift", "code"), [(-3600, "kb_iat_stale"), (3600, "kb_iat_future")])
def test_kb_iat_must_be_fresh(world: World, verifier: Verifier, shift: int, code: str) -> None:
    sd_jwt = "~".join(selected(world, world.credential()))
    presentation, nonce = bind(world, verifier, sd_jwt, iat=verifier.clock() + shift)
    refused(verifier, presentation, code, nonce=nonce, step="key_binding")
