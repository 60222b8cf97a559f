"""The desk answers only requests whose Host names it: a web page whose own name was pointed
at the desk's address (DNS rebinding) reaches it by that name, and is refused before any
route (the direct calls and the framework's alike), touching nothing the desk holds."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from civicid.errors import Error
from civicid.oid4vp import parse_link
from tests.civicid.shell.described import names_the_host_refusal
from tests.verifier.loopback import Desk, wallet_answer
from tests.verifier.world import World, settings_for
from verifier.app import create_app
from verifier.errors import HOST_NOT_ALLOWED, VERIFIER_SETTINGS_INVALID
from verifier.service import Verifier
from verifier.settings import VerifierSettings

EVIL = "evil.example"


def refused(answer: httpx.Response) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == HOST_NOT_ALLOWED.name
    assert answer.headers["cache-control"] == "no-store"


def test_a_rebound_name_drives_no_route_and_changes_nothing(world: World, desk: Desk) -> None:
    port = urlsplit(desk.url).port
    evil = {"host": f"{EVIL}:{port}"}
    refused(httpx.get(f"{desk.url}/", headers=evil))
    refused(httpx.post(f"{desk.url}/requests", json={"policy": "age-check"}, headers=evil))
    data = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"}).json()
    request_uri = parse_link(data["link"]).request_uri
    # The hot calls, served without the framework's routing, are refused as well: the one
    # fetch of the request object is not spent, the answer not taken, the poll not read.
    refused(httpx.get(desk.url + urlsplit(request_uri).path, headers=evil))
    refused(httpx.get(desk.url + data["status_url"], headers=evil))
    refused(httpx.post(f"{desk.url}/oid4vp/response", data={"state": "x"}, headers=evil))
    assert httpx.get(desk.url + data["status_url"]).json()["status"] == "waiting"
    answer, _ = wallet_answer(world, desk, data["link"])
    assert answer.status_code == 200 and answer.json()["decision"] == "eligible"


@pytest.mark.parametrize(
    "host",
    [
        EVIL,
        "EVIL.example:8080",
        "desk.test.evil.example",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "localhost:80:80",
        "localhost:http",
        "localhost:123456",
        "[::1",
        "[::1]x",
        "",
    ],
)
def test_names_not_the_desk_s_are_refused(desk: Desk, host: str) -> None:
    refused(httpx.get(f"{desk.url}/", headers={"host": host}))


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST:{port}",
        "localhost.:{port}",
        "127.0.0.1:{port}",
        "[::1]:{port}",
        "desk.test",
        "desk.test:443",
    ],
)
def test_the_desk_s_own_names_pass(desk: Desk, host: str) -> None:
    """The loopback names (with the port or without) and the host of its public URL."""
    port = urlsplit(desk.url).port
    answer = httpx.get(f"{desk.url}/", headers={"host": host.format(port=port)})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "head",
    [b"GET / HTTP/1.0\r\n\r\n", b"GET / HTTP/1.1\r\nhost: localhost\r\nhost: evil.example\r\n\r\n"],
)
def test_a_request_without_host_or_with_two_is_refused(desk: Desk, head: bytes) -> None:
    address = urlsplit(desk.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(head)
        got = b""
        while b"}" not in got and (chunk := sock.recv(65536)):
            got += chunk
    assert got.startswith(b"HTTP/1.1 400"), got
    assert b'"host_not_allowed"' in got, got


def test_a_proxy_s_name_passes_once_allowed(world: World, verifier: Verifier) -> None:
    settings = settings_for(world.root, allowed_hosts=["Desk.Proxy.example."])
    app = create_app(settings, verifier=verifier)
    with TestClient(app, base_url="http://desk.proxy.example") as client:
        assert client.get("/").status_code == 200
        refused(client.get("/", headers={"host": "other.proxy.example"}))
    with TestClient(create_app(settings_for(world.root), verifier=verifier)) as client:
        refused(client.get("/", headers={"host": "desk.proxy.example"}))


def test_the_address_bound_passes(world: World, verifier: Verifier) -> None:
    settings = VerifierSettings(data_dir=world.root, host="192.0.2.7")
    with TestClient(create_app(settings, verifier=verifier), base_url="http://192.0.2.7:8702") as c:
        assert c.get("/").status_code == 200
    anywhere = VerifierSettings(data_dir=world.root, host="0.0.0.0")  # noqa: S104
    with TestClient(create_app(anywhere, verifier=verifier), base_url="http://0.0.0.0") as c:
        refused(c.get("/"))


@pytest.mark.parametrize(
    "name", ["http://proxy.example", "proxy.example:443", "proxy.example/desk", "*.example", ""]
)
def test_allowed_hosts_are_names(tmp_path: Path, name: str) -> None:
    (tmp_path / "verifier.toml").write_text(f'allowed_hosts = ["{name}"]\n', encoding="utf-8")
    with pytest.raises(Error) as caught:
        VerifierSettings.load(tmp_path)
    assert VERIFIER_SETTINGS_INVALID.matches(caught.value)
    assert "allowed_hosts" in str(caught.value)


def test_the_description_names_the_refusal(verifier: Verifier) -> None:
    """Every operation of the desk's served description may answer 400 host_not_allowed."""
    with TestClient(create_app(verifier=verifier), base_url="http://localhost") as client:
        names_the_host_refusal(client.get("/openapi.json").json())
