"""Attack: an agency (or a bug) issues claims of the wrong type for its registered schema:
resident as the string "yes"; the desk holds it to the schema on the ledger."""

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import CLAIMS, World
from verifier.service import Verifier


def test_claims_must_fit_the_registered_schema(world: World, verifier: Verifier) -> None:
    credential = world.credential(claims={**CLAIMS, "resident": "yes"})
    presentation, nonce = fresh(world, verifier, credential)
    decision = refused(verifier, presentation, "vct_schema_mismatch", nonce=nonce, step="type")
    assert decision.failed is not None and "resident" in decision.failed.detail
