"""The issuance's fast calls answer as the framework does when answering a refusal itself
fails (the store failed, so the refusal's audit record cannot be made durable): 503
``issuer_store_failed`` (the service unavailable, not a bug), in the endpoint's JSON shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.errors import STORE_FAILED
from tests.issuer.conftest import Env
from tests.issuer.test_store_refusals import full_disk


@pytest.fixture
def bases(env: Env) -> Iterator[tuple[str, str]]:
    routed = create_app(issuer=env.issuer, background=False)
    routed.__class__ = FastAPI  # the same app without the fast dispatch
    fast = create_app(issuer=env.issuer, background=False)
    with serving(fast, free_port()) as fast_url, serving(routed, free_port()) as routed_url:
        yield fast_url, routed_url


@pytest.mark.parametrize("failed", ["earlier", "now"])
@pytest.mark.parametrize(
    ("path", "form", "civicid_error"),
    [
        ("/token", {"grant_type": "password"}, "issuer_store_failed"),  # OAuth's shape
        ("/staff/offers", None, None),  # ours: no API key, refused and audited
    ],
)
def test_a_refusal_that_cannot_be_recorded_is_the_store_unavailable(
    env: Env,
    bases: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    failed: str,
    path: str,
    form: dict[str, str] | None,
    civicid_error: str | None,
) -> None:
    if failed == "earlier":  # the store refuses at once (its memory could not be read again)
        monkeypatch.setattr(env.issuer.store, "_failed", STORE_FAILED("the disk failed"))
    else:  # the disk refuses the refusal's audit record: its commit fails
        full_disk(env.store, monkeypatch).full = True
    answers = [
        httpx.post(f"{base}{path}", data=form, json=None if form else {}, timeout=30)
        for base in bases
    ]
    fast, routed = answers
    assert fast.status_code == routed.status_code == 503
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert fast.json() == routed.json()
    assert fast.json()["error"] == "issuer_store_failed"
    assert fast.json().get("civicid_error") == civicid_error
