"""``civicid ledger serve --database-url`` opens the database before it binds the port: a
database out of reach or another sequencer running is named even when the port is taken,
and a sequencer that cannot bind its port leaves the URL the running one recorded (readers
name it when refusing a write) as it was."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg

from cli.harness import free_port
from ledger.sequencer import SEQUENCER_URL
from tests.ledger.test_cli import civicid
from tests.ledger.test_cli_failures import one_line
from tests.ledger.test_pg_cli import CIVICID, serve


def serve_on(data: Path, url: str, port: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CIVICID, "ledger", "serve", "--data-dir", str(data), "--port", port,
         "--database-url", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def initialized(data: Path, url: str) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(data), "--database-url", url)
    assert code == 0, out
    return data


def recorded_sequencer(url: str) -> object:
    with psycopg.connect(url) as conn:
        query = "SELECT value FROM ledger.meta WHERE key = %s"
        row = conn.execute(query, (SEQUENCER_URL,)).fetchone()
    return None if row is None else row[0]


def test_a_database_out_of_reach_is_named_before_a_taken_port(tmp_path: Path, taken: str) -> None:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))  # its keys
    assert code == 0, out
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/ledger"
    code, _, err = civicid(
        "ledger", "serve", "--data-dir", str(tmp_path), "--port", taken, "--database-url", url
    )
    assert code == 3
    one_line(err, "database_unreachable")


def test_a_sequencer_running_is_named_before_a_taken_port(
    tmp_path: Path, database_url: str, taken: str
) -> None:
    data = initialized(tmp_path / "sequencer", database_url)
    with serve(data, database_url) as (sequencer, _):
        assert recorded_sequencer(database_url) == sequencer
        second = serve_on(data, database_url, taken)
        assert second.returncode == 1, second.stderr
        one_line(second.stderr, "ledger_sequencer_running")
        assert recorded_sequencer(database_url) == sequencer


def test_a_sequencer_on_a_taken_port_records_no_url(
    tmp_path: Path, database_url: str, taken: str
) -> None:
    data = initialized(tmp_path / "sequencer", database_url)
    with serve(data, database_url) as (sequencer, first):
        pass  # served once and stopped: its URL stays recorded
    assert first.returncode is not None
    refused = serve_on(data, database_url, taken)
    assert refused.returncode == 3, refused.stderr
    one_line(refused.stderr, "serve_port_in_use")
    assert f"127.0.0.1:{taken}" in refused.stderr and "--port" in refused.stderr
    assert recorded_sequencer(database_url) == sequencer
