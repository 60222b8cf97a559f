"""Bad input: each refused with its own code, and the log left exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from civicid import transaction as tx
from civicid.encoding import b64url_encode, canonical_json
from civicid.errors import Error
from civicid.identity import Identity
from civicid.jose import PrivateKey
from tests.ledger.conftest import World


def refused(world: World, text: str | bytes, code: str) -> Error:
    """Submit ``text``; it must fail with ``code`` and leave size, root and state unchanged."""
    size, root = world.ledger.size, world.ledger.tree.root()
    dids, ids = dict(world.ledger.state.dids), set(world.ledger.state.tx_ids)
    with pytest.raises(Error) as info:
        world.ledger.submit(text)
    assert info.value.code == code, info.value
    assert world.ledger.size == size and world.ledger.store.size == size
    assert world.ledger.tree.root() == root
    assert world.ledger.state.dids == dids and world.ledger.state.tx_ids == ids
    return info.value


def forge(header: dict[str, object], payload: dict[str, object], signature: bytes = b"sig") -> str:
    return ".".join(
        (
            b64url_encode(json.dumps(header).encode()),
            b64url_encode(canonical_json(payload)),
            b64url_encode(signature),
        )
    )


def update_payload(world: World, who: Identity) -> dict[str, object]:
    return {
        "type": tx.DID_UPDATE,
        "id": tx.new_tx_id(),
        "iat": world.clock.now,
        "ledger": world.origin,
        "body": {"did": who.did, "prev": world.head(who), "document": who.document},
    }


def test_a_valid_update_is_accepted(world: World) -> None:
    agency = world.register()
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    receipt = world.ledger.submit(update)
    assert receipt.seq == world.ledger.size - 1
    assert len(world.ledger.state.record(agency.did).versions) == 2


@pytest.mark.parametrize(
    "text, code",
    [
        ("not a jws", "jws_malformed"),
        ("a.b", "jws_malformed"),
        ("e30.e30.", "jws_malformed"),
        ("!!!.e30.c2ln", "jws_malformed"),
        (b"\xff\xfe", "jws_malformed"),
        (b64url_encode(b"[1]") + ".e30.c2ln", "jws_malformed"),
    ],
)
def test_malformed_jws(world: World, text: str, code: str) -> None:
    refused(world, text, code)


def test_alg_none_is_refused(world: World) -> None:
    agency = world.register()
    header = {"alg": "none", "typ": tx.TX_TYP, "kid": agency.kid}
    refused(world, forge(header, update_payload(world, agency)), "jws_alg_forbidden")


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_algs_are_refused(world: World, alg: str) -> None:
    """HS256 keyed with the signer's public key is the classic confusion attack."""
    from jwcrypto import jwk, jws

    agency = world.register()
    public = json.dumps(agency.key.public.to_jwk()).encode()
    token = jws.JWS(canonical_json(update_payload(world, agency)))
    token.add_signature(
        jwk.JWK(kty="oct", k=b64url_encode(public)),
        alg=alg,
        protected=json.dumps({"alg": alg, "typ": tx.TX_TYP, "kid": agency.kid}),
    )
    refused(world, token.serialize(compact=True), "jws_alg_forbidden")


def test_embedded_jwk_header_cannot_supply_the_key(world: World) -> None:
    agency = world.register()
    attacker = PrivateKey.generate()
    text = attacker.sign_compact(
        canonical_json(update_payload(world, agency)),
        {"typ": tx.TX_TYP, "kid": agency.kid, "jwk": attacker.public.to_jwk()},
    )
    refused(world, text, "jws_embedded_key")


def test_wrong_typ_is_refused(world: World) -> None:
    agency = world.register()
    text = agency.key.sign_compact(
        canonical_json(update_payload(world, agency)), {"typ": "JWT", "kid": agency.kid}
    )
    refused(world, text, "jws_typ_mismatch")


def test_unknown_signer(world: World) -> None:
    stranger = Identity.create()
    text = stranger.sign(
        tx.DID_UPDATE,
        {"did": stranger.did, "prev": "1-00", "document": stranger.document},
        ledger=world.origin,
        now=world.clock.now,
    )
    refused(world, text, "did_not_found")


