"""Attack: claims nested hundreds deep (a parser and recursion bomb), signed by an agency."""

from tests.verifier.attacks import bind, refused, resign, selected
from tests.verifier.world import World
from verifier.checks import MAX_NESTING
from verifier.service import Verifier


def test_deeply_nested_claims(world: World, verifier: Verifier) -> None:
    bomb: object = "bottom"
    for _ in range(MAX_NESTING + 5):
        bomb = {"x": bomb}
    credential = resign(world.credential(), world.agency.key, payload={"extra": bomb})
    presentation, nonce = bind(world, verifier, "~".join(selected(world, credential)))
    refused(verifier, presentation, "presentation_too_deep", nonce=nonce, step="structure")
