"""A credential signed with a key its issuer had rotated out is refused at the issuer key step
with the reason the trust package gave (which key, of which DID, at which time), not only
the code's general words."""

from __future__ import annotations

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import NATIONAL_ID, Clock, World
from verifier.service import Verifier


def test_the_refusal_names_the_key_and_the_time(
    world: World, verifier: Verifier, clock: Clock
) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    clock.now += 10
    head = world.ledger.state.record(agency.did).current.version_id
    _, update = agency.rotate(head, ledger=world.origin, now=clock.now)
    world.ledger.submit(update)
    clock.now += 10
    stolen = world.credential(issuer=agency, iat=clock.now)  # signed with the retired key
    verifier.clock = Clock(clock.now + 60)  # type: ignore[method-assign]
    presentation, nonce = fresh(world, verifier, stolen)
    decision = refused(
        verifier, presentation, "credential_key_not_in_force", nonce=nonce, step="issuer_key"
    )
    failed = decision.failed
    assert failed is not None
    assert failed.detail.startswith(f"{agency.kid} was not a ")
    assert f" key of {agency.did} at {clock.now}: " in failed.detail
