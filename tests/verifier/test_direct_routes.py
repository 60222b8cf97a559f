"""A presentation's hot calls (the request, the request object, the wallet's answer, the
page's poll) are served by their route functions without the framework's routing, and answer
exactly as the framework did: the same status, body and headers, refusals included; anything
else (another method, a query string, a longer path, a request body that is not the page's
JSON) is still the framework's, from the same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import pytest
from fastapi.testclient import TestClient

from civicid.errors import INTERNAL_ERROR, Error
from civicid.shell import dispatch
from civicid.shell.dispatch import Route
from verifier import app as desk_app
from verifier.service import Verifier

JSON_TYPE: Final = "application/json"
# (method, path, form): each answered by the direct route, and each refused.
HOT: list[tuple[str, str, dict[str, str] | None]] = [
    ("GET", "/oid4vp/requests/unknown", None),
    ("GET", "/transactions/unknown", None),
    ("POST", "/oid4vp/response", {"state": "s" * 32, "vp_token": '{"credential":["x~"]}'}),
    ("POST", "/oid4vp/response", {"state": "s" * 32}),
    ("POST", "/oid4vp/response", None),  # not a form at all
]
# Request bodies the direct route leaves to the framework: (content type, body).
ODD_REQUESTS: list[tuple[str, bytes]] = [
    ("application/json", b'{"policy": ""}'),
    ("application/json", b'{"policy": "housing-benefit", "extra": 1}'),
    ("application/json", b"not json"),
    ("application/json", b"[]"),
    ("text/plain", b'{"policy": "housing-benefit"}'),
    ("application/json; charset=utf-8", b'{"policy": "housing-benefit"}'),
    # Not I-JSON: the direct route read a policy named twice as its last (a request made),
    # where the framework's routes refuse it (request_invalid); a byte order mark likewise.
    ("application/json", b'{"policy": "nope", "policy": "housing-benefit"}'),
    ("application/json", b'\xef\xbb\xbf{"policy": "housing-benefit"}'),
]
COLD: list[tuple[str, str]] = [
    ("GET", "/oid4vp/requests/"),
    ("GET", "/transactions/unknown/qr.svg"),
    ("GET", "/transactions/unknown?x=1"),
    ("PUT", "/oid4vp/response"),
]


@pytest.fixture
def client(verifier: Verifier) -> Iterator[TestClient]:
    with TestClient(desk_app.create_app(verifier=verifier), base_url="http://localhost") as client:
        yield client


def ask(client: TestClient, method: str, path: str, form: dict[str, str] | None = None) -> tuple:
    answer = client.request(method, path, data=form)
    headers = {k: v for k, v in answer.headers.items() if k != "date"}
    return answer.status_code, answer.content, headers


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the desk serves directly, as it takes them."""
    taken: list[str] = []
    found = desk_app.direct_route

    def counted(method: str, path: str) -> Route | None:
        route = found(method, path)
        if route is not None:
            taken.append(path)
        return route

    monkeypatch.setattr(desk_app, "direct_route", counted)
    return taken


def test_hot_calls_are_direct_and_answer_as_the_framework(
    client: TestClient, taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = [ask(client, method, path, form) for method, path, form in HOT]
    assert len(taken) == len(HOT)
    assert all(status >= 400 for status, _, _ in direct)
    monkeypatch.setattr(desk_app, "direct_route", lambda method, path: None)
    framework = [ask(client, method, path, form) for method, path, form in HOT]
    assert direct == framework


def test_other_calls_are_the_framework_s(client: TestClient, taken: list[str]) -> None:
    for method, path in COLD:
        status, _, _ = ask(client, method, path)
        assert status >= 400, path
    assert taken == []


def create(client: TestClient, content_type: str, body: bytes) -> tuple:
    answer = client.post("/requests", content=body, headers={"content-type": content_type})
    data = answer.json()
    # A request's ids, nonce and link are new each time: compare what is not.
    shape = sorted(data) if answer.status_code == 201 else data
    return answer.status_code, shape, answer.headers.get("content-type")


def test_a_request_is_made_directly_and_odd_ones_answered_by_the_framework(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    framework: list[bool] = []
    hand_over = dispatch.replayed

    def counted(body: bytes, receive: object) -> object:
        framework.append(True)
        return hand_over(body, receive)  # type: ignore[arg-type]

    monkeypatch.setattr(dispatch, "replayed", counted)
    made = create(client, "application/json", b'{"policy": "housing-benefit"}')
    assert made[0] == 201 and framework == []
    unknown = create(client, "application/json", b'{"policy": "nope"}')
    assert unknown[0] == 404 and unknown[1]["error"] == "policy_unknown" and framework == []
    direct = [create(client, kind, body) for kind, body in ODD_REQUESTS]
    assert len(framework) == len(ODD_REQUESTS)
    monkeypatch.setattr(desk_app, "direct_route", lambda method, path: None)
    assert create(client, "application/json", b'{"policy": "housing-benefit"}') == made
    assert create(client, "application/json", b'{"policy": "nope"}') == unknown
    assert [create(client, kind, body) for kind, body in ODD_REQUESTS] == direct


def test_a_refusal_whose_answer_fails_is_answered_internal_error(verifier: Verifier) -> None:
    """Answering a refusal can fail too: the desk answers as the issuer does, and as the
    framework does, in our JSON body with ``internal_error``, not a bare text 500."""

    async def broken(_: object, __: Exception) -> None:
        raise RuntimeError("answering failed")

    app = desk_app.create_app(verifier=verifier)
    app.exception_handlers[Error] = broken
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        fast, routed = (client.get(f"/transactions/unknown{q}") for q in ("", "?x=1"))
    assert fast.status_code == routed.status_code == 500
    assert fast.headers["content-type"] == routed.headers["content-type"] == JSON_TYPE
    assert fast.json() == routed.json()
    assert fast.json()["error"] == INTERNAL_ERROR.name
    assert "answering failed" not in fast.text
