"""Fuzzing the wallet-facing input: random forms, requests, proofs and raw bodies get our
declared codes, the ones each endpoint can give, and never an internal error or a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicid.errors import CATALOGUE, Error
from civicid.oid4vci import PRE_AUTHORIZED_GRANT, CredentialRequest, TokenRequest
from cli.harness import free_port, serving
from issuer.app import create_app
from tests.issuer.conftest import Env
from tests.issuer.test_bad_input import offer, redeem

TOKEN_CODES = {
    "oid4vci_token_request_invalid",
    "grant_code_unknown",
    "grant_code_used",
    "grant_code_expired",
    "tx_code_missing",
    "tx_code_unexpected",
    "tx_code_wrong",
    "offer_locked",
}
CREDENTIAL_CODES = {
    "oid4vci_credential_request_invalid",
    "access_token_invalid",
    "credential_configuration_unknown",
    "credential_identifier_unknown",
    "proof_missing",
    "batch_too_large",
    "proof_key_duplicate",
    *(name for name in CATALOGUE if name.startswith("proof_")),
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def segment() -> st.SearchStrategy[str]:
    return st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60
    )


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from(["grant_type", "pre-authorized_code", "tx_code", "x"]), st.text(max_size=70)
    )
)
def test_token_requests(env: Env, form: dict[str, str]) -> None:
    form.setdefault("grant_type", PRE_AUTHORIZED_GRANT)
    try:
        env.issuer.token(TokenRequest.from_form(form))
    except Error as exc:
        assert exc.code in TOKEN_CODES, exc
    else:  # only a real code redeems, and the fuzzer does not know one
        pytest.fail("an unknown code was redeemed")


@pytest.fixture
def access(env: Env) -> str:
    return redeem(env, offer(env))


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {"credential_configuration_id": st.sampled_from(["national_id", "x"])},
        optional={
            "proofs": st.fixed_dictionaries(
                {
                    "jwt": st.lists(
                        st.builds(lambda a, b, c: f"{a}.{b}.{c}", segment(), segment(), segment())
                        | st.text(max_size=40),
                        max_size=4,
                    )
                }
            )
            | JSON,
            "credential_identifier": st.text(max_size=10),
        },
    )
)
def test_credential_requests(env: Env, access: str, body: dict[str, Any]) -> None:
    try:
        request = CredentialRequest.from_json(body)
        env.issuer.credential_request(access, request)
    except Error as exc:
        assert exc.code in CREDENTIAL_CODES, exc
    else:
        pytest.fail("a random proof was accepted")


@pytest.fixture
def url(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as served:
        yield served


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/token", "/credential", "/nonce", "/staff/offers", "/staff/publish"]),
    body=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", ""]),
)
def test_raw_bodies(url: str, path: str, body: bytes, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    answer = httpx.post(url + path, content=body, headers=headers, timeout=10)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        payload = answer.json()
        code = payload.get("civicid_error") or payload["error"]
        assert code in CATALOGUE and code != "internal_error", payload
