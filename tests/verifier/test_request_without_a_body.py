"""``POST /requests`` with no body is refused in the desk's words (which policy to name,
where the list is), not the framework's "body: Field required"; nothing is started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from verifier.app import create_app
from verifier.service import Verifier


@pytest.fixture
def client(verifier: Verifier) -> Iterator[TestClient]:
    with TestClient(create_app(verifier=verifier), base_url="http://localhost") as client:
        yield client


@pytest.mark.parametrize(
    "headers", [{}, {"content-type": "application/json"}, {"content-type": "text/plain"}]
)
def test_an_empty_body_names_what_to_send(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.post("/requests", content=b"", headers=headers)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "policy_not_named"
    assert '{"policy": "<name>"}' in body["error_description"]
    assert "GET /policies" in body["error_description"]
    assert "Field required" not in body["error_description"]


def test_a_body_naming_a_policy_still_starts_a_request(client: TestClient) -> None:
    answer = client.post("/requests", json={"policy": "housing-benefit"})
    assert answer.status_code == 201 and answer.json()["policy"] == "housing-benefit"
