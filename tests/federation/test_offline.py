"""Offline, a desk does not federate: its snapshot is its own ledger's, and a foreign
credential is refused (its issuer is not in the snapshot), never checked against nothing."""

from __future__ import annotations

from tests.federation.world import Countries, open_desk, pin
from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.test_offline import OFFLINE_HOUSING, offline_desk
from tests.verifier.world import settings_for
from verifier.service import checkpoint_key
from verifier.snapshot import sync


def test_an_offline_desk_refuses_a_foreign_credential(countries: Countries) -> None:
    home, abroad = countries.home, countries.abroad
    pin(countries)
    online = open_desk(countries)
    try:
        presentation, nonce = fresh(abroad, online, abroad.credential())
        passes(online, presentation, nonce=nonce)  # online, it is eligible
        presentation, nonce = fresh(home, online, home.credential())
        passes(online, presentation, nonce=nonce)  # its list is one the desk syncs
        settings = settings_for(home.root, url=countries.home_url)
        sync(ledger_url=settings.ledger_url, vkey=checkpoint_key(settings), trust_file=None,
             desk=online.desk.did, policies=list(online.policies.values()),
             status_lists=sorted(online.store.status_uris()),
             clock=online.clock).save(settings.snapshot_path)  # fmt: skip
    finally:
        online.close()
    offline = offline_desk(home, countries.desk_clock)
    try:
        assert offline.federation is None
        presentation, nonce = fresh(home, offline, home.credential())
        passes(offline, presentation, nonce=nonce, policy=OFFLINE_HOUSING)
        presentation, nonce = fresh(abroad, offline, abroad.credential())
        refused(offline, presentation, "snapshot_incomplete", nonce=nonce,
                policy=OFFLINE_HOUSING, step="issuer_key")  # fmt: skip
    finally:
        offline.close()
