"""After the log was emptied, an anonymous POST /transactions carrying a genesis was once
accepted and signed: the sender became governance. A genesis is written by ``init`` only,
and an emptied log does not open at all."""

from __future__ import annotations

from fastapi.testclient import TestClient

from civicid.identity import Identity
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, refuses, store


def test_a_genesis_over_http_is_refused(world: World) -> None:
    before = acknowledge(world, extra=1)
    attacker = Identity.create()
    genesis = attacker.genesis(origin=world.origin, checkpoint_key="x", now=world.clock.now)
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        response = http.post(
            "/transactions", content=genesis, headers={"content-type": "application/jose"}
        )
    assert response.status_code == 403 and response.json()["error"] == "genesis_only_by_init"
    assert [leaf for _, leaf in world.ledger.entries()] == before.entries


def test_an_emptied_log_does_not_open(world: World) -> None:
    acknowledge(world, extra=1)
    world.ledger.close()
    for name in ("log.dat", "log.idx", "leaves.dat"):
        (store(world) / name).write_bytes(b"")
    refuses(world, "store_truncated")
