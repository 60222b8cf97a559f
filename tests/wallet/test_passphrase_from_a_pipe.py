"""A passphrase piped in (no terminal, no CIVICID_WALLET_PASSPHRASE) is read as the next
line, quietly: a hidden prompt there printed Python's GetPassWarning, naming its getpass.py
file, and "Password input may be echoed". Nothing piped is wallet_passphrase_missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.wallet.conftest import PASSPHRASE, fast_settings, made_up
from wallet.holder.wallet import Wallet

ROOT = Path(__file__).resolve().parents[2]


def run(data: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICID_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "wallet", "list", "--data-dir", str(data)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_a_piped_passphrase_opens_the_wallet_quietly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Wallet.create(fast_settings(data), PASSPHRASE) as wallet:
        wallet.add(made_up())
    result = run(data, PASSPHRASE + "\n")
    assert result.returncode == 0, result.stderr
    assert "National ID" in result.stdout
    assert "GetPassWarning" not in result.stderr and "getpass" not in result.stderr
    assert "may be echoed" not in result.stderr


def test_nothing_piped_is_a_missing_passphrase(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Wallet.create(fast_settings(data), PASSPHRASE).close()
    result = run(data, "")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith("[wallet_passphrase_missing]"), result.stderr
    assert "getpass" not in result.stderr
