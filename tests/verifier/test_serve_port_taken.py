"""``civicid verifier serve`` on a port another program holds: one line, its code, naming
``--port`` as the way to choose another (as every serve command says it)."""

from __future__ import annotations

import socket
import time

import pytest

from cli.harness import serving
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.verifier.test_cli import civicid, init
from tests.verifier.world import Clock, World


@pytest.fixture
def clock() -> Clock:
    """The command line runs on the system clock: so does this world."""
    return Clock(int(time.time()) - 120)


def test_a_taken_port_names_the_option(world: World) -> None:
    app = ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, 0) as ledger_url:
        init(world, ledger_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, _, err = civicid("verifier", "serve", "--data-dir", str(world.root), "--port", port)
    assert code == 3, err
    line = err.strip()
    assert "\n" not in line, line
    assert line.endswith("[service_port_in_use]"), line
    assert f"127.0.0.1:{port}: Address already in use: another program holds the port" in line
    assert "choose another with --port" in line
