"""Attack: a credential from an agency that is on the ledger but not accredited for the type
(accredited for another one only)."""

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import BENEFIT, World
from verifier.service import Verifier


def test_an_agency_not_accredited_for_the_type(world: World, verifier: Verifier) -> None:
    rogue = world.register("agency")
    world.accredit(rogue, vcts=[BENEFIT])
    credential = world.credential(issuer=rogue, iat=world.clock.now + 5)
    presentation, nonce = fresh(world, verifier, credential)
    decision = refused(
        verifier, presentation, "issuer_not_accredited", nonce=nonce, step="accreditation"
    )
    assert decision.issuer == rogue.did


def test_a_did_that_is_not_on_the_ledger(world: World, verifier: Verifier) -> None:
    from civicid.identity import Identity

    stranger = Identity.create()
    presentation, nonce = fresh(world, verifier, world.credential(issuer=stranger))
    decision = refused(
        verifier, presentation, "credential_key_not_in_force", nonce=nonce, step="issuer_key"
    )
    assert "is not on the ledger" in (decision.failed.detail if decision.failed else "")
