"""Attack: a client holds every connection a service may have (idle, or dripping bodies).
The connection that makes room is closed at once, the longest idle (or longest arriving)
one, and only it: its descriptor is free when the budget counts it free, not only when its
own deadline (here far away) would have closed it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, small_service
from tests.slow_clients import PATIENCE, Target, closed_by_server, error_code, response

ROOM = 4
# Every deadline far past PATIENCE: a connection closed within it was closed for room.
FAR = 60.0
GET = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
SLOW_POST = (
    b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
    b"expect: 100-continue\r\ncontent-length: 100\r\n\r\n"
)


@pytest.fixture(params=sorted(PARSERS))
def full(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    limits = {
        "header_timeout": FAR,
        "body_timeout": FAR,
        "keep_alive": FAR,
        "max_header_bytes": 4096,
        "max_connections": ROOM,
    }
    settings = ServiceSettings(data_dir=tmp_path, **limits)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser=request.param)
    with serving(app, free_port(), config=config) as url:
        yield Target(url, post="/echo", too_large="request_body_too_large", max_connections=ROOM)


def still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def test_the_longest_idle_connection_is_closed_for_room_at_once(full: Target) -> None:
    held = []
    try:
        for _ in range(ROOM):  # each answered once, then idle: the first is idle longest
            sock = socket.create_connection(full.address(), timeout=PATIENCE)
            sock.sendall(GET)
            assert response(sock)[0].startswith(b"HTTP/1.1 200")
            held.append(sock)
        with socket.create_connection(full.address(), timeout=PATIENCE) as newcomer:
            newcomer.sendall(GET)
            assert response(newcomer)[0].startswith(b"HTTP/1.1 200")
        assert closed_by_server(held[0]) == b""  # long before any deadline of its own
        assert all(still_open(sock) for sock in held[1:])
    finally:
        for sock in held:
            sock.close()


def test_the_body_arriving_longest_is_closed_for_room_at_once(full: Target) -> None:
    held = []
    try:
        for _ in range(ROOM):  # each one's body starts after the one before it
            sock = socket.create_connection(full.address(), timeout=PATIENCE)
            sock.sendall(SLOW_POST)
            assert sock.recv(4096).startswith(b"HTTP/1.1 100")
            held.append(sock)
        with socket.create_connection(full.address(), timeout=PATIENCE) as newcomer:
            newcomer.sendall(GET)
            assert response(newcomer)[0].startswith(b"HTTP/1.1 200")
        head, _, body = closed_by_server(held[0]).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), head
        assert error_code(body) == "server_busy"
        assert all(still_open(sock) for sock in held[1:])
    finally:
        for sock in held:
            sock.close()
