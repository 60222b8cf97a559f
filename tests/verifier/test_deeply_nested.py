"""Attack: claims nested hundreds deep (a parser and recursion bomb), signed by an agency."""

from tests.verifier.attacks import bind, passes, refused, resign, selected
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


def nested(world: World, verifier: Verifier, depth: int, container: str) -> tuple[str, str]:
    """A presentation whose issuer payload nests exactly ``depth`` deep (the payload is 1)."""
    bomb: object = "bottom"
    for _ in range(depth - 1):
        bomb = {"x": bomb} if container == "object" else [bomb]
    credential = resign(world.credential(), world.agency.key, payload={"extra": bomb})
    return bind(world, verifier, "~".join(selected(world, credential)))


def test_arrays_nested_deep_are_refused_too(world: World, verifier: Verifier) -> None:
    presentation, nonce = nested(world, verifier, MAX_NESTING + 1, "array")
    refused(verifier, presentation, "presentation_too_deep", nonce=nonce, step="structure")


def test_nesting_up_to_the_limit_passes_the_structure_step(
    world: World, verifier: Verifier
) -> None:
    presentation, nonce = nested(world, verifier, MAX_NESTING, "object")
    passes(verifier, presentation, nonce=nonce)
    presentation, nonce = nested(world, verifier, MAX_NESTING + 1, "object")
    refused(verifier, presentation, "presentation_too_deep", nonce=nonce, step="structure")