def test_wrong_signature(world: World) -> None:
    agency = world.register()
    attacker = PrivateKey.generate()
    text = attacker.sign_compact(
        canonical_json(update_payload(world, agency)), {"typ": tx.TX_TYP, "kid": agency.kid}
    )
    refused(world, text, "jws_signature_invalid")


def test_key_that_is_not_the_controllers(world: World) -> None:
    """A key listed for authentication only may not change the DID."""
    agency = world.register()
    auth = PrivateKey.generate()
    document = json.loads(json.dumps(agency.document))
    document["verificationMethod"].append(
        {
            "id": f"{agency.did}#auth",
            "type": "JsonWebKey2020",
            "controller": agency.did,
            "publicKeyJwk": auth.public.to_jwk(),
        }
    )
    document["authentication"].append(f"{agency.did}#auth")
    world.ledger.submit(
        agency.sign(
            tx.DID_UPDATE,
            {"did": agency.did, "prev": world.head(agency), "document": document},
            ledger=world.origin,
            now=world.clock.now,
        )
    )
    text = tx.build_tx(
        auth,
        f"{agency.did}#auth",
        tx.DID_DEACTIVATE,
        {"did": agency.did, "prev": world.head(agency)},
        ledger=world.origin,
        now=world.clock.now,
    )
    refused(world, text, "key_not_authorized")


def test_other_dids_key_cannot_sign_for_a_did(world: World) -> None:
    agency, desk = world.register(), world.register("service-desk")
    text = desk.sign(
        tx.DID_DEACTIVATE,
        {"did": agency.did, "prev": world.head(agency)},
        ledger=world.origin,
        now=world.clock.now,
    )
    refused(world, text, "signer_not_controller")


def test_replayed_transaction_id(world: World) -> None:
    agency = world.register()
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    refused(world, update, "tx_replayed")


def test_transaction_for_another_ledger(world: World) -> None:
    agency = world.register()
    _, update = agency.rotate(world.head(agency), ledger="other.example/log", now=world.clock.now)
    refused(world, update, "tx_wrong_ledger")


def test_stale_transaction(world: World) -> None:
    agency = world.register()
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now - 3600)
    refused(world, update, "tx_stale")


@pytest.mark.parametrize(
    "mutate, code",
    [
        (lambda d: d.pop("verificationMethod"), "did_document_invalid"),
        (lambda d: d.update(id="did:civicid:" + "a" * 32), "did_document_invalid"),
        (
            lambda d: d.update(authentication=["did:civicid:" + "a" * 32 + "#x"]),
            "did_document_invalid",
        ),
        (lambda d: d.update(capabilityInvocation=[]), "did_document_invalid"),
        (
            lambda d: d["verificationMethod"][0].update(type="Ed25519VerificationKey2018"),
            "did_document_invalid",
        ),
        (
            lambda d: d["verificationMethod"][0]["publicKeyJwk"].update(crv="secp256k1"),
            "jwk_unsupported",
        ),
        (lambda d: d.update({"@context": 5}), "did_document_invalid"),
        (
            lambda d: d.update(service=[{"id": "x", "type": "T", "serviceEndpoint": "y"}] * 20),
            "did_document_invalid",
        ),
        (lambda d: d.update(padding="x" * 20000), "did_document_too_large"),
    ],
)
def test_non_conforming_did_document(
    world: World, mutate: Callable[[dict[str, object]], object], code: str
) -> None:
    agency = world.register()
    document = json.loads(json.dumps(agency.document))
    mutate(document)
    text = agency.sign(
        tx.DID_UPDATE,
        {"did": agency.did, "prev": world.head(agency), "document": document},
        ledger=world.origin,
        now=world.clock.now,
    )
    refused(world, text, code)


def test_update_of_a_deactivated_did(world: World) -> None:
    agency = world.register()
    world.ledger.submit(
        agency.deactivate_tx(world.head(agency), ledger=world.origin, now=world.clock.now)
    )
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    refused(world, update, "did_deactivated")


