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


def test_an_empty_container_at_the_bottom_counts_as_a_level(
    world: World, verifier: Verifier
) -> None:
    """``{}`` and ``[]`` nest one level, like ``{"x": 1}``: one past the limit is refused
    when the deepest level is an empty object or array."""
    for bottom in ({}, []):
        bomb: object = bottom
        for _ in range(MAX_NESTING - 1):  # the payload is 1, "extra" the rest
            bomb = {"x": bomb}
        credential = resign(world.credential(), world.agency.key, payload={"extra": bomb})
        presentation, nonce = bind(world, verifier, "~".join(selected(world, credential)))
        refused(verifier, presentation, "presentation_too_deep", nonce=nonce, step="structure")


def test_depth_counts_containers_and_stops_past_the_limit() -> None:
    from civicid.eligibility.checks import depth_of

    assert [depth_of(v, 16) for v in ("x", 1, None, {}, [], [1], {"a": [{}]}, [[], [[2]]])] == [
        0, 0, 0, 1, 1, 1, 3, 3,
    ]  # fmt: skip
    deep: object = 0
    for _ in range(40):
        deep = [deep]
    assert depth_of(deep, 16) == 17 and depth_of(deep, 3) == 4 and depth_of(deep, 50) == 40
