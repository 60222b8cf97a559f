"""schemathesis, every check, against the desk's OpenAPI description (its page's JSON API
and OpenID4VP): a request valid by the description is answered as described, one that is
not is refused, nothing crashes. The desk authenticates no caller today: its API is for
the desk's own page, served where only the desk reaches it."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.openapi_fuzz import UNDER_ANY_LOAD, load
from verifier.app import create_app
from verifier.service import Verifier
from verifier.settings import VerifierSettings


@pytest.fixture
def desk_api(verifier: Verifier) -> Any:
    # The fuzzer's in-process client names its server "testserver": a name the desk answers
    # to only as it would a reverse proxy's.
    return load(create_app(VerifierSettings(allowed_hosts=["testserver"]), verifier=verifier))


schema = schemathesis.pytest.from_fixture("desk_api")


@schema.parametrize()
@UNDER_ANY_LOAD
def test_the_desk_answers_as_it_describes(case: Any) -> None:
    case.call_and_validate()


def test_every_desk_body_is_described(verifier: Verifier) -> None:
    """The desk's description had no request bodies and no answer models."""
    from fastapi.testclient import TestClient

    described = (
        TestClient(create_app(verifier=verifier), base_url="http://localhost")
        .get("/openapi.json")
        .json()
    )
    paths = described["paths"]
    form = paths["/oid4vp/response"]["post"]["requestBody"]["content"]
    assert form["application/x-www-form-urlencoded"]["schema"]["required"] == ["state"]
    asked = paths["/requests"]["post"]
    assert asked["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/NewRequest"
    )
    ok = asked["responses"]["201"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/Created")
    polled = paths["/transactions/{transaction_id}"]["get"]["responses"]
    assert polled["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    for name in ("Transaction", "DecisionView", "Answered", "PolicyView"):
        assert name in described["components"]["schemas"]
