"""Attack: a key the agency rotated out is used to sign a new credential (stolen old key):
refused, while credentials signed with it before the rotation still pass."""

from civicid.identity import Identity
from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import NATIONAL_ID, Clock, World
from verifier.service import Verifier


def test_key_rotated_out_before_iat(world: World, verifier: Verifier, clock: Clock) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    old = world.credential(issuer=agency, iat=clock.now + 1)
    clock.now += 10
    head = world.ledger.state.record(agency.did).current.version_id
    rotated, update = agency.rotate(head, ledger=world.origin, now=clock.now)
    world.ledger.submit(update)
    clock.now += 10
    stolen = world.credential(issuer=agency, iat=clock.now)  # signed with key-1, now retired
    fresh_one = world.credential(issuer=rotated, iat=clock.now)
    verifier.clock = Clock(clock.now + 60)  # type: ignore[method-assign]
    for good in (old, fresh_one):
        presentation, nonce = fresh(world, verifier, good)
        passes(verifier, presentation, nonce=nonce)
    presentation, nonce = fresh(world, verifier, stolen)
    refused(verifier, presentation, "credential_key_not_in_force", nonce=nonce, step="issuer_key")
    assert isinstance(rotated, Identity)
