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


def test_a_store_another_issuer_serves_is_refused_in_one_line_before_the_port(env: Env) -> None:
    """The store held by a serving issuer (here the test's own, left open): ``serve`` is
    refused with the store's code in one line, before it binds, not by a traceback from the
    app's start."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        app, ["issuer", "serve", "--port", str(port), "--data-dir", str(env.data_dir)]
    )
    assert result.exit_code != 0
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, result.stderr
    assert line.endswith("[issuer_store_locked]"), line
    with socket.socket() as free:  # nothing was left listening on the port
        free.bind(("127.0.0.1", port))
