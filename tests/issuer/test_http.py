"""The issuer over real HTTP (uvicorn on 127.0.0.1): the wallet's whole flow, offers by
reference served once, the staff API's keys and scopes, body limits, error shapes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from civicid.oid4vci import (
    WELL_KNOWN_AS,
    WELL_KNOWN_ISSUER,
    WELL_KNOWN_JWT_VC_ISSUER,
    AuthorizationServerMetadata,
    CredentialIssuerMetadata,
    JwtVcIssuerMetadata,
    parse_offer_link,
)
from civicid.status_list import STATUS_INVALID, parse_token
from cli.harness import free_port, serving
from issuer.app import create_app
from tests.issuer.conftest import CONFIG, NATIONAL_ID, Env, sample_claims, state
from tests.issuer.holder import Holder, Http, check_credential


@pytest.fixture
def server(env: Env) -> Iterator[Http]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        http = Http(url)
        yield http
        http.client.close()


def staff(env: Env, server: Http, clerk: str = "alice") -> httpx.Client:
    return httpx.Client(
        base_url=server.base, headers={"authorization": f"Bearer {env.keys[clerk]}"}, timeout=10
    )


def create(env: Env, server: Http, qr: bool = False, **body: Any) -> dict[str, Any]:
    payload = {"configuration": CONFIG, "record": "REG-7", "claims": sample_claims(), **body}
    with staff(env, server) as client:
        answer = client.post("/staff/offers", json=payload, params={"qr": qr})
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    result: dict[str, Any] = answer.json()
    return result


def test_wallet_flow_over_http_by_reference(env: Env, server: Http) -> None:
    made = create(env, server)
    holder = Holder(server)
    now = env.clock()
    credentials = holder.receive(made["linkByReference"], made["txCode"], copies=3, now=now)
    assert len(credentials) == 3
    for credential, key in zip(credentials, holder.keys, strict=True):
        verified = check_credential(credential, env.agency.key.public, key, now)
        assert verified.payload["vct"] == NATIONAL_ID
    # Served once: the offer is gone from its address now.
    again = httpx.get(server.url(made["offerUri"]))
    assert again.status_code == 410
    assert again.json()["civicid_error"] == "offer_already_fetched"


def test_wallet_flow_over_http_by_value(env: Env, server: Http) -> None:
    made = create(env, server, txCode=False)
    assert made["txCode"] is None
    credentials = Holder(server).receive(made["link"], None, now=env.clock())
    assert len(credentials) == 1
    offer = parse_offer_link(made["link"]).offer
    assert offer is not None and offer.pre_authorized is not None
    assert offer.pre_authorized.tx_code is None


def test_staff_answer_carries_qr_codes(env: Env, server: Http) -> None:
    linked = create(env, server)
    assert linked["qr"]["png"] == f"/staff/offers/{linked['offer']['id']}/qr?format=png"
    made = create(env, server, qr=True)
    assert made["qr"]["svg"].startswith("<svg")
    png = base64.b64decode(made["qr"]["png"].split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    with staff(env, server) as client:
        svg = client.get(f"/staff/offers/{made['offer']['id']}/qr")
        png_answer = client.get(f"/staff/offers/{made['offer']['id']}/qr", params={"format": "png"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert png_answer.content.startswith(b"\x89PNG")
    assert "Lovelace" not in str(made["offer"])  # the staff view holds no claim values


def test_metadata_documents(env: Env, server: Http) -> None:
    issuer = CredentialIssuerMetadata.from_json(httpx.get(server.base + WELL_KNOWN_ISSUER).content)
    assert issuer.credential_issuer == env.settings.public_url
    assert issuer.credential_endpoint == f"{env.settings.public_url}/credential"
    assert issuer.batch_size == 3
    config = issuer.credential_configurations_supported[CONFIG]
    assert config.vct == NATIONAL_ID and config.format == "dc+sd-jwt"
    assert config.credential_metadata is not None and config.credential_metadata.display
    assert config.credential_metadata.display[0]["name"] == "National ID"
    authorization = AuthorizationServerMetadata.from_json(
        httpx.get(server.base + WELL_KNOWN_AS).content
    )
    assert authorization.token_endpoint == f"{env.settings.public_url}/token"
    assert authorization.pre_authorized_grant_anonymous_access_supported
    keys = JwtVcIssuerMetadata.from_json(httpx.get(server.base + WELL_KNOWN_JWT_VC_ISSUER).content)
    assert keys.issuer == env.agency.did
    assert keys.jwks is not None and keys.jwks["keys"][0]["kid"] == env.agency.kid


def test_token_errors_answer_as_oauth_does(env: Env, server: Http) -> None:
    answer = httpx.post(
        server.base + "/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": "unknown",
        },
    )
    assert answer.status_code == 400
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "no offer has this pre-authorized code",
        "civicid_error": "grant_code_unknown",
    }
    twice = httpx.post(
        server.base + "/token",
        content=b"grant_type=a&grant_type=b&pre-authorized_code=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert twice.json()["error"] == "invalid_request"
    assert twice.json()["civicid_error"] == "oid4vci_token_request_invalid"


def test_credential_without_token_is_a_401_with_challenge(env: Env, server: Http) -> None:
    answer = httpx.post(
        server.base + "/credential",
        json={"credential_configuration_id": CONFIG, "proofs": {"jwt": ["a.b.c"]}},
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_credential_without_token_is_told_so_before_its_body_is_read(server: Http) -> None:
    """RFC 6750 §3.1: a request with no token is a 401, whatever its body (it was judged a
    malformed request first: schemathesis' missing-header check found it)."""
    for body in (b"{}", b"not json", b'{"credential_identifier": "a", "proofs": null}'):
        answer = httpx.post(server.base + "/credential", content=body)
        assert (answer.status_code, answer.json()["civicid_error"]) == (401, "access_token_invalid")


def test_an_offer_request_is_its_model(env: Env, server: Http) -> None:
    """txCode is a JSON boolean: a string is refused, not read as "no code" or "a code"."""
    before = state(env)
    body = {"configuration": CONFIG, "record": "R", "claims": sample_claims(), "txCode": "no"}
    with staff(env, server) as client:
        answer = client.post("/staff/offers", json=body)
        described = client.get("/openapi.json").json()
    assert (answer.status_code, answer.json()["error"]) == (400, "request_invalid")
    assert state(env) == before
    operation = described["paths"]["/staff/offers"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["configuration", "record", "claims"]
    assert operation["security"] == [{"staffApiKey": []}]
    assert described["components"]["securitySchemes"]["staffApiKey"]["scheme"] == "bearer"


def test_nonce_endpoint(server: Http) -> None:
    first = httpx.post(server.base + "/nonce")
    second = httpx.post(server.base + "/nonce")
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["c_nonce"] != second.json()["c_nonce"]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "staff_key_missing"),
        ({"authorization": "Bearer cik_0000000000000000_" + "a" * 43}, 401, "staff_key_invalid"),
        ({"authorization": "Bearer not-a-key"}, 401, "staff_key_invalid"),
        ({"authorization": "Basic YWxpY2U6eA=="}, 401, "staff_key_missing"),
    ],
)
def test_staff_calls_need_a_valid_key(
    env: Env, server: Http, headers: dict[str, str], status: int, code: str
) -> None:
    before = state(env)
    answer = httpx.post(
        server.base + "/staff/offers",
        json={"configuration": CONFIG, "record": "R", "claims": sample_claims()},
        headers=headers,
    )
    assert (answer.status_code, answer.json()["error"]) == (status, code)
    assert state(env) == before
    event = env.issuer.audit(limit=500)[-1]
    assert (event.actor, event.action, event.outcome) == ("unknown", "offer.create", code)


