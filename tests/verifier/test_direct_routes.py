"""A presentation's hot calls (the request object, the wallet's answer, the page's poll) are
served by their route functions without the framework's routing, and answer exactly as the
framework did: the same status, body and headers, refusals included; anything else (another
method, a query string, a longer path) is still the framework's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from verifier import app as desk_app
from verifier.service import Verifier

# (method, path, form): each answered by the direct route, and each refused.
HOT: list[tuple[str, str, dict[str, str] | None]] = [
    ("GET", "/oid4vp/requests/unknown", None),
    ("GET", "/transactions/unknown", None),
    ("POST", "/oid4vp/response", {"state": "s" * 32, "vp_token": '{"credential":["x~"]}'}),
    ("POST", "/oid4vp/response", {"state": "s" * 32}),
    ("POST", "/oid4vp/response", None),  # not a form at all
]
COLD: list[tuple[str, str]] = [
    ("GET", "/oid4vp/requests/"),
    ("GET", "/transactions/unknown/qr.svg"),
    ("GET", "/transactions/unknown?x=1"),
    ("PUT", "/oid4vp/response"),
]


@pytest.fixture
def client(verifier: Verifier) -> Iterator[TestClient]:
    with TestClient(desk_app.create_app(verifier=verifier)) as client:
        yield client


def ask(client: TestClient, method: str, path: str, form: dict[str, str] | None = None) -> tuple:
    answer = client.request(method, path, data=form)
    headers = {k: v for k, v in answer.headers.items() if k != "date"}
    return answer.status_code, answer.content, headers


def test_hot_calls_are_direct_and_answer_as_the_framework(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[str] = []
    found = desk_app.direct_route

    def counted(method: str, path: str) -> desk_app.Direct | None:
        route = found(method, path)
        if route is not None:
            taken.append(path)
        return route

    monkeypatch.setattr(desk_app, "direct_route", counted)
    direct = [ask(client, method, path, form) for method, path, form in HOT]
    assert len(taken) == len(HOT)
    assert all(status >= 400 for status, _, _ in direct)
    monkeypatch.setattr(desk_app, "direct_route", lambda method, path: None)
    framework = [ask(client, method, path, form) for method, path, form in HOT]
    assert direct == framework


def test_other_calls_are_the_framework_s(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[str] = []
    found = desk_app.direct_route

    def counted(method: str, path: str) -> desk_app.Direct | None:
        route = found(method, path)
        if route is not None:
            taken.append(path)
        return route

    monkeypatch.setattr(desk_app, "direct_route", counted)
    for method, path in COLD:
        status, _, _ = ask(client, method, path)
        assert status >= 400, path
    assert taken == []
