"""Every refusal of a foreign credential names the ledger it came from (``ledger=``) and, in
its message, what was refused, for the desk's page and logs: a type the pin does not accept,
a single-use entitlement of another ledger, an issuer the pin does not name, a genesis naming
another governance."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from civicid.trust.federation import Federation, Route
from tests.federation.test_pins import made, vkeys
from tests.federation.world import Countries, pin
from tests.verifier.world import BENEFIT, NATIONAL_ID

__all__ = ["vkeys"]  # the fixture, used here too


def refused(code: str, make: object) -> Error:
    with pytest.raises(Error) as info:
        make()  # type: ignore[operator]
    assert info.value.code == code, info.value
    return info.value


def test_a_type_refused_by_the_pin_names_its_ledger(vkeys: list[str]) -> None:
    client = LedgerClient("http://127.0.0.1:9", vkeys[1])  # never asked
    try:
        route = Route(Trust(client), made(vkeys[0], name="cadur", types=(NATIONAL_ID,)))
        route.require_type(NATIONAL_ID, single_use=False)  # accepted: no refusal
        error = refused("issuer_not_federated",
                        lambda: route.require_type(BENEFIT, single_use=False))  # fmt: skip
        assert error.details["ledger"] == "cadur" and BENEFIT in error.message
        error = refused("issuer_not_federated",
                        lambda: route.require_type(NATIONAL_ID, single_use=True))  # fmt: skip
        assert error.details["ledger"] == "cadur" and "single-use" in error.message
        Route(Trust(client)).require_type(BENEFIT, single_use=True)  # local: its own rules
    finally:
        client.close()


def test_an_issuer_the_pin_does_not_name_is_refused_with_its_ledger(
    countries: Countries,
) -> None:
    home, abroad = countries.home, countries.abroad
    other = abroad.register("agency")
    pinned = pin(countries, issuers=(other.did,))
    routes = Federation.open(Trust(LedgerClient(countries.home_url, home.genesis.vkey)), [pinned])
    try:
        error = refused("issuer_not_federated", lambda: routes.route_issuer(abroad.agency.did))
        assert error.details["ledger"] == "abroad" and abroad.agency.did in error.message
        assert routes.route_issuer(other.did).ledger == "abroad"  # the one it names
    finally:
        routes.close()
        routes.local.close()


def test_another_governance_is_refused_with_its_ledger(countries: Countries) -> None:
    home, abroad = countries.home, countries.abroad
    pinned = pin(countries, governance=home.genesis.governance.did)
    routes = Federation.open(Trust(LedgerClient(countries.home_url, home.genesis.vkey)), [pinned])
    try:
        error = refused("ledger_governance_mismatch", lambda: routes.route(abroad.agency.did))
        assert error.details["ledger"] == "abroad"
        assert abroad.genesis.governance.did in error.message  # the one the genesis names
        # Checked every time the ledger answers, not only the first: refused again.
        refused("ledger_governance_mismatch", lambda: routes.route(abroad.agency.did))
    finally:
        routes.close()
        routes.local.close()
