"""Attack: taking over a DID that committed to its next key (pre-rotation) without holding
that key. The next key's *public* half may leak (it is in a backup, or was shown to a
device); the thumbprint commitment is public on the ledger. Neither is enough: the update
must be signed by the committed key itself, and once committed, the current key alone
cannot rotate either."""

from __future__ import annotations

import json

from civicid import transaction as tx
from civicid.identity import Identity
from civicid.jose import PrivateKey
from tests.ledger.conftest import World
from tests.ledger.trust import refused
from tests.security.forgery import forged


def takeover_body(world: World, victim: Identity, document: dict[str, object]) -> dict[str, object]:
    return {
        "did": victim.did,
        "prev": world.head(victim),
        "document": document,
        "nextKeyHashes": [PrivateKey.generate().public.thumbprint()],  # the attacker's next
    }


def test_the_committed_public_key_without_its_private_key(world: World) -> None:
    victim = Identity.create(prerotate=True)
    endorsement = world.governance.endorse(
        victim.did, "agency", ledger=world.origin, now=world.clock.now
    )
    world.ledger.submit(
        victim.create_tx(
            role="agency", endorsement=endorsement, ledger=world.origin, now=world.clock.now
        )
    )
    successor, _ = victim.rotate(world.head(victim), ledger=world.origin, now=world.clock.now)
    # The document the rightful rotation would install, with the committed key in control.
    body = takeover_body(world, victim, successor.document)
    refused(world, forged(world, successor.kid, tx.DID_UPDATE, body), "jws_signature_invalid")
    # The same document, signed by the committed key, is the rightful rotation.
    rotated, genuine = victim.rotate(world.head(victim), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(genuine)
    current = world.ledger.state.record(victim.did).current
    assert world.ledger.document_of(current) == rotated.document


def test_the_current_key_cannot_rotate_past_the_commitment(world: World) -> None:
    """A stolen *current* key is exactly what pre-rotation protects against."""
    victim = world.register(prerotate=True)
    thief = Identity(victim.did, victim.kid, victim.key, victim.document, None)
    _, update = thief.rotate(world.head(victim), ledger=world.origin, now=world.clock.now)
    refused(world, update, "key_unknown")  # the new document lacks the signing kid
    # Keeping the stolen key in the new document does not help: it was not committed to.
    document = json.loads(json.dumps(victim.document))
    body = takeover_body(world, victim, document)
    refused(world, world.sign(victim, tx.DID_UPDATE, body), "prerotation_key_mismatch")


def test_the_attackers_own_key_under_the_next_kid(world: World) -> None:
    """The attacker installs its own key under the fragment the next key would use."""
    victim = world.register(prerotate=True)
    successor, _ = victim.rotate(world.head(victim), ledger=world.origin, now=world.clock.now)
    attacker = PrivateKey.generate()
    document = json.loads(json.dumps(successor.document))
    document["verificationMethod"][0]["publicKeyJwk"] = attacker.public.to_jwk()
    body = takeover_body(world, victim, document)
    text = tx.build_tx(
        attacker, successor.kid, tx.DID_UPDATE, body, ledger=world.origin, now=world.clock.now
    )
    refused(world, text, "prerotation_key_mismatch")


def test_deactivation_still_takes_the_current_key(world: World) -> None:
    """Deactivation is signed by the controller key in force; a stranger cannot."""
    victim = world.register(prerotate=True)
    body = {"did": victim.did, "prev": world.head(victim)}
    refused(world, forged(world, victim.kid, tx.DID_DEACTIVATE, body), "jws_signature_invalid")
