"""``civicid ledger …`` as a user runs it: summaries, --json, exit codes with error codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.ledger.test_audit import flip_byte_in_entry

runner = CliRunner()


def civicid(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    return tmp_path


def test_init_prints_the_governance_did_and_checkpoint_key(tmp_path: Path) -> None:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path), "--json")
    assert code == 0
    body = json.loads(out)
    assert body["governance"].startswith("did:civicid:")
    assert body["checkpointKey"].startswith("civicid.example/ledger+")
    keys = tmp_path / "keys"
    assert oct(keys.stat().st_mode & 0o777) == "0o700"
    for key_file in keys.iterdir():
        assert oct(key_file.stat().st_mode & 0o777) == "0o600", key_file


def test_init_twice_is_refused(data: Path) -> None:
    code, _, err = civicid("ledger", "init", "--data-dir", str(data))
    assert code == 1 and "[ledger_exists]" in err


def test_register_resolve_rotate_deactivate(data: Path) -> None:
    code, out, _ = civicid(
        "ledger", "register", "health", "--role", "agency", "--data-dir", str(data), "--json"
    )
    assert code == 0, out
    did = json.loads(out)["did"]
    code, out, _ = civicid("ledger", "resolve", did, "--data-dir", str(data))
    assert code == 0 and did in out and "role agency" in out
    code, out, _ = civicid("ledger", "rotate", "health", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["kid"] == f"{did}#key-2"
    code, out, _ = civicid(
        "ledger", "resolve", did, "--version-id", "1", "--data-dir", str(data), "--json"
    )
    assert code == 0
    assert json.loads(out)["didDocument"]["verificationMethod"][0]["id"] == f"{did}#key-1"
    code, out, _ = civicid("ledger", "deactivate", "health", "--data-dir", str(data))
    assert code == 0
    code, out, _ = civicid("ledger", "resolve", did, "--data-dir", str(data))
    assert code == 0 and "DEACTIVATED" in out


def test_resolve_unknown_did_names_the_error(data: Path) -> None:
    code, _, err = civicid("ledger", "resolve", "did:civicid:" + "a" * 32, "--data-dir", str(data))
    assert code == 1 and "[did_not_found]" in err
    code, _, err = civicid("ledger", "resolve", "did:web:x", "--data-dir", str(data))
    assert code == 1 and "[did_method_not_supported]" in err


def test_resolving_at_another_ledger_without_its_key_says_to_pass_it(tmp_path: Path) -> None:
    code, _, err = civicid(
        "ledger", "resolve", "did:civicid:" + "a" * 32, "--ledger", "http://127.0.0.1:9",
        "--data-dir", str(tmp_path / "empty"),
    )  # fmt: skip
    assert code != 0 and "[key_not_found]" in err
    assert "pass --checkpoint-key" in err


def test_prove_verifies_inclusion_and_consistency(data: Path) -> None:
    civicid("ledger", "register", "desk", "--role", "service-desk", "--data-dir", str(data))
    code, out, _ = civicid(
        "ledger", "prove", "1", "--since", "1", "--data-dir", str(data), "--json"
    )
    assert code == 0, out
    body = json.loads(out)
    assert body["inclusionProof"]["treeSize"] == 2 and body["consistencyProof"]["from"] == 1
    code, _, err = civicid("ledger", "prove", "7", "--data-dir", str(data))
    assert code == 1 and "[entry_not_found]" in err


def test_audit_passes_then_names_the_first_tampered_entry(data: Path) -> None:
    for name in ("a", "b", "c"):
        civicid("ledger", "register", name, "--data-dir", str(data))
    code, out, _ = civicid("ledger", "audit", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["size"] == 4
    flip_byte_in_entry(data, 2, 30)
    code, _, err = civicid("ledger", "audit", "--data-dir", str(data))
    assert code != 0
    assert "entry 2" in err and "[store_corrupt]" in err


def test_commands_on_a_missing_ledger_say_so(tmp_path: Path) -> None:
    code, _, err = civicid("ledger", "audit", "--data-dir", str(tmp_path / "nothing"))
    assert code != 0 and err.strip()
    code, _, err = civicid(
        "ledger", "resolve", "did:civicid:" + "a" * 32, "--data-dir", str(tmp_path / "nothing")
    )
    assert code == 1 and "[ledger_not_initialized]" in err


def test_data_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICID_DATA_DIR", str(tmp_path))
    code, _, _ = civicid("ledger", "init")
    assert code == 0 and (tmp_path / "ledger" / "log.dat").exists()
