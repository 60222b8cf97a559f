"""Counts on the page read as a person reads numbers, grouped in thousands ("131,072
places", "1,500 revoked"): in the captions, the charts' axes, summaries and tables, the
checkpoint's size and the footer; never "131072". Entry numbers a reader types into the
form (its hint and its value) stay as typed."""

from __future__ import annotations

import dataclasses
import re

from fastapi.testclient import TestClient
from starlette.requests import Request

from ledger.routes.transparency import templates
from ledger.transparency.numbers import count
from ledger.transparency.page import Transparency
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import LIST_URI, NATIONAL_ID

PLACES = 131_072
REVOKED = tuple(range(1_500))
SUSPENDED = tuple(range(2_000, 3_250))


def test_a_count_is_grouped_in_thousands() -> None:
    assert [count(n) for n in (0, 7, 999, 1_000, 131_072, 1_234_567)] == [
        "0", "7", "999", "1,000", "131,072", "1,234,567",
    ]  # fmt: skip


def test_status_counts_charts_and_tables(world: World, http: TestClient) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    trust.register_type(world, agency)
    trust.publish(world, agency, LIST_URI, trust.token(agency, now=world.clock.now, size=PLACES))
    world.clock.now += 86_400
    text = trust.token(
        agency, now=world.clock.now, size=PLACES, revoked=REVOKED, suspended=SUSPENDED
    )
    trust.publish(world, agency, LIST_URI, text)
    html = http.get("/transparency").text
    caption = html.split('data-agency="')[1].split("</figcaption>")[0]
    counts = dict(re.findall(r'data-count="(\w+)">([^<]+)<', caption))
    assert counts == {"lists": "1", "places": "131,072", "revoked": "1,500", "suspended": "1,250"}
    assert 'text-anchor="end">1,000</text>' in html and 'text-anchor="end">2,000</text>' in html
    said = "revoked entries went from 1 to 1,500 and suspended entries went from 1 to 1,250."
    assert said in html
    assert "<td>1</td><td>131,072</td><td>1,500</td><td>1,250</td></tr>" in html
    for raw in ("131072", "1500", "1250", "1000", "2000"):
        assert not re.search(rf"(?<![\d.,]){raw}(?![\d.,])", html), raw


def test_the_checkpoint_size_and_the_footer(world: World) -> None:
    page = Transparency().page(world.ledger, ("en",))
    assert page.checkpoint is not None
    page = dataclasses.replace(page, checkpoint=dataclasses.replace(page.checkpoint, size=PLACES))
    request = Request({"type": "http", "method": "GET", "path": "/transparency", "headers": []})
    html = templates().TemplateResponse(request, "transparency.html", {"page": page}).body
    text = html.decode()
    assert '<dd id="cp-size">131,072</dd>' in text
    assert "the checkpoint of 131,072\n  entries (0 to 131,071)" in text
    # What a reader types stays as typed: the form's hint and its value.
    assert "From 0 to 131071." in text and 'value="131071"' in text
