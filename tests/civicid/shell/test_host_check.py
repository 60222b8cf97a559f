"""The Host check every service may use (``ServiceApp``, ``civicid/shell/hosts.py``): an app
that names its hosts answers only requests naming one, refusing the rest 400
``host_not_allowed`` before its hot calls and the framework alike (HEAD too, without a body);
one that names none answers any; the OpenAPI description says so where it applies."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from civicid.errors import Error, InvalidInput, declare
from civicid.shell import hosts
from civicid.shell.app import create_service_app
from civicid.shell.dispatch import DirectApp, Route
from civicid.shell.errors import HOST_NOT_ALLOWED
from civicid.shell.settings import HostNames, ServiceSettings
from tests.civicid.shell.conftest import nothing
from tests.civicid.shell.described import names_the_host_refusal

CALLS: list[str] = []


async def hot(_: Request) -> Response:
    CALLS.append("hot")
    return JSONResponse({"by": "direct"})


class Hot(DirectApp):
    def direct_route(self, method: str, path: str) -> Route | None:
        return hot if (method, path) == ("POST", "/hot") else None


def service(names: frozenset[str] | None) -> FastAPI:
    made = create_service_app(title="t", description="t", lifespan=nothing, served_names=names)

    @made.get("/thing")
    async def thing() -> dict[str, str]:
        CALLS.append("thing")
        return {"a": "b"}

    @made.post("/hot")
    async def hot_routed() -> dict[str, str]:
        return {"by": "framework"}

    made.__class__ = Hot
    return made


NAMES = hosts.served_names("https://svc.example/base", "192.0.2.1", ["proxy.example"])


def refused(answer: object, *, body: bool = True) -> None:
    assert answer.status_code == 400, answer.text  # type: ignore[attr-defined]
    if body:
        assert answer.json()["error"] == HOST_NOT_ALLOWED.name  # type: ignore[attr-defined]
    else:
        assert answer.content == b""  # type: ignore[attr-defined]


def test_the_names_served() -> None:
    assert {"svc.example", "192.0.2.1", "localhost", "127.0.0.1", "[::1]", "proxy.example"} == NAMES
    assert hosts.served_names("http://0.0.0.0:8701", "::", []) == hosts.LOOPBACK_NAMES
    assert hosts.served_names("http://[::1]:80", "0.0.0.0", []) == hosts.LOOPBACK_NAMES  # noqa: S104


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("svc.example", "svc.example"),
        ("SVC.Example.:8080", "svc.example"),
        ("[::1]:443", "[::1]"),
        ("[::1]", "[::1]"),
        ("192.0.2.1:1", "192.0.2.1"),
        ("svc.example:99999", "svc.example"),
        ("svc.example:123456", None),
        ("svc.example:", None),
        ("svc.example:http", None),
        ("svc.example:80:80", None),
        ("[::1", None),
        ("[::1]x", None),
        (":80", None),
        ("", None),
    ],
)
def test_the_name_a_host_header_gives(value: str, name: str | None) -> None:
    assert hosts.host_named([(b"host", value.encode())]) == name


def test_no_host_or_two_names_nothing() -> None:
    assert hosts.host_named([]) is None
    assert hosts.host_named([(b"host", b"a.example"), (b"host", b"a.example")]) is None
    assert hosts.host_named([(b"x-host", b"a.example"), (b"host", b"b.example")]) == "b.example"


def test_a_service_answers_only_its_names() -> None:
    CALLS.clear()
    with TestClient(service(NAMES), base_url="http://svc.example") as client:
        assert client.get("/thing").status_code == 200
        assert client.get("/thing", headers={"host": "PROXY.example.:8443"}).status_code == 200
        refused(client.get("/thing", headers={"host": "evil.example"}))
        refused(client.post("/hot", headers={"host": "evil.example"}))  # a hot call too
        refused(client.head("/thing", headers={"host": "evil.example"}), body=False)
        refused(client.get("/no-such", headers={"host": "evil.example"}))
        assert client.post("/hot").json() == {"by": "direct"}
    assert CALLS == ["thing", "thing", "hot"]


def test_the_refusal_says_where_a_proxy_s_name_belongs() -> None:
    with TestClient(service(NAMES), base_url="http://evil.example") as client:
        body = client.get("/thing").json()
    assert body["error"] == "host_not_allowed"
    assert "allowed_hosts" in body["error_description"]


def test_the_refusal_is_the_service_s_own_answer() -> None:
    """The refusal goes through the app's error renderer, which sees the app (as a service's
    does: the issuer's reads its store through it)."""

    async def render(request: Request, error: Error) -> Response:
        return JSONResponse({"by": request.app.title, "code": error.code}, error.http_status)

    made = create_service_app(
        title="rendered", description="t", lifespan=nothing, served_names=NAMES, render_error=render
    )
    answer = TestClient(made, base_url="http://evil.example").get("/docs")
    assert answer.status_code == 400
    assert answer.json() == {"by": "rendered", "code": "host_not_allowed"}


