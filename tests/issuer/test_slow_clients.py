"""The issuer as ``civicid issuer serve`` runs it (``civicid.shell.server``) against slow,
silent, greedy and oversize clients (``tests/slow_clients.py``). Its token endpoint answers
in OAuth's error shape (a body too large is ``invalid_request``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from civicid.shell.server import server_config
from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.settings import IssuerSettings
from tests.issuer.conftest import Clock, LedgerWorld, make_env
from tests.slow_clients import CASES, LIMITS, Target


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, ledger_world: LedgerWorld) -> Iterator[Target]:
    env = make_env(tmp_path_factory.mktemp("issuer"), ledger_world, Clock())
    settings = IssuerSettings(data_dir=env.issuer.settings.data_dir, **LIMITS)
    app = create_app(issuer=env.issuer, background=False)
    try:
        with serving(app, free_port(), config=server_config(settings, app)) as url:
            yield Target(url, post="/token", too_large="invalid_request")
    finally:
        env.issuer.close()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_slow_clients(target: Target, case: Callable[[Target], None]) -> None:
    case(target)


def test_the_limits_have_safe_defaults() -> None:
    settings = IssuerSettings()
    assert settings.max_connections <= 1024 and settings.max_header_bytes <= 64 * 1024
    assert 0 < settings.body_timeout <= 60 and 0 < settings.keep_alive <= 60
    assert 0 < settings.header_timeout <= 60
