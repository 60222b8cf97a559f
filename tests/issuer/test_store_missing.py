"""A set-up issuer whose store is gone (lost disk, wrong mount, deleted file) is refused at
every door that opens the store: a fresh, empty store would republish every status list as
all zeros and so un-revoke every credential on the ledger. Nothing is written."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from cli.main import app
from issuer.service import Issuer
from issuer.store import DB_FILE, SqliteStore
from tests.issuer.conftest import Env

runner = CliRunner()


def lose_store(env: Env) -> dict[Path, bytes]:
    """Close the issuer, delete its database (and WAL), and return every file left."""
    env.issuer.close()
    for path in env.settings.store_dir.glob(DB_FILE + "*"):
        path.unlink()
    return files(env.data_dir)


def files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_open_refuses_without_store(env: Env) -> None:
    before = lose_store(env)
    with pytest.raises(Error) as caught:
        Issuer.open(env.settings, clock=env.clock)
    assert caught.value.code == "issuer_store_missing"
    assert caught.value.http_status == 503
    assert files(env.data_dir) == before


def test_store_refuses_to_create_itself(env: Env) -> None:
    before = lose_store(env)
    for exclusive in (True, False):
        with pytest.raises(Error) as caught:
            SqliteStore(env.settings.store_dir, exclusive=exclusive)
        assert caught.value.code == "issuer_store_missing"
    assert files(env.data_dir) == before


@pytest.mark.parametrize("command", ["add-clerk", "serve"])
def test_cli_refuses_without_store(env: Env, command: str) -> None:
    before = lose_store(env)
    with socket.socket() as taken:  # were serve to start, it would fail to bind, not hang
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        args = {
            "add-clerk": ["add-clerk", "carol", "--scope", "issue"],
            "serve": ["serve", "--port", str(taken.getsockname()[1])],
        }[command]
        result = runner.invoke(app, ["issuer", *args, "--data-dir", str(env.data_dir)])
    assert result.exit_code != 0
    assert "[issuer_store_missing]" in result.stderr
    assert "Traceback" not in result.stderr
    assert files(env.data_dir) == before
