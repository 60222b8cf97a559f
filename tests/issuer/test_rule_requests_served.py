"""The rule desk served: anyone may ask for a rule's request without signing in, so a flood
of asks is answered 503 ``rule_requests_full`` (with ``Retry-After``) once the bound is
reached, and a citizen's request made before it is still answered (before, the flood pushed
it out: ``rule_request_unknown``). The file of requests is closed when the issuer stops."""

from __future__ import annotations

import json
from concurrent.futures import Future
from types import SimpleNamespace
from typing import cast

import httpx
import pytest

from civicid.jose import CompactJWS
from cli.harness import free_port, serving
from issuer import rule_requests
from issuer.app import create_app
from issuer.by_rule import REQUEST_TTL, RESPONSE_PATH, RuleRequest
from issuer.errors import STORE_FAILED
from issuer.rule_requests import FILE
from tests.issuer.conftest import Env
from tests.issuer.test_issuance_by_rule import RULE, SENIOR_CLAIMS, answer, national_id
from tests.issuer.test_issuance_by_rule import env as env  # the issuer, its rule published
from tests.issuer.test_issuance_by_rule import pass_type as pass_type  # env's fixture

ASK = f"/rules/{RULE}/requests"


def asked_of(made: httpx.Response) -> RuleRequest:
    """Only what ``answer`` reads of a RuleRequest: the request's nonce, state, client id."""
    claims = json.loads(CompactJWS.parse(made.json()["request"]).payload)
    request = SimpleNamespace(**{k: claims[k] for k in ("nonce", "state", "client_id")})
    return cast("RuleRequest", SimpleNamespace(request=request))


def test_a_flood_of_asks_is_refused_and_the_waiting_citizen_is_answered(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_requests, "MAX_WAITING", 3)
    credential, holder = national_id(env, SENIOR_CLAIMS)
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        mine = httpx.post(url + ASK, timeout=30)
        assert mine.status_code == 201, mine.text
        flood = [httpx.post(url + ASK, timeout=30) for _ in range(4)]
        assert [r.status_code for r in flood] == [201, 201, 503, 503]
        full = flood[-1]
        assert full.json()["error"] == "rule_requests_full"
        # Until the first waiting request expires (the clock is real time: a few seconds on).
        wait = int(full.headers["retry-after"])
        assert REQUEST_TTL - 60 < wait <= REQUEST_TTL + 1
        assert full.json()["details"] == {"retry_after": wait}
        assert full.headers["cache-control"] == "no-store"
        form = answer(env, asked_of(mine), credential, holder)
        decided = httpx.post(url + RESPONSE_PATH, data=form, timeout=30)
    assert decided.status_code == 200, decided.text
    assert decided.json()["issued"] is True


def test_a_store_failure_answered_in_place_of_the_refusal_says_no_retry_after(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issuer answers its store's failure (``issuer_store_failed``) when it cannot make
    a refusal's record durable: the Retry-After the refusal carried is not the failure's."""
    monkeypatch.setattr(rule_requests, "MAX_WAITING", 1)
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        assert httpx.post(url + ASK, timeout=30).status_code == 201
        failed: Future[None] = Future()
        failed.set_exception(STORE_FAILED("the disk is gone"))
        monkeypatch.setattr(env.issuer, "barrier", lambda: failed)
        answered = httpx.post(url + ASK, timeout=30)
    assert answered.status_code == 503, answered.text
    assert answered.json()["error"] == "issuer_store_failed"
    assert "retry-after" not in answered.headers


def test_the_file_of_requests_is_closed_when_the_issuer_stops(env: Env) -> None:
    """Closed, its write-ahead log is checkpointed and removed; an app served again opens it
    anew and answers a request made before."""
    wal = env.settings.store_dir / (FILE + "-wal")
    app = create_app(issuer=env.issuer, background=False)
    with serving(app, free_port()) as url:
        made = httpx.post(url + ASK, timeout=30)
        assert made.status_code == 201, made.text
        assert wal.exists()  # the file is open
    assert not wal.exists()
    assert app.state.rule_issuance is None
    credential, holder = national_id(env, SENIOR_CLAIMS)
    with serving(app, free_port()) as url:
        form = answer(env, asked_of(made), credential, holder)
        decided = httpx.post(url + RESPONSE_PATH, data=form, timeout=30)
    assert decided.status_code == 200 and decided.json()["issued"] is True, decided.text


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"state=caf\xe9&vp_token=%7B%7D", "the body is not a UTF-8 form"),
        (b"state=a&vp_token=%7B%7D&state=b", "state appears twice"),
    ],
)
def test_a_malformed_answer_is_refused_as_a_desk_refuses_it(
    env: Env, body: bytes, said: str
) -> None:
    """The rule desk's answers are OpenID4VP responses: ``oid4vp_response_malformed``, the
    desk's code (before: ``request_invalid``)."""
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        refused = httpx.post(
            url + RESPONSE_PATH,
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "oid4vp_response_malformed"
    assert refused.json()["error_description"] == said


def test_the_openapi_describes_the_retry_after_of_a_full_rule_desk(env: Env) -> None:
    """As the desk's ``POST /requests`` describes its own."""
    spec = create_app(issuer=env.issuer, background=False).openapi()
    full = spec["paths"][ASK.replace(RULE, "{rule}")]["post"]["responses"]["503"]
    assert "rule_requests_full" in full["description"]
    assert full["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
