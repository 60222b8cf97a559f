"""``civicid ledger serve`` and ``civicid witness serve`` read their data dir before they bind
the port: a missing ledger or witness is named even when the port is taken, and a taken port
(with the data dir right) says how to choose another (--port)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from tests.ledger.test_cli import civicid
from tests.witness.logs import Log


def last_line(err: str) -> str:
    assert "Traceback" not in err, err
    return err.strip().splitlines()[-1]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


def test_no_ledger_is_named_before_a_taken_port(tmp_path: Path, taken: str) -> None:
    code, _, err = civicid("ledger", "serve", "--data-dir", str(tmp_path / "nope"), "--port", taken)
    assert code == 1
    assert last_line(err).endswith("[ledger_not_initialized]"), err


def test_a_taken_port_names_the_option(tmp_path: Path, taken: str) -> None:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    code, _, err = civicid("ledger", "serve", "--data-dir", str(tmp_path), "--port", taken)
    assert code == 3
    line = last_line(err)
    assert line.endswith("[serve_port_in_use]") and "--port" in line, err


def test_no_witness_is_named_before_a_taken_port(tmp_path: Path, taken: str) -> None:
    code, err = run("witness", "serve", "--data-dir", str(tmp_path / "nope"), "--port", taken)
    assert code == 1
    assert last_line(err).endswith("[witness_not_initialized]"), err


def test_a_witness_on_a_taken_port_names_the_option(tmp_path: Path, taken: str) -> None:
    root = str(tmp_path / "w")
    vkey = Log().signer.vkey()
    code, _ = run("witness", "init", "--data-dir", root, "--name", "w1.example", "--log", vkey)
    assert code == 0
    code, err = run("witness", "serve", "--data-dir", root, "--port", taken)
    assert code == 3
    line = last_line(err)
    assert line.endswith("[service_port_in_use]") and "--port" in line, err
