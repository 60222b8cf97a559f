"""The issuance's fast calls answer as the framework does when answering a refusal itself
fails (the store failed, so the refusal's audit record cannot be made durable): our JSON
``internal_error``, not the server's bare text."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.errors import STORE_FAILED
from tests.issuer.conftest import Env


@pytest.fixture
def bases(env: Env) -> Iterator[tuple[str, str]]:
    routed = create_app(issuer=env.issuer, background=False)
    routed.__class__ = FastAPI  # the same app without the fast dispatch
    fast = create_app(issuer=env.issuer, background=False)
    with serving(fast, free_port()) as fast_url, serving(routed, free_port()) as routed_url:
        yield fast_url, routed_url


def test_a_refusal_that_cannot_be_recorded_answers_as_the_framework_does(
    env: Env, bases: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(env.issuer.store, "_failed", STORE_FAILED("the disk failed"))
    answers = [
        httpx.post(f"{base}/token", data={"grant_type": "password"}, timeout=30) for base in bases
    ]
    fast, routed = answers
    assert fast.status_code == routed.status_code == 500
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert fast.json() == routed.json()
    assert fast.json()["error"] == "internal_error"