def test_clerk_without_the_scope(env: Env, server: Http) -> None:
    made = create(env, server)  # alice may issue
    token = Holder(server).token(parse_offer_link(made["link"]).offer, made["txCode"])  # type: ignore[arg-type]
    assert token.access_token
    before = state(env)
    with staff(env, server, "bob") as bob:  # issue only
        answer = bob.post("/staff/credentials/whatever/revoke")
        audit = bob.get("/staff/audit")
    assert (answer.status_code, answer.json()["error"]) == (403, "staff_scope_missing")
    assert (audit.status_code, audit.json()["error"]) == (403, "staff_scope_missing")
    assert state(env) == before
    with staff(env, server, "root") as root:  # admin may do all
        assert root.get("/staff/audit").status_code == 200


def test_body_over_the_limit(env: Env, server: Http) -> None:
    before = state(env)
    big = {"configuration": CONFIG, "record": "R", "claims": {"given_name": "x" * 300_000}}
    with staff(env, server) as client:
        answer = client.post("/staff/offers", json=big)
    assert (answer.status_code, answer.json()["error"]) == (413, "issuer_body_too_large")
    chunked = httpx.post(
        server.base + "/credential",
        content=iter([b"{" + b" " * 200_000, b" " * 100_000 + b"}"]),
        headers={"authorization": "Bearer x", "content-type": "application/json"},
    )
    assert (chunked.status_code, chunked.json()["civicid_error"]) == (413, "issuer_body_too_large")
    assert state(env) == before


def test_staff_revoke_list_show_publish_over_http(env: Env, server: Http) -> None:
    made = create(env, server)
    Holder(server).receive(made["link"], made["txCode"], now=env.clock())
    with staff(env, server) as client:
        listed = client.get("/staff/credentials", params={"record": "REG-7"}).json()["credentials"]
        issued_id = listed[0]["id"]
        shown = client.get(f"/staff/credentials/{issued_id}").json()
        assert shown["status"] == "valid" and shown["copies"][0]["uri"].endswith("/status/1")
        revoked = client.post(f"/staff/credentials/{issued_id}/revoke")
        assert revoked.json()["status"] == "revoked"
        missing = client.post("/staff/credentials/nope/revoke")
        assert (missing.status_code, missing.json()["error"]) == (404, "credential_not_found")
        published = client.post("/staff/publish").json()["published"]
        assert [p["number"] for p in published] == [1]
        lists = client.get("/staff/lists").json()["lists"]
        assert lists[0]["pending"] is False
    token = httpx.get(server.base + "/status/1")
    assert token.headers["content-type"].startswith("application/statuslist+jwt")
    idx = shown["copies"][0]["idx"]
    assert parse_token(token.text).status_list.get(idx) == STATUS_INVALID
    assert httpx.get(server.base + "/status/99").status_code == 404


def test_unknown_route_and_method(server: Http) -> None:
    assert httpx.get(server.base + "/nowhere").json()["error"] == "route_not_found"
    assert httpx.get(server.base + "/token").json()["error"] == "method_not_allowed"
