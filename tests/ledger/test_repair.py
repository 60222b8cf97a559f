"""``civicid ledger repair [--dry-run]``: rebuilds what log.dat allows, reports what it
does not, and with --dry-run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ledger.faults import flip
from tests.ledger.test_cli import civicid


def init(tmp_path: Path) -> str:
    data = str(tmp_path)
    assert civicid("ledger", "init", "--data-dir", data)[0] == 0
    assert civicid("ledger", "register", "town-hall", "--data-dir", data)[0] == 0
    return data


def test_dry_run_says_and_changes_nothing_then_repair_rebuilds(tmp_path: Path) -> None:
    data = init(tmp_path)
    store = tmp_path / "ledger"
    (store / "log.idx").unlink()
    with open(store / "log.dat", "ab") as handle:
        handle.write(b"\x00\x00\x00\x09torn")
    before = (store / "log.dat").read_bytes()
    code, out, err = civicid("ledger", "repair", "--dry-run", "--data-dir", data, "--json")
    report = json.loads(out)
    assert code == 0, err
    assert report["rebuilt"] == ["log.idx"] and report["trimmedBytes"] == 8
    assert not (store / "log.idx").exists() and (store / "log.dat").read_bytes() == before
    code, out, err = civicid("ledger", "repair", "--data-dir", data)
    assert code == 0 and "rebuilt log.idx" in out and "trimmed a torn tail of 8 bytes" in out
    assert (store / "log.idx").exists() and len((store / "log.dat").read_bytes()) == len(before) - 8
    code, out, _ = civicid("ledger", "repair", "--data-dir", data)
    assert code == 0 and "nothing to repair" in out
    assert civicid("ledger", "audit", "--data-dir", data)[0] == 0


def test_what_cannot_be_repaired_is_one_line(tmp_path: Path) -> None:
    data = init(tmp_path)
    flip(tmp_path / "ledger" / "log.dat", 60)
    code, _, err = civicid("ledger", "repair", "--data-dir", data)
    assert code == 3 and err.strip().endswith("[store_corrupt]") and len(err.splitlines()) == 1
