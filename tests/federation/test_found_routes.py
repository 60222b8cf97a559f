"""A pinned ledger cannot take the local ledger's name: a pin named as the home ledger is
named in routes and decisions had its DIDs answered by the local ledger, without its types."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from civicid.trust.federation import LOCAL, Federation
from tests.federation.world import Countries, pin


def test_a_pin_named_as_the_local_ledger_is_refused(countries: Countries) -> None:
    with pytest.raises(Error) as refused:
        named = pin(countries, name=LOCAL, issuers=(countries.abroad.agency.did,))
        client = LedgerClient(countries.home_url, countries.home.genesis.vkey)
        routes = Federation.open(Trust(client), [named])
        try:  # what it did: the foreign issuer's route was the local ledger's, typeless
            route = routes.route_issuer(countries.abroad.agency.did)
            assert route.foreign, f"routed to {route.ledger}, foreign={route.foreign}"
        finally:
            routes.close()
            routes.local.close()
    assert refused.value.code == "federation_invalid"