def test_a_service_naming_no_host_answers_any() -> None:
    with TestClient(service(None), base_url="http://evil.example") as client:
        assert client.get("/thing").status_code == 200
        assert client.post("/hot").json() == {"by": "direct"}


def test_the_description_names_the_refusal_where_it_applies() -> None:
    checked = TestClient(service(NAMES), base_url="http://localhost").get("/openapi.json").json()
    names_the_host_refusal(checked)
    refusal = checked["paths"]["/thing"]["get"]["responses"]["400"]
    assert refusal["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    unchecked = TestClient(service(None)).get("/openapi.json").json()
    assert "host_not_allowed" not in str(unchecked)


NOT_VALID = declare("test_settings_invalid", InvalidInput, "a test part's settings are not valid")


class Named(ServiceSettings, HostNames):
    part = "named"
    invalid = NOT_VALID


def test_allowed_hosts_are_kept_as_compared(tmp_path: Path) -> None:
    settings = Named(data_dir=tmp_path, allowed_hosts=["Proxy.Example.", "[::1]", "192.0.2.9"])
    assert settings.allowed_hosts == ["proxy.example", "[::1]", "192.0.2.9"]
    assert Named(data_dir=tmp_path).allowed_hosts is None


@pytest.mark.parametrize(
    "name", ["http://proxy.example", "proxy.example:443", "proxy.example/x", "*.example", "", "-a"]
)
def test_allowed_hosts_are_names(tmp_path: Path, name: str) -> None:
    (tmp_path / "named.toml").write_text(f'allowed_hosts = ["{name}"]\n', encoding="utf-8")
    with pytest.raises(Error) as caught:
        Named.load(tmp_path)
    assert NOT_VALID.matches(caught.value)
    assert "allowed_hosts" in str(caught.value) and "not a host name" in str(caught.value)


def test_allowed_hosts_are_bounded(tmp_path: Path) -> None:
    many = [f"h{n}.example" for n in range(hosts.MAX_ALLOWED_HOSTS + 1)]
    assert len(Named(data_dir=tmp_path, allowed_hosts=many[:-1]).allowed_hosts or ()) == 64
    with pytest.raises(Error) as caught, Named.refusing(tmp_path / "named.toml"):
        Named(data_dir=tmp_path, allowed_hosts=many)
    assert NOT_VALID.matches(caught.value)


class OptIn(Named):
    checks_host_unless_allowed = False


def test_the_settings_name_what_the_service_answers_to(tmp_path: Path) -> None:
    """One method for every service: the desk checks Host always, the issuer once named."""
    url = "https://svc.example/base"
    always = Named(data_dir=tmp_path, host="192.0.2.1")
    assert always.served_names(url) == hosts.served_names(url, "192.0.2.1", [])
    proxied = Named(data_dir=tmp_path, host="192.0.2.1", allowed_hosts=["proxy.example"])
    assert proxied.served_names(url) == NAMES
    assert OptIn(data_dir=tmp_path, host="192.0.2.1").served_names(url) is None
    named = OptIn(data_dir=tmp_path, host="192.0.2.1", allowed_hosts=["proxy.example"])
    assert named.served_names(url) == NAMES
