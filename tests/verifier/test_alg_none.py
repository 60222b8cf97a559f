"""Attack: the issuer JWT says alg "none" and carries no signature (pitfall 8)."""

from tests.verifier.attacks import fresh, refused, unsigned
from tests.verifier.world import World
from verifier.service import Verifier


def test_alg_none_is_refused_at_the_header(world: World, verifier: Verifier) -> None:
    credential = unsigned(world.credential(), "none")
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "sdjwt_alg_not_allowed", nonce=nonce, step="header")
