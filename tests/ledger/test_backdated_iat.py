"""A backdated ``iat``: validity used to be judged at the time the signer claimed, so an
issuer whose accreditation had ended could still register a type or publish a list by
dating the transaction a little before the end (within the allowed clock skew). Now every
time-bound rule holds at the ledger's own clock when it sequences the entry as well."""

from __future__ import annotations

from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.identity import Identity
from ledger.audit import audit
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import DAY, NATIONAL_ID, refused

SKEW = 120  # within the ledger's MAX_CLOCK_SKEW


def expiring(world: World) -> tuple[Identity, int]:
    """An agency accredited for one day; returns it and the accreditation's end."""
    who = world.register("agency")
    world.accredit(who, vcts=[NATIONAL_ID], days=1)
    return who, world.clock.now + DAY


def test_a_type_registered_after_the_end_with_a_backdated_iat(world: World) -> None:
    agency, end = expiring(world)
    world.clock.now = end + SKEW // 2
    backdated = agency.sign(tx.CREDENTIAL_TYPE, trust.type_body(), ledger=world.origin,
                            now=end - SKEW // 2)  # fmt: skip
    refused(world, backdated, "accreditation_expired")


def test_a_list_published_after_the_end_with_a_backdated_iat(world: World) -> None:
    agency, end = expiring(world)
    world.clock.now = end + SKEW // 2
    iat = end - SKEW // 2
    body = {"uri": trust.LIST_URI, "token": trust.token(agency, now=iat)}
    refused(world, agency.sign(tx.STATUS_LIST, body, ledger=world.origin, now=iat),
            "accreditation_expired")  # fmt: skip


def test_a_grant_that_ends_before_it_is_sequenced(world: World) -> None:
    agency = world.register("agency")
    iat = world.clock.now - SKEW // 2
    body = grant_body(agency.did, credential_types=[NATIONAL_ID], valid_from=iat - DAY,
                      valid_until=world.clock.now - 1, purpose="p", legal_basis="b")  # fmt: skip
    text = world.governance.sign(tx.ACCREDITATION_GRANT, body, ledger=world.origin, now=iat)
    refused(world, text, "accreditation_invalid")


def test_what_was_accepted_live_replays(world: World) -> None:
    """Judged at both times live, at the iat on replay: a replay never refuses it."""
    agency, end = expiring(world)
    world.clock.now = end - SKEW
    world.ledger.submit(agency.sign(tx.CREDENTIAL_TYPE, trust.type_body(), ledger=world.origin,
                                    now=end - SKEW // 2))  # fmt: skip
    assert audit(world.root / "ledger", checkpoint=world.ledger.checkpoint).checkpoint_verified
