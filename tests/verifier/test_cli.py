"""``civicid verifier …`` against a ledger served on loopback: init (each policy checked on
the ledger), policies, check online and offline after sync, request with a wallet answering,
audit; every failure one line with its code, never a traceback."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.oid4vp import client_id_for, new_nonce
from cli.harness import serving
from cli.main import app
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.verifier.loopback import Desk, wallet_answer
from tests.verifier.world import EXAMPLES, REVOKED, Clock, World, write_policy
from verifier.app import create_app
from verifier.service import Verifier
from verifier.settings import VerifierSettings

runner = CliRunner()


@pytest.fixture
def clock() -> Clock:
    """The command line runs on the system clock: so does this world."""
    return Clock(int(time.time()) - 120)


@pytest.fixture
def ledger_url(world: World) -> Iterator[str]:
    with serving(ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger), 0) as url:
        yield url


def civicid(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def init(world: World, ledger_url: str) -> None:
    code, out, err = civicid(
        "verifier", "init", "--data-dir", str(world.root), "--desk", "desk",
        "--ledger", ledger_url, "--policies", str(EXAMPLES),
    )  # fmt: skip
    assert code == 0, err
    assert "housing-benefit" in out and world.desk.did in out


def presentation_file(world: World, tmp_path: Path, **kwargs: object) -> tuple[Path, str]:
    nonce = new_nonce()
    text = world.present(
        world.credential(**kwargs),  # type: ignore[arg-type]
        nonce=nonce,
        aud=client_id_for(world.desk.did),
        iat=int(time.time()),
    )
    path = tmp_path / f"answer-{nonce[:6]}.txt"
    path.write_text(text + "\n")
    return path, nonce


def test_init_check_sync_offline_audit(world: World, ledger_url: str, tmp_path: Path) -> None:
    root = str(world.root)
    init(world, ledger_url)
    code, out, _ = civicid("verifier", "policies", "--data-dir", root, "--json")
    assert code == 0 and {p["name"] for p in json.loads(out)} >= {"housing-benefit"}
    path, nonce = presentation_file(world, tmp_path)
    code, out, err = civicid(
        "verifier", "check", str(path), "--policy", "housing-benefit", "--nonce", nonce,
        "--data-dir", root,
    )  # fmt: skip
    assert code == 0, out + err
    assert out.startswith("ELIGIBLE for housing-benefit")
    assert "  claims received: Resident, Age 18 or over\n" in out  # in words, as on the page
    assert "  ✓ Policy conditions met — Resident must be yes; Age 18 or over\n" in out
    revoked, nonce = presentation_file(world, tmp_path, index=REVOKED)
    code, out, _ = civicid(
        "verifier", "check", str(revoked), "--policy", "age-check", "--nonce", nonce,
        "--data-dir", root, "--json",
    )  # fmt: skip
    assert code == 1 and json.loads(out)["code"] == "status_revoked"
    code, out, err = civicid("verifier", "sync", "--data-dir", root)
    assert code == 0, err
    assert "status lists: https://agency.civicid.example/status/1" in out
    offline, nonce = presentation_file(world, tmp_path)
    code, out, err = civicid(
        "verifier", "check", str(offline), "--policy", "age-check", "--nonce", nonce,
        "--data-dir", root, "--offline",
    )  # fmt: skip
    assert code == 0, out + err
    assert "checked offline" in out and "s old)" in out
    code, out, _ = civicid("verifier", "audit", "--data-dir", root, "--json")
    records = json.loads(out)
    assert [r["decision"] for r in records] == ["eligible", "not_eligible", "eligible"]
    assert all(set(r) == {"time", "policy", "decision", "failed_step", "code", "vct", "issuer",
                          "offline", "over_disclosed"} for r in records)  # fmt: skip
    # age-check asks for no more than age_equal_or_over.18: the resident sent is dropped
    assert [r["over_disclosed"] for r in records] == [0, 1, 1]
    assert "Mustermann" not in out and "1990" not in out


def test_failures_are_one_line_with_a_code(world: World, ledger_url: str, tmp_path: Path) -> None:
    root = str(world.root)
    code, _, err = civicid("verifier", "check", "x", "--policy", "p", "--nonce", "n",
                           "--data-dir", str(tmp_path))  # fmt: skip
    assert code == 1 and err.strip().endswith("[verifier_not_initialized]")
    init(world, ledger_url)
    path, nonce = presentation_file(world, tmp_path)
    code, _, err = civicid(
        "verifier", "check", str(path), "--policy", "nope", "--nonce", nonce, "--data-dir", root
    )
    assert code == 1 and err.strip().endswith("[policy_unknown]") and err.count("\n") == 1
    write_policy(
        world,
        "greedy",
        'title = "G"\npurpose = "P"\ncredential_types = ["https://civicid.example/vct/national-id"]'
        '\nrequired_claims = ["address"]\n',
    )
    code, _, err = civicid("verifier", "policies", "--data-dir", root)
    assert code == 0  # listing needs no ledger
    code, _, err = civicid(
        "verifier",
        "check",
        str(path),
        "--policy",
        "age-check",
        "--nonce",
        nonce,
        "--data-dir",
        root,
    )
    assert code == 1 and "'address'" in err and err.strip().endswith("[policy_not_accredited]")
    code, _, err = civicid("verifier", "check", str(path), "--policy", "age-check", "--nonce",
                           nonce, "--data-dir", root, "--offline")  # fmt: skip
    assert code == 1 and err.strip().endswith("[snapshot_missing]")


def test_request_waits_for_the_wallet(world: World, ledger_url: str, desk_clock: Clock) -> None:
    init(world, ledger_url)
    settings = VerifierSettings.load(world.root)
    verifier = Verifier.open(settings)
    with serving(create_app(settings, verifier=verifier), 0) as url:
        verifier.base_url = url
        desk = Desk(url, ledger_url, verifier, Clock(int(time.time())))
        outcome: dict[str, object] = {}

        def answer() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with sqlite3.connect(settings.store_path) as db:
                    row = db.execute("SELECT id FROM requests").fetchone()
                if row:
                    desk.clock.now = int(time.time())
                    outcome["answer"] = wallet_answer(world, desk, verifier.link_for(row[0]))[0]
                    return
                time.sleep(0.05)

        thread = threading.Thread(target=answer)
        thread.start()
        code, out, err = civicid(
            "verifier", "request", "--policy", "housing-benefit", "--url", url,
            "--data-dir", str(world.root),
        )  # fmt: skip
        thread.join(timeout=30)
    verifier.close()
    assert code == 0, out + err
    assert "openid4vp://?client_id=decentralized_identifier" in out
    assert "▀" in out or "█" in out  # the terminal QR code
    assert "ELIGIBLE for housing-benefit" in out
    assert "claims received: Resident, Age 18 or over" in out  # in words, as on the page
    assert "waiting for the wallet's answer (Ctrl-C stops waiting" in err
    assert outcome["answer"].status_code == 200  # type: ignore[attr-defined]


def test_a_lost_settings_file_beside_the_desks_records_is_not_a_new_desk(tmp_path: Path) -> None:
    # "run init" alone would read as "start afresh"; the records are there to keep.
    store = VerifierSettings(data_dir=tmp_path).store_path
    store.parent.mkdir(parents=True)
    store.write_bytes(b"the desk's records")
    for command in (("audit",), ("sync",)):
        code, _, err = civicid("verifier", *command, "--data-dir", str(tmp_path))
        assert code == 1 and err.strip().endswith("[verifier_settings_missing]"), err
        assert "verifier.toml is missing" in err and "restore it from a backup" in err
        assert err.count("\n") == 1
    assert store.read_bytes() == b"the desk's records"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [store]  # nothing written
    with pytest.raises(Error) as caught:
        Verifier.open(VerifierSettings(data_dir=tmp_path))
    assert caught.value.code == "verifier_settings_missing"
