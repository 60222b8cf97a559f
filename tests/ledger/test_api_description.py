"""The ledger's HTTP interface as described and as it answers: OpenAPI with request bodies,
response models and the statuses really returned (400, never 422); Swagger UI and ReDoc
served from local files; every answer in the wire convention (``civicid.wire``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicid import wire
from civicid.merkle import leaf_hash
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.trust import LIST_URI, NATIONAL_ID, publish, register_type


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        yield client


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_openapi_has_request_bodies_response_models_and_no_422(http: TestClient) -> None:
    schema = http.get("/openapi.json").json()
    submit = schema["paths"]["/transactions"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/jose", "application/json"}
    assert submit["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Receipt"
    }
    for path, method, operation in operations(schema):
        assert "422" not in operation["responses"], (path, method)
        ok = operation["responses"].get("200") or operation["responses"].get("201")
        content = ok["content"]
        assert any(body.get("schema") for body in content.values()), (path, method)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    times = schema["components"]["schemas"]["AccreditationView"]["properties"]["validFrom"]
    assert times["format"] == "date-time"


def test_what_the_framework_refuses_is_400_as_described(http: TestClient) -> None:
    schema = http.get("/openapi.json").json()
    assert "400" in schema["paths"]["/transactions/{seq}"]["get"]["responses"]
    response = http.get("/transactions/x")
    assert response.status_code == 400 and response.json()["error"] == "request_invalid"
    assert wire.ErrorBody.from_json(response.json()).error == "request_invalid"


def test_docs_and_their_assets_are_served_locally(http: TestClient) -> None:
    for page, assets in (
        ("/docs", ["swagger-ui-bundle.js", "swagger-ui.css"]),
        ("/redoc", ["redoc.standalone.js"]),
    ):
        html = http.get(page).text
        assert "cdn." not in html and "fonts.googleapis" not in html
        for name in assets:
            assert f"/docs-assets/{name}" in html
            asset = http.get(f"/docs-assets/{name}")
            assert asset.status_code == 200 and len(asset.content) > 10_000
    assert http.get("/docs-assets/../pyproject.toml").status_code == 404


def test_the_checkpoint_key_is_served_and_is_the_genesis_one(
    world: World, http: TestClient
) -> None:
    key = wire.CheckpointKey.from_json(http.get("/checkpoint-key").json())
    assert key.checkpoint_key == world.genesis.vkey and key.origin == world.origin
    health = wire.Health.from_json(http.get("/health").json())
    assert health.checkpoint_key == world.genesis.vkey and health.tree_size == world.ledger.size


def test_every_answer_is_its_wire_model(world: World, http: TestClient, agency: Any) -> None:
    register_type(world, agency)
    publish(world, agency)
    size = world.ledger.size
    entry = wire.Entry.from_json(http.get("/transactions/1").json())
    assert http.get(f"/transactions/by-hash/{entry.leaf_hash.hex()}").json()["seq"] == 1
    proof = wire.InclusionProof.from_json(
        http.get(f"/proofs/inclusion?seq=1&treeSize={size}").json()
    )
    assert proof.leaf_hash == entry.leaf_hash
    wire.ConsistencyProof.from_json(http.get(f"/proofs/consistency?from=1&to={size}").json())
    trust = http.get(
        "/accreditations",
        params={"subject": agency.did, "vct": NATIONAL_ID, "at": "2026-05-28T20:30:00Z"},
    ).json()
    assert wire.TrustAnswer.from_json(trust).accredited and trust["at"] == "2026-05-28T20:30:00Z"
    listed = wire.AccreditationList.from_json(http.get("/accreditations").json())
    assert listed.accreditations[0].valid_from == world.clock.now
    assert http.get("/accreditations").json()["accreditations"][0]["validFrom"].endswith("Z")
    wire.CredentialTypeAnswer.from_json(
        http.get("/credential-types", params={"vct": NATIONAL_ID}).json()
    )
    wire.CredentialTypeList.from_json(http.get("/credential-types").json())
    status = wire.StatusListAnswer.from_json(
        http.get("/status-lists", params={"uri": LIST_URI}).json()
    )
    assert status.size > 0 and status.uri == LIST_URI and len(status.entries) >= 1
    wire.StatusListHistory.from_json(
        http.get("/status-lists/history", params={"uri": LIST_URI}).json()
    )
    resolved = http.get(f"/1.0/identifiers/{agency.did}", params={"withProof": "true"})
    result = wire.ResolutionResult.from_json(resolved.json())
    assert result.did_resolution_metadata.proof is not None
    assert result.did_document_metadata.version_time is not None
    missing = http.get("/1.0/identifiers/did:civicid:" + "a" * 32).json()
    error = wire.ResolutionResult.from_json(missing).did_resolution_metadata.error
    assert error is not None and error.type.endswith("#NOT_FOUND") and error.code == "did_not_found"


def test_what_the_description_declares_is_what_is_refused(world: World, http: TestClient) -> None:
    """Each constraint the description states is enforced, with a code: a leaf hash is 64
    hex characters (spaces were once read past), a subject a did:civicid, a time RFC 3339."""
    named = leaf_hash(world.ledger.entry(0)).hex()
    assert http.get(f"/transactions/by-hash/{named}").status_code == 200
    spaced = " ".join(named[i : i + 2] for i in range(0, 64, 2))
    answer = http.get(f"/transactions/by-hash/{spaced}")
    assert answer.status_code == 400 and answer.json()["error"] == "leaf_hash_invalid"
    not_a_did = http.get("/accreditations", params={"subject": "did:web:agency.example"})
    assert not_a_did.status_code == 400 and not_a_did.json()["error"] == "request_invalid"
    early = http.get("/accreditations", params={"at": "1969-12-31T23:59:59Z"})
    assert early.status_code == 400 and early.json()["error"] == "time_invalid"
    schema = http.get("/openapi.json").json()
    subject = schema["paths"]["/accreditations"]["get"]["parameters"][0]["schema"]
    assert subject["anyOf"][0]["pattern"] == "^did:civicid:[a-z2-7]{32}$"
