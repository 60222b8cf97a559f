"""A mirror refuses a query parameter given twice (request_invalid) on the log's and
governance's routes, as the ledger does: the framework took the last
(``?seq=1&seq=0`` answered entry 0's proof)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.mirror_app import create_mirror_app
from tests.ledger.conftest import World
from tests.ledger.test_mirror_follows import follower, served


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/proofs/inclusion?seq=1&seq=0&treeSize=2", "seq"),
        ("/proofs/consistency?from=1&from=2&to=2", "from"),
        ("/accreditations/verifier?vct=x&claims=a&subject=y&subject=z", "subject"),
    ],
)
def test_a_parameter_given_twice_is_refused(
    world: World, tmp_path: Path, path: str, name: str
) -> None:
    world.register()
    world.register()
    with served(world) as transport:
        mirror = follower(world, transport, tmp_path / "mirror")
        assert mirror.follow().error is None and mirror.size == world.ledger.size >= 2
        with TestClient(create_mirror_app(mirror, interval=None)) as http:
            answer = http.get(path)
            assert answer.status_code == 400, answer.text
            assert answer.json() == {
                "error": "request_invalid",
                "error_description": f"query parameter {name!r} given more than once",
            }
            once = http.get("/proofs/inclusion?seq=1&treeSize=2")
            assert once.status_code == 200 and once.json()["seq"] == 1
