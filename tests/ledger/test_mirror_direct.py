"""A mirror answers resolution and the checkpoint key past the framework as the ledger does:
status, body and every header the framework's routes give, before its copy is ready
(``mirror_not_ready``, by the framework) and after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.mirror_app import create_mirror_app
from ledger.routes import log as log_routes
from ledger.routes import resolution as resolution_routes
from tests.ledger.conftest import World
from tests.ledger.test_mirror_follows import follower, served


def test_a_mirrors_direct_answers_are_its_framework_routes(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = world.register()
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    answered: list[str] = []
    for module, name in [(resolution_routes, "direct"), (log_routes, "direct_checkpoint_key")]:
        found = getattr(module, name)

        def counting(scope: Any, found: Any = found) -> Any:
            answer = found(scope)
            answered.append(scope["path"])
            return answer

        monkeypatch.setattr(module, name, counting)
    asks: list[tuple[str, dict[str, str], dict[str, str]]] = [
        ("/checkpoint-key", {}, {}),
        (f"/1.0/identifiers/{agency.did}", {}, {}),
        (f"/1.0/identifiers/{agency.did}", {"withProof": "true"}, {}),
        (f"/1.0/identifiers/{agency.did}", {"versionId": "1"}, {"accept": "application/did"}),
        ("/1.0/identifiers/did:civicid:" + "a" * 32, {"withProof": "true"}, {}),
        ("/1.0/identifiers/not-a-did", {}, {}),
    ]
    with served(world) as transport:
        mirror = follower(world, transport, tmp_path / "mirror")
        with TestClient(create_mirror_app(mirror, interval=None)) as http:
            framework = TestClient(http.app, root_path="/under")
            for path, params, headers in asks:
                fast = http.get(path, params=params, headers=headers)
                slow = framework.get(path, params=params, headers=headers)
                assert fast.status_code == slow.status_code == 503, path
                assert fast.json()["error"] == slow.json()["error"] == "mirror_not_ready"
            assert answered == []  # each direct answer failed: the framework answered
            assert mirror.follow().error is None and mirror.size == world.ledger.size
            for path, params, headers in asks:
                fast = http.get(path, params=params, headers=headers)
                slow = framework.get(path, params=params, headers=headers)
                assert (fast.status_code, fast.content) == (slow.status_code, slow.content), path
                assert fast.headers.raw == slow.headers.raw, path
            assert answered == [path for path, _, _ in asks]
            proven = http.get(asks[2][0], params=asks[2][1]).json()["didResolutionMetadata"]
            assert proven["proof"]["treeSize"] == world.ledger.size
