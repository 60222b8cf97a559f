"""The issuer's ``/health/ready`` on PostgreSQL: ready while its database answers; 503
``service_not_ready`` while it is down (before, ``/health`` said ok and nothing asked the
store) and ready again once it is back, the process never restarted; ``/health``
(liveness) says ok throughout. On SQLite: tests/issuer/test_readiness_sqlite.py."""

from __future__ import annotations

import time

import httpx

from civicid.readiness import ANSWER_SECONDS
from cli.harness import free_port, serving
from issuer.app import create_app
from tests.issuer.conftest import Env
from tests.issuer.test_database_faults import RECOVERY_SECONDS
from tests.issuer.test_database_faults import env as env  # the issuer on PostgreSQL
from tests.postgres import Cluster


def ready_answer(url: str, want: int, saying: str = "") -> httpx.Response:
    """``/health/ready`` polled until it answers ``want`` (an answer stands for a second)
    saying ``saying``; the last answer once ``RECOVERY_SECONDS`` have passed."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        answer = httpx.get(url + "/health/ready", timeout=30)
        if (answer.status_code == want and saying in answer.text) or time.monotonic() > deadline:
            return answer


def assert_not_ready(answer: httpx.Response, cause: str) -> None:
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["error"] == "service_not_ready"
    assert cause in body["error_description"], body
    assert answer.headers["cache-control"] == "no-store"


def assert_not_ready_while_down(url: str) -> None:
    """Not ready, said within seconds: at first the store's read may outlast the probe's
    bound (a pool waiting for a connection), then, the pool knowing the database down, the
    read fails at once with the store's own code."""
    started = time.monotonic()
    first = ready_answer(url, 503)
    assert_not_ready(first, "")
    assert time.monotonic() - started < 10  # told within seconds, not a pool's whole wait
    said = first.json()["error_description"]
    late = f"the store did not answer within {ANSWER_SECONDS:g} s"
    assert said == late or said.endswith("[database_lost]"), said
    assert_not_ready(ready_answer(url, 503, "[database_lost]"), "[database_lost]")


def test_not_ready_while_its_database_is_down(env: Env, postgres: Cluster) -> None:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        ready = httpx.get(url + "/health/ready", timeout=30)
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        postgres.stop()
        try:
            assert_not_ready_while_down(url)
            assert httpx.get(url + "/health", timeout=30).json() == {"status": "ok"}
        finally:
            postgres.start()
        assert ready_answer(url, 200).json() == {"status": "ready"}
