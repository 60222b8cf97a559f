"""A connection waiting for its next request is closed ``keep_alive`` after its last answer,
not after its first one, and never while a request is answered: the keep-alive deadline is
counted from each answer, whether or not a timer was armed for every one of them."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import small_service
from tests.slow_clients import LIMITS, response

KEEP_ALIVE: Final = 1.0  # the least uvicorn takes (whole seconds)
ASK: Final = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"


@pytest.fixture(scope="module", params=sorted(PARSERS))
def address(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    limits = {**LIMITS, "keep_alive": KEEP_ALIVE, "header_timeout": 10.0}
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **limits)
    app = small_service()
    config = server_config(settings, app, parser=request.param)
    port = free_port()
    with serving(app, port, config=config):
        yield ("127.0.0.1", port)


def asked(sock: socket.socket) -> None:
    sock.sendall(ASK)
    head, _ = response(sock)
    assert head.startswith(b"HTTP/1.1 200"), head


def closed_after(sock: socket.socket, since: float) -> float:
    """Seconds from ``since`` until the server closed ``sock`` (nothing else arriving)."""
    sock.settimeout(10)
    assert sock.recv(1) == b""
    return time.monotonic() - since


def test_an_idle_connection_is_closed_after_keep_alive(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as sock:
        asked(sock)
        answered = time.monotonic()
        waited = closed_after(sock, answered)
    assert KEEP_ALIVE - 0.05 <= waited < KEEP_ALIVE + 1.0


def test_the_wait_is_counted_from_the_last_answer(address: tuple[str, int]) -> None:
    """Asked again 0.7 s into the wait: open 0.7 s later still (past the first answer's
    deadline), and closed ~``KEEP_ALIVE`` after the second answer."""
    with socket.create_connection(address, timeout=10) as sock:
        asked(sock)
        time.sleep(0.7 * KEEP_ALIVE)
        asked(sock)
        answered = time.monotonic()
        time.sleep(0.7 * KEEP_ALIVE)  # past the first answer's deadline
        sock.settimeout(0)
        with pytest.raises(BlockingIOError):  # open, nothing sent: not closed
            sock.recv(1)
        asked_again = time.monotonic()
        sock.settimeout(10)
        asked(sock)  # and it still answers
        waited = closed_after(sock, asked_again)
    assert time.monotonic() - answered >= KEEP_ALIVE
    assert KEEP_ALIVE - 0.05 <= waited < KEEP_ALIVE + 1.0


def test_many_answers_in_a_row_keep_the_connection(address: tuple[str, int]) -> None:
    """Answers for longer than ``KEEP_ALIVE`` in all, none waiting as long: never closed."""
    with socket.create_connection(address, timeout=10) as sock:
        started = time.monotonic()
        while time.monotonic() - started < 2.5 * KEEP_ALIVE:
            asked(sock)
            time.sleep(0.2 * KEEP_ALIVE)
        asked(sock)
