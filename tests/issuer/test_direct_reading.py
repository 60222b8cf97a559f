"""What the direct answers read from a request (``issuer/routes/direct.py``): the body under
the routes' limit, the bearer token, which calls they answer; each as the routes' own helpers
(``deps``) read it, refusals with the same codes. In process, no issuer behind them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

import pytest
from starlette.requests import ClientDisconnect, Request

from civicid.errors import Error
from civicid.oid4vci import NonceResponse, TokenResponse
from issuer.routes import deps, direct

LIMIT = 16


def scope(*headers: tuple[bytes, bytes], path: str = "/token") -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "headers": list(headers)}


def receiving(*messages: dict[str, Any]) -> Callable[[], Awaitable[dict[str, Any]]]:
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    return receive


def chunk(body: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def read_both(headers: tuple[tuple[bytes, bytes], ...], *messages: dict[str, Any]) -> Any:
    """What ``direct.read_body`` and ``deps.read_limited`` make of the same request: the
    body, or the code each refused it with (the same, asserted)."""

    async def direct_read() -> bytes:
        return await direct.read_body(scope(*headers), receiving(*messages), LIMIT)

    async def routed_read() -> bytes:
        request = Request(scope(*headers), receiving(*messages))
        return await deps.read_limited(request, LIMIT)

    outcomes: list[object] = []
    for read in (direct_read, routed_read):
        try:
            outcomes.append(asyncio.run(read()))
        except Error as exc:
            outcomes.append(exc.code)
        except ClientDisconnect:
            outcomes.append("disconnect")
    assert outcomes[0] == outcomes[1]
    return outcomes[0]


LENGTH = b"content-length"


@pytest.mark.parametrize(
    ("headers", "messages", "outcome"),
    [
        ((), [chunk(b"abc")], b"abc"),
        ((), [chunk(b"a" * LIMIT)], b"a" * LIMIT),  # at the limit: taken
        ((), [chunk(b"a" * (LIMIT + 1))], "issuer_body_too_large"),
        ((), [chunk(b"a" * 10, True), chunk(b"b" * 6)], b"a" * 10 + b"b" * 6),
        ((), [chunk(b"a" * 10, True), chunk(b"b" * 7)], "issuer_body_too_large"),
        ((), [chunk(b"", True), chunk(b"x")], b"x"),
        ((), [chunk(b"ab", True), {"type": "other"}, chunk(b"c")], b"abc"),
        ((), [chunk(b"ab", True), {"type": "http.disconnect"}], "disconnect"),
        # ASGI: a message's body and more_body may be left out (b"" and false).
        ((), [{"type": "http.request"}], b""),
        ((), [{"type": "http.request", "body": b"ab"}], b"ab"),
        ((), [chunk(b"ab", True), {"type": "http.request", "more_body": False}], b"ab"),
        (((LENGTH, str(LIMIT + 1).encode()),), [chunk(b"")], "issuer_body_too_large"),
        (((LENGTH, str(LIMIT).encode()),), [chunk(b"a" * LIMIT)], b"a" * LIMIT),
        (((LENGTH, b"x"),), [chunk(b"ab")], b"ab"),  # not a number: the bytes count
        (((b"other", b"99"), (LENGTH, b"3")), [chunk(b"abc")], b"abc"),
        (((LENGTH, b"3"), (LENGTH, b"99")), [chunk(b"abc")], b"abc"),  # the first counts
    ],
)
def test_a_body_is_read_as_the_routes_read_it(
    headers: tuple[tuple[bytes, bytes], ...], messages: list[dict[str, Any]], outcome: Any
) -> None:
    assert read_both(headers, *messages) == outcome


def test_the_routes_limit_is_the_default() -> None:
    async def read() -> bytes:
        big = b"a" * (deps.MAX_BODY_BYTES + 1)
        return await direct.read_body(scope(), receiving(chunk(big)))

    with pytest.raises(Error) as refused:
        asyncio.run(read())
    assert refused.value.code == "issuer_body_too_large"


@pytest.mark.parametrize(
    "value",
    [None, b"", b"Bearer", b"Bearer ", b"Bearer abc", b"bearer abc", b"BEARER  abc ", b"Basic abc"],
)
def test_a_bearer_token_is_read_as_the_routes_read_it(value: bytes | None) -> None:
    headers = [(b"x-other", b"Bearer other")]
    if value is not None:
        headers += [(b"authorization", value), (b"authorization", b"Bearer second")]
    expected = deps.bearer(Request(scope(*headers)))
    assert direct.bearer(scope(*headers)) == expected
    if value == b"bearer abc":
        assert expected == "abc"


@pytest.mark.parametrize(
    ("method", "path", "answered"),
    [
        ("POST", "/token", direct.token),
        ("POST", "/nonce", direct.nonce),
        ("POST", "/credential", direct.credential),
        ("GET", "/offers/abc", direct.offer),
        ("GET", "/offers/", None),
        ("GET", "/offers/a/b", None),
        ("POST", "/offers/abc", None),
        ("GET", "/token", None),
        ("HEAD", "/offers/abc", None),
        ("POST", "/token/", None),
        ("PUT", "/credential", None),
    ],
)
def test_only_the_wallets_calls_are_answered_directly(
    method: str, path: str, answered: Any
) -> None:
    assert direct.direct_route(method, path) is answered


def settled() -> Future[None]:
    done: Future[None] = Future()
    done.set_result(None)
    return done


class Steps:
    """An issuer's steps, answering as the issuer does, each call noted."""

    shared = False

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.threads: list[threading.Thread] = []

    def token_begin(self, request: Any) -> tuple[TokenResponse, Future[None]]:
        self.calls.append(("token", (request.pre_authorized_code,)))
        return TokenResponse(access_token="t0k", token_type="Bearer", expires_in=300), settled()

    def nonce(self) -> NonceResponse:
        self.calls.append(("nonce", ()))
        self.threads.append(threading.current_thread())
        return NonceResponse(c_nonce="n0nce")

    def credential_request_begin(self, token: str, request: Any) -> tuple[list[str], Future[None]]:
        self.calls.append(("credential", (token, request.credential_configuration_id)))
        return ["a.b.c~", "d.e.f~"], settled()

    def fetch_offer_begin(self, offer_id: str) -> tuple[dict[str, Any], Future[None]]:
        self.calls.append(("offer", (offer_id,)))
        return {"credential_issuer": "https://issuer.example", "é": "ü"}, settled()


