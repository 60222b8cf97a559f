"""Attack: joining the ledger as an agency or a service desk without governance's consent.
An endorsement that governance did not sign, that is not an endorsement (wrong ``typ``), or
that governance gave to another DID, role or ledger is refused with ``endorsement_invalid``
and nothing changes; the genuine endorsement is then accepted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from civicid import transaction as tx
from civicid.encoding import canonical_json
from civicid.identity import Identity
from civicid.jose import PrivateKey
from tests.ledger.conftest import World
from tests.ledger.trust import refused

Endorse = Callable[[World, Identity], str]


def claims(world: World, who: Identity, **overrides: object) -> bytes:
    payload = {"sub": who.did, "role": "agency", "ledger": world.origin, "iat": world.clock.now}
    payload.update(overrides)
    return canonical_json(payload)


def stranger_under_governance_kid(world: World, who: Identity) -> str:
    header = {"typ": tx.ENDORSEMENT_TYP, "kid": world.governance.kid}
    return PrivateKey.generate().sign_compact(claims(world, who), header)


def governance_with_transaction_typ(world: World, who: Identity) -> str:
    """A governance signature over something that is not an endorsement."""
    header = {"typ": tx.TX_TYP, "kid": world.governance.kid}
    return world.governance.key.sign_compact(claims(world, who), header)


def governance_without_typ(world: World, who: Identity) -> str:
    return world.governance.key.sign_compact(claims(world, who), {"kid": world.governance.kid})


def another_did(world: World, who: Identity) -> str:
    return world.governance.endorse(
        Identity.create().did, "agency", ledger=world.origin, now=world.clock.now
    )


def another_role(world: World, who: Identity) -> str:
    return world.governance.endorse(
        who.did, "service-desk", ledger=world.origin, now=world.clock.now
    )


def another_ledger(world: World, who: Identity) -> str:
    return world.governance.endorse(
        who.did, "agency", ledger="other.example/ledger", now=world.clock.now
    )


def an_agency_not_governance(world: World, who: Identity) -> str:
    agency = world.register()
    return agency.endorse(who.did, "agency", ledger=world.origin, now=world.clock.now)


def self_endorsed(world: World, who: Identity) -> str:
    return who.endorse(who.did, "agency", ledger=world.origin, now=world.clock.now)


def signature_cut_off(world: World, who: Identity) -> str:
    genuine = world.governance.endorse(who.did, "agency", ledger=world.origin, now=world.clock.now)
    return genuine.rsplit(".", 1)[0] + "."


def alg_none(world: World, who: Identity) -> str:
    from civicid.encoding import b64url_encode

    header = canonical_json({"alg": "none", "typ": tx.ENDORSEMENT_TYP, "kid": world.governance.kid})
    return f"{b64url_encode(header)}.{b64url_encode(claims(world, who))}.c2ln"


FORGERIES: dict[str, Endorse] = {
    "a stranger's signature under governance's kid": stranger_under_governance_kid,
    "governance's signature with a transaction typ": governance_with_transaction_typ,
    "governance's signature without typ": governance_without_typ,
    "endorsement of another DID": another_did,
    "endorsement for another role": another_role,
    "endorsement for another ledger": another_ledger,
    "endorsed by an agency": an_agency_not_governance,
    "endorsed by itself": self_endorsed,
    "signature cut off": signature_cut_off,
    "alg none": alg_none,
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_endorsement(world: World, name: str) -> None:
    who = Identity.create()
    forged = FORGERIES[name](world, who)
    create = who.create_tx(
        role="agency", endorsement=forged, ledger=world.origin, now=world.clock.now
    )
    refused(world, create, "endorsement_invalid")
    genuine = world.governance.endorse(who.did, "agency", ledger=world.origin, now=world.clock.now)
    world.ledger.submit(
        who.create_tx(role="agency", endorsement=genuine, ledger=world.origin, now=world.clock.now)
    )
    assert world.ledger.state.dids[who.did].role == "agency"


@pytest.mark.parametrize("endorsement", [None, 42, {"sub": "x"}])
def test_no_endorsement_at_all(world: World, endorsement: object) -> None:
    who = Identity.create()
    body = {"did": who.did, "role": "agency", "document": who.document}
    if endorsement is not None:
        body["endorsement"] = endorsement
    refused(world, world.sign(who, tx.DID_CREATE, body), "endorsement_missing")


def test_an_endorsement_is_not_a_transaction(world: World) -> None:
    """Governance's endorsement, submitted as if it were a transaction, is refused by its typ."""
    who = Identity.create()
    endorsement = world.governance.endorse(
        who.did, "agency", ledger=world.origin, now=world.clock.now
    )
    refused(world, endorsement, "jws_typ_mismatch")
