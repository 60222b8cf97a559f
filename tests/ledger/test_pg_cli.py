"""`civicid ledger init/serve --database-url`: a sequencer and a reader as the commands run
them (real processes, real HTTP): the reader follows and refuses writes naming the sequencer
it found in the database, a second sequencer is one line with its code, a sequencer started
with --take-over serves once the first is killed, and the failures a user meets first are
one line each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import httpx

from cli.harness import free_port, wait_until_healthy
from tests.ledger.test_cli import civicid
from tests.ledger.test_cli_failures import one_line

CIVICID: Final = str(Path(sys.executable).parent / "civicid")
# Seconds a reader may take to see a checkpoint the sequencer signed (it polls every 0.2 s).
FOLLOWED_WITHIN: Final = 30


@contextmanager
def serve(
    data: Path, url: str, *extra: str, ready: bool = True
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = subprocess.Popen(
        [
            *(CIVICID, "ledger", "serve", "--data-dir", str(data), "--port", str(port)),
            *("--database-url", url, *extra),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if ready:
            wait_until_healthy(base, alive=lambda: proc.poll() is None, timeout=120)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)


def test_a_sequencer_and_a_reader_as_the_commands_run_them(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "sequencer"
    code, out, _ = civicid(
        "ledger", "init", "--data-dir", str(data), "--database-url", database_url
    )
    assert code == 0, out
    assert not (data / "ledger" / "log.dat").exists()  # the log is in the database
    with (
        serve(data, database_url) as (sequencer, _),
        serve(tmp_path / "reader", database_url, "--reader") as (reader, _),
    ):
        assert httpx.get(f"{reader}/checkpoint").text == httpx.get(f"{sequencer}/checkpoint").text
        refused = httpx.post(f"{reader}/transactions", json={"transaction": "a.b.c"})
        assert refused.status_code == 403
        assert refused.json()["error"] == "ledger_reader_only"
        assert refused.json()["details"] == {"sequencer": sequencer}

        second = subprocess.run(
            [CIVICID, "ledger", "serve", "--data-dir", str(data), "--port", "0",
             "--database-url", database_url],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert second.returncode == 1
        one_line(second.stderr, "ledger_sequencer_running")


def test_a_sequencer_started_to_take_over_serves_once_the_first_is_killed(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "sequencer"
    code, out, _ = civicid(
        "ledger", "init", "--data-dir", str(data), "--database-url", database_url
    )
    assert code == 0, out
    with (
        serve(data, database_url) as (_, first),
        serve(data, database_url, "--take-over", ready=False) as (standby, waiting),
    ):
        time.sleep(1)
        assert waiting.poll() is None  # waiting, not refused
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        wait_until_healthy(standby, alive=lambda: waiting.poll() is None, timeout=120)
        assert httpx.get(f"{standby}/checkpoint").text.split("\n")[1] == "1"


def test_reader_without_a_database_is_one_line(tmp_path: Path) -> None:
    code, _, err = civicid(
        "ledger", "serve", "--data-dir", str(tmp_path), "--port", "0", "--reader"
    )
    assert code == 1
    one_line(err, "settings_invalid")


def test_the_database_unreachable_at_start_is_one_line_with_the_host(tmp_path: Path) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/ledger"
    code, _, err = civicid("ledger", "init", "--data-dir", str(tmp_path), "--database-url", url)
    assert code == 3
    one_line(err, "database_unreachable")
    assert "127.0.0.1" in err and "hunter2" not in err
    assert not (tmp_path / "keys").exists()
