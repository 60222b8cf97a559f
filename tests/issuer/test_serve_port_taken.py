"""``civicid issuer serve`` on a port another program holds: one line, its code, naming
``--port`` as the way to choose another (as every serve command says it)."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from cli.main import app
from tests.issuer.conftest import Env


def test_a_taken_port_names_the_option(env: Env) -> None:
    env.issuer.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            app, ["issuer", "serve", "--port", port, "--data-dir", str(env.data_dir)]
        )
    assert result.exit_code == 3, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, line
    assert line.endswith("[service_port_in_use]"), line
    assert f"127.0.0.1:{port}: Address already in use: another program holds the port" in line
    assert "choose another with --port" in line
