"""Which ledger answers for a DID: the local one first, then each pinned one; a DID proven on
a ledger is remembered there (a ledger never drops a DID), one found nowhere is asked again."""

from __future__ import annotations

import httpx
import pytest

from civicid.did import DID
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from civicid.trust.federation import LOCAL, Federation
from civicid.trust.pins import PinnedLedger
from tests.federation.world import Countries, pin, policy_text
from tests.verifier.world import NATIONAL_ID


class Counting(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.resolutions = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/1.0/identifiers/"):
            self.resolutions += 1
        return super().handle_request(request)


def federation(countries: Countries, home: Counting) -> Federation:
    pinned = pin(countries)
    client = LedgerClient(countries.home_url, countries.home.genesis.vkey, transport=home)
    return Federation.open(Trust(client), [pinned])


def test_a_proven_route_is_remembered(countries: Countries) -> None:
    home = Counting()
    routes = federation(countries, home)
    try:
        first = routes.route(countries.abroad.agency.did)
        assert first.ledger == "abroad" and first.foreign
        assert home.resolutions == 1  # the home ledger proved it does not hold it
        assert routes.route(countries.abroad.agency.did).ledger == "abroad"
        assert home.resolutions == 1
        assert routes.route(countries.home.agency.did).ledger == LOCAL
        asked = home.resolutions  # the local agency's history (and governance's, for it)
        assert routes.route(countries.home.agency.did).ledger == LOCAL
        assert home.resolutions == asked
    finally:
        routes.close()
        routes.local.close()


def test_a_did_found_nowhere_is_asked_again(countries: Countries) -> None:
    home = Counting()
    routes = federation(countries, home)
    nobody = Identity.create().did
    try:
        assert routes.route(nobody).ledger == LOCAL  # its questions then say it is unknown
        assert routes.route(nobody).ledger == LOCAL
        assert home.resolutions == 2
    finally:
        routes.close()
        routes.local.close()


def test_a_named_issuer_is_asked_of_the_local_ledger_once(countries: Countries) -> None:
    home = Counting()
    pinned = pin(countries, issuers=(countries.abroad.agency.did,))
    client = LedgerClient(countries.home_url, countries.home.genesis.vkey, transport=home)
    routes = Federation.open(Trust(client), [pinned])
    try:
        assert routes.route_issuer(countries.abroad.agency.did).ledger == "abroad"
        assert home.resolutions == 1  # proven absent at home, then remembered
        assert routes.route_issuer(countries.abroad.agency.did).ledger == "abroad"
        assert home.resolutions == 1
    finally:
        routes.close()
        routes.local.close()


def test_a_pin_naming_a_local_agency_does_not_take_it_abroad(countries: Countries) -> None:
    """A foreign ledger must never answer for a DID the local ledger holds, even when a pin
    names it: the local answers stay the ones that count."""
    local_agency = countries.home.agency.did
    pinned = pin(countries, issuers=(countries.abroad.agency.did, local_agency))
    client = LedgerClient(countries.home_url, countries.home.genesis.vkey)
    routes = Federation.open(Trust(client), [pinned])
    try:
        route = routes.route(local_agency)
        assert route.ledger == "local" and route.pin is None
    finally:
        routes.close()
        routes.local.close()


def test_the_local_ledger_cannot_be_pinned_as_foreign(countries: Countries) -> None:
    home = countries.home
    pinned = PinnedLedger(
        name="home-again", urls=countries.home_url, policy_text=policy_text(home),
        governance=DID(home.genesis.governance.did), types=(NATIONAL_ID,),
    )  # fmt: skip
    client = LedgerClient(countries.home_url, home.genesis.vkey)
    try:
        with pytest.raises(Error) as info:
            Federation.open(Trust(client), [pinned])
        assert info.value.code == "federation_invalid"
    finally:
        client.close()


def test_a_did_on_both_ledgers_is_answered_by_the_local_one(countries: Countries) -> None:
    """A foreign ledger may log a copy of a local agency's DID (its governance endorses what it
    likes): the local ledger, asked first, keeps answering for it."""
    home, abroad = countries.home, countries.abroad
    twin = home.agency
    endorsement = abroad.genesis.governance.endorse(
        twin.did, "agency", ledger=abroad.origin, now=abroad.clock.now
    )
    abroad.ledger.submit(
        twin.create_tx(
            role="agency", endorsement=endorsement, ledger=abroad.origin, now=abroad.clock.now
        )
    )
    only_abroad = Federation.open(
        Trust(LedgerClient(countries.abroad_url, abroad.genesis.vkey)), []
    )
    routes = Federation.open(
        Trust(LedgerClient(countries.home_url, home.genesis.vkey)), [pin(countries)]
    )
    try:
        only_abroad.local.history(twin.did)  # the copy is there, proven
        assert routes.route(twin.did).ledger == "local"
        assert routes.route_issuer(twin.did).pin is None
    finally:
        for federation in (routes, only_abroad):
            federation.close()
            federation.local.close()
