"""Attack: a ledger (or a proxy in front of it) answers the credential's list URI with another
list of the same agency: a genuine, proven token, but of another sub (pitfall 10)."""

import httpx

from civicid import transaction as tx
from civicid.status_list import StatusList, build_token
from tests.verifier.attacks import fresh, refused
from tests.verifier.world import LIST_URI, Clock, World, open_desk

OTHER_URI = "https://agency.civicid.example/status/2"


class Swap(httpx.BaseTransport):
    """Answers questions about LIST_URI with the answer for OTHER_URI."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status-lists" and request.url.params.get("uri") == LIST_URI:
            request = httpx.Request(
                request.method,
                request.url.copy_set_param("uri", OTHER_URI),
                headers=request.headers,
            )
        return self.inner.handle_request(request)


def test_a_list_of_another_sub(world: World, http: httpx.BaseTransport, clock: Clock) -> None:
    token = build_token(
        key=world.agency.key,
        kid=world.agency.kid,
        sub=OTHER_URI,
        status_list=StatusList(1000, 2),
        iat=clock.now,
        exp=None,
        ttl=3600,
    )
    world.submit(world.agency, tx.STATUS_LIST, {"uri": OTHER_URI, "token": token})
    desk = open_desk(world, Swap(http), Clock(clock.now + 60))
    try:
        presentation, nonce = fresh(world, desk, world.credential(iat=clock.now))
        refused(desk, presentation, "ledger_answer_mismatch", nonce=nonce, step="status")
    finally:
        desk.close()
