"""A damaged file of rule requests is refused when the issuer opens it, naming it, with
``rule_requests_damaged`` and nothing written: a file cut short or not a database, and one
whose write-ahead log was lost after a crash (its ``-shm`` there, its ``-wal`` not), which
SQLite would open without a word, the requests committed to that log gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from civicid.errors import Error
from issuer.rule_requests import FILE, RuleRequests, Waiting

NOW = 1_780_000_000
TTL = 300


def made(tmp_path: Path) -> Path:
    requests = RuleRequests(tmp_path)
    requests.add(Waiting("s0", "n0", "rule", 1, NOW, NOW + TTL), keep=TTL)
    requests.close()
    return tmp_path / FILE


def crashed_after_adding(tmp_path: Path) -> None:
    """Another process adds request s1 and dies without closing: the request is in the -wal."""
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from issuer.rule_requests import RuleRequests, Waiting\n"
        "r = RuleRequests(Path(sys.argv[1]))\n"
        f"r.add(Waiting('s1', 'n1', 'rule', 1, {NOW}, {NOW + TTL}), keep={TTL})\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)


def refused(tmp_path: Path) -> Error:
    with pytest.raises(Error) as info:
        RuleRequests(tmp_path)
    assert info.value.code == "rule_requests_damaged"
    assert str(tmp_path / FILE) in info.value.message
    return info.value


def test_a_file_cut_short_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    path = made(tmp_path)
    with path.open("r+b") as f:
        f.truncate(100)
    refused(tmp_path)
    assert path.stat().st_size == 100


@pytest.mark.parametrize(
    "content", [b"", b"not a database at all, just some text\n" * 200], ids=["empty", "text"]
)
def test_an_empty_file_or_another_file_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE).write_bytes(content)
    refused(tmp_path)
    assert (tmp_path / FILE).read_bytes() == content


def test_a_file_whose_write_ahead_log_was_lost_after_a_crash_is_refused(tmp_path: Path) -> None:
    made(tmp_path)
    crashed_after_adding(tmp_path)
    assert (tmp_path / f"{FILE}-wal").exists() and (tmp_path / f"{FILE}-shm").exists()
    os.unlink(tmp_path / f"{FILE}-wal")
    assert "write-ahead log" in refused(tmp_path).message


def test_a_file_left_whole_by_a_crash_opens_with_its_requests(tmp_path: Path) -> None:
    made(tmp_path)
    crashed_after_adding(tmp_path)
    requests = RuleRequests(tmp_path)
    assert requests.take("s1", NOW + 1, keep=TTL).nonce == "n1"
    requests.close()
