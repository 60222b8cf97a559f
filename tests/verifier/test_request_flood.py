"""``POST /requests`` needs no login: a client asking again and again is refused past its
share (429 ``client_requests_full``), and many clients past the desk's total (503
``desk_requests_full``), each with Retry-After; the requests already made stay as they were
(served, polled, answerable), and the desk's page keeps answering the staff's screen while
the flood lasts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.verifier.loopback import Desk, serve_desk, wallet_answer
from tests.verifier.world import Clock, World, open_desk, settings_for
from verifier.app import create_app

NEW = {"policy": "housing-benefit"}
TTL = 300


def stored(root: Path) -> list[tuple[Any, ...]]:
    path = settings_for(root).store_path
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT * FROM requests ORDER BY id").fetchall()


@pytest.fixture
def desk(world: World, desk_clock: Clock) -> Iterator[Desk]:
    """The desk on loopback, at most 3 requests per client and 50 in all."""
    limits = {"max_pending_requests": 50, "max_pending_requests_per_client": 3}
    with serve_desk(world, desk_clock, **limits) as served:
        yield served


def test_one_client_past_its_share_is_refused_and_nothing_made_is_touched(
    world: World, desk: Desk
) -> None:
    with httpx.Client(base_url=desk.url) as http:
        made = [http.post("/requests", json=NEW) for _ in range(3)]
        assert [r.status_code for r in made] == [201, 201, 201]
        before = stored(world.root)
        refused = http.post("/requests", json=NEW)
        assert refused.status_code == 429
        assert refused.json()["error"] == "client_requests_full"
        assert refused.headers["retry-after"] == str(TTL)  # the desk's clock stands still
        assert refused.headers["cache-control"] == "no-store"
        assert stored(world.root) == before
        # What was made still works: its status, its QR code, a wallet's answer.
        first = made[0].json()
        assert http.get(first["status_url"]).json()["status"] == "waiting"
        assert http.get(first["qr"]).status_code == 200
        answer, _ = wallet_answer(world, desk, made[1].json()["link"])
        assert answer.status_code == 200
        assert http.get(made[1].json()["status_url"]).json()["status"] == "decided"
        # An answer frees no place (an error answer is one POST); expiry does.
        assert http.post("/requests", json=NEW).status_code == 429
        desk.clock.now += TTL
        assert http.post("/requests", json=NEW).status_code == 201


def test_the_page_keeps_answering_through_a_flood(world: World, desk: Desk) -> None:
    with httpx.Client(base_url=desk.url) as http:
        mine = http.post("/requests", json=NEW).json()

        def flood(_: int) -> int:
            with httpx.Client(base_url=desk.url) as own:
                return own.post("/requests", json=NEW).status_code

        with ThreadPoolExecutor(8) as pool:
            flooding = pool.map(flood, range(400))
            page = http.get("/")
            poll = http.get(mine["status_url"])
            statuses = list(flooding)
        assert page.status_code == 200 and "housing-benefit" in page.text
        assert poll.status_code == 200 and poll.json()["status"] == "waiting"
        assert statuses.count(201) == 2 and statuses.count(429) == 398
        assert len(stored(world.root)) == 3


def test_many_clients_past_the_desk_total_are_refused(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    verifier = open_desk(
        world, http, desk_clock, max_pending_requests=3, max_pending_requests_per_client=2
    )
    app = create_app(verifier=verifier)
    try:
        answers = []
        for host in ("192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3"):
            with TestClient(app, base_url="http://localhost", client=(host, 50000)) as client:
                answers.append(client.post("/requests", json=NEW))
        assert [a.status_code for a in answers] == [201, 201, 201, 503]
        assert answers[3].json()["error"] == "desk_requests_full"
        assert answers[3].headers["retry-after"] == str(TTL)
        assert len(stored(world.root)) == 3
    finally:
        verifier.close()
