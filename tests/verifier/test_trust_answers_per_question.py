"""The desk's remembered ledger answers are per question: an answer about one issuer and
credential type is never served for another issuer, nor for another type; an agency
accredited for one type is not accredited for a type it was not granted; a desk's grant
stops counting at its end (valid until is exclusive, as the ledger judges it)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from tests.verifier.world import DAY, NATIONAL_ID, NOW, World

OTHER_TYPE = "https://civicid.example/vct/fishing-licence"
HOUR = 3600


@pytest.fixture
def trust(world: World, http: httpx.BaseTransport) -> Iterator[Trust]:
    client = LedgerClient(
        "http://testserver", world.genesis.vkey, transport=http, clock=lambda: world.clock.now
    )
    yield Trust(client, clock=lambda: world.clock.now)
    client.close()


def test_an_answer_about_one_issuer_is_not_served_for_another(world: World, trust: Trust) -> None:
    stranger = world.register("agency")  # on the ledger, never accredited
    now = world.clock.now
    assert trust.issuer_standing(
        world.agency.did, NATIONAL_ID, now, now=now, max_age=HOUR
    ).accredited
    standing = trust.issuer_standing(stranger.did, NATIONAL_ID, now, now=now, max_age=HOUR)
    assert not standing.accredited


def test_an_agency_is_accredited_only_for_the_types_it_was_granted(
    world: World, trust: Trust
) -> None:
    now = world.clock.now
    assert trust.issuer_standing(
        world.agency.did, NATIONAL_ID, now, now=now, max_age=HOUR
    ).accredited
    other = trust.issuer_standing(world.agency.did, OTHER_TYPE, now, now=now, max_age=HOUR)
    assert not other.accredited


def test_a_desk_grant_does_not_count_at_its_end(world: World, trust: Trust) -> None:
    """The world's desk grant runs from NOW for 365 days: at its last second it counts, at
    its end it does not (valid_until is exclusive)."""
    end = NOW + 365 * DAY
    claims = ("resident",)
    before = trust.desk_standing(world.desk.did, NATIONAL_ID, claims, now=end - 1)
    assert before.accredited and "resident" in before.allowed
    at_end = trust.desk_standing(world.desk.did, NATIONAL_ID, claims, now=end)
    assert not at_end.accredited and "resident" not in at_end.allowed


class GrantsOfAnotherType(httpx.BaseTransport):
    """A mirror answering "is the agency accredited for OTHER_TYPE?" with the genuine,
    proven grant entries of another type, and a verdict of no: every proof checks."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/accreditations" and request.url.params.get("vct") == OTHER_TYPE:
            genuine = request.url.copy_set_param("vct", NATIONAL_ID)
            answer = self.inner.handle_request(httpx.Request("GET", genuine))
            answer.read()
            body = {**answer.json(), "accredited": False, "accreditation": None}
            return httpx.Response(200, json=body)
        return self.inner.handle_request(request)


def test_grants_of_another_type_in_the_answer_do_not_accredit(
    world: World, http: httpx.BaseTransport
) -> None:
    client = LedgerClient(
        "http://testserver",
        world.genesis.vkey,
        transport=GrantsOfAnotherType(http),
        clock=lambda: world.clock.now,
    )
    trust = Trust(client, clock=lambda: world.clock.now)
    now = world.clock.now
    try:
        standing = trust.issuer_standing(world.agency.did, OTHER_TYPE, now, now=now, max_age=HOUR)
    finally:
        client.close()
    assert not standing.accredited
