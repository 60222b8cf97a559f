"""Attack: a DID with a newline in it (``%0A`` in the path). The direct answer refuses it
(400 did_invalid); the framework's route (a request under a root path, or the second try
after a failing direct answer) must answer alike, not read another DID out of the path (its
pattern's ``$`` matches before a final newline: ``did\n`` is resolved as ``did``; its ``.``
stops at a newline: 404 route_not_found)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World

PREFIX = resolution_routes.PATH_PREFIX


@pytest.fixture
def app(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)) as c:
        yield c


@pytest.fixture
def live(app: TestClient) -> Iterator[str]:
    with serving(app.app, free_port()) as url:
        yield url


def answered(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Status, body and the headers a route sets (the server's own date and name aside)."""
    kept = [(k, v) for k, v in response.headers.items() if k not in ("date", "server")]
    return response.status_code, response.content, kept


def on_wire(
    live: str, target: str, headers: dict[str, str], method: str = "GET"
) -> tuple[int, bytes, list[tuple[str, str]]]:
    """The answer to ``target`` sent as it is (no client normalises its dot segments)."""
    where = urlsplit(live)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
    try:
        connection.request(method, target, headers=headers)
        response = connection.getresponse()
        body = response.read()
        kept = [
            (k.lower(), v) for k, v in response.getheaders() if k.lower() not in ("date", "server")
        ]
        return response.status, body, kept
    finally:
        connection.close()


@pytest.mark.parametrize("at", ["end", "middle"])
def test_a_newline_in_the_did_is_answered_alike_by_every_route(
    world: World, app: TestClient, live: str, at: str
) -> None:
    """``%0A`` decodes to a newline in the path: the direct answer refuses the DID (400
    invalid_did); the framework's route (any request under a root path) must not
    read another DID out of the path (its pattern's ``$`` matches before a final newline and
    its ``.`` stops at one)."""
    agency = world.register()
    did = agency.did + "%0A" if at == "end" else agency.did[:20] + "%0A" + agency.did[20:]
    url = PREFIX + did
    get = app.get(url)
    assert get.status_code in (400, 404)  # refused as a DID, or as no route's path
    assert agency.did not in get.text  # never resolved as the DID without the newline
    under = TestClient(app.app, root_path="/under").get(url)
    assert answered(under) == answered(get)
    assert on_wire(live, url, {}) == answered(get)
