"""Attack: a suspended credential: refused, unless the policy accepts suspended ones."""

from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import SUSPENDED, World
from verifier.service import Verifier

WHO = [("given_name",), ("family_name",), ("birthdate",)]


def test_a_suspended_credential(world: World, verifier: Verifier) -> None:
    credential = world.credential(index=SUSPENDED)
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "status_suspended", nonce=nonce, step="status")
    presentation, nonce = fresh(world, verifier, credential, disclose=WHO)
    decision = passes(verifier, presentation, nonce=nonce, policy="identity-check")
    assert any("suspended" in o.detail for o in decision.outcomes)
