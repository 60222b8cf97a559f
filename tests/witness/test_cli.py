"""``civicid witness init|add-log|status``: what they print, and each failure as one line with
its code and nothing half-made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.checkpoint import NoteSigner, NoteVerifier
from civicid.cosignature import CosignerKey
from civicid.errors import Error
from cli.main import app
from ledger.witness.settings import WitnessSettings
from tests.witness.logs import ORIGIN, Log, open_test_witness

LOG_VKEY = Log().signer.vkey()
LOG_KEY_ID = f"{ORIGIN}+{NoteVerifier(LOG_VKEY).key_id.hex()}"
OTHER_VKEY = NoteSigner("other.example/log", b"\x03" * 32).vkey()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def failed(args: list[str], code: str) -> None:
    exit_code, _, err = run(*args)
    assert exit_code == 1
    assert err.startswith("error: ") and err.rstrip().endswith(f"[{code}]")
    assert len(err.strip().splitlines()) == 1


def test_init_then_status(tmp_path: Path) -> None:
    root = str(tmp_path / "w")
    code, out, _ = run(
        "witness", "init", "--data-dir", root, "--name", "w1.example", "--log", LOG_VKEY
    )
    assert code == 0, out
    assert "witness w1.example created" in out and f"follows       {ORIGIN}" in out
    code, out, _ = run("witness", "status", "--data-dir", root, "--json")
    data = json.loads(out)
    assert data["name"] == "w1.example" and data["vkey"].startswith("w1.example+")
    assert data["logs"] == [{"origin": ORIGIN, "keys": [LOG_KEY_ID], "treeSize": 0}]
    assert data["evidence"] == []
    code, out, _ = run("witness", "status", "--data-dir", root)
    assert f"log {ORIGIN}: last cosigned size 0" in out and "no evidence" in out


def test_init_as_json_and_add_log(tmp_path: Path) -> None:
    root = str(tmp_path / "w")
    code, out, _ = run("witness", "init", "--data-dir", root, "--name", "w1.example", "--json")
    assert code == 0
    assert json.loads(out)["logs"] == []
    code, out, _ = run(
        "witness", "add-log", "--data-dir", root, OTHER_VKEY, "--origin", "o.example"
    )
    assert code == 0 and "follows o.example" in out
    settings = WitnessSettings.load(Path(root))
    assert [(s.origin, s.vkey) for s in settings.logs] == [("o.example", OTHER_VKEY)]
    failed(
        ["witness", "add-log", "--data-dir", root, OTHER_VKEY, "--origin", "o.example"],
        "witness_log_exists",
    )


def test_logs_from_a_trust_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.txt"
    witness_vkey = CosignerKey("w9.example", b"\x04" * 32).vkey()
    policy.write_text(f"log {LOG_VKEY}\nlog {OTHER_VKEY}\nwitness w9 {witness_vkey}\nquorum w9\n")
    root = str(tmp_path / "w")
    code, _, _ = run(
        "witness", "init", "--data-dir", root, "--name", "w", "--logs-from", str(policy)
    )
    assert code == 0
    origins = [s.origin for s in WitnessSettings.load(Path(root)).logs]
    assert origins == [ORIGIN, "other.example/log"]


def test_status_shows_evidence(tmp_path: Path) -> None:
    root = tmp_path / "w"
    run(
        "witness",
        "init",
        "--data-dir",
        str(root),
        "--name",
        "witness.example/w1",
        "--log",
        LOG_VKEY,
    )
    witness = open_test_witness(root)
    log = Log().grow(8)
    witness.add_checkpoint(log.body(0))
    with pytest.raises(Error):  # the refusal is tested elsewhere; its evidence here
        witness.add_checkpoint(log.fork(5).grow(3).body(8))
    witness.close()
    code, out, _ = run("witness", "status", "--data-dir", str(root))
    assert code == 0
    (piece,) = list(witness.evidence)
    assert f"EVIDENCE {piece.id}: log {ORIGIN} signed conflicting checkpoints (same_size)" in out
    assert f"log {ORIGIN}: last cosigned size 8" in out


def test_failures_are_one_line_with_a_code(tmp_path: Path) -> None:
    root = str(tmp_path / "w")
    failed(["witness", "status", "--data-dir", root], "witness_not_initialized")
    failed(["witness", "add-log", "--data-dir", root, LOG_VKEY], "witness_not_initialized")
    failed(
        ["witness", "init", "--data-dir", root, "--name", "w", "--log", "nope"], "vkey_malformed"
    )
    failed(["witness", "init", "--data-dir", root, "--name", "a b"], "signer_malformed")
    failed(
        ["witness", "init", "--data-dir", root, "--name", "w", "--logs-from", str(tmp_path / "x")],
        "witness_settings_invalid",
    )
    bad_policy = tmp_path / "bad-policy.txt"
    bad_policy.write_text(f"log {LOG_VKEY}\n")
    failed(
        ["witness", "init", "--data-dir", root, "--name", "w", "--logs-from", str(bad_policy)],
        "policy_quorum_missing",
    )
    assert not (tmp_path / "w" / "keys").exists()  # nothing half-made
    assert run("witness", "init", "--data-dir", root, "--name", "w")[0] == 0
    failed(["witness", "init", "--data-dir", root, "--name", "w"], "witness_exists")
    (tmp_path / "w" / "witness.toml").write_text("logs = 3\n")
    failed(["witness", "status", "--data-dir", root], "witness_settings_invalid")
