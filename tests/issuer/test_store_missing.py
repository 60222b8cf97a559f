"""A set-up issuer whose store is gone (lost disk, wrong mount, deleted file) is refused at
every door that opens the store: a fresh, empty store would republish every status list as
all zeros and so un-revoke every credential on the ledger. Nothing is written."""

from __future__ import annotations

import contextlib
import os
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


def damage_store(env: Env, content: bytes) -> dict[Path, bytes]:
    """Close the issuer and put ``content`` where its database was (WAL gone with it)."""
    env.issuer.close()
    for path in env.settings.store_dir.glob(DB_FILE + "*"):
        path.unlink()
    (env.settings.store_dir / DB_FILE).write_bytes(content)
    return files(env.data_dir)


def empty_sqlite_database() -> bytes:
    """A valid SQLite file holding no issuer store (another program's, or emptied by hand)."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "other.db"
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE other (x)")
            db.commit()
        return path.read_bytes()


@pytest.mark.parametrize("kind", ["empty", "not-sqlite", "another-database"])
def test_a_damaged_store_is_refused_and_left_as_it_is(env: Env, kind: str) -> None:
    content = {
        "empty": b"",
        "not-sqlite": b"this is not a database, only some bytes of a bad restore" * 20,
        "another-database": empty_sqlite_database(),
    }[kind]
    before = damage_store(env, content)
    # Twice with the lock: a refusal that kept it would be issuer_store_locked the second time.
    for exclusive in (True, True, False):
        with pytest.raises(Error) as caught:
            SqliteStore(env.settings.store_dir, exclusive=exclusive)
        assert caught.value.code == "issuer_store_damaged"
        assert caught.value.http_status == 503
        assert str(env.settings.store_dir / DB_FILE) in str(caught.value)
        if kind == "empty":
            assert "is empty" in str(caught.value)
    with pytest.raises(Error) as caught:
        Issuer.open(env.settings, clock=env.clock)
    assert caught.value.code == "issuer_store_damaged"
    assert files(env.data_dir) == before


def test_serve_refuses_an_empty_store_in_one_line(env: Env, taken: str) -> None:
    before = damage_store(env, b"")
    result = runner.invoke(
        app, ["issuer", "serve", "--port", taken, "--data-dir", str(env.data_dir)]
    )
    assert result.exit_code != 0
    assert "[issuer_store_damaged]" in result.stderr
    assert "Traceback" not in result.stderr
    assert files(env.data_dir) == before


@pytest.mark.parametrize("kind", ["named pipe", "directory", "dangling link"])
def test_a_store_that_is_no_file_is_damaged_not_missing(env: Env, kind: str) -> None:
    # It is there, and not a store: "restore it" is right, "it is missing" is not.
    lose_store(env)
    path = env.settings.store_dir / DB_FILE
    if kind == "named pipe":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(env.settings.store_dir / "elsewhere.db")
    for exclusive in (True, False):
        with pytest.raises(Error) as caught:
            SqliteStore(env.settings.store_dir, exclusive=exclusive)
        assert caught.value.code == "issuer_store_damaged"
        assert str(path) in caught.value.message
    assert path.is_symlink() or path.is_dir() or path.is_fifo()
