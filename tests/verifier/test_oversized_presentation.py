"""Attack: a presentation far larger than any credential (memory and CPU exhaustion)."""

from tests.verifier.attacks import refused
from tests.verifier.world import World
from verifier.checks import MAX_PRESENTATION_CHARS
from verifier.service import Verifier


def test_an_oversized_presentation(world: World, verifier: Verifier) -> None:
    presentation = world.credential() + "A" * MAX_PRESENTATION_CHARS
    refused(verifier, presentation, "presentation_too_large", nonce="n" * 24, step="structure")


def test_too_many_disclosures(world: World, verifier: Verifier) -> None:
    presentation = world.credential() + "WyJhIiwiYiJd~" * 5000
    decision = verifier.check(
        presentation, policy=verifier.policy("housing-benefit"), nonce="n" * 24
    )
    assert decision.code == "sdjwt_too_large" and decision.failed is not None
    assert decision.failed.step == "structure"
