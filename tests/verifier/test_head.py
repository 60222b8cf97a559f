"""The desk answers HEAD wherever it answers GET (RFC 9110 §9.3.2), with GET's status and
header fields and no body; the request object, served once, is not spent by a HEAD (405, as
for a method it lacks), and a HEAD from a name not the desk's is refused like a GET."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from civicid.oid4vp import parse_link
from tests.verifier.loopback import Desk, wallet_answer
from tests.verifier.world import World


def same_head(desk: Desk, path: str) -> httpx.Response:
    got, head = httpx.get(desk.url + path), httpx.head(desk.url + path)
    assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
    for name in ("content-type", "content-length", "cache-control"):
        assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert head.content == b""
    return head


def test_head_is_get_without_its_body(world: World, desk: Desk) -> None:
    assert same_head(desk, "/").status_code == 200
    assert same_head(desk, "/static/desk.js").status_code == 200
    assert same_head(desk, "/openapi.json").status_code == 200
    assert same_head(desk, "/policies").status_code == 200
    data = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"}).json()
    poll = same_head(desk, data["status_url"])  # a hot call, answered by its route
    assert poll.status_code == 200 and poll.headers["cache-control"] == "no-store"
    assert same_head(desk, "/transactions/no-such").status_code == 404


def test_a_head_does_not_spend_the_request_object(world: World, desk: Desk) -> None:
    data = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"}).json()
    path = urlsplit(parse_link(data["link"]).request_uri).path
    head = httpx.head(desk.url + path)
    assert head.status_code == 405 and head.content == b""
    assert head.headers["allow"] == "GET"
    answer, _ = wallet_answer(world, desk, data["link"])  # fetches it, once
    assert answer.status_code == 200 and answer.json()["decision"] == "eligible"


def test_a_head_from_another_name_is_refused(desk: Desk) -> None:
    head = httpx.head(f"{desk.url}/", headers={"host": "evil.example"})
    assert head.status_code == 400 and head.content == b""
    assert head.headers["cache-control"] == "no-store"
