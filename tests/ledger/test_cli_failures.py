"""Every failure a user meets first is one line ``error: … [code]`` and an exit code, never
a traceback: serve before init, a second serve on a locked store, a taken port, a bad
ledger.toml, audit --checkpoint on a missing file; and the small conveniences around them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ledger import cli as ledger_cli
from ledger.setup import open_ledger
from tests.ledger.test_cli import civicid


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, err = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    assert "warning: the origin is the example" in err
    return tmp_path


def one_line(err: str, code: str) -> None:
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and lines[-1].endswith(f"[{code}]"), err
    assert "Traceback" not in err


def test_serve_before_init(tmp_path: Path) -> None:
    code, _, err = civicid("ledger", "serve", "--data-dir", str(tmp_path), "--port", "0")
    assert code == 1
    one_line(err, "ledger_not_initialized")


def test_a_second_serve_on_a_locked_store(data: Path) -> None:
    holder = open_ledger(data)
    try:
        code, _, err = civicid("ledger", "serve", "--data-dir", str(data), "--port", "0")
    finally:
        holder.close()
    assert code == 3
    one_line(err, "store_locked")


def test_a_taken_port(data: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, _, err = civicid("ledger", "serve", "--data-dir", str(data), "--port", port)
    assert code == 3
    one_line(err, "serve_port_in_use")


@pytest.mark.parametrize("text", ["port = 'eighty'", "not toml [", "unknown = 1"])
def test_a_bad_ledger_toml(data: Path, text: str) -> None:
    (data / "ledger.toml").write_text(text)
    code, _, err = civicid("ledger", "serve", "--data-dir", str(data))
    assert code == 1
    one_line(err, "settings_invalid")
    assert len(err.strip().splitlines()) == 1


def test_audit_with_a_missing_checkpoint_file(data: Path) -> None:
    missing = str(data / "no-such-note")
    code, _, err = civicid("ledger", "audit", "--data-dir", str(data), "--checkpoint", missing)
    assert code == 1
    one_line(err, "file_unreadable")


def test_version_info_and_identities(data: Path) -> None:
    code, out, _ = civicid("--version")
    assert code == 0 and out.startswith("civicid ")
    code, out, _ = civicid("ledger", "register", "town-hall", "--data-dir", str(data), "--json")
    assert code == 0
    did = json.loads(out)["did"]
    code, out, _ = civicid("ledger", "info", "--data-dir", str(data), "--json")
    info = json.loads(out)
    assert code == 0 and info["treeSize"] == 2 and info["checkpointKey"].startswith(info["origin"])
    code, out, _ = civicid("ledger", "identities", "--data-dir", str(data), "--json")
    assert {"name": "town-hall", "did": did} in json.loads(out)
    assert all(item["name"] != "ledger-checkpoint" for item in json.loads(out))
    code, out, _ = civicid("ledger", "resolve", "town-hall", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["didDocument"]["id"] == did


@pytest.mark.parametrize("lost", ["deleted", "dangling link"])
def test_serve_with_the_checkpoint_key_lost(
    data: Path, lost: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger with entries whose checkpoint key file is gone is refused at start, naming
    the file: served, it would sign nothing and tell every client it has no checkpoint yet."""

    def served(*_: object, **__: object) -> None:
        raise AssertionError("a ledger without its checkpoint key was served")

    monkeypatch.setattr(ledger_cli, "run_server", served)
    key = data / "keys" / "ledger-checkpoint.json"
    key.unlink()
    if lost == "dangling link":
        key.symlink_to(data / "keys" / "elsewhere.json")
    code, _, err = civicid("ledger", "serve", "--data-dir", str(data), "--port", "0")
    assert code == 1, err
    one_line(err, "ledger_key_missing")
    assert f"{key} is missing" in err and "restore the key file from a backup" in err
