"""Attack: writing a credential type or a status list without the authority to. Each writer
is checked: the transaction's signer must be on the ledger, sign with a key of its current
document listed for assertions, be accredited as an issuer at that time, and (for a list)
sign the token inside with its own key. Each refusal names the rule and changes nothing."""

from __future__ import annotations

import json

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.identity import Identity
from civicid.jose import PrivateKey
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import LIST_URI, NATIONAL_ID, refused


def authentication_only(world: World, who: Identity) -> tuple[PrivateKey, str]:
    """Add a key ``who`` lists for authentication only; return it and its kid."""
    extra = PrivateKey.generate()
    kid = f"{who.did}#auth"
    document = json.loads(json.dumps(who.document))
    document["verificationMethod"].append(
        {
            "id": kid,
            "type": "JsonWebKey2020",
            "controller": who.did,
            "publicKeyJwk": extra.public.to_jwk(),
        }
    )
    document["authentication"].append(kid)
    world.submit_as(
        who, tx.DID_UPDATE, {"did": who.did, "prev": world.head(who), "document": document}
    )
    return extra, kid


# -- credential types -------------------------------------------------------------------


def test_type_signed_by_a_stranger_not_on_the_ledger(world: World) -> None:
    stranger = Identity.create()
    refused(world, world.sign(stranger, tx.CREDENTIAL_TYPE, trust.type_body()), "signer_unknown")


def test_type_signed_with_an_authentication_key(world: World, agency: Identity) -> None:
    key, kid = authentication_only(world, agency)
    text = tx.build_tx(
        key, kid, tx.CREDENTIAL_TYPE, trust.type_body(), ledger=world.origin, now=world.clock.now
    )
    refused(world, text, "key_not_authorized")


def test_type_signed_by_a_service_desk(world: World, desk: Identity) -> None:
    refused(world, world.sign(desk, tx.CREDENTIAL_TYPE, trust.type_body()), "issuer_not_accredited")


def test_type_after_the_accreditation_was_revoked(world: World) -> None:
    agency = world.register()
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    world.submit_as(
        world.governance, tx.ACCREDITATION_REVOKE, revocation_body(accreditation, "closed")
    )
    refused(
        world, world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body()), "accreditation_revoked"
    )


def test_type_by_a_deactivated_agency(world: World, agency: Identity) -> None:
    world.ledger.submit(
        agency.deactivate_tx(world.head(agency), ledger=world.origin, now=world.clock.now)
    )
    refused(world, world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body()), "did_deactivated")


# -- status lists -----------------------------------------------------------------------


def publish_text(world: World, signer: Identity, token: str) -> str:
    return world.sign(signer, tx.STATUS_LIST, {"uri": LIST_URI, "token": token})


def test_list_signed_with_an_authentication_key(world: World, agency: Identity) -> None:
    key, kid = authentication_only(world, agency)
    body = {"uri": LIST_URI, "token": trust.token(agency, now=world.clock.now)}
    text = tx.build_tx(key, kid, tx.STATUS_LIST, body, ledger=world.origin, now=world.clock.now)
    refused(world, text, "key_not_authorized")


def test_list_whose_token_another_agency_signed(world: World, agency: Identity) -> None:
    """A genuine token of another issuer, wrapped in the attacker's own transaction."""
    other = world.register()
    world.accredit(other, vcts=[NATIONAL_ID])
    refused(
        world,
        publish_text(world, agency, trust.token(other, now=world.clock.now)),
        "status_list_signer_mismatch",
    )


def test_list_whose_token_is_forged_under_the_owners_kid(world: World, agency: Identity) -> None:
    impostor = Identity(agency.did, agency.kid, PrivateKey.generate(), agency.document)
    refused(
        world,
        publish_text(world, agency, trust.token(impostor, now=world.clock.now)),
        "jws_signature_invalid",
    )


def test_list_after_the_accreditation_was_revoked(world: World) -> None:
    agency = world.register()
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    trust.publish(world, agency)
    world.submit_as(
        world.governance, tx.ACCREDITATION_REVOKE, revocation_body(accreditation, "closed")
    )
    world.clock.now += 1
    # A new list needs an accreditation in force; its own lists it may only add statuses to
    # (tests/ledger/test_deaccredited_agency_keeps_revoking.py): no suspension lifted.
    other = "https://agency.example/status/2"
    text = trust.token(agency, other, now=world.clock.now)
    body = {"uri": other, "token": text}
    refused(world, world.sign(agency, tx.STATUS_LIST, body), "accreditation_revoked")
    refused(
        world,
        publish_text(world, agency, trust.token(agency, now=world.clock.now, suspended=())),
        "status_list_accreditation_ended",
    )


def test_list_by_a_stranger_not_on_the_ledger(world: World) -> None:
    stranger = Identity.create()
    refused(
        world,
        publish_text(world, stranger, trust.token(stranger, now=world.clock.now)),
        "signer_unknown",
    )


# -- accreditations ---------------------------------------------------------------------


def test_grant_signed_by_an_agency(world: World, agency: Identity) -> None:
    refused(
        world,
        world.sign(agency, tx.ACCREDITATION_GRANT, trust.grant(world, agency)),
        "signer_not_governance",
    )


def test_revocation_signed_by_its_subject(world: World, agency: Identity) -> None:
    accreditation = world.ledger.state.accreditations_of[agency.did][0]
    text = world.sign(agency, tx.ACCREDITATION_REVOKE, revocation_body(accreditation, "mine"))
    refused(world, text, "signer_not_governance")


def test_grant_signed_with_a_governance_authentication_key(world: World) -> None:
    key, kid = authentication_only(world, world.governance)
    other = world.register()
    text = tx.build_tx(
        key,
        kid,
        tx.ACCREDITATION_GRANT,
        trust.grant(world, other),
        ledger=world.origin,
        now=world.clock.now,
    )
    refused(world, text, "key_not_authorized")
