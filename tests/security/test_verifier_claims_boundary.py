"""Boundary: a service desk may ask for exactly the claims it is accredited for, and no more.
Asking for its full allowed set is allowed (a subset check, not a strict one); one claim more,
a claim of another type, or its claims at the edges of the validity period are judged as the
grant says, by the ledger and, from the proven entries, by the client alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from ledger import registry
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.trust import BENEFIT, DAY, NATIONAL_ID

ALLOWED = ["given_name", "family_name", "age_over_18"]


@pytest.fixture
def desk(world: World) -> Identity:
    who = world.register("service-desk")
    world.accredit(who, claims={NATIONAL_ID: list(ALLOWED)}, days=30)
    return who


@pytest.fixture
def client(world: World) -> Iterator[LedgerClient]:
    with mirrored(world) as mirror:
        c = mirror.client(world)
        yield c
        c.close()


def ledger_says(
    world: World, desk: Identity, claims: list[str], vct: str = NATIONAL_ID, at: int | None = None
) -> str | None:
    when = world.clock.now if at is None else at
    body = registry.verifier_allowed(
        world.ledger.state, desk.did, vct, tuple(claims), when, world.ledger.size
    ).body
    return None if body["accredited"] else str(body["reason"])


CASES = [
    (ALLOWED, None),  # exactly the full allowed set
    (list(reversed(ALLOWED)), None),  # order does not matter
    (ALLOWED[:1], None),
    ([*ALLOWED, "birthdate"], "verifier_claims_not_allowed"),  # one more than allowed
    (["birthdate"], "verifier_claims_not_allowed"),
    ([*ALLOWED, *ALLOWED], None),  # a claim twice is still the same set
]


@pytest.mark.parametrize("claims, reason", CASES)
def test_the_ledger_judges_the_claim_set(
    world: World, desk: Identity, claims: list[str], reason: str | None
) -> None:
    assert ledger_says(world, desk, claims) == reason


@pytest.mark.parametrize("claims, reason", CASES)
def test_the_client_judges_it_alike(
    world: World, desk: Identity, client: LedgerClient, claims: list[str], reason: str | None
) -> None:
    answer = client.verifier_allowed(desk.did, NATIONAL_ID, claims, world.clock.now)
    assert answer.standing.reason == reason
    assert answer.accredited is (reason is None)


def test_claims_of_a_type_it_is_not_accredited_for(
    world: World, desk: Identity, client: LedgerClient
) -> None:
    assert ledger_says(world, desk, ALLOWED[:1], vct=BENEFIT) == "verifier_not_accredited"
    answer = client.verifier_allowed(desk.did, BENEFIT, ALLOWED[:1], world.clock.now)
    assert answer.standing.reason == "verifier_not_accredited"


def test_the_validity_period_is_half_open(
    world: World, desk: Identity, client: LedgerClient
) -> None:
    """validFrom <= at < validUntil: in force from its first second, over at its last."""
    start, end = world.clock.now, world.clock.now + 30 * DAY
    for at, reason in (
        (start - 1, "accreditation_not_yet_valid"),
        (start, None),
        (end - 1, None),
        (end, "accreditation_expired"),
    ):
        assert ledger_says(world, desk, ALLOWED, at=at) == reason, at
        assert (
            client.verifier_allowed(desk.did, NATIONAL_ID, ALLOWED, at).standing.reason == reason
        ), at
