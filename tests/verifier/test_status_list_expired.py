"""Attack: a status list token past its exp (an agency that stopped publishing, or a ledger
serving an old list): never relied upon (Token Status List §13.7)."""

import httpx

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import Clock, World, open_desk
from verifier.service import Verifier


def test_a_list_past_exp(
    world: World, verifier: Verifier, http: httpx.BaseTransport, clock: Clock
) -> None:
    world.publish_status(exp=clock.now + 100, ttl=None)
    credential = world.credential(iat=clock.now)
    desk = open_desk(world, http, Clock(clock.now + 200))
    try:
        presentation, nonce = fresh(world, desk, credential)
        refused(desk, presentation, "status_list_expired", nonce=nonce, step="status")
    finally:
        desk.close()
    del verifier
