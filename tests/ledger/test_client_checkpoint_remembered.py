"""``civicid ledger resolve --ledger URL`` (and the governance commands given a ledger's URL,
through ``open_writer``) keep the newest checkpoint they trusted in
``<data-dir>/client/checkpoint`` and record beside it that they did: a lost trust file is
``trust_file_lost``, not a first run that trusts the ledger's next checkpoint, whatever it
is. ``civicid ledger forget-client-checkpoint`` is the way on, and the refusal names it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.ledger_client import trusted_record_file
from cli.harness import free_port, serving
from cli.main import app
from ledger.app import create_app
from ledger.settings import LedgerSettings
from ledger.writer import client_trust_file

runner = CliRunner()


def civicid(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A ledger served on loopback: its data dir, URL and governance DID."""
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path), "--json")
    assert code == 0, out
    governance = json.loads(out)["governance"]
    with serving(create_app(LedgerSettings(data_dir=tmp_path)), free_port()) as url:
        yield tmp_path, url, governance


def resolve(data: Path, url: str, did: str) -> tuple[int, str, str]:
    return civicid("ledger", "resolve", did, "--ledger", url, "--data-dir", str(data))


def test_resolve_at_a_ledger_records_its_trust_and_refuses_it_lost(
    ledger: tuple[Path, str, str],
) -> None:
    data, url, did = ledger
    code, out, err = resolve(data, url, did)
    assert code == 0, err
    trust_file = client_trust_file(data)
    assert trust_file.exists() and trusted_record_file(trust_file).exists()
    trust_file.unlink()
    code, out, err = resolve(data, url, did)
    assert code == 1 and "[trust_file_lost]" in err, err
    assert "civicid ledger forget-client-checkpoint" in err
    assert not trust_file.exists()  # nothing trusted on first use
    code, out, err = civicid("ledger", "forget-client-checkpoint", "--data-dir", str(data))
    assert code == 0 and f"forgot {trust_file}" in out, err
    assert not trusted_record_file(trust_file).exists()
    code, out, err = resolve(data, url, did)
    assert code == 0, err
    code, out, _ = civicid("ledger", "forget-client-checkpoint", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out) == {"forgotten": True, "file": str(trust_file)}


def register(data: Path, url: str, name: str) -> tuple[int, str, str]:
    return civicid("ledger", "register", name, "--ledger", url, "--data-dir", str(data))


def test_a_governance_command_at_a_ledger_records_its_trust_and_refuses_it_lost(
    ledger: tuple[Path, str, str],
) -> None:
    data, url, _ = ledger
    code, _, err = register(data, url, "health")
    assert code == 0, err
    trust_file = client_trust_file(data)
    assert trusted_record_file(trust_file).exists()
    trust_file.unlink()
    code, _, err = register(data, url, "transport")
    assert code == 1 and "[trust_file_lost]" in err, err
    assert not trust_file.exists()
