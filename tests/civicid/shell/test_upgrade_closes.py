"""A request asking to upgrade the protocol is answered as HTTP/1.1 and its connection then
closed: the parser reads nothing more after an upgrade, so a connection kept alive would hold
its slot with nothing ever read. httptools (the served parser) says so in the answer
(``connection: close``); h11 closes it without saying. Each parser in turn, over raw sockets
on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from tests.slow_clients import PATIENCE, Target, closed_by_server

UPGRADE = b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n"


def test_an_upgrade_request_is_answered_and_its_connection_closed(
    target: Target, request: pytest.FixtureRequest
) -> None:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(UPGRADE)
        answer = closed_by_server(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and body == b'{"status":"ok"}', answer
    if request.node.callspec.params["target"] == "httptools":
        assert b"\r\nconnection: close" in head.lower(), head
