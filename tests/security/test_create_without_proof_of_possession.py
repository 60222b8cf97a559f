"""Attack: registering a DID whose document holds someone else's public key. The identifier
is derived from the document, so anyone can compute it from a public key they saw; governance
may even endorse it. Only the holder of the document's controller key can create it: the
creation must be signed by that key (proof of possession)."""

from __future__ import annotations

from civicid import transaction as tx
from civicid.identity import Identity
from civicid.jose import PrivateKey
from tests.ledger.conftest import World
from tests.ledger.trust import refused
from tests.security.forgery import forged


def endorsed_body(world: World, victim: Identity) -> dict[str, object]:
    endorsement = world.governance.endorse(
        victim.did, "agency", ledger=world.origin, now=world.clock.now
    )
    return {
        "did": victim.did,
        "role": "agency",
        "document": victim.document,
        "endorsement": endorsement,
        "nextKeyHashes": [PrivateKey.generate().public.thumbprint()],  # the attacker's
    }


def test_a_document_with_someone_elses_key(world: World) -> None:
    victim = Identity.create()
    body = endorsed_body(world, victim)
    refused(world, forged(world, victim.kid, tx.DID_CREATE, body), "jws_signature_invalid")
    assert victim.did not in world.ledger.state.dids


def test_signed_by_another_dids_key(world: World) -> None:
    """The attacker signs with its own registered key: a DID is created by its own key."""
    victim, attacker = Identity.create(), world.register()
    refused(
        world,
        world.sign(attacker, tx.DID_CREATE, endorsed_body(world, victim)),
        "signer_not_controller",
    )


def test_the_rightful_holder_then_creates_it(world: World) -> None:
    victim = Identity.create()
    refused(
        world,
        forged(world, victim.kid, tx.DID_CREATE, endorsed_body(world, victim)),
        "jws_signature_invalid",
    )
    world.ledger.submit(world.sign(victim, tx.DID_CREATE, endorsed_body(world, victim)))
    assert world.ledger.state.dids[victim.did].role == "agency"
