"""The app factory: every service's refusals in our error body with their code (a bug
answered 500 without its internals), and its API docs served from local files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from civicid.errors import NotFound, declare
from civicid.shell.app import create_service_app
from civicid.shell.errors import REQUEST_BODY_TOO_LARGE
from issuer.app import create_app as issuer_app
from ledger.app import create_app as ledger_app
from verifier.app import create_app as verifier_app

THING_MISSING = declare("thing_missing", NotFound, "no such thing")
SECRET = "/srv/civicid/secret-path"


class Thing(BaseModel):
    size: int


@asynccontextmanager
async def nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


def app() -> FastAPI:
    made = create_service_app(title="CivicID test", description="A test.", lifespan=nothing)

    @made.get("/missing")
    async def missing() -> None:
        raise THING_MISSING("thing 7 is not here")

    @made.get("/bug")
    async def bug() -> None:
        raise RuntimeError(f"cannot open {SECRET}")

    @made.post("/things")
    async def things(thing: Thing) -> dict[str, int]:
        return {"size": thing.size}

    @made.post("/wrapped")
    async def wrapped() -> None:
        # What the framework does with an error raised while it reads a body.
        from fastapi import HTTPException

        raise HTTPException(
            400, "There was an error parsing the body"
        ) from REQUEST_BODY_TOO_LARGE()

    return made


@pytest.fixture
def client() -> TestClient:
    return TestClient(app(), raise_server_exceptions=False)


def test_our_error_keeps_its_code_and_status(client: TestClient) -> None:
    answer = client.get("/missing")
    assert answer.status_code == 404
    assert answer.json() == {"error": "thing_missing", "error_description": "thing 7 is not here"}


def test_a_bug_is_answered_500_without_its_internals(client: TestClient) -> None:
    answer = client.get("/bug")
    assert answer.status_code == 500
    assert answer.json()["error"] == "internal_error"
    assert SECRET not in answer.text and "RuntimeError" not in answer.text


def test_bad_input_is_400_with_our_code(client: TestClient) -> None:
    answer = client.post("/things", json={"size": "large"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "request_invalid"
    assert "size" in answer.json()["error_description"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("get", "/nowhere", 404, "route_not_found"), ("put", "/things", 405, "method_not_allowed")],
)
def test_the_framework_refusals_speak_our_codes(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == status
    assert answer.json()["error"] == code


def test_our_error_inside_the_frameworks_keeps_its_code(client: TestClient) -> None:
    answer = client.post("/wrapped")
    assert answer.status_code == 413
    assert answer.json()["error"] == "request_body_too_large"


def test_no_422_in_the_description(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/things"]["post"]
    assert "422" not in operation["responses"] and "400" in operation["responses"]


@pytest.mark.parametrize("make", [ledger_app, issuer_app, verifier_app])
def test_every_service_serves_its_docs_from_local_files(make: object) -> None:
    """The issuer's /docs loaded Swagger UI from a CDN (a blank page offline); the desk had
    none. The lifespan is not run: the docs need no open service."""
    service = TestClient(make(), base_url="http://localhost")  # type: ignore[operator]
    pages = {"/docs": "swagger-ui-bundle.js", "/redoc": "redoc.standalone.js"}
    for page, script in pages.items():
        answer = service.get(page)
        assert answer.status_code == 200
        assert "https://" not in answer.text and "http://" not in answer.text
        assert f"/docs-assets/{script}" in answer.text
        assert service.get(f"/docs-assets/{script}").status_code == 200
    assert service.get("/openapi.json").json()["info"]["version"] == "0.1.0"


def test_a_wrong_method_lists_every_method_the_path_has() -> None:
    """RFC 9110 §10.2.1: with GET and POST on one path in two routes, the framework's Allow
    named only the first (schemathesis' allowed-methods check found it on /staff/offers)."""
    made = app()

    @made.get("/things")
    async def list_things() -> dict[str, int]:
        return {}

    answer = TestClient(made).put("/things")
    assert answer.status_code == 405 and answer.json()["error"] == "method_not_allowed"
    assert answer.headers.get_list("allow") == ["GET, HEAD, POST"]


def test_an_error_body_is_described_as_json_beside_a_text_answer() -> None:
    """A route answering text (a checkpoint, a QR code) still refuses in JSON: the
    description says so, where FastAPI filed the error under the route's media type."""
    from fastapi.responses import PlainTextResponse

    from civicid.shell.openapi import errors

    made = app()

    @made.get("/note", response_class=PlainTextResponse, responses=errors(404))
    async def note() -> str:
        return "text"

    described = TestClient(made).get("/openapi.json").json()
    missing = described["paths"]["/note"]["get"]["responses"]["404"]["content"]
    assert list(missing) == ["application/json"]
    assert missing["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
