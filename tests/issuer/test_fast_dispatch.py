"""The issuance's calls served straight by their route functions (``IssuerApp``) answer as the
framework's routing does: the same bodies, statuses and headers, refusals in the same shape,
a bug (and a refusal whose answer fails) as ``internal_error``; a request with a query string
is the framework's, as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.errors import INTERNAL_ERROR
from civicid.identity import Identity
from civicid.oid4vci import WELL_KNOWN_ISSUER
from cli.harness import free_port, serving
from issuer import app as issuer_app
from issuer.app import HOT_ROUTES, create_app
from issuer.settings import ConfigurationSettings
from tests.issuer.conftest import CONFIG, NATIONAL_ID, UNREGISTERED, Env, load_type, sample_claims


@pytest.fixture
def base(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        yield url


def staff(env: Env, base: str) -> httpx.Client:
    return httpx.Client(
        base_url=base, headers={"authorization": f"Bearer {env.keys['alice']}"}, timeout=10
    )


def offer_body() -> dict[str, Any]:
    return {"configuration": CONFIG, "record": "REG-9", "claims": sample_claims()}


def test_every_fast_call_is_a_route_of_the_app_too(env: Env) -> None:
    """Its OpenAPI description, and the requests left to the framework, stay the framework's."""
    app = create_app(issuer=env.issuer, background=False)
    paths = app.openapi()["paths"]
    for method, path in HOT_ROUTES:
        assert method.lower() in paths[path]
    assert type(app) is issuer_app.IssuerApp


def test_an_offer_made_fast_is_the_offer_the_framework_makes(env: Env, base: str) -> None:
    with staff(env, base) as client:
        fast = client.post("/staff/offers", json=offer_body())
        routed = client.post("/staff/offers", json=offer_body(), params={"qr": "false"})
    assert fast.status_code == routed.status_code == 201
    assert fast.headers["cache-control"] == routed.headers["cache-control"] == "no-store"
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.json().keys() == routed.json().keys()
    assert fast.json()["qr"]["svg"].endswith("?format=svg")


def same_answer(fast: httpx.Response, routed: httpx.Response) -> Any:
    """The fast answer and the framework's are one answer; its JSON body."""
    assert fast.status_code == routed.status_code
    assert fast.json() == routed.json()
    for name in ("content-type", "cache-control", "www-authenticate"):
        assert fast.headers.get(name) == routed.headers.get(name)
    return fast.json()


def test_a_refused_token_answers_in_oauth_shape_either_way(base: str) -> None:
    form = {"grant_type": "password"}
    fast, routed = (httpx.post(f"{base}/token{q}", data=form) for q in ("", "?x=1"))
    body = same_answer(fast, routed)
    assert fast.status_code == 400
    assert fast.headers["cache-control"] == "no-store"
    assert body["error"] == "invalid_request"
    assert body["civicid_error"] == "oid4vci_token_request_invalid"


def test_a_refused_credential_request_answers_in_oauth_shape_either_way(base: str) -> None:
    fast, routed = (httpx.post(f"{base}/credential{q}", json={}) for q in ("", "?x=1"))
    body = same_answer(fast, routed)
    assert fast.status_code == 401
    assert fast.headers["www-authenticate"].startswith("Bearer error=")
    assert body["civicid_error"] == "access_token_invalid"


def test_a_staff_refusal_answers_with_our_code_either_way(base: str) -> None:
    fast, routed = (httpx.post(f"{base}/staff/offers{q}", json=offer_body()) for q in ("", "?x=1"))
    body = same_answer(fast, routed)
    assert fast.status_code == 401
    assert body["error"] == "staff_key_missing"


def test_a_bug_in_a_fast_call_answers_internal_error(
    env: Env, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(env.issuer, "nonce", broken)
    fast, routed = (httpx.post(f"{base}/nonce{q}") for q in ("", "?x=1"))
    body = same_answer(fast, routed)
    assert fast.status_code == 500
    assert body["error"] == "internal_error"
    assert "a bug" not in fast.text


def test_a_refusal_whose_answer_fails_is_answered_internal_error(
    env: Env, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal is told once its audit record is durable: when that wait fails (the
    store), the answer is the bug's, in our JSON body, as the framework answers it."""

    def broken() -> None:
        raise RuntimeError("the store failed")

    monkeypatch.setattr(env.issuer, "barrier", broken)
    form = {"grant_type": "password"}
    fast, routed = (httpx.post(f"{base}/token{q}", data=form) for q in ("", "?x=1"))
    body = same_answer(fast, routed)
    assert fast.status_code == 500
    assert body["error"] == INTERNAL_ERROR.name
    assert "the store failed" not in fast.text


def test_a_wrong_method_on_a_fast_path_is_the_frameworks_405(base: str) -> None:
    answer = httpx.get(f"{base}/credential")
    assert answer.status_code == 405
    assert answer.json()["error"] == "method_not_allowed"
    assert "POST" in answer.headers["allow"]


def test_the_issuer_metadata_is_answered_fast_as_the_framework_does(base: str) -> None:
    fast, routed = (httpx.get(f"{base}{WELL_KNOWN_ISSUER}{q}") for q in ("", "?x=1"))
    body = same_answer(fast, routed)
    assert fast.status_code == 200
    assert body["credential_configurations_supported"][CONFIG]["credential_metadata"]


def test_the_issuer_metadata_is_built_again_for_a_new_key(env: Env) -> None:
    first = env.issuer.issuer_metadata()
    assert env.issuer.known_issuer_metadata() is first  # built once, then served as built
    # A rotation puts another identity in force (here the same key, as a new object).
    env.issuer.ledger.identity = Identity.from_json(env.issuer.identity.to_json())
    again = env.issuer.known_issuer_metadata()
    assert again is not first and again == first


def test_a_type_not_on_the_ledger_does_not_keep_the_next_one_from_being_read(env: Env) -> None:
    configurations = [
        ConfigurationSettings(id="unregistered", vct=UNREGISTERED),
        *env.settings.credential_configurations,
    ]
    env.issuer.settings = env.settings.model_copy(
        update={"credential_configurations": configurations}
    )
    assert env.issuer.ledger.known_type(NATIONAL_ID) is None  # not read yet
    document = env.issuer.issuer_metadata()
    assert env.issuer.ledger.known_type(UNREGISTERED) is None
    assert env.issuer.ledger.known_type(NATIONAL_ID) is not None
    supported = document["credential_configurations_supported"]
    assert supported[CONFIG]["credential_metadata"]["display"]


def test_a_type_read_before_does_not_keep_the_next_one_from_being_read(env: Env) -> None:
    other = "https://civicid.example/vct/national-id-copy"
    metadata, schema = load_type("national-id")
    env.world.accredit(env.agency, [other])
    body = {"vct": other, "metadata": {**metadata, "vct": other}, "schema": schema}
    env.world.submit(env.agency, tx.CREDENTIAL_TYPE, body)
    configurations = [
        *env.settings.credential_configurations,
        ConfigurationSettings(id="copy", vct=other),
    ]
    env.issuer.settings = env.settings.model_copy(
        update={"credential_configurations": configurations}
    )
    env.issuer.ledger.credential_type(NATIONAL_ID)  # read already
    document = env.issuer.issuer_metadata()
    assert env.issuer.ledger.known_type(other) is not None
    assert document["credential_configurations_supported"]["copy"]["credential_metadata"]["display"]
