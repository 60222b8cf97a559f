"""A burst of connections that piled up while the server could not run (descheduled; here
stopped with SIGSTOP) must not take it to its file-descriptor limit: it accepts no more at a
time than it has descriptors for (its connections' budget, and room for the newcomers that
close idle ones to make room), and goes on answering. A real server in a process of its own,
under a low ``RLIMIT_NOFILE``, on 127.0.0.1, on each event loop uvicorn may run it on."""

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

from civicid.shell.connections import ACCEPT_HEADROOM, FD_RESERVE
from cli.harness import STARTUP_TIMEOUT, free_port
from tests.slow_clients import PATIENCE

NOFILE: Final = 256  # the server's descriptor limit: a budget of 128 connections
BURST: Final = 1000  # connections made while it is stopped: far past its limit
# Descriptors the server holds besides its connections (listening socket, loop, logs).
OWN: Final = 32
ROOT: Final = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["auto", "asyncio"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, str]]:
    """The burst server (``burst_server.py``) on a free port, once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "tests.civicid.shell.burst_server", str(port), str(NOFILE),
               request.param, str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT  # a start under load
        while True:  # readiness, polled
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.05)
        yield process.pid, url
        assert process.poll() is None, "the server died"
    finally:
        process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait(timeout=PATIENCE)


def test_a_burst_while_stopped_stays_within_the_descriptor_limit(
    server: tuple[int, str],
) -> None:
    pid, url = server
    address = ("127.0.0.1", int(url.rsplit(":", 1)[1]))
    os.kill(pid, signal.SIGSTOP)
    burst: list[socket.socket] = []
    try:
        for _ in range(BURST):  # the kernel completes each handshake while the server sleeps
            burst.append(socket.create_connection(address, timeout=PATIENCE))
        os.kill(pid, signal.SIGCONT)
        started = time.monotonic()
        answer = httpx.get(url + "/health", timeout=PATIENCE)
        waited = time.monotonic() - started
        seen = httpx.get(url + "/descriptors", timeout=PATIENCE).json()
    finally:
        for sock in burst:
            sock.close()
    assert answer.status_code == 200 and waited < PATIENCE / 2, waited
    # Never at the limit (where nothing else can be opened), nor past the budget's headroom.
    assert seen["most"] < NOFILE - FD_RESERVE + ACCEPT_HEADROOM + OWN < NOFILE, seen
