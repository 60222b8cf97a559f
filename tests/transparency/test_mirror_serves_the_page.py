"""A mirror serves the same transparency page from its verified copy: the same bodies and
counts as the ledger's own page, and the next entries once it has followed them."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from ledger.mirror_app import create_mirror_app
from tests.ledger.conftest import World
from tests.ledger.test_mirror_follows import follower, served
from tests.ledger.trust import publish, token
from tests.transparency.stories import BENEFITS_LIST, populate


def facts(html: str) -> tuple[list[str], list[tuple[str, str]], str]:
    bodies = re.findall(r'<tr data-did="([^"]+)"', html)
    counts = re.findall(r'data-count="(\w+)">([\d,]+)<', html)  # grouped: "131,072"
    size = re.findall(r'id="cp-size">([\d,]+)<', html)[0]
    return bodies, counts, size


def test_a_mirror_serves_the_page_as_the_ledger_does(
    world: World, http: TestClient, tmp_path: Path
) -> None:
    cast = populate(world, days=3)
    with served(world) as transport:
        mirror = follower(world, transport, tmp_path / "mirror")
        try:
            assert mirror.follow().error is None
            with TestClient(create_mirror_app(mirror, interval=None)) as copy:
                assert facts(copy.get("/transparency").text) == facts(
                    http.get("/transparency").text
                )
                world.clock.now += 60
                publish(world, cast.benefits, BENEFITS_LIST, token(
                    cast.benefits, BENEFITS_LIST, now=world.clock.now, revoked=(0, 1, 2),
                    suspended=(),
                ))  # fmt: skip
                assert mirror.follow().error is None
                page = copy.get("/transparency")
                assert page.status_code == 200
                assert facts(page.text) == facts(http.get("/transparency").text)
                assert copy.get("/transparency/static/transparency.js").status_code == 200
        finally:
            mirror.close()
