"""Slow or partial requests once held connections open without limit. A body that does not
arrive within the settings' ``body_timeout`` is answered with our code, and connections past
``max_connections`` are answered 503 at once instead of queueing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from cli.harness import free_port, serving
from ledger.app import create_app
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
