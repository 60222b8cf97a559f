"""The bytes of a head not yet complete are counted from nothing on a new connection (with
httptools, where the cap on such a head is ``GuardedHttpTools``' own): a first head of which
exactly ``max_header_bytes`` have arrived, incomplete, is within the cap, and served once it
completes within the cap as written. Its line and headers are written here with two spaces
of optional whitespace more than the cap counts (RFC 9110 §5.6.3), so that the bytes
received reach the cap before the head is complete."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.shell.server import server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, small_service
from tests.slow_clients import LIMITS, PATIENCE, Target, response

CAP = LIMITS["max_header_bytes"]
START = b"GET /health HTTP/1.1\r\nhost: x\r\nx-pad:   "  # two spaces past the one counted
END = b"\r\n\r\n"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **LIMITS)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser="httptools")
    with serving(app, free_port(), config=config) as url:
        yield Target(url, post="/echo", too_large="request_body_too_large")


def test_a_first_head_at_the_cap_while_incomplete_is_served(target: Target) -> None:
    head = START + b"a" * (CAP + 2 - len(START) - len(END)) + END
    assert len(head) == CAP + 2  # and CAP as the cap counts it: its line, "name: value"s
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(head[:CAP])  # incomplete: its blank line not sent yet
        time.sleep(0.1)  # read apart (the head's deadline is 0.5 s)
        sock.sendall(head[CAP:])
        answer, _ = response(sock)
    assert answer.startswith(b"HTTP/1.1 200"), answer
