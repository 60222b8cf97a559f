"""The ledger (and its mirror's app, the same class) answers HEAD wherever it answers GET (RFC
9110 §9.3.2): GET's status and header fields, no body. DID resolution and the checkpoint key,
answered straight past the framework for a GET, are answered by the framework's routes for a
HEAD: the GET's fast path gains no comparison."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


@pytest.fixture
def url(world: World) -> Iterator[str]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as served:
        yield served


def same_head(url: str, path: str) -> httpx.Response:
    got, head = httpx.get(url + path), httpx.head(url + path)
    assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
    for name in ("content-type", "content-length", "cache-control", "etag"):
        assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert got.content and head.content == b""
    return head


def test_head_is_get_without_its_body(world: World, url: str) -> None:
    agency = world.register("agency")
    assert same_head(url, f"/1.0/identifiers/{agency.did}").status_code == 200
    assert same_head(url, "/1.0/identifiers/did:civicid:nobody").status_code == 400
    for path in ("/checkpoint", "/checkpoint-key", "/health", "/transactions/0", "/openapi.json"):
        assert same_head(url, path).status_code == 200, path
    assert same_head(url, "/transactions/999999").status_code == 404


def test_head_where_no_get_is_refused_alike(url: str) -> None:
    posted = httpx.head(f"{url}/transactions")  # POST alone
    assert posted.status_code == 405 and posted.content == b""
    assert posted.headers["allow"] == "POST"
    missing = httpx.head(f"{url}/no-such")
    assert missing.status_code == 404 and missing.content == b""
