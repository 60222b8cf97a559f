"""OpenID4VP 1.0 wire models: the signed request object, the link, the direct_post response
and the receipt; each verification step refused with its own code."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from civicid.dcql import DcqlQuery
from civicid.encoding import b64url_encode
from civicid.errors import Error, Refused
from civicid.identity import Identity
from civicid.jose import PrivateKey, PublicKey
from civicid.oid4vp import (
    CLIENT_ID_PREFIX,
    RECEIPT_TYP,
    REQUEST_TYP,
    AuthorizationRequest,
    AuthorizationResponse,
    Receipt,
    ReceivedClaims,
    build_link,
    build_receipt,
    build_request_object,
    client_id_for,
    did_of,
    new_nonce,
    parse_link,
    receipt_for,
    verify_receipt,
    verify_request_object,
)

EXAMPLES = Path(__file__).parents[1] / "vectors" / "data" / "openid4vp-1.0" / "examples"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def desk() -> Identity:
    return Identity.create()


def resolver(*identities: Identity) -> Any:
    keys = {who.kid: who.key.public for who in identities}

    def resolve(kid: str) -> PublicKey:
        if kid not in keys:
            raise Refused("key_unknown", f"{kid} is not a key of the DID")
        return keys[kid]

    return resolve


def query() -> DcqlQuery:
    return DcqlQuery.from_json(json.loads((EXAMPLES / "query_lang" / "simple.json").read_text()))


def request_for(desk: Identity, **changes: Any) -> AuthorizationRequest:
    request = AuthorizationRequest(
        client_id=client_id_for(desk.did),
        response_uri="http://127.0.0.1:8702/oid4vp/response",
        nonce=new_nonce(),
        state=new_nonce(),
        dcql_query=query(),
        iat=NOW,
        exp=NOW + 300,
        policy="housing-benefit",
        purpose="Check eligibility for housing benefit",
    )
    return replace(request, **changes)


def sign_raw(key: PrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    return key.sign_compact(json.dumps(claims).encode(), header)


def code_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(Error) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_request_object_round_trip(desk: Identity) -> None:
    request = request_for(desk)
    token = build_request_object(request, desk.key, desk.kid)
    assert verify_request_object(token, resolver(desk), now=NOW + 1) == request
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"typ": REQUEST_TYP, "kid": desk.kid, "alg": "ES256"}


def test_official_request_example_shape(desk: Identity) -> None:
    # §5.9.3's example (header + body); its dcql_query is elided ("{ ... }") in the spec.
    header = json.loads((EXAMPLES / "request" / "request_header_client_id_did.json").read_text())
    text = (EXAMPLES / "request" / "request_object_client_id_did.json").read_text()
    body = json.loads(text.replace("{ ... }", json.dumps(query().to_json())))
    assert header["typ"] == REQUEST_TYP and body["client_id"].startswith(CLIENT_ID_PREFIX)
    ours = request_for(desk).to_json()
    shared = {"client_id", "response_type", "nonce", "dcql_query", "client_metadata"}
    assert shared <= ours.keys() and ours["response_type"] == body["response_type"]
    assert ours["client_metadata"]["vp_formats_supported"]["dc+sd-jwt"].keys() == (
        body["client_metadata"]["vp_formats_supported"]["dc+sd-jwt"].keys()
    )
    # did:example is no ledger DID; RS256 is not on our allow-list; redirect_uri is not
    # direct_post.
    assert code_of(did_of, body["client_id"]) == "oid4vp_client_id_invalid"
    head = b64url_encode(json.dumps({**header, "kid": desk.kid}).encode())
    token = f"{head}.{b64url_encode(json.dumps(body).encode())}.{b64url_encode(b'x' * 256)}"
    assert code_of(verify_request_object, token, resolver(desk), now=NOW) == (
        "oid4vp_request_alg_not_allowed"
    )
    body.update(client_id=client_id_for(desk.did))
    assert code_of(AuthorizationRequest.from_json, body) == "oid4vp_unsupported"


def test_client_id_is_the_full_prefixed_did(desk: Identity) -> None:
    client_id = client_id_for(desk.did)
    assert client_id == f"decentralized_identifier:{desk.did}"
    assert did_of(client_id) == desk.did
    for bad in (desk.did, f"did:{desk.did}", "decentralized_identifier:did:web:x", None, 5):
        assert code_of(did_of, bad) == "oid4vp_client_id_invalid"


def tamper(desk: Identity, **claims: Any) -> str:
    body = {**request_for(desk).to_json(), **claims}
    return sign_raw(desk.key, {"typ": REQUEST_TYP, "kid": desk.kid}, body)


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"response_type": "code"}, "oid4vp_unsupported"),
        ({"response_mode": "fragment"}, "oid4vp_unsupported"),
        ({"redirect_uri": "https://x.example/cb"}, "oid4vp_request_malformed"),
        ({"transaction_data": ["e30"]}, "oid4vp_unsupported"),
        ({"response_uri": "ftp://x/y"}, "oid4vp_request_malformed"),
        ({"nonce": "short"}, "oid4vp_request_malformed"),
        ({"nonce": "a" * 30 + "!"}, "oid4vp_request_malformed"),
        ({"state": None}, "oid4vp_request_malformed"),
        ({"dcql_query": {"credentials": []}}, "dcql_invalid"),
        ({"aud": "https://wallet.example"}, "oid4vp_request_malformed"),
        ({"exp": NOW - 1}, "oid4vp_request_expired"),
        ({"iat": NOW + 3600, "exp": NOW + 3700}, "oid4vp_request_not_yet_valid"),
        ({"exp": NOW + 86400}, "oid4vp_request_malformed"),
        ({"purpose": ""}, "oid4vp_request_malformed"),
    ],
)
def test_request_parameters_are_checked(desk: Identity, claims: dict[str, Any], code: str) -> None:
    assert code_of(verify_request_object, tamper(desk, **claims), resolver(desk), now=NOW) == code


def test_request_typ_alg_and_header_keys(desk: Identity) -> None:
    body = request_for(desk).to_json()
    for header, code in (
        ({"kid": desk.kid}, "oid4vp_request_typ_invalid"),
        ({"typ": "JWT", "kid": desk.kid}, "oid4vp_request_typ_invalid"),
        (
            {"typ": REQUEST_TYP, "kid": desk.kid, "jwk": desk.key.public.to_jwk()},
            "oid4vp_request_header_forbidden",
        ),
        (
            {"typ": REQUEST_TYP, "kid": desk.kid, "jku": "https://x/jwks"},
            "oid4vp_request_header_forbidden",
        ),
        (
            {"typ": REQUEST_TYP, "kid": desk.kid, "x5u": "https://x/c"},
            "oid4vp_request_header_forbidden",
        ),
    ):
        token = sign_raw(desk.key, header, body)
        assert code_of(verify_request_object, token, resolver(desk), now=NOW) == code
    # alg none and HS256 keyed with the desk's public key.
    payload = b64url_encode(json.dumps(body).encode())
    for alg in ("none", "HS256"):
        head = b64url_encode(json.dumps({"typ": REQUEST_TYP, "kid": desk.kid, "alg": alg}).encode())
        token = f"{head}.{payload}.{b64url_encode(b'x' * 32)}"
        assert code_of(verify_request_object, token, resolver(desk), now=NOW) == (
            "oid4vp_request_alg_not_allowed"
        )


def test_request_signed_by_another_did_or_key(desk: Identity) -> None:
    other = Identity.create()
    body = request_for(desk).to_json()
    by_other = sign_raw(other.key, {"typ": REQUEST_TYP, "kid": other.kid}, body)
    assert code_of(verify_request_object, by_other, resolver(desk, other), now=NOW) == (
        "oid4vp_request_kid_mismatch"
    )
    forged = sign_raw(other.key, {"typ": REQUEST_TYP, "kid": desk.kid}, body)
    assert code_of(verify_request_object, forged, resolver(desk), now=NOW) == (
        "oid4vp_request_signature_invalid"
    )
    no_kid = sign_raw(desk.key, {"typ": REQUEST_TYP}, body)
    assert code_of(verify_request_object, no_kid, resolver(desk), now=NOW) == (
        "oid4vp_request_kid_mismatch"
    )
    with pytest.raises(Error) as caught:
        build_request_object(request_for(desk), other.key, other.kid)
    assert caught.value.code == "oid4vp_request_kid_mismatch"


def test_request_too_large_or_not_a_jws(desk: Identity) -> None:
    assert code_of(verify_request_object, "x" * 70_000, resolver(desk), now=NOW) == (
        "oid4vp_request_too_large"
    )
    assert code_of(verify_request_object, "a.b", resolver(desk), now=NOW) == (
        "oid4vp_request_malformed"
    )


def test_link_round_trip(desk: Identity) -> None:
    client_id = client_id_for(desk.did)
    uri = build_link(client_id, "http://127.0.0.1:8702/oid4vp/requests/abc")
    assert uri.startswith("openid4vp://?client_id=decentralized_identifier%3Adid%3Acivicid%3A")
    link = parse_link(uri)
    assert (link.client_id, link.request_uri) == (
        client_id,
        "http://127.0.0.1:8702/oid4vp/requests/abc",
    )


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("https://wallet.example/?client_id=x&request_uri=y", "oid4vp_link_invalid"),
        (
            "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Ax&request_uri=http://a/b",
            "oid4vp_client_id_invalid",
        ),
        ("openid4vp://?client_id={cid}", "oid4vp_link_invalid"),
        ("openid4vp://?client_id={cid}&request_uri=javascript:alert(1)", "oid4vp_link_invalid"),
        (
            "openid4vp://?client_id={cid}&request_uri=http://a/b&request_uri=http://c/d",
            "oid4vp_link_invalid",
        ),
        ("openid4vp://?client_id={cid}&request=eyJ", "oid4vp_unsupported"),
        (
            "openid4vp://?client_id={cid}&request_uri=http://a/b&request_uri_method=post",
            "oid4vp_unsupported",
        ),
    ],
)
def test_bad_links(desk: Identity, uri: str, code: str) -> None:
    uri = uri.replace("{cid}", quote(client_id_for(desk.did)))
    assert code_of(parse_link, uri) == code


def test_response_form_round_trip() -> None:
    state = new_nonce()
    response = AuthorizationResponse(state=state, vp_token={"national_id": ["a.b.c~d~"]})
    form = response.to_form()
    assert json.loads(form["vp_token"]) == {"national_id": ["a.b.c~d~"]}
    assert AuthorizationResponse.from_form(form) == response
    error = AuthorizationResponse(state=state, error="access_denied", error_description="no")
    assert AuthorizationResponse.from_form(error.to_form()) == error


@pytest.mark.parametrize(
    "form",
    [
        {"vp_token": "{}"},
        {"state": "bad", "vp_token": '{"a": ["x"]}'},
        {"state": "s" * 30},
        {"state": "s" * 30, "vp_token": "not json"},
        {"state": "s" * 30, "vp_token": "[]"},
        {"state": "s" * 30, "vp_token": "{}"},
        {"state": "s" * 30, "vp_token": '{"a": []}'},
        {"state": "s" * 30, "vp_token": '{"a": [{"x": 1}]}'},
        {"state": "s" * 30, "vp_token": '{"a": ["x"]}', "error": "access_denied"},
        # One query answered twice: read as its last, another reader could take the first.
        {"state": "s" * 30, "vp_token": '{"a": ["x"], "a": ["y"]}'},
        {"state": "s" * 30, "vp_token": '{"a": ["\\ud800"]}'},  # a lone surrogate
    ],
)
def test_bad_response_forms(form: dict[str, str]) -> None:
    assert code_of(AuthorizationResponse.from_form, form) == "oid4vp_response_malformed"


def test_oversized_response_form() -> None:
    form = {"state": "s" * 30, "vp_token": json.dumps({"a": ["x" * 1_100_000]})}
    assert code_of(AuthorizationResponse.from_form, form) == "oid4vp_response_too_large"


def receipt(desk: Identity, **changes: Any) -> Receipt:
    request = request_for(desk)
    received = (
        ReceivedClaims(
            "https://civicid.example/vct/national-id", "did:civicid:x", ("age_equal_or_over.18",)
        ),
    )
    return replace(receipt_for(request, received, eligible=True, now=NOW), **changes)


def test_receipt_round_trip(desk: Identity) -> None:
    made = receipt(desk)
    token = build_receipt(made, desk.key, desk.kid)
    checked = verify_receipt(token, resolver(desk), nonce=made.nonce, client_id=made.client_id)
    assert checked == made and checked.decision == "eligible"
    assert checked.claim_names == ("age_equal_or_over.18",)
    # No claim value anywhere in it, only names.
    assert not re.search(r"true|false|\d{4}-\d\d-\d\d", json.dumps(made.to_json()["received"]))


def test_receipt_refusals(desk: Identity) -> None:
    made = receipt(desk)
    other = Identity.create()
    token = build_receipt(made, desk.key, desk.kid)
    assert code_of(verify_receipt, token, resolver(desk), nonce=new_nonce()) == (
        "receipt_nonce_mismatch"
    )
    forged = sign_raw(other.key, {"typ": RECEIPT_TYP, "kid": desk.kid}, made.to_json())
    assert code_of(verify_receipt, forged, resolver(desk)) == "receipt_signature_invalid"
    by_other = sign_raw(other.key, {"typ": RECEIPT_TYP, "kid": other.kid}, made.to_json())
    assert code_of(verify_receipt, by_other, resolver(other)) == "receipt_signature_invalid"
    wrong_typ = sign_raw(desk.key, {"typ": REQUEST_TYP, "kid": desk.kid}, made.to_json())
    assert code_of(verify_receipt, wrong_typ, resolver(desk)) == "receipt_typ_invalid"
    bad = {**made.to_json(), "decision": "maybe"}
    assert (
        code_of(
            verify_receipt,
            sign_raw(desk.key, {"typ": RECEIPT_TYP, "kid": desk.kid}, bad),
            resolver(desk),
        )
        == "receipt_malformed"
    )
    # A request object of the same desk never passes as a receipt.
    request_token = build_request_object(request_for(desk), desk.key, desk.kid)
    assert code_of(verify_receipt, request_token, resolver(desk)) == "receipt_typ_invalid"
    with pytest.raises(Error) as caught:
        build_receipt(made, other.key, other.kid)
    assert caught.value.code == "receipt_signature_invalid"


def test_a_response_form_is_read_through_the_model_the_desk_declares() -> None:
    """The direct_post form is civicid.oid4vp.DirectPost, the model of the desk's OpenAPI
    description: its constraints are the ones enforced."""
    from civicid.oid4vp import DirectPost

    schema = DirectPost.model_json_schema()
    assert schema["required"] == ["state"]
    assert schema["properties"]["state"]["pattern"] == "^[A-Za-z0-9._~-]{22,128}$"
    spaced = {"state": "s" * 30, "vp_token": ' \n{"a": ["x"]}'}
    assert AuthorizationResponse.from_form(spaced).vp_token == {"a": ["x"]}
    for bad in ({"state": "s" * 30, "error": "caf\u00e9"}, {"state": "s" * 30, "vp_token": 7}):
        assert code_of(AuthorizationResponse.from_form, bad) == "oid4vp_response_malformed"


@pytest.mark.parametrize(
    "claims",
    [
        {"iat": True},
        {"exp": float(NOW + 300)},
        {"iat": -1},
        {"purpose": " \n\t "},
        {"policy": "p" * 1001},
        {"response_uri": "https://desk.example/" + "a" * 2048},
        {"response_uri": "https:/no-host"},
        {"client_metadata": ["vp_formats_supported"]},
        {"dcql_query": "everything"},
        {"state": "s" * 129},
        {"nonce": 12345678901234567890123},
    ],
)
def test_a_request_object_is_read_through_its_model(desk: Identity, claims: dict[str, Any]) -> None:
    """The request object's claims are civicid.oid4vp.RequestObject: a member of another
    form (a NumericDate that is a bool or a float, a blank purpose, an over-long URL, a
    client_metadata that is no object) is malformed, signed or not."""
    token = tamper(desk, **claims)
    assert code_of(verify_request_object, token, resolver(desk), now=NOW) == (
        "oid4vp_request_malformed"
    )


def test_the_request_object_model_declares_what_it_enforces(desk: Identity) -> None:
    from civicid.oid4vp import RESPONSE_MODE, RESPONSE_TYPE, STATIC_AUDIENCE, RequestObject

    schema = RequestObject.model_json_schema()
    wanted = {"client_id", "response_type", "response_mode", "response_uri", "nonce", "state"}
    assert wanted | {"dcql_query", "policy", "purpose", "iat", "exp"} == set(schema["required"])
    members = schema["properties"]
    assert members["response_type"]["const"] == RESPONSE_TYPE
    assert members["response_mode"]["const"] == RESPONSE_MODE
    assert members["aud"]["const"] == STATIC_AUDIENCE
    assert members["nonce"]["pattern"] == members["state"]["pattern"] == "^[A-Za-z0-9._~-]{22,128}$"
    assert members["iat"]["minimum"] == 0 and members["purpose"]["maxLength"] == 1000
    # §5: a parameter the wallet does not know is ignored, the request still stands.
    token = tamper(desk, wallet_hint="ignored", aud=STATIC_AUDIENCE)
    assert verify_request_object(token, resolver(desk), now=NOW).client_id == (
        client_id_for(desk.did)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"iat": True},
        {"jti": "short"},
        {"failed_step": 5},
        {"received": [{"vct": "https://x.example/vct", "issuer": " ", "claims": []}]},
        {"received": [{"vct": "https://x.example/vct", "issuer": "did:civicid:x", "claims": [1]}]},
        {"received": {"vct": "https://x.example/vct"}},
        {"iss": "desk"},
    ],
)
def test_a_receipt_is_read_through_its_model(desk: Identity, changes: dict[str, Any]) -> None:
    """The receipt's claims are civicid.oid4vp.ReceiptClaims: a member of another form is
    receipt_malformed, however well signed."""
    signed = sign_raw(
        desk.key, {"typ": RECEIPT_TYP, "kid": desk.kid}, {**receipt(desk).to_json(), **changes}
    )
    assert code_of(verify_receipt, signed, resolver(desk)) == "receipt_malformed"
