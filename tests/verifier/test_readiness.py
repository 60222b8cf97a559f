"""The desk's ``/health/ready``: ready while its store answers; 503 ``service_not_ready``
while its PostgreSQL is down (before, ``/health`` said ok and nothing asked the store) and
ready again once it is back; ``/health`` (liveness) says ok throughout."""

from __future__ import annotations

import httpx
import pytest

import civicid.db
from tests.issuer.test_database_faults import TEST_POOL_WAIT
from tests.issuer.test_readiness import assert_not_ready_while_down, ready_answer
from tests.postgres import Cluster
from tests.verifier.loopback import serve_desk
from tests.verifier.world import Clock, World


def test_not_ready_while_its_database_is_down(
    world: World,
    desk_clock: Clock,
    database_url: str,
    postgres: Cluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(civicid.db, "POOL_WAIT", TEST_POOL_WAIT)
    with serve_desk(world, desk_clock, database_url=database_url) as desk:
        ready = httpx.get(desk.url + "/health/ready", timeout=30)
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        postgres.stop()
        try:
            assert_not_ready_while_down(desk.url)
            assert httpx.get(desk.url + "/health", timeout=30).json() == {"status": "ok"}
        finally:
            postgres.start()
        assert ready_answer(desk.url, 200).json() == {"status": "ready"}


def test_ready_on_sqlite(world: World, desk_clock: Clock) -> None:
    with serve_desk(world, desk_clock) as desk:
        ready = httpx.get(desk.url + "/health/ready", timeout=30)
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        assert ready.headers["cache-control"] == "no-store"
