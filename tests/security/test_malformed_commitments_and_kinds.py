"""Bad input where a rule's own shape is at stake. ``nextKeyHashes`` commits a DID to the keys
that may rotate it next: an unbounded list, a non-string or a plain string (which would lock
the DID for good) is refused with ``tx_body_invalid``, on creation and on rotation alike, and
the bound itself is accepted. An accreditation of an unknown kind is ``accreditation_invalid``,
never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from civicid import transaction as tx
from civicid.accreditation import MAX_VALIDITY_SECONDS
from civicid.authority import MAX_NEXT_KEY_HASHES
from civicid.identity import Identity
from civicid.jose import PrivateKey
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import refused


def thumbprints(count: int) -> list[str]:
    return [PrivateKey.generate().public.thumbprint() for _ in range(count)]


BAD_COMMITMENTS = [
    pytest.param(thumbprints(1)[0], id="a plain string"),
    pytest.param(thumbprints(MAX_NEXT_KEY_HASHES + 1), id="one over the bound"),
    pytest.param([7], id="a number"),
    pytest.param([None], id="null"),
    pytest.param(["x" * 42], id="too short for a thumbprint"),
    pytest.param(["x" * 44], id="too long for a thumbprint"),
    pytest.param({"a": thumbprints(1)[0]}, id="an object"),
]


def create_text(world: World, who: Identity, hashes: Any) -> str:
    endorsement = world.governance.endorse(
        who.did, "agency", ledger=world.origin, now=world.clock.now
    )
    body = {"did": who.did, "role": "agency", "document": who.document, "endorsement": endorsement}
    body["nextKeyHashes"] = hashes
    return world.sign(who, tx.DID_CREATE, body)


@pytest.mark.parametrize("hashes", BAD_COMMITMENTS)
def test_bad_commitment_on_creation(world: World, hashes: Any) -> None:
    refused(world, create_text(world, Identity.create(), hashes), "tx_body_invalid")


@pytest.mark.parametrize("hashes", BAD_COMMITMENTS)
def test_bad_commitment_on_rotation(world: World, hashes: Any) -> None:
    agency = world.register()
    body = {"did": agency.did, "prev": world.head(agency), "document": agency.document}
    body["nextKeyHashes"] = hashes
    refused(world, world.sign(agency, tx.DID_UPDATE, body), "tx_body_invalid")


def test_the_bound_itself_is_accepted(world: World) -> None:
    who = Identity.create()
    world.ledger.submit(create_text(world, who, thumbprints(MAX_NEXT_KEY_HASHES)))
    assert len(world.ledger.state.record(who.did).current.next_key_hashes) == MAX_NEXT_KEY_HASHES


@pytest.mark.parametrize("kind", ["auditor", "", None, 1, ["issuer"], {"issuer": 1}, "ISSUER"])
def test_unknown_accreditation_kind(world: World, kind: Any) -> None:
    agency = world.register()
    body = trust.grant(world, agency, kind=kind)
    refused(
        world, world.sign(world.governance, tx.ACCREDITATION_GRANT, body), "accreditation_invalid"
    )


def test_validity_at_its_longest(world: World) -> None:
    """Five years is the most governance grants at once; a second more is refused."""
    agency = world.register()
    start = world.clock.now
    too_long = trust.grant(
        world, agency, validFrom=start, validUntil=start + MAX_VALIDITY_SECONDS + 1
    )
    refused(
        world,
        world.sign(world.governance, tx.ACCREDITATION_GRANT, too_long),
        "accreditation_invalid",
    )
    longest = trust.grant(world, agency, validFrom=start, validUntil=start + MAX_VALIDITY_SECONDS)
    world.submit_as(world.governance, tx.ACCREDITATION_GRANT, longest)


@pytest.mark.parametrize("reason", ["", "   ", None, 5, "x" * 1001])
def test_a_revocation_needs_a_reason(world: World, reason: Any) -> None:
    agency = world.register()
    accreditation = world.accredit(agency, vcts=[trust.NATIONAL_ID])
    body = {"accreditation": accreditation, "reason": reason}
    error = refused(
        world, world.sign(world.governance, tx.ACCREDITATION_REVOKE, body), "accreditation_invalid"
    )
    assert error.message.startswith("reason ")  # the refusal names the field
