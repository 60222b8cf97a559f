"""Attack: an old status list token, still within its exp but past its ttl (a ledger or
cache serving yesterday's list): not relied upon (Token Status List §13.7)."""

import httpx

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import Clock, World, open_desk


def test_a_list_older_than_its_ttl(world: World, http: httpx.BaseTransport, clock: Clock) -> None:
    world.publish_status(ttl=60, exp=None)
    credential = world.credential(iat=clock.now)
    desk = open_desk(world, http, Clock(clock.now + 120))
    try:
        presentation, nonce = fresh(world, desk, credential)
        refused(desk, presentation, "status_list_stale", nonce=nonce, step="status")
    finally:
        desk.close()
