"""A deeply nested JSON body once answered 500 (RecursionError). Any body answers 4xx with
our code, and the log is unchanged; a body is I-JSON (a member named twice is refused, not
read as its last)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from civicid.encoding import b64url_encode
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World

DEPTH = 100_000


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("content_type", "body", "code"),
    [
        ("application/json", "[" * DEPTH + "]" * DEPTH, "json_invalid"),
        ("application/json", '{"a":' * DEPTH + "1" + "}" * DEPTH, "json_invalid"),
        ("application/json", '{"transaction": "a.b.c", "transaction": "d.e.f"}', "json_invalid"),
        (
            "application/jose",
            b64url_encode(b'{"alg":"ES256"}') + "." + b64url_encode(b"[" * DEPTH) + ".c2ln",
            "jws_malformed",
        ),
        (
            "application/jose",
            b64url_encode(b"{" * 50_000) + "." + b64url_encode(b"{}") + ".c2ln",
            "jws_malformed",
        ),
    ],
    ids=["json-arrays", "json-objects", "named-twice", "jws-payload", "jws-header"],
)
def test_a_deeply_nested_body_is_a_4xx(
    world: World, http: TestClient, content_type: str, body: str, code: str
) -> None:
    size, root = world.ledger.size, world.ledger.tree.root()
    response = http.post("/transactions", content=body, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"] in (code, "jws_typ_mismatch")
    assert world.ledger.size == size and world.ledger.tree.root() == root
