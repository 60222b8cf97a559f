"""The ledger as ``civicid ledger serve`` runs it (``civicid.shell.server``) against slow,
silent, greedy and oversize clients (``tests/slow_clients.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from civicid.shell.server import server_config
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.slow_clients import CASES, LIMITS, Target


@pytest.fixture
def target(world: World) -> Iterator[Target]:
    settings = LedgerSettings(data_dir=world.root, **LIMITS)
    app = create_app(settings, ledger=world.ledger)
    with serving(app, free_port(), config=server_config(settings, app)) as url:
        yield Target(url, post="/transactions", too_large="tx_too_large")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_slow_clients(target: Target, world: World, case: Callable[[Target], None]) -> None:
    size = world.ledger.size
    case(target)
    assert world.ledger.size == size  # nothing a slow client sent was written


def test_the_limits_have_safe_defaults() -> None:
    settings = LedgerSettings()
    assert settings.max_connections <= 1024 and settings.max_header_bytes <= 64 * 1024
    assert 0 < settings.body_timeout <= 60 and 0 < settings.keep_alive <= 60
    assert 0 < settings.header_timeout <= 60
