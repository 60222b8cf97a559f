"""The desk as ``civicid verifier serve`` runs it (``civicid.shell.server``) against slow,
silent, greedy and oversize clients (``tests/slow_clients.py``). Its request route takes a
JSON model the framework reads: the server's own body limits answer there."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from civicid.shell.server import server_config
from cli.harness import free_port, serving
from tests.slow_clients import CASES, LIMITS, Target
from tests.verifier.world import NOW, Clock, build_world, ledger_http, open_desk, settings_for
from verifier.app import create_app
from verifier.settings import VerifierSettings


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    world = build_world(tmp_path_factory.mktemp("desk"), Clock(NOW))
    with ledger_http(world) as http:
        verifier = open_desk(world, http, Clock(NOW + 120))
        settings = settings_for(world.root, **LIMITS)
        app = create_app(settings, verifier=verifier)
        try:
            with serving(app, free_port(), config=server_config(settings, app)) as url:
                yield Target(url, post="/requests", too_large="request_body_too_large")
        finally:
            verifier.close()
            world.ledger.close()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_slow_clients(target: Target, case: Callable[[Target], None]) -> None:
    case(target)


def test_the_limits_have_safe_defaults() -> None:
    settings = VerifierSettings()
    assert settings.max_connections <= 1024 and settings.max_header_bytes <= 64 * 1024
    assert 0 < settings.body_timeout <= 60 and 0 < settings.keep_alive <= 60
    assert 0 < settings.header_timeout <= 60
