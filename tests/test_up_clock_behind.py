"""``civicid up`` on a clock that reads well before the data dir's last write (moved back
after a run): one line naming both times (``up_clock_behind``), before anything starts.
Before, the ledger, issuer and desk started on it, and up stopped at the rule it had
published at the last run: "senior-transit had no version in force at 1796511776"."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from civicid.clock_check import CLOCK_SLACK_SECONDS
from civicid.errors import Error
from civicid.times import rfc3339
from cli import stack
from cli.harness import free_port
from cli.up import check_clock
from tests.test_up import CIVICID, ENV

NOW = 1_800_000_000
DAY = 86_400


def written_at(root: Path, folder: str, when: float) -> Path:
    path = root / folder / "written"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (when, when))
    return path


@pytest.mark.parametrize("folder", ["ledger", stack.STATE_DIR])
def test_a_clock_a_day_behind_the_last_write_is_refused(tmp_path: Path, folder: str) -> None:
    written_at(tmp_path, "ledger", NOW - DAY)  # older files do not hide the newest
    written_at(tmp_path, folder, NOW + DAY)
    with pytest.raises(Error) as caught:
        check_clock(tmp_path, NOW)
    assert caught.value.code == "up_clock_behind"
    assert f"the clock reads {rfc3339(NOW)}" in caught.value.message
    assert f"{tmp_path} was last written at {rfc3339(NOW + DAY)}" in caught.value.message


@pytest.mark.parametrize("ahead", [0, 60, CLOCK_SLACK_SECONDS])
def test_a_clock_at_or_a_little_behind_the_last_write_starts(tmp_path: Path, ahead: int) -> None:
    written_at(tmp_path, "ledger", NOW + ahead)
    check_clock(tmp_path, NOW)


def test_a_first_run_has_nothing_to_hold_the_clock_to(tmp_path: Path) -> None:
    check_clock(tmp_path / "not yet", NOW)
    (tmp_path / "ledger").mkdir()
    check_clock(tmp_path, NOW)


def test_just_past_the_slack_is_refused(tmp_path: Path) -> None:
    written_at(tmp_path, "ledger", NOW + CLOCK_SLACK_SECONDS + 1)
    with pytest.raises(Error) as caught:
        check_clock(tmp_path, NOW)
    assert caught.value.code == "up_clock_behind"


def test_up_refuses_before_it_starts_anything(tmp_path: Path) -> None:
    data = tmp_path / "d"
    written_at(data, "ledger", time.time() + DAY)
    before = sorted(p.name for p in data.rglob("*"))
    result = subprocess.run(
        [CIVICID, "up", "--data-dir", str(data), "--ledger-port", str(free_port()),
         "--issuer-port", str(free_port()), "--verifier-port", str(free_port()),
         "--witness-port", "0"],
        capture_output=True, text=True, env=ENV, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    line = result.stderr.strip()
    assert line.endswith("[up_clock_behind]") and "\n" not in line, line
    assert "set the clock right" in line
    assert sorted(p.name for p in data.rglob("*")) == before  # no lock, no genesis
