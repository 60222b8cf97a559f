"""Attack: the same disclosure sent twice (RFC 9901 §7.1 step 4, pitfall 5)."""

from tests.verifier.attacks import bind, refused, selected
from tests.verifier.world import World
from verifier.service import Verifier


def test_a_duplicated_disclosure_is_refused(world: World, verifier: Verifier) -> None:
    jwt, first, second, _ = selected(world, world.credential())
    presentation, nonce = bind(world, verifier, "~".join([jwt, first, first, second, ""]))
    refused(verifier, presentation, "sdjwt_disclosure_duplicate", nonce=nonce, step="disclosures")
