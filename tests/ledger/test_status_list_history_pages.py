"""A status list's history is answered a page at a time: a list republished every hour has
thousands of versions, and each carries an inclusion proof. ``after`` and ``limit`` walk it;
``next`` says where the next page starts; a page past the end is empty; a limit past the
largest page, or a negative ``after``, is refused with ``request_invalid``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from civicid.wire import StatusListHistory
from cli.harness import free_port, serving
from ledger import registry
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import LIST_URI, NATIONAL_ID

VERSIONS = 7


@pytest.fixture
def url(world: World) -> Iterator[str]:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    for _ in range(VERSIONS):
        world.clock.now += 60
        trust.publish(world, agency)
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as served:
        yield served


def page(url: str, **params: Any) -> httpx.Response:
    return httpx.get(url + "/status-lists/history", params={"uri": LIST_URI, **params})


def test_pages_walk_every_version_once(url: str) -> None:
    seen: list[int] = []
    after = 0
    while True:
        answer = page(url, after=after, limit=3)
        assert answer.status_code == 200
        history = StatusListHistory.from_json(answer.content)
        numbers = [v.version for v in history.versions]
        assert len(numbers) <= 3
        assert [e.leaf_hash for e in history.entries] == [v.leaf_hash for v in history.versions]
        seen += numbers
        if history.next is None:
            break
        assert history.next == numbers[-1]
        after = history.next
    assert seen == list(range(1, VERSIONS + 1))


def test_the_default_page_and_past_the_end(url: str) -> None:
    whole = page(url).json()
    assert [v["version"] for v in whole["versions"]] == list(range(1, VERSIONS + 1))
    assert "next" not in whole
    assert page(url, after=VERSIONS).json()["versions"] == []
    assert page(url, after=VERSIONS + 5).json()["entries"] == []


@pytest.mark.parametrize(
    "params", [{"limit": registry.MAX_HISTORY_PAGE + 1}, {"limit": 0}, {"after": -1}]
)
def test_out_of_range_pages_are_refused(url: str, params: dict[str, int]) -> None:
    answer = page(url, **params)
    assert answer.status_code == 400
    assert answer.json()["error"] == "request_invalid"
