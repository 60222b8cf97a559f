"""A desk keeps the status lists it meets for its offline sync, from its own ledger only: a
foreign credential's list is proven on its own ledger each time, never kept to be synced
from the local one (which does not hold it)."""

from __future__ import annotations

from tests.federation.world import Countries, desk, pin
from tests.verifier.attacks import fresh, passes
from tests.verifier.world import LIST_URI


def test_only_local_lists_are_kept_for_sync(countries: Countries) -> None:
    home, abroad = countries.home, countries.abroad
    pin(countries)
    with desk(countries) as verifier:
        assert verifier.federation is not None
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        passes(verifier, presentation, nonce=nonce)
        assert verifier.store.status_uris() == []
        presentation, nonce = fresh(home, verifier, home.credential())
        passes(verifier, presentation, nonce=nonce)
        assert verifier.store.status_uris() == [LIST_URI]
