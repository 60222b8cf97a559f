"""``Retry-After`` is the shell's (``civicid.shell.handlers``): a refusal whose details say
when to ask again is answered with the header wherever it is raised (before, each route that
could raise one caught it to add the header), and only when the answer is that refusal: a
service's renderer may answer another error in its place, which says no such thing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from civicid.errors import Error, StorageError, Unavailable, declare
from civicid.shell.app import create_service_app

THINGS_FULL = declare("things_full", StorageError, "as many things as may be")
STORE_DOWN = declare("store_down", Unavailable, "the store failed")


@asynccontextmanager
async def nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


async def store_failed(_: Request, error: Error) -> Response:
    """A renderer that answers its store's failure in place of the refusal (as the issuer's
    does when it cannot record the refusal)."""
    failure = STORE_DOWN("cannot record the refusal")
    if THINGS_FULL.matches(error):
        return JSONResponse(failure.to_json(), failure.http_status)
    return JSONResponse(error.to_json(), error.http_status)


async def own_words(_: Request, error: Error) -> Response:
    return JSONResponse(error.to_json(), error.http_status)


def app(render: object = None, wait: object = 7) -> FastAPI:
    made = create_service_app(
        title="CivicID test",
        description="A test.",
        lifespan=nothing,
        render_error=render,  # type: ignore[arg-type]  # None or one of the above
        error_headers={"x-kept": "yes"},
    )

    @made.post("/things")
    async def things() -> None:
        raise THINGS_FULL("no room", retry_after=wait)

    return made


def test_a_refusal_that_says_when_is_answered_with_retry_after() -> None:
    answered = TestClient(app()).post("/things")
    assert answered.status_code == 503
    assert answered.json()["error"] == "things_full"
    assert answered.headers["retry-after"] == "7"
    assert answered.headers["cache-control"] == "no-store"
    assert answered.headers["x-kept"] == "yes"  # the service's own error headers stay


def test_a_service_renderer_answering_that_refusal_has_the_header_too() -> None:
    answered = TestClient(app(own_words)).post("/things")
    assert answered.json()["error"] == "things_full"
    assert answered.headers["retry-after"] == "7"


def test_another_error_answered_in_its_place_has_no_retry_after() -> None:
    answered = TestClient(app(store_failed)).post("/things")
    assert answered.status_code == 502
    assert answered.json()["error"] == "store_down"
    assert "retry-after" not in answered.headers
    assert "cache-control" not in answered.headers


@pytest.mark.parametrize("wait", [0, -3, True, 2.5, "7", None])
def test_a_wait_that_is_no_whole_number_of_seconds_is_not_said(wait: object) -> None:
    answered = TestClient(app(wait=wait)).post("/things")
    assert answered.json()["error"] == "things_full"
    assert "retry-after" not in answered.headers


def test_a_wait_of_one_second_is_said() -> None:
    answered = TestClient(app(wait=1)).post("/things")
    assert answered.headers["retry-after"] == "1"
