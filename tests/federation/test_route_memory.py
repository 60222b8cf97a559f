"""What a federation keeps between questions: the routes it proved (a bounded memory that
starts over when full), each foreign ledger's trusted checkpoint in its own trust file, and
each foreign answer, judged by the desk's clock and reused for the age the caller allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import NoteSigner, NoteVerifier, open_checkpoint
from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from civicid.trust.federation import LOCAL, Federation
from civicid.trust.pins import PinnedLedger
from civicid.trust_lock import lock_file
from tests.federation.test_routes import Counting
from tests.federation.world import Countries, pin, policy_text
from tests.verifier.world import NATIONAL_ID


def opened(
    countries: Countries, home: Counting, abroad: Counting, *pins: PinnedLedger
) -> Federation:
    client = LedgerClient(countries.home_url, countries.home.genesis.vkey, transport=home)
    return Federation.open(
        Trust(client, clock=countries.desk_clock),
        pins or (pin(countries),),
        clock=countries.desk_clock,
        transports={"abroad": abroad},
    )


@pytest.mark.parametrize(("limit", "asked_again"), [(2, 0), (1, 1)])
def test_the_routes_remembered_start_over_once_the_limit_is_reached(
    countries: Countries, limit: int, asked_again: int
) -> None:
    home, abroad = Counting(), Counting()
    opening = opened(countries, home, abroad)
    routes = Federation(opening.local, opening.foreign, clock=countries.desk_clock, limit=limit)
    try:
        assert routes.route(countries.abroad.agency.did).ledger == "abroad"
        assert routes.route(countries.home.agency.did).ledger == LOCAL
        before = home.resolutions
        assert routes.route(countries.abroad.agency.did).ledger == "abroad"
        # Two routes fit in a memory of two; in a memory of one, the second made it start
        # over, and the first is proven absent at home again.
        assert home.resolutions - before == asked_again
    finally:
        routes.close()
        routes.local.close()


def test_a_foreign_answer_is_reused_for_the_age_the_caller_allows(countries: Countries) -> None:
    home, abroad = Counting(), Counting()
    routes = opened(countries, home, abroad)
    agency = countries.abroad.agency.did
    try:
        ((_, foreign),) = routes.foreign
        now = countries.desk_clock()
        foreign.history(agency, now=now, max_age=300)  # known already
        asked = abroad.resolutions
        assert routes.route(agency, now=now + 60, max_age=300).ledger == "abroad"
        assert abroad.resolutions == asked  # proven there by the answer the desk holds
        route = routes.route(agency, now=now + 60, max_age=300)
        countries.desk_clock.now = now + 120
        route.trust.history(agency, max_age=300)  # as of the desk's clock: young enough
        assert abroad.resolutions == asked
        countries.desk_clock.now = now + 301
        route.trust.history(agency, max_age=300)  # as of the desk's clock: too old
        assert abroad.resolutions == asked + 1
    finally:
        routes.close()
        routes.local.close()


def test_each_foreign_ledger_keeps_its_checkpoint_in_its_own_trust_file(
    countries: Countries, tmp_path: Path
) -> None:
    abroad, trust_dir = countries.abroad, tmp_path / "federation"
    trust_dir.mkdir()
    client = LedgerClient(countries.home_url, countries.home.genesis.vkey)
    routes = Federation.open(Trust(client), [pin(countries)], trust_dir=trust_dir)
    try:
        # Nothing asked yet: only the lock its open client holds (``civicid.trust_lock``).
        assert list(trust_dir.iterdir()) == [lock_file(trust_dir / "abroad.checkpoint")]
        routes.route(abroad.agency.did)
        ((_, foreign),) = routes.foreign
        trusted = (trust_dir / "abroad.checkpoint").read_text()
        assert trusted == foreign.client.trusted_note
        checkpoint = open_checkpoint(trusted, NoteVerifier(abroad.genesis.vkey))
        assert checkpoint.size == abroad.ledger.size
    finally:
        routes.close()
    again = Federation.open(Trust(client), [pin(countries)], trust_dir=trust_dir)
    try:
        ((_, foreign),) = again.foreign
        assert foreign.client.trusted == checkpoint  # found again: no rollback past it
    finally:
        again.close()
        client.close()


def test_an_issuer_a_pin_names_is_answered_by_that_pin_alone(countries: Countries) -> None:
    """An issuer a pin names is that pin's: another pinned ledger holding the same DID (listed
    first, accepting any issuer) is never asked for it, even when the named ledger is down."""
    abroad = countries.abroad
    down = PinnedLedger(
        name="cadur", urls="http://127.0.0.1:9",
        policy_text=policy_text(abroad, vkey=NoteSigner.generate("cadur.example").vkey()),
        governance=abroad.genesis.governance.did, types=(NATIONAL_ID,),
        issuers=(abroad.agency.did,),
    )  # fmt: skip
    home, holding = Counting(), Counting()
    routes = opened(countries, home, holding, pin(countries), down)
    try:
        with pytest.raises(Error) as refused:
            routes.route_issuer(abroad.agency.did)
        assert refused.value.code == "http_unreachable", refused.value
        assert holding.resolutions == 0  # the ledger that holds it too was not asked
        assert routes.route_issuer(countries.home.agency.did).ledger == LOCAL
    finally:
        routes.close()
        routes.local.close()


def test_with_nothing_pinned_the_route_is_the_local_one_and_asks_nothing(
    countries: Countries,
) -> None:
    home = Counting()
    client = LedgerClient(countries.home_url, countries.home.genesis.vkey, transport=home)
    routes = Federation.open(Trust(client), [])
    try:
        for did in (countries.home.agency.did, countries.abroad.agency.did):
            route = routes.route(did)
            assert route.trust is routes.local and not route.foreign
        assert home.resolutions == 0
    finally:
        routes.local.close()


def never() -> int:
    raise AssertionError("asked as of a Trust's own clock, not of the federation's")


def test_a_route_asked_without_a_time_is_found_as_of_the_federations_clock(
    countries: Countries,
) -> None:
    home, abroad = Counting(), Counting()
    opening = opened(countries, home, abroad)
    agency = countries.abroad.agency.did
    now = countries.desk_clock()
    try:
        ((_, foreign),) = opening.foreign
        assert opening.route(agency).trust is foreign  # found as of the desk's clock, then:
        asked = abroad.resolutions
        foreign.history(agency, now=now + 299, max_age=300)  # still young
        assert abroad.resolutions == asked
        foreign.history(agency, now=now + 300, max_age=300)  # no longer
        assert abroad.resolutions == asked + 1
        # The Trusts' own clocks are never asked: the federation's time is given to each.
        strict = Federation(
            Trust(opening.local.client, clock=never),
            [(pin, Trust(trust.client, clock=never)) for pin, trust in opening.foreign],
            clock=countries.desk_clock,
        )
        assert strict.route(agency).ledger == "abroad"
        assert strict.route(countries.home.agency.did).ledger == LOCAL
    finally:
        opening.close()
        opening.local.close()
