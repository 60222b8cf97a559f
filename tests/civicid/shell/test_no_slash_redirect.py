"""A path asked with a trailing slash is not redirected: the redirect's Location would be built
from the request's Host header, so any name a client put there (an open redirect, a poisoned
shared cache) on the services that answer every Host. It is answered as an unknown path."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.civicid.shell.conftest import small_service


def test_a_trailing_slash_is_not_redirected_to_the_host_header() -> None:
    with TestClient(small_service()) as client:
        answer = client.get("/health/", headers={"host": "evil.example"}, follow_redirects=False)
        plain = client.get("/health", headers={"host": "evil.example"})
    assert "location" not in answer.headers, answer.headers
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "route_not_found", answer.text
    assert plain.status_code == 200, plain.text
