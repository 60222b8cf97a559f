"""Attack: no key-binding JWT at all; the policy requires holder binding whatever the token
says (pitfall 4)."""

from tests.verifier.attacks import refused, selected
from tests.verifier.world import World
from verifier.service import Verifier


def test_a_presentation_without_key_binding(world: World, verifier: Verifier) -> None:
    sd_jwt = "~".join(selected(world, world.credential()))
    refused(verifier, sd_jwt, "kb_missing", nonce="n" * 24, step="key_binding")
