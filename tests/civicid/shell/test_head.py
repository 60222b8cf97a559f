"""HEAD is answered wherever GET is (RFC 9110 §9.3.2): the same status and header fields as
the GET of the path, no body; not on a path whose GET spends what it reads (``served_once``),
refused 405 as any method a route lacks. Before, every HEAD was 405, and over httptools (the
parser served) its answer was never sent at all: its head waited for a body write that never
came."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Final

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.testclient import TestClient

from civicid.shell.app import create_service_app
from civicid.shell.dispatch import DirectApp, Route
from tests.civicid.shell.conftest import nothing
from tests.slow_clients import PATIENCE, Target

ONCE: Final = "/once/"


class Counted(DirectApp):
    """A service with a hot call (``/hot``) served straight by its route function."""

    def direct_route(self, method: str, path: str) -> Route | None:
        return hot if (method, path) == ("GET", "/hot") else None


async def hot(_: Request) -> Response:
    CALLS.append("direct")
    return JSONResponse({"by": "direct"}, headers={"x-by": "direct"})


CALLS: list[str] = []


def service() -> FastAPI:
    made = create_service_app(title="t", description="t", lifespan=nothing, served_once=(ONCE,))

    @made.get("/thing")
    async def thing() -> Response:
        CALLS.append("thing")
        return JSONResponse({"a": "b"}, headers={"x-thing": "1", "cache-control": "no-store"})

    @made.get("/hot")
    async def hot_routed() -> Response:
        CALLS.append("framework")
        return JSONResponse({"by": "framework"}, headers={"x-by": "framework"})

    @made.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b"one", b"two", b"three"):
                yield part

        return StreamingResponse(parts(), media_type="text/plain")

    @made.get(ONCE + "{name}")
    async def once(name: str) -> dict[str, str]:
        CALLS.append(f"spent {name}")
        return {"spent": name}

    @made.post("/posted")
    async def posted() -> dict[str, str]:
        return {}

    made.__class__ = Counted
    return made


@pytest.fixture
def client() -> Iterator[TestClient]:
    CALLS.clear()
    with TestClient(service()) as made:
        yield made


def without_date(headers: object) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers.multi_items() if k != "date"]  # type: ignore[attr-defined]


def test_head_answers_as_get_without_the_body(client: TestClient) -> None:
    got, head = client.get("/thing"), client.head("/thing")
    assert head.status_code == got.status_code == 200
    assert without_date(head.headers) == without_date(got.headers)
    assert head.headers["content-length"] == str(len(got.content)) != "0"
    assert head.content == b""


def test_a_hot_call_s_head_is_answered_by_the_framework_s_route(client: TestClient) -> None:
    """Every hot call is a route of the app too: a HEAD goes to it, never to a direct route
    (one that spends what it reads may be served directly)."""
    head = client.head("/hot")
    assert head.status_code == 200 and head.headers["x-by"] == "framework"
    assert head.content == b"" and CALLS == ["framework"]


def test_a_streamed_answer_s_head_has_no_body(client: TestClient) -> None:
    head = client.head("/stream")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/plain")


def test_head_where_get_is_refused_is_refused_alike_without_body(client: TestClient) -> None:
    missing = client.head("/no-such-thing")
    assert missing.status_code == 404 and missing.content == b""
    assert client.get("/no-such-thing").json()["error"] == "route_not_found"
    posted = client.head("/posted")
    assert posted.status_code == 405 and posted.content == b""
    assert posted.headers["allow"] == "POST"


def test_a_path_served_once_is_not_spent_by_head(client: TestClient) -> None:
    head = client.head(ONCE + "x")
    assert head.status_code == 405 and head.content == b""
    assert head.headers["allow"] == "GET"
    assert CALLS == []
    assert client.get(ONCE + "x").json() == {"spent": "x"}
    assert CALLS == ["spent x"]


def test_a_wrong_method_lists_head_beside_get(client: TestClient) -> None:
    answer = client.put("/thing")
    assert answer.status_code == 405 and answer.json()["error"] == "method_not_allowed"
    assert answer.headers["allow"] == "GET, HEAD"
    assert client.put(ONCE + "x").headers["allow"] == "GET"


def test_an_app_of_the_framework_alone_lists_no_head() -> None:
    """Only the shell's app answers HEAD: an app made otherwise is not said to."""
    made = create_service_app(title="t", description="t", lifespan=nothing)

    @made.get("/thing")
    async def thing() -> dict[str, str]:
        return {}

    made.__class__ = FastAPI
    assert TestClient(made).put("/thing").headers["allow"] == "GET"


def answers(target: Target, raw: bytes, count: int) -> bytes:
    """What the server sends back to ``raw`` until ``count`` answers' heads have come."""
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(raw)
        got = b""
        while got.count(b"HTTP/1.1 ") < count or not got.endswith((b"}", b"\r\n\r\n")):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    return got


def test_a_served_head_is_answered_with_its_head_alone(target: Target) -> None:
    """Over each parser: the HEAD's answer leaves at once (it held its head for a body write
    before, and the client waited), with GET's Content-Length and no body; a GET pipelined
    behind it is answered after it."""
    head = b"HEAD /health HTTP/1.1\r\nhost: localhost\r\n\r\n"
    get = b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n"
    alone = answers(target, head, 1)
    assert alone.startswith(b"HTTP/1.1 200 OK\r\n") and alone.endswith(b"\r\n\r\n"), alone
    assert b"content-length: 15\r\n" in alone
    both = answers(target, head + get, 2)
    first, _, second = both.partition(b"\r\n\r\n")
    assert b"content-length: 15" in first
    assert second.startswith(b"HTTP/1.1 200 OK\r\n") and second.endswith(b'{"status":"ok"}')


def test_a_file_sent_by_path_ends_a_head_s_answer_with_no_body() -> None:
    """A server offering ``http.response.pathsend`` gets the answer's end instead of the
    file; more body to come is dropped, the last part's end is sent bodiless."""
    import asyncio

    from civicid.shell.dispatch import without_body

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    head = without_body(send)  # type: ignore[arg-type]

    async def answer() -> None:
        await head({"type": "http.response.start", "status": 200, "headers": []})
        await head({"type": "http.response.body", "body": b"one", "more_body": True})
        await head({"type": "http.response.body", "body": b"two"})
        await head({"type": "http.response.pathsend", "path": "/etc/hostname"})
        await head({"type": "http.response.debug", "info": {}})

    asyncio.run(answer())
    assert sent == [
        {"type": "http.response.start", "status": 200, "headers": []},
        {"type": "http.response.body", "body": b""},
        {"type": "http.response.body", "body": b""},
        {"type": "http.response.debug", "info": {}},
    ]
