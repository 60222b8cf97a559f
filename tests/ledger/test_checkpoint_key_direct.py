"""The checkpoint key's direct answer (the app's own ``__call__``, past the framework) is the
framework route's, status, body and every header; a ledger without a genesis, a request
under a root path, another method and a failing direct answer are the framework's."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicid.wire import CheckpointKey
from ledger.app import create_app, direct_for
from ledger.routes import log as log_routes
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World

PATH = "/checkpoint-key"


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the checkpoint key's direct answer was asked for."""
    asked: list[str] = []
    found = log_routes.direct_checkpoint_key

    def counting(scope: Any) -> Any:
        asked.append(scope["path"])
        return found(scope)

    monkeypatch.setattr(log_routes, "direct_checkpoint_key", counting)
    return asked


def test_the_direct_answer_is_the_framework_routes_to_the_byte(
    world: World, http: TestClient, counted: list[str]
) -> None:
    framework = TestClient(http.app, root_path="/under")
    for query in ("", "?x=1", "?withProof=true"):
        fast, slow = http.get(PATH + query), framework.get(PATH + query)
        assert fast.status_code == slow.status_code == 200
        assert fast.content == slow.content
        assert fast.headers.raw == slow.headers.raw  # every header, in order
        key = CheckpointKey.from_json(fast.json())
        vkey = world.ledger.state.checkpoint_vkey
        assert (key.origin, key.checkpoint_key) == (world.origin, vkey)
    assert counted == [PATH] * 3  # every fast one was the direct answer, no slow one was


def test_a_parameter_named_twice_is_refused_as_the_framework_refuses_it(
    http: TestClient,
) -> None:
    framework = TestClient(http.app, root_path="/under")
    query = "?withProof=true&withProof=false"
    fast, slow = http.get(PATH + query), framework.get(PATH + query)
    assert fast.status_code == slow.status_code == 400
    assert fast.json()["error"] == "request_invalid"
    assert fast.content == slow.content


def test_other_paths_and_methods_are_the_frameworks(http: TestClient, counted: list[str]) -> None:
    framework = TestClient(http.app, root_path="/under")
    for method in ("POST", "HEAD", "PUT"):
        fast, slow = http.request(method, PATH), framework.request(method, PATH)
        assert (fast.status_code, fast.content) == (slow.status_code, slow.content), method
    for path in (PATH + "/", PATH + "s", "/checkpoint-ke", "/Checkpoint-key"):
        assert http.get(path, follow_redirects=False).status_code != 200, path
    assert counted == []
    assert direct_for(PATH) is log_routes.direct_checkpoint_key
    assert direct_for("/1.0/identifiers/x") is resolution_routes.direct
    assert direct_for("/checkpoint") is None


def test_a_ledger_without_a_genesis_is_the_frameworks_error(
    http: TestClient, counted: list[str]
) -> None:
    http.app.state.ledger = SimpleNamespace(  # type: ignore[attr-defined]
        state=SimpleNamespace(origin=None, checkpoint_vkey=None)
    )
    answer = http.get(PATH)
    assert answer.status_code == 404 and answer.json()["error"] == "ledger_not_initialized"
    assert counted == [PATH]  # asked, declined, answered by the framework's handlers


def test_a_failing_direct_answer_is_answered_by_the_framework(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = http.get(PATH)

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(log_routes.RenderedKey, "answer", broken)
    again = http.get(PATH)
    assert (again.status_code, again.content) == (200, expected.content)
    assert again.headers.raw == expected.headers.raw


def test_another_key_is_rendered_in_place_of_the_last() -> None:
    rendered = log_routes.RenderedKey()
    first, _ = rendered.answer("one.example", "one+key")
    assert rendered.answer("one.example", "one+key")[0] is first  # kept, not rendered again
    for origin, vkey in [("two.example", "one+key"), ("two.example", "two+key")]:
        body, headers = rendered.answer(origin, vkey)
        assert body == CheckpointKey(origin=origin, checkpoint_key=vkey).to_bytes()
        assert headers == [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
