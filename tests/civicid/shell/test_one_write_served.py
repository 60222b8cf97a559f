"""Served on each request parser, every answer's head and body leave in one write to the
connection's transport, whether its request came in one read or in pieces, and on a
keep-alive connection each answer after the first too. Over raw sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, small_service
from tests.slow_clients import LIMITS, PATIENCE, response

GET = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"


class Writes:
    """What a served connection wrote, each write apart (the last connection made)."""

    made: ClassVar[list[bytes]] = []


class Counting:
    """A transport that notes each write, passing everything on."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        Writes.made.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def counting(protocol: type[Any]) -> type[Any]:
    class Counted(protocol):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: Any) -> None:
            Writes.made = []
            super().connection_made(Counting(transport))

    return Counted


@pytest.fixture(scope="module", params=sorted(PARSERS))
def port(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **LIMITS)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser=request.param)
    config.http = counting(config.http)
    with serving(app, free_port(), config=config) as url:
        yield int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("pieces", [1, 3], ids=["whole", "in-pieces"])
def test_each_answer_leaves_in_one_write(port: int, pieces: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        for _ in range(2):  # and the next one on the same connection
            step = -(-len(GET) // pieces)
            for at in range(0, len(GET), step):
                sock.sendall(GET[at : at + step])
                time.sleep(0.05)  # each piece read apart
            head, body = response(sock)
            assert head.startswith(b"HTTP/1.1 200") and body == b'{"status":"ok"}', head
    made = [write for write in Writes.made if write]  # (h11 ends a body with an empty one)
    assert len(made) == 2, [write[-40:] for write in made]
    assert all(write.startswith(b"HTTP/1.1 200") for write in made), made
    assert all(write.endswith(b'{"status":"ok"}') for write in made), made
