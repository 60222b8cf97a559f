"""A forged DID update: an operator who skips the ledger's signature rule logs an update of
governance's DID (or an agency's) signed by a key of its own, then signs with that key, and
proves every entry included under valid checkpoints. The client verifies each history from
its creation (governance's from the genesis), finds the forged version and refuses."""

from __future__ import annotations

import pytest

from civicid import authority
from civicid import transaction as tx
from civicid.did import build_document
from civicid.errors import Error
from civicid.identity import Identity
from civicid.jose import PrivateKey
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.trust import LIST_URI, NATIONAL_ID


def forge_update(world: World, who: Identity, monkeypatch: pytest.MonkeyPatch) -> Identity:
    """Log an update of ``who``'s DID to a document holding a key the operator made, signed by
    that key under ``who``'s current key id; the ledger's signature rule is switched off."""
    rogue = PrivateKey.generate()
    document = build_document([("key-9", rogue.public)], did=who.did)
    body = {"did": who.did, "prev": world.head(who), "document": document, "nextKeyHashes": []}
    forged = tx.build_tx(
        rogue, who.kid, tx.DID_UPDATE, body, ledger=world.origin, now=world.clock.now
    )
    with monkeypatch.context() as patch:
        patch.setattr(authority, "verify_signed_by", lambda *_: None)
        world.ledger.submit(forged)
    return Identity(who.did, f"{who.did}#key-9", rogue, document)


def test_a_forged_governance_update_and_its_grant_are_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = world.register("agency")
    fake_governance = forge_update(world, world.governance, monkeypatch)
    world.submit_as(fake_governance, tx.ACCREDITATION_GRANT, trust.grant(world, agency))
    with mirrored(world) as mirror:
        client = mirror.client(world)
        with pytest.raises(Error) as info:
            client.issuer_accredited(agency.did, NATIONAL_ID, world.clock.now)
        assert info.value.code == "jws_signature_invalid"
        with pytest.raises(Error) as info:
            client.resolve(world.governance.did)
        assert info.value.code == "jws_signature_invalid"
        # Every DID's creation is checked against governance's history too.
        with pytest.raises(Error) as info:
            client.resolve(agency.did)
        assert info.value.code == "jws_signature_invalid"


def test_a_forged_agency_rotation_and_its_status_list_are_refused(
    world: World, agency: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_agency = forge_update(world, agency, monkeypatch)
    trust.publish(world, fake_agency)
    with mirrored(world) as mirror:
        client = mirror.client(world)
        for ask in (
            lambda: client.status_list(LIST_URI, now=world.clock.now),
            lambda: client.key_in_force(fake_agency.kid, world.clock.now),
            lambda: client.resolve(agency.did),
            # An older version is believed only through the whole history, forgery included.
            lambda: client.resolve(agency.did, version_id="1"),
        ):
            with pytest.raises(Error) as info:
                ask()
            assert info.value.code == "jws_signature_invalid"
