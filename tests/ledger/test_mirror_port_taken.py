"""``civicid ledger mirror`` serving on a port another program holds: one line, its code,
naming ``--port`` as the way to choose another (as every serve command says it)."""

from __future__ import annotations

import socket
from pathlib import Path

from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid


def test_a_taken_port_names_the_option(world: World, tmp_path: Path) -> None:
    world.register()
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, _, err = civicid(
            "ledger", "mirror", url, "--data-dir", str(tmp_path),
            "--ledger-key", world.genesis.vkey, "--port", port,
        )  # fmt: skip
    assert code == 3, err
    line = err.strip().splitlines()[-1]
    assert "Traceback" not in err, err
    assert line.endswith("[service_port_in_use]"), err
    assert f"127.0.0.1:{port}: Address already in use: another program holds the port" in line
    assert "choose another with --port" in line
