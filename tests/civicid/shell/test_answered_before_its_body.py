"""Attack: a client sends a request the service answers without reading its body (a method
the route does not take), then trickles the body. The answer is sent and the connection
closed at once: reading the rest would let the client hold the connection as long as it
trickles (here every deadline is far past the test's patience)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, small_service
from tests.slow_clients import PATIENCE, Target, closed_by_server

FAR = 60.0
# /health takes GET only: a POST there is answered 405 before its body is read.
UNWANTED = b"POST /health HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n" + b"a" * 10


@pytest.fixture(scope="module", params=sorted(PARSERS))
def patient(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    limits = {"header_timeout": FAR, "body_timeout": FAR, "keep_alive": FAR}
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **limits)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser=request.param)
    with serving(app, free_port(), config=config) as url:
        yield Target(url, post="/echo", too_large="request_body_too_large")


def test_a_request_answered_before_its_body_closes_the_connection(patient: Target) -> None:
    with socket.create_connection(patient.address(), timeout=PATIENCE) as sock:
        sock.sendall(UNWANTED)
        answer = closed_by_server(sock)  # a connection kept open for the body times out here
    assert answer.startswith(b"HTTP/1.1 405"), answer
