"""Attack: an agency whose accreditation was revoked keeps issuing; what it issued before the
revocation still passes (accredited at issuance), what it issued after does not."""

from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import NATIONAL_ID, Clock, World
from verifier.service import Verifier


def test_revoked_before_issuance(world: World, verifier: Verifier, clock: Clock) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    before = world.credential(issuer=agency, iat=clock.now + 1)
    clock.now += 10
    world.revoke_accreditation(accreditation)
    after = world.credential(issuer=agency, iat=clock.now + 1)
    verifier.clock = Clock(clock.now + 60)  # type: ignore[method-assign]
    presentation, nonce = fresh(world, verifier, before)
    passes(verifier, presentation, nonce=nonce)
    presentation, nonce = fresh(world, verifier, after)
    refused(verifier, presentation, "issuer_not_accredited", nonce=nonce, step="accreditation")
