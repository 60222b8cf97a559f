"""The issuer's Host check is opt-in (``allowed_hosts``): without it the issuer answers any
name, as before; with it (an empty list too) it answers only its public URL's host, the
address it is bound to and the loopback names (how ``civicid up`` and ``civicid demo`` and a
proxy forwarding to 127.0.0.1 reach it) and the names listed, refusing the rest 400
``host_not_allowed`` before any route: the wallet's calls answered from the scope, the
clerk's offer and the framework's routes alike, nothing read or written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from civicid.errors import Error
from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.errors import SETTINGS_INVALID
from issuer.settings import IssuerSettings
from tests.civicid.shell.described import names_the_host_refusal
from tests.issuer.conftest import CONFIG, Env, sample_claims, state

EVIL = "evil.example"


def checked(env: Env, *allowed: str) -> IssuerSettings:
    return env.settings.model_copy(update={"allowed_hosts": list(allowed)})


@pytest.fixture
def base(env: Env) -> Iterator[str]:
    app = create_app(checked(env, "issuer.proxy.example"), issuer=env.issuer, background=False)
    with serving(app, free_port()) as url:
        yield url


def refused(answer: httpx.Response, code: str = "host_not_allowed") -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    body: dict[str, Any] = answer.json()
    assert code in (body.get("error"), body.get("civicid_error")), body
    return body


def test_a_rebound_name_drives_no_route_and_changes_nothing(env: Env, base: str) -> None:
    created = env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-7", claims=sample_claims()
    )
    before = state(env)
    evil = {"host": f"{EVIL}:{urlsplit(base).port}"}
    clerk = {**evil, "authorization": f"Bearer {env.keys['alice']}"}
    offer = {"configuration": CONFIG, "record": "REG-8", "claims": sample_claims()}
    refused(httpx.post(f"{base}/staff/offers", json=offer, headers=clerk))
    refused(httpx.get(f"{base}/staff/offers", headers=clerk))
    refused(httpx.get(f"{base}/offers/{created.offer.id}", headers=evil))
    refused(httpx.post(f"{base}/token", data={"grant_type": "x"}, headers=evil))
    refused(httpx.post(f"{base}/nonce", headers=evil))
    refused(httpx.post(f"{base}/credential", json={}, headers=evil))
    refused(httpx.get(f"{base}/.well-known/openid-credential-issuer", headers=evil))
    refused(httpx.get(f"{base}/health", headers=evil))
    assert state(env) == before
    # The offer by reference was not spent: its one fetch is still there.
    assert httpx.get(f"{base}/offers/{created.offer.id}").status_code == 200


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost", "[::1]:{port}", "issuer.proxy.example", "{public}"]
)
def test_its_own_names_pass(env: Env, base: str, host: str) -> None:
    public = urlsplit(env.settings.public_url).hostname
    name = host.format(port=urlsplit(base).port, public=public)
    answer = httpx.get(f"{base}/health", headers={"host": name})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("host", [EVIL, "localhost.evil.example", "", "localhost:http"])
def test_names_not_its_own_are_refused(base: str, host: str) -> None:
    refused(httpx.get(f"{base}/health", headers={"host": host}))


def test_without_allowed_hosts_any_name_is_answered(env: Env) -> None:
    assert (
        env.settings.allowed_hosts is None
        and env.settings.served_names(env.settings.public_url) is None
    )
    with serving(create_app(env.settings, issuer=env.issuer, background=False), free_port()) as url:
        assert httpx.get(f"{url}/health", headers={"host": EVIL}).status_code == 200
        described = httpx.get(f"{url}/openapi.json").json()
    assert "host_not_allowed" not in str(described)


def test_an_empty_list_checks_its_own_names_alone(env: Env) -> None:
    settings = checked(env)
    names = settings.served_names(settings.public_url)
    assert names is not None and "localhost" in names and EVIL not in names
    assert urlsplit(env.settings.public_url).hostname in names


def test_the_description_names_the_refusal(base: str) -> None:
    names_the_host_refusal(httpx.get(f"{base}/openapi.json").json())


def test_allowed_hosts_are_names(tmp_path: Path) -> None:
    """As the shell's settings read them (``test_host_check.py``), refused with its code."""
    (tmp_path / "issuer.toml").write_text('allowed_hosts = ["a.example:443"]', encoding="utf-8")
    with pytest.raises(Error) as caught:
        IssuerSettings.load(tmp_path)
    assert SETTINGS_INVALID.matches(caught.value) and "not a host name" in str(caught.value)


def test_allowed_hosts_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "issuer.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("CIVICID_ISSUER_ALLOWED_HOSTS", '["Issuer.Example."]')
    settings = IssuerSettings.load(tmp_path)
    assert settings.allowed_hosts == ["issuer.example"]
    names = settings.served_names(settings.public_url)
    assert names is not None and "issuer.example" in names and "127.0.0.1" in names