def answered(route: Any, steps: Steps, *headers: Any, body: bytes = b"", path: str = "/") -> Any:
    async def run() -> Any:
        return await route(steps, scope(*headers, path=path), receiving(chunk(body)))

    return asyncio.run(run())


def as_routed(response: Any) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    return response.status_code, response.body, response.raw_headers


def test_a_token_answer_is_the_routes() -> None:
    steps = Steps()
    form = b"grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code&pre-authorized_code=c"
    answer = answered(direct.token, steps, body=form)
    body = {"access_token": "t0k", "token_type": "Bearer", "expires_in": 300}
    assert answer == as_routed(
        deps.json_response(body, headers={**deps.NO_STORE, "Pragma": "no-cache"})
    )
    assert steps.calls == [("token", ("c",))]


def test_a_nonce_answer_is_the_routes() -> None:
    steps = Steps()
    assert answered(direct.nonce, steps) == as_routed(
        deps.json_response({"c_nonce": "n0nce"}, headers=deps.NO_STORE)
    )
    steps.shared = True  # kept in the database: asked in a thread, the same answer
    assert answered(direct.nonce, steps)[1] == b'{"c_nonce":"n0nce"}'
    assert steps.calls == [("nonce", ()), ("nonce", ())]
    # In memory, made on the event loop; in the database, off it (a query may wait).
    assert steps.threads[0] is threading.current_thread()
    assert steps.threads[1] is not threading.current_thread()


def test_a_credential_answer_is_the_routes() -> None:
    steps = Steps()
    body = b'{"credential_configuration_id":"x","proofs":{"jwt":["p"]}}'
    answer = answered(direct.credential, steps, (b"authorization", b"Bearer tk"), body=body)
    expected = {"credentials": [{"credential": "a.b.c~"}, {"credential": "d.e.f~"}]}
    assert answer == as_routed(deps.json_response(expected, headers=deps.NO_STORE))
    assert steps.calls == [("credential", ("tk", "x"))]


def test_a_credential_request_without_a_token_is_refused_before_its_body_is_read() -> None:
    steps = Steps()
    for headers in [(), ((b"authorization", b"Basic tk"),), ((b"authorization", b"Bearer "),)]:
        with pytest.raises(Error) as refused:
            answered(direct.credential, steps, *headers, body=b"not json")
        assert refused.value.code == "access_token_invalid"
    assert steps.calls == []


def test_an_offer_answer_is_the_routes() -> None:
    steps = Steps()
    answer = answered(direct.offer, steps, path="/offers/off-1")
    expected = {"credential_issuer": "https://issuer.example", "é": "ü"}
    assert answer == as_routed(deps.json_response(expected, headers=deps.NO_STORE))
    assert steps.calls == [("offer", ("off-1",))]
