"""Slow or partial requests once held connections open without limit. A body that does not
arrive within the settings' ``body_timeout`` is answered with our code, and connections past
``max_connections`` are answered 503 at once instead of queueing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.server import server_config
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


@pytest.fixture
def live(world: World) -> Iterator[str]:
    settings = LedgerSettings(data_dir=world.root, body_timeout=0.5)
    app = create_app(settings, ledger=world.ledger)
    with serving(app, free_port()) as url:
        yield url


def test_a_body_that_never_arrives_is_answered(world: World, live: str) -> None:
    host, port = live.removeprefix("http://").split(":")
    size = world.ledger.size
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /transactions HTTP/1.1\r\nhost: x\r\ncontent-type: application/jose\r\n"
            b"content-length: 1000\r\n\r\neyJhbGciOiJF"
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)  # the server answers by itself: no sleep here
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"] == "request_body_timeout"
    assert world.ledger.size == size


def test_the_limits_have_safe_defaults() -> None:
    settings = LedgerSettings()
    assert settings.max_connections <= 1024 and settings.max_header_bytes <= 64 * 1024
    assert 0 < settings.body_timeout <= 60 and 0 < settings.keep_alive <= 60
    assert 0 < settings.header_timeout <= 60


@pytest.fixture
def guarded(world: World) -> Iterator[str]:
    """The ledger as ``serve`` runs it: uvicorn configured with every limit."""
    settings = LedgerSettings(data_dir=world.root, header_timeout=0.5)
    app = create_app(settings, ledger=world.ledger)
    with serving(app, free_port(), config=server_config(settings, app, access_log=False)) as url:
        yield url


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    return answer


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def test_a_head_that_never_ends_is_cut_off(guarded: str) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"GET /checkpoint HTTP/1.1\r\nhost: x\r\n")  # and no blank line, ever
        assert closed_by_server(sock) == b""  # closed by the deadline, before the 10 s timeout


def test_a_head_dripped_a_line_at_a_time_is_cut_off(guarded: str) -> None:
    """Data that keeps coming does not extend the head's deadline (slowloris)."""
    with connect(guarded) as sock:
        sock.sendall(b"GET /checkpoint HTTP/1.1\r\n")
        sent = 0
        with pytest.raises(OSError):  # the server closes while we are still dripping
            for sent in range(200):
                sock.sendall(b"x-drip: %d\r\n" % sent)
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    raise ConnectionResetError("closed")
                threading.Event().wait(0.05)
        assert sent < 100  # cut off after ~0.5 s, not after the 10 s of dripping


def test_a_connection_that_sends_nothing_is_cut_off(guarded: str) -> None:
    with connect(guarded) as sock:
        assert closed_by_server(sock) == b""


def test_keep_alive_requests_each_get_the_whole_deadline(guarded: str) -> None:
    """A prompt client is never cut off: two requests on one connection, each answered."""
    request = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
    with connect(guarded) as sock:
        for _ in range(2):
            sock.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200")
            threading.Event().wait(0.3)  # idle between requests: within keep-alive


def test_a_head_past_the_byte_limit_is_refused(world: World) -> None:
    """The cap on buffered head bytes holds in the server ``serve`` runs (it is h11's, so
    the protocol must be h11 whatever else is installed)."""
    settings = LedgerSettings(data_dir=world.root, max_header_bytes=4096)
    app = create_app(settings, ledger=world.ledger)
    with (
        serving(app, free_port(), config=server_config(settings, app, access_log=False)) as url,
        connect(url) as sock,
    ):
        # A head still growing past the cap is refused before its end arrives.
        sock.sendall(b"GET /checkpoint HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 8192)
        assert closed_by_server(sock).startswith(b"HTTP/1.1 400")
