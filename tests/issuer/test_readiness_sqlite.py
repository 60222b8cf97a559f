"""The issuer's ``/health/ready`` on SQLite: ready while its store answers a read; 503
``service_not_ready`` naming the store's code while its reads fail; ``/health`` (liveness)
says ok throughout."""

from __future__ import annotations

import httpx
import pytest

from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.errors import STORE_FAILED
from tests.issuer.conftest import Env
from tests.issuer.test_readiness import assert_not_ready, ready_answer


def test_ready_on_sqlite_and_not_while_its_reads_fail(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        assert httpx.get(url + "/health/ready", timeout=30).json() == {"status": "ready"}

        def failing(clerk_id: str) -> None:
            raise STORE_FAILED("read failed: disk I/O error")

        monkeypatch.setattr(env.issuer.store, "clerk", failing)
        assert_not_ready(ready_answer(url, 503), "disk I/O error [issuer_store_failed]")
        assert httpx.get(url + "/health", timeout=30).json() == {"status": "ok"}
