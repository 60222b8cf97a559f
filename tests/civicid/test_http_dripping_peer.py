"""A peer that drips its answer on a real loopback socket, each piece within the per-operation
timeout: every call ends by its deadline (``http_deadline``), whether the peer drips its
status line and headers or its body. Before, the deadline was looked at only between the
body's chunks: a head sent a header line at a time held the caller for as long as the peer
liked (a desk's thread, a wallet, a mirror's round)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from civicid.errors import Error
from civicid.http import HttpClient

TIMEOUT = 1.0  # each operation's: every drip below comes well within it
DEADLINE = 2.0
# How long past its deadline a call may take to give up on a loaded machine.
SLACK = 3.0
DRIP = 0.1  # seconds between pieces
FOREVER = 600  # pieces a peer sends at most (a minute of drips): far past any deadline


def head_forever(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for i in range(FOREVER):
        conn.sendall(f"x-drip-{i}: {i}\r\n".encode())
        time.sleep(DRIP)


def body_forever(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
    for _ in range(FOREVER):
        conn.sendall(b"x")
        time.sleep(DRIP)


def status_forever(conn: socket.socket) -> None:
    for _ in range(FOREVER):
        conn.sendall(b"H")
        time.sleep(DRIP)


@pytest.fixture
def dripping() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """A loopback server answering every request with ``drip``; its URL."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(drip: Callable[[socket.socket], None]) -> str:
        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(65536)
                    with contextlib.suppress(OSError):  # the client gave up: as it should
                        drip(conn)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{server.getsockname()[1]}"

    yield start
    stop.set()
    server.close()


@pytest.mark.parametrize("drip", [head_forever, status_forever, body_forever])
def test_a_dripping_peer_is_given_up_on_at_the_deadline(
    dripping: Callable[[Callable[[socket.socket], None]], str],
    drip: Callable[[socket.socket], None],
) -> None:
    url = dripping(drip)
    with HttpClient(url, timeout=TIMEOUT, deadline=DEADLINE) as peer:
        start = time.monotonic()
        with pytest.raises(Error) as caught:
            peer.get("/")
        took = time.monotonic() - start
    assert caught.value.code == "http_deadline"
    assert took < DEADLINE + SLACK, took
    assert f"within {DEADLINE:.0f} s" in caught.value.message


def test_a_quiet_peer_is_still_the_per_operation_timeout(
    dripping: Callable[[Callable[[socket.socket], None]], str],
) -> None:
    url = dripping(lambda conn: time.sleep(DEADLINE + SLACK))
    with HttpClient(url, timeout=TIMEOUT / 2, deadline=DEADLINE * 10) as peer:
        start = time.monotonic()
        with pytest.raises(Error) as caught:
            peer.get("/")
    assert caught.value.code == "http_deadline"
    assert "timed out" in caught.value.message
    assert time.monotonic() - start < DEADLINE + SLACK


def test_a_prompt_peer_is_answered_on_a_kept_connection(
    dripping: Callable[[Callable[[socket.socket], None]], str],
) -> None:
    """The deadline is each call's own: a connection kept from one call serves the next."""

    def prompt(conn: socket.socket) -> None:
        for _ in range(3):
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            if not conn.recv(65536):
                return

    url = dripping(prompt)
    with HttpClient(url, timeout=TIMEOUT, deadline=DEADLINE) as peer:
        for _ in range(3):
            assert peer.get("/").content == b"ok"
            time.sleep(DEADLINE / 2)
