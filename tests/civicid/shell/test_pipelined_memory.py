"""Attack: clients pipeline thousands of requests each and never read an answer. What they
cost a server process is bounded per connection (``test_pipelined_unread.py`` holds the
bounds): well under a MiB each, where each cost ~7 MiB on httptools before. The small service
in a process of its own (``burst_server.py``), on each parser, over raw sockets on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest

from civicid.shell.server import PARSERS
from cli.harness import STARTUP_TIMEOUT, free_port
from tests.civicid.shell.test_pipelined_unread import GET, PIPELINED
from tests.slow_clients import PATIENCE

CLIENTS: Final = 20  # connections pipelining at once
ROOT: Final = Path(__file__).resolve().parents[3]


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(params=sorted(PARSERS))
def process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """The small service in a process of its own (``burst_server.py``, as served, on the
    parser given); its pid and port, once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "tests.civicid.shell.burst_server", str(port), "1024",
               "auto", str(tmp_path), request.param]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT  # a start under load
        while True:  # readiness, polled
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            assert server.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.05)
        yield server.pid, port
        assert server.poll() is None, "the server died"
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait(timeout=PATIENCE)


def test_clients_that_pipeline_and_never_read_cost_little_memory(
    process: tuple[int, int],
) -> None:
    """``CLIENTS`` connections, each 5,000 requests sent and no answer read: the process
    grows by well under a MiB per connection (it grew by ~7 MiB each on httptools)."""
    pid, port = process
    with httpx.Client() as client:
        for _ in range(50):  # the process as it is once it has served a little
            client.get(f"http://127.0.0.1:{port}/health")
    before = resident_kib(pid)
    with contextlib.ExitStack() as stack:
        socks = [
            stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=PATIENCE))
            for _ in range(CLIENTS)
        ]
        for sock in socks:
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.send(GET * PIPELINED)
        most = before
        for _ in range(20):  # read and parsed as far as the server goes
            time.sleep(0.1)
            most = max(most, resident_kib(pid))
    assert (most - before) / CLIENTS < 1024, (before, most)
