"""Offline, the desk judges an issuer as of its snapshot's time, asking the ledger for
exactly that time (a revocation logged later does not count, and the ledger's verdict must
match its proven entries at that time)."""

from __future__ import annotations

import httpx

from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from tests.verifier.world import NATIONAL_ID, World

HOUR = 3600


def test_offline_the_issuer_is_judged_as_of_the_snapshot(
    world: World, http: httpx.BaseTransport
) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    world.clock.now += HOUR
    taken = world.clock.now  # the snapshot's time
    world.clock.now += HOUR
    world.revoke_accreditation(accreditation)  # logged after the snapshot was taken
    client = LedgerClient(
        "http://testserver", world.genesis.vkey, transport=http, clock=lambda: world.clock.now
    )
    trust = Trust(client, clock=lambda: world.clock.now, as_of=taken)
    try:
        standing = trust.issuer_standing(agency.did, NATIONAL_ID, taken, now=taken, max_age=HOUR)
    finally:
        client.close()
    assert standing.accredited  # as the ledger said, and proved, at that time
