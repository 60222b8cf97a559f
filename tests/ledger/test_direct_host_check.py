"""The ledger's direct answers (resolution and the checkpoint key, past the framework) come
after the shell's Host check, as every framework route does: an app that names its hosts
refuses a request naming another 400 ``host_not_allowed`` before a direct answer is made,
and answers one naming it directly as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicid.identity import Identity
from civicid.shell.errors import HOST_NOT_ALLOWED
from ledger.app import create_app
from ledger.routes import log as log_routes
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World

# TestClient's own Host; the app is made to answer only to it.
SERVED = "testserver"


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    app.served_names = frozenset({SERVED})  # type: ignore[attr-defined]  # ServiceApp's
    with TestClient(app) as client:
        yield client


@pytest.fixture
def directly(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths either direct answer was asked for."""
    asked: list[str] = []
    for module, name in (
        (log_routes, "direct_checkpoint_key"),
        (resolution_routes, "direct"),
    ):
        found = getattr(module, name)

        def counting(scope: Any, found: Any = found) -> Any:
            asked.append(scope["path"])
            return found(scope)

        monkeypatch.setattr(module, name, counting)
    return asked


def paths(did: str) -> list[str]:
    return [
        log_routes.CHECKPOINT_KEY_PATH,
        f"{resolution_routes.PATH_PREFIX}{did}",
        f"{resolution_routes.PATH_PREFIX}{did}?withProof=true",
    ]


def test_a_direct_route_refuses_a_host_not_served_before_answering(
    http: TestClient, agency: Identity, directly: list[str]
) -> None:
    for path in paths(agency.did):
        for host in ("evil.example", "testserver.evil.example", ""):
            answer = http.get(path, headers={"host": host})
            assert answer.status_code == 400, (path, host, answer.text)
            assert answer.json()["error"] == HOST_NOT_ALLOWED.name
    assert directly == []  # refused before any direct answer was made


def test_a_direct_route_answers_the_host_served_directly(
    http: TestClient, agency: Identity, directly: list[str]
) -> None:
    asked = paths(agency.did)
    for path in asked:
        for host in (SERVED, f"{SERVED}:8700", "TestServer."):
            answer = http.get(path, headers={"host": host})
            assert answer.status_code == 200, (path, host, answer.text)
    assert directly == [path.partition("?")[0] for path in asked for _ in range(3)]
