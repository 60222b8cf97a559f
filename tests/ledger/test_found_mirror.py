"""``civicid ledger mirror`` given a damaged data directory or a relative policy path: one
line ``error: … [code]``, a non-zero exit, nothing of the copy changed; a policy file named
on the command line is read where the operator stands, as ``ledger monitor`` reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from civicid.checkpoint_policy import CHECKPOINT_QUORUM_MISSING
from civicid.console import FILE_ACCESS_FAILED
from civicid.cosignature import CosignerKey
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.errors import MIRROR_SETTINGS_INVALID
from ledger.mirror import MIRROR_NOT_READY
from ledger.mirror_app import create_mirror_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid
from tests.ledger.test_mirror_follows import follower


@pytest.fixture
def ledger_url(world: World) -> Iterator[str]:
    world.register()
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        yield url


def one_line(err: str, code: str) -> None:
    assert err.startswith("error: ") and err.rstrip().endswith(f"[{code}]"), err
    assert len(err.strip().splitlines()) == 1, err


def test_a_file_where_the_copy_goes(world: World, ledger_url: str, tmp_path: Path) -> None:
    (tmp_path / "mirror").write_text("not a directory\n")
    args = ["--data-dir", str(tmp_path), "--ledger-key", world.genesis.vkey, "--once"]
    code, _, err = civicid("ledger", "mirror", ledger_url, *args)
    assert code == FILE_ACCESS_FAILED.exit_code
    one_line(err, FILE_ACCESS_FAILED.name)
    assert (tmp_path / "mirror").read_text() == "not a directory\n"


def test_settings_that_are_not_utf8(world: World, ledger_url: str, tmp_path: Path) -> None:
    (tmp_path / "mirror.toml").write_bytes(b"interval = \xff\n")
    args = ["--data-dir", str(tmp_path), "--ledger-key", world.genesis.vkey, "--once"]
    code, _, err = civicid("ledger", "mirror", ledger_url, *args)
    assert code == MIRROR_SETTINGS_INVALID.exit_code
    one_line(err, MIRROR_SETTINGS_INVALID.name)
    assert not (tmp_path / "mirror").exists()


def test_a_relative_witness_policy_is_read_from_where_the_command_runs(
    world: World, ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    witness = CosignerKey.generate("w1.example")
    (tmp_path / "policy.txt").write_text(f"witness w1 {witness.vkey()}\nquorum w1\n")
    monkeypatch.chdir(tmp_path)
    args = ["--data-dir", str(tmp_path / "m"), "--ledger-key", world.genesis.vkey, "--once"]
    code, _, err = civicid("ledger", "mirror", ledger_url, *args, "--witness-policy", "policy.txt")
    # Read, and held to: the ledger has no witness, so its checkpoint lacks the quorum.
    assert code == CHECKPOINT_QUORUM_MISSING.exit_code
    one_line(err, CHECKPOINT_QUORUM_MISSING.name)


@pytest.mark.parametrize("path", ["/checkpoint", "/transparency", "/accreditations"])
def test_a_mirror_not_ready_answers_503_as_documented(
    world: World, tmp_path: Path, path: str
) -> None:
    """docs/mirrors.md: before a first copy is verified every read answers
    ``mirror_not_ready`` (503), a status proxies and clients retry elsewhere."""
    mirror = follower(world, httpx.MockTransport(lambda r: httpx.Response(503)), tmp_path / "m")
    try:
        assert mirror.follow().error is not None
        with TestClient(create_mirror_app(mirror, interval=None)) as http:
            answer = http.get(path)
    finally:
        mirror.close()
    assert answer.status_code == 503 and answer.json()["error"] == MIRROR_NOT_READY.name
