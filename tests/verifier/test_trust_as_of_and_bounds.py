"""Offline, the desk judges an issuer as of its snapshot's time, asking the ledger for
exactly that time (a revocation logged later does not count, and the ledger's verdict must
match its proven entries at that time); the memory of answers is bounded."""

from __future__ import annotations

import httpx

from civicid.ledger_client import LedgerClient
from tests.verifier.world import NATIONAL_ID, World
from verifier import trust as trust_module
from verifier.trust import LedgerTrust

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
    trust = LedgerTrust(client, clock=lambda: world.clock.now, as_of=taken)
    try:
        standing = trust.issuer_standing(agency.did, NATIONAL_ID, taken, now=taken, max_age=HOUR)
    finally:
        client.close()
    assert standing.accredited  # as the ledger said, and proved, at that time


def test_the_memory_of_answers_is_bounded() -> None:
    trust = LedgerTrust(None, clock=lambda: 0)  # type: ignore[arg-type]
    for n in range(trust_module.MAX_CACHED):
        trust._fresh(("k", str(n)), lambda: 0, now=0, max_age=HOUR)
    assert len(trust._cache) == trust_module.MAX_CACHED
    trust._fresh(("k", "one more"), lambda: 0, now=0, max_age=HOUR)
    assert len(trust._cache) == 1  # full: forgotten, then the new answer kept
