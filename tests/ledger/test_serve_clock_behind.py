"""``civicid ledger serve`` on a clock that reads a day before its log was last written is
refused in one line (``service_clock_behind``) before it opens its log: before, only
``civicid up`` checked, and a ledger served alone logged entries dated before those it held."""

from __future__ import annotations

from pathlib import Path

from ledger.setup import Paths
from tests.clock_behind import assert_serve_refused, moved_back
from tests.ledger.test_cli import civicid


def test_serve_refuses_a_clock_moved_back(tmp_path: Path) -> None:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    moved_back(Paths(tmp_path).log)
    assert_serve_refused("ledger", tmp_path)
