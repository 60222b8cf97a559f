"""``civicid up``: the services left running over a named data directory, once per directory,
set up on the first run and found again on the next; Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from cli.harness import free_port

CIVICID = str(Path(sys.executable).parent / "civicid")
ENV = {**os.environ, "NO_COLOR": "1"}


def ports() -> list[str]:
    return ["--ledger-port", str(free_port()), "--issuer-port", str(free_port()),
            "--verifier-port", str(free_port())]  # fmt: skip


@contextmanager
def up(data_dir: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    process = subprocess.Popen(
        [CIVICID, "up", "--json", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    assert process.stdout is not None
    lines = []
    try:
        for line in process.stdout:  # the JSON description, printed once the services answer
            lines.append(line)
            if line.rstrip() == "}":
                break
        assert lines, process.stderr.read() if process.stderr else ""
        yield process, json.loads("".join(lines))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def test_up_serves_every_part_once_per_data_dir_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "civicid"
    with up(data, *ports()) as (process, info):
        for url in (info["ledger"]["url"], info["issuer"]["url"], info["verifier"]["url"]):
            assert httpx.get(url + "/health", timeout=5).status_code == 200
        assert "<html" in httpx.get(info["verifier"]["deskPage"], timeout=5).text.lower()
        assert httpx.get(info["ledger"]["docs"], timeout=5).status_code == 200
        second = subprocess.run(
            [CIVICID, "up", "--data-dir", str(data), *ports()],
            capture_output=True, text=True, env=ENV, timeout=60, check=False,
        )  # fmt: skip
        assert second.returncode == 1
        assert second.stderr.strip().endswith("[up_already_running]")
        assert f"pid {process.pid}" in second.stderr
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    # The next run finds everything set up and starts again on the same identities.
    with up(data, *ports()) as (_, again):
        assert again["issuer"]["did"] == info["issuer"]["did"]
        assert again["verifier"]["did"] == info["verifier"]["did"]


def test_up_with_a_port_taken_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [CIVICID, "up", "--data-dir", str(tmp_path / "d"), "--ledger-port", port],
            capture_output=True, text=True, env=ENV, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.strip().endswith("[service_port_in_use]")
    assert "Traceback" not in result.stderr