def test_update_naming_a_stale_head_is_refused(world: World) -> None:
    """No lost updates, no forks: prev must be the current version."""
    agency = world.register()
    first_head = world.head(agency)
    successor, update = agency.rotate(first_head, ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    _, fork = successor.rotate(first_head, ledger=world.origin, now=world.clock.now)
    refused(world, fork, "did_prev_mismatch")


def test_body_over_the_size_limit(world: World) -> None:
    agency = world.register()
    payload = update_payload(world, agency)
    payload["body"] = {**payload["body"], "padding": "x" * tx.MAX_TX_BYTES}  # type: ignore[dict-item]
    text = agency.key.sign_compact(canonical_json(payload), {"typ": tx.TX_TYP, "kid": agency.kid})
    refused(world, text, "jws_too_large")


def test_create_without_endorsement(world: World) -> None:
    who = Identity.create()
    text = who.sign(
        tx.DID_CREATE,
        {"did": who.did, "role": "agency", "document": who.document},
        ledger=world.origin,
        now=world.clock.now,
    )
    refused(world, text, "endorsement_missing")


def test_create_endorsed_by_someone_else(world: World) -> None:
    agency = world.register()
    who = Identity.create()
    endorsement = agency.endorse(who.did, "agency", ledger=world.origin, now=world.clock.now)
    refused(
        world,
        who.create_tx(
            role="agency", endorsement=endorsement, ledger=world.origin, now=world.clock.now
        ),
        "endorsement_invalid",
    )


def test_endorsement_for_another_did_is_refused(world: World) -> None:
    who, other = Identity.create(), Identity.create()
    endorsement = world.governance.endorse(
        other.did, "agency", ledger=world.origin, now=world.clock.now
    )
    refused(
        world,
        who.create_tx(
            role="agency", endorsement=endorsement, ledger=world.origin, now=world.clock.now
        ),
        "endorsement_invalid",
    )


def test_squatted_did_is_refused(world: World) -> None:
    """A DID whose id is not the hash of its document cannot be registered."""
    victim, attacker = Identity.create(), Identity.create()
    document = json.loads(json.dumps(attacker.document).replace(attacker.did, victim.did))
    endorsement = world.governance.endorse(
        victim.did, "agency", ledger=world.origin, now=world.clock.now
    )
    text = attacker.key.sign_compact(
        canonical_json(
            {
                "type": tx.DID_CREATE,
                "id": tx.new_tx_id(),
                "iat": world.clock.now,
                "ledger": world.origin,
                "body": {
                    "did": victim.did,
                    "role": "agency",
                    "document": document,
                    "endorsement": endorsement,
                },
            }
        ),
        {"typ": tx.TX_TYP, "kid": f"{victim.did}#key-1"},
    )
    refused(world, text, "did_scid_mismatch")


def test_citizen_role_is_refused(world: World) -> None:
    who = Identity.create()
    endorsement = world.governance.endorse(
        who.did, "citizen", ledger=world.origin, now=world.clock.now
    )
    refused(
        world,
        who.create_tx(
            role="citizen", endorsement=endorsement, ledger=world.origin, now=world.clock.now
        ),
        "role_unknown",
    )


def test_duplicate_did(world: World) -> None:
    agency = world.register()
    endorsement = world.governance.endorse(
        agency.did, "agency", ledger=world.origin, now=world.clock.now
    )
    refused(
        world,
        agency.create_tx(
            role="agency", endorsement=endorsement, ledger=world.origin, now=world.clock.now
        ),
        "did_exists",
    )


def test_second_genesis(world: World) -> None:
    refused(
        world,
        world.governance.genesis(origin=world.origin, checkpoint_key="x", now=world.clock.now),
        "genesis_only_by_init",
    )


def test_prerotation_only_the_committed_key_may_rotate(world: World) -> None:
    agency = world.register(prerotate=True)
    # The current key signing for a brand-new key is refused: it was not committed to.
    stray = Identity(agency.did, agency.kid, agency.key, agency.document, None)
    _, update = stray.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    refused(world, update, "key_unknown")
    # A new key put in the document but not committed to is refused too.
    impostor = PrivateKey.generate()
    cheat = Identity(agency.did, agency.kid, agency.key, agency.document, impostor)
    _, update = cheat.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    refused(world, update, "prerotation_key_mismatch")
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)


def test_time_regression(world: World) -> None:
    agency = world.register()
    world.clock.now += 100
    successor, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    _, older = successor.rotate(world.head(agency), ledger=world.origin, now=world.clock.now - 50)
    refused(world, older, "tx_time_regression")
