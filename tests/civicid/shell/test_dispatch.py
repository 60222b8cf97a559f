"""The hot calls' dispatch every service shares (``DirectApp``): a hot call goes to its route
function, its refusal to the app's own handler, a bug (and a refusal whose answer fails) is
answered ``internal_error`` and raised to the server; a route may hand its request, body
read, to the framework; anything with a query string or a root path is the framework's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from civicid.errors import INTERNAL_ERROR, Error, NotFound, declare
from civicid.shell.app import create_service_app
from civicid.shell.dispatch import DirectApp, Route, ToFramework

ECHO_MISSING = declare("echo_missing", NotFound, "nothing to echo")


@asynccontextmanager
async def nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


async def echo(request: Request) -> Response:
    body = await request.body()
    if body == b"frame":
        raise ToFramework(body)
    if not body:
        raise ECHO_MISSING("an empty body")
    if body == b"bug":
        raise RuntimeError("a bug")
    return JSONResponse({"by": "direct", "body": body.decode()})


class EchoApp(DirectApp):
    def direct_route(self, method: str, path: str) -> Route | None:
        return echo if (method, path) == ("POST", "/echo") else None


def app() -> FastAPI:
    made = create_service_app(title="CivicID test", description="A test.", lifespan=nothing)

    @made.post("/echo")
    async def routed(request: Request) -> Response:
        return JSONResponse({"by": "framework", "body": (await request.body()).decode()})

    made.__class__ = EchoApp
    return made


@pytest.fixture
def client() -> TestClient:
    return TestClient(app(), raise_server_exceptions=False)


def test_a_hot_call_is_direct_and_others_are_the_framework_s(client: TestClient) -> None:
    assert client.post("/echo", content=b"hi").json() == {"by": "direct", "body": "hi"}
    assert client.post("/echo?x=1", content=b"hi").json()["by"] == "framework"
    assert TestClient(app(), root_path="/under").post("/echo", content=b"hi").json()["by"] == (
        "framework"
    )


def test_a_route_hands_its_request_and_body_to_the_framework(client: TestClient) -> None:
    assert client.post("/echo", content=b"frame").json() == {"by": "framework", "body": "frame"}


def test_a_refusal_is_answered_by_the_app_s_handler(client: TestClient) -> None:
    answer = client.post("/echo")
    assert answer.status_code == 404 and answer.json()["error"] == "echo_missing"


def test_a_bug_is_answered_internal_error_and_raised() -> None:
    answer = TestClient(app(), raise_server_exceptions=False).post("/echo", content=b"bug")
    assert answer.status_code == 500 and answer.json()["error"] == INTERNAL_ERROR.name
    assert "a bug" not in answer.text
    with pytest.raises(RuntimeError, match="a bug"):
        TestClient(app()).post("/echo", content=b"bug")


def test_a_refusal_whose_answer_fails_is_answered_internal_error_and_raised() -> None:
    async def broken(_: Request, __: Exception) -> Response:
        raise RuntimeError("answering failed")

    made = app()
    made.exception_handlers[Error] = broken
    answer = TestClient(made, raise_server_exceptions=False).post("/echo")
    assert answer.status_code == 500 and answer.json()["error"] == INTERNAL_ERROR.name
    assert "answering failed" not in answer.text
    with pytest.raises(RuntimeError, match="answering failed"):
        TestClient(made).post("/echo")
