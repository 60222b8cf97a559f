"""The issuer answers HEAD wherever it answers GET (RFC 9110 §9.3.2): GET's status and header
fields, no body, through the framework's route (the issuer metadata's hot call too); an offer
by reference, served once, is not spent by a HEAD (405, as for a method it lacks)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cli.harness import free_port, serving
from issuer.app import create_app
from tests.issuer.conftest import CONFIG, Env, sample_claims


@pytest.fixture
def base(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        yield url


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        "/.well-known/openid-credential-issuer",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwt-vc-issuer",
        "/openapi.json",
        "/staff/offers",
        "/status/999",
    ],
)
def test_head_is_get_without_its_body(base: str, path: str) -> None:
    got, head = httpx.get(base + path), httpx.head(base + path)
    assert head.status_code == got.status_code
    for name in ("content-type", "content-length", "cache-control"):
        assert head.headers.get(name) == got.headers.get(name), name
    assert head.content == b""


def test_a_head_does_not_spend_an_offer(env: Env, base: str) -> None:
    created = env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-3", claims=sample_claims()
    )
    path = f"/offers/{created.offer.id}"
    head = httpx.head(base + path)
    assert head.status_code == 405 and head.content == b""
    assert head.headers["allow"] == "GET"
    assert httpx.get(base + path).status_code == 200
    assert httpx.get(base + path).json()["civicid_error"] == "offer_already_fetched"
