"""``publish-status-list`` refuses, with a clear code and nothing written: contradictory
flags, a --size other than the existing list's, and a publish that changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.setup import open_ledger
from tests.ledger.test_cli import civicid

URI = "https://health.example/status/refusals"


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    data = str(tmp_path)
    assert civicid("ledger", "init", "--data-dir", data)[0] == 0
    code, out, _ = civicid(
        "ledger",
        "register",
        "health",
        "--service",
        "https://health.example",
        "--data-dir",
        data,
        "--json",
    )  # an agency names the base URL its status lists live under
    assert code == 0, out
    code, out, err = civicid(
        "ledger",
        "accredit-issuer",
        "health",
        "--vct",
        "https://civicid.example/vct/x",
        "--days",
        "30",
        "--purpose",
        "p",
        "--legal-basis",
        "l",
        "--data-dir",
        data,
    )
    assert code == 0, err
    code, out, err = civicid(
        "ledger",
        "publish-status-list",
        "health",
        "--uri",
        URI,
        "--size",
        "1000",
        "--revoke",
        "5",
        "--data-dir",
        data,
    )
    assert code == 0, err
    return tmp_path


def size_of(data: Path) -> int:
    ledger = open_ledger(data, readonly=True)
    try:
        return ledger.size
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("flags", "code"),
    [
        (["--revoke", "7", "--reinstate", "7"], "status_list_flags_contradict"),
        (["--suspend", "8", "--revoke", "8"], "status_list_flags_contradict"),
        (["--size", "2000", "--revoke", "9"], "status_list_size_mismatch"),
        (["--revoke", "5"], "status_list_unchanged"),
        (["--reinstate", "6"], "status_list_unchanged"),
        ([], "status_list_unchanged"),
    ],
)
def test_refused_and_nothing_written(agency: Path, flags: list[str], code: str) -> None:
    before = size_of(agency)
    status, out, err = civicid(
        "ledger",
        "publish-status-list",
        "health",
        "--uri",
        URI,
        *flags,
        "--data-dir",
        str(agency),
        "--json",
    )
    assert status == 1 and err.strip().endswith(f"[{code}]"), err
    assert json.loads(out)["error"] == code
    assert size_of(agency) == before


def test_a_real_change_is_published(agency: Path) -> None:
    before = size_of(agency)
    status, _, err = civicid(
        "ledger",
        "publish-status-list",
        "health",
        "--uri",
        URI,
        "--size",
        "1000",
        "--suspend",
        "7",
        "--data-dir",
        str(agency),
    )
    assert status == 0, err
    assert size_of(agency) == before + 1
