"""Request bodies are I-JSON on every route of every service: the framework's own reading
(``json.loads``) kept the last of a member named twice, so ``{"policy": "housing-benefit",
"policy": "age-check"}`` was a request for an age check, and took a byte order mark."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.routing import BaseRoute

from civicid.shell.app import create_service_app
from civicid.shell.ijson import IJsonRequest, IJsonRoute
from issuer.app import create_app as issuer_app
from ledger.app import create_app as ledger_app
from ledger.witness.app import create_app as witness_app
from verifier.app import create_app as verifier_app


class Ask(BaseModel):
    policy: str
    limit: int = 0


@asynccontextmanager
async def nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


@pytest.fixture
def client() -> TestClient:
    made = create_service_app(title="CivicID test", description="A test.", lifespan=nothing)

    @made.post("/asks")
    async def asks(ask: Ask) -> dict[str, str]:
        return {"policy": ask.policy}

    return TestClient(made, raise_server_exceptions=False)


def post(client: TestClient, body: bytes) -> tuple[int, dict[str, str]]:
    answer = client.post("/asks", content=body, headers={"content-type": "application/json"})
    return answer.status_code, answer.json()


@pytest.mark.parametrize(
    "body, said",
    [
        (b'{"policy": "housing-benefit", "policy": "age-check"}', "duplicate member name"),
        (b'\xef\xbb\xbf{"policy": "age-check"}', "byte order mark"),
        (b'{"policy": "age-check", "limit": NaN}', "NaN"),
        (b'{"policy": "age-check", "limit": 1e400}', "beyond the range"),
        (b'{"policy": "\\ud800"}', "surrogate"),
        (b'{"policy": "age-check"', "not valid JSON"),
    ],
)
def test_what_is_not_ijson_is_request_invalid(client: TestClient, body: bytes, said: str) -> None:
    status, answer = post(client, body)
    assert status == 400
    assert answer["error"] == "request_invalid"
    assert said in answer["error_description"]


def test_i_json_is_read_as_written(client: TestClient) -> None:
    assert post(client, b'{"policy": "age-check"}') == (200, {"policy": "age-check"})


def test_a_body_is_read_once_per_request() -> None:
    """As the framework's own reading: each asker of the same request gets the one value
    read (what one changes, the next sees), not a second reading of the body."""
    sent = [{"type": "http.request", "body": b'{"policy": "age-check"}', "more_body": False}]

    async def receive() -> dict[str, object]:
        return sent.pop(0)

    request = IJsonRequest({"type": "http", "method": "POST", "headers": []}, receive)

    async def twice() -> tuple[object, object]:
        return await request.json(), await request.json()

    first, second = asyncio.run(twice())
    assert first == {"policy": "age-check"}
    assert second is first


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, those of included routers too (kept nested by the framework)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from api_routes(nested.routes)


@pytest.mark.parametrize(
    "make",
    [ledger_app, issuer_app, verifier_app, witness_app],
    ids=["ledger", "issuer", "desk", "witness"],
)
def test_every_route_of_every_service_reads_i_json(make: Callable[[], FastAPI]) -> None:
    routes = list(api_routes(make().routes))
    assert len(routes) >= 3
    plain = [r.path for r in routes if not isinstance(r, IJsonRoute)]
    assert plain == []
