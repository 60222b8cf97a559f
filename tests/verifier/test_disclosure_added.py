"""Attack: the holder adds a disclosure the issuer never made (no digest refers to it)."""

from tests.verifier.attacks import bind, disclosure, refused, selected
from tests.verifier.world import CLAIMS, World
from verifier.service import Verifier


def test_an_added_disclosure_is_unreferenced(world: World, verifier: Verifier) -> None:
    credential = world.credential(claims={k: v for k, v in CLAIMS.items() if k != "resident"})
    extra, _ = disclosure("c2FsdHNhbHRzYWx0c2FsdA", "resident", True)
    parts = selected(world, credential, [("age_equal_or_over", "18")])
    presentation, nonce = bind(world, verifier, "~".join([*parts[:-1], extra, ""]))
    refused(
        verifier, presentation, "sdjwt_disclosure_unreferenced", nonce=nonce, step="disclosures"
    )
