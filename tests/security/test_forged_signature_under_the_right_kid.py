"""Attack: a transaction that names the rightful signer's ``kid`` but carries the attacker's
signature. Every transaction type must refuse it with ``jws_signature_invalid`` and leave the
log, the tree and every part of the state exactly as they were; the same body signed with the
rightful key is then accepted, so the signature is the only thing that was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.errors import Error
from civicid.identity import Identity
from civicid.jose import PrivateKey
from ledger import rules, ruleset
from ledger.state import State
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID, refused
from tests.rules.test_forged_signatures import CASES as RULE_ATTACKS
from tests.security.forgery import forged, signed


@dataclass(frozen=True)
class Attack:
    """What the attacker sends: a body of ``tx_type`` under ``kid``, whose key is ``key``."""

    kid: str
    key: PrivateKey
    tx_type: str
    body: dict[str, Any]


def did_create(world: World) -> Attack:
    """Proof of possession: the document's key must sign its own creation."""
    who = Identity.create()
    endorsement = world.governance.endorse(
        who.did, "agency", ledger=world.origin, now=world.clock.now
    )
    body = {"did": who.did, "role": "agency", "document": who.document, "endorsement": endorsement}
    return Attack(who.kid, who.key, tx.DID_CREATE, body)


def did_update(world: World) -> Attack:
    agency = world.register()
    document = Identity.create().document  # whatever the attacker would like to install
    new = json.loads(json.dumps(document).replace(document["id"], agency.did))
    body = {"did": agency.did, "prev": world.head(agency), "document": new}
    return Attack(agency.kid, agency.key, tx.DID_UPDATE, body)


def did_update_with_prerotation(world: World) -> Attack:
    """The committed next key's *public* half is enough to build the document, not to sign."""
    agency = world.register(prerotate=True)
    successor, _ = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    body = {
        "did": agency.did,
        "prev": world.head(agency),
        "document": successor.document,
        "nextKeyHashes": successor.next_key_hashes(),
    }
    return Attack(successor.kid, successor.key, tx.DID_UPDATE, body)


def did_deactivate(world: World) -> Attack:
    agency = world.register()
    return Attack(
        agency.kid, agency.key, tx.DID_DEACTIVATE, {"did": agency.did, "prev": world.head(agency)}
    )


def accreditation_grant(world: World) -> Attack:
    """Anyone could accredit themselves if governance's signature went unchecked."""
    agency = world.register()
    gov = world.governance
    return Attack(gov.kid, gov.key, tx.ACCREDITATION_GRANT, trust.grant(world, agency))


def accreditation_revoke(world: World) -> Attack:
    agency = world.register()
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    gov = world.governance
    body = revocation_body(accreditation, "forged: a rival wants it gone")
    return Attack(gov.kid, gov.key, tx.ACCREDITATION_REVOKE, body)


def accredited_agency(world: World) -> Identity:
    agency = world.register()
    world.accredit(agency, vcts=[NATIONAL_ID])
    return agency


def credential_type(world: World) -> Attack:
    agency = accredited_agency(world)
    return Attack(agency.kid, agency.key, tx.CREDENTIAL_TYPE, trust.type_body())


def status_list_publish(world: World) -> Attack:
    """The token inside is genuine (an old one, say); the transaction around it is forged."""
    agency = accredited_agency(world)
    body = {"uri": trust.LIST_URI, "token": trust.token(agency, now=world.clock.now)}
    return Attack(agency.kid, agency.key, tx.STATUS_LIST, body)


def status_list_update(world: World) -> Attack:
    """A forged update that would suspend a credential (index 4) of a list its owner
    published (un-revoking one is refused whoever signs: status_list_unrevoked)."""
    agency = accredited_agency(world)
    trust.publish(world, agency)
    world.clock.now += 10
    token = trust.token(agency, now=world.clock.now, revoked=(3,), suspended=(4, 5))
    return Attack(agency.kid, agency.key, tx.STATUS_LIST, {"uri": trust.LIST_URI, "token": token})


ATTACKS: dict[str, Callable[[World], Attack]] = {
    tx.DID_CREATE: did_create,
    tx.DID_UPDATE: did_update,
    "did.update (pre-rotation)": did_update_with_prerotation,
    tx.DID_DEACTIVATE: did_deactivate,
    tx.ACCREDITATION_GRANT: accreditation_grant,
    tx.ACCREDITATION_REVOKE: accreditation_revoke,
    tx.CREDENTIAL_TYPE: credential_type,
    tx.STATUS_LIST: status_list_publish,
    "status_list.publish (update)": status_list_update,
}


def test_every_transaction_type_but_genesis_is_attacked() -> None:
    """A new transaction type must add its forgery here or, for issuance rules and
    redemptions, in tests/rules/test_forged_signatures.py (genesis is in its own test)."""
    covered = {name.split(" ")[0] for name in ATTACKS} | set(RULE_ATTACKS)
    assert covered == tx.TX_TYPES - {tx.GENESIS}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_forged_signature_under_the_right_kid(world: World, name: str) -> None:
    attack = ATTACKS[name](world)
    refused(world, forged(world, attack.kid, attack.tx_type, attack.body), "jws_signature_invalid")
    receipt = world.ledger.submit(
        signed(world, attack.key, attack.kid, attack.tx_type, attack.body)
    )
    assert receipt.seq == world.ledger.size - 1


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_signature_of_another_payload_under_the_right_kid(world: World, name: str) -> None:
    """A genuine signature lifted from another payload does not carry over (the signature
    covers the exact bytes sent, RFC 7515 §5.2 step 8)."""
    attack = ATTACKS[name](world)
    genuine = signed(world, attack.key, attack.kid, attack.tx_type, attack.body)
    other = signed(world, attack.key, attack.kid, attack.tx_type, {**attack.body, "x": 1})
    header, _, signature = genuine.split(".")
    spliced = ".".join((header, other.split(".")[1], signature))
    refused(world, spliced, "jws_signature_invalid")


def genesis_of(governance: Identity, key: PrivateKey, origin: str, now: int) -> tx.Transaction:
    body = {
        "origin": origin,
        "did": governance.did,
        "document": governance.document,
        "checkpointKey": "x",
    }
    return tx.Transaction.parse(
        tx.build_tx(key, governance.kid, tx.GENESIS, body, ledger=origin, now=now)
    )


def test_forged_genesis_signature() -> None:
    """Whoever writes genesis names governance: its signature is checked like any other."""
    governance, now = Identity.create(), 1_780_000_000
    state, ctx = State(), rules.Context(now=now)
    forged_genesis = genesis_of(governance, PrivateKey.generate(), "civicid.example/x", now)
    with pytest.raises(Error) as info:
        ruleset.check(state, forged_genesis, ctx)
    assert info.value.code == "jws_signature_invalid"
    assert state.origin is None and state.governance is None and not state.dids
    change = ruleset.check(
        state, genesis_of(governance, governance.key, "civicid.example/x", now), ctx
    )
    change.apply(state, 0, b"\x00" * 32)
    assert state.governance == governance.did and state.origin == "civicid.example/x"
