"""A head pipelined behind a request still being answered is held to the same cap as any
other: refused (431) once past it, not at it. Here its first ``max_header_bytes`` bytes
arrive while the answer is made, and no more: once the answer has left, the head is cut
off by its deadline, unrefused; one byte more and it is refused with our code. httptools
(the served parser), over raw sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from civicid.shell.app import create_service_app
from civicid.shell.server import server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.slow_clients import LIMITS, PATIENCE, closed_by_server, error_code

CAP = LIMITS["max_header_bytes"]
SLOW = 1.0  # seconds the answer takes: the next head's bytes arrive meanwhile


@contextlib.asynccontextmanager
async def nothing(app: FastAPI) -> Any:
    yield


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    app = create_service_app(title="t", description="t", lifespan=nothing)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(SLOW)
        return {"status": "ok"}

    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **LIMITS)
    with serving(app, free_port(), config=server_config(settings, app)) as url:
        yield int(url.rsplit(":", 1)[1])


def behind_a_slow_answer(port: int, head: bytes) -> bytes:
    """Everything the server sends: the slow request, then ``head`` sent while it runs."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        time.sleep(SLOW / 3)  # the slow request is read, its answer not made yet
        sock.sendall(head)
        return closed_by_server(sock)


def next_head(size: int) -> bytes:
    """The first ``size`` bytes of a head that is not complete there."""
    start = b"GET /slow HTTP/1.1\r\nhost: x\r\nx-pad: "
    return start + b"a" * (size - len(start))


def test_a_head_at_the_cap_behind_an_answer_is_not_refused(port: int) -> None:
    answers = behind_a_slow_answer(port, next_head(CAP))
    assert answers.startswith(b"HTTP/1.1 200"), answers[:100]
    assert answers.count(b"HTTP/1.1 ") == 1, answers  # then cut off by the head's deadline


def test_a_head_one_past_the_cap_behind_an_answer_is_refused(port: int) -> None:
    answers = behind_a_slow_answer(port, next_head(CAP + 1))
    assert answers.startswith(b"HTTP/1.1 200"), answers[:100]
    _, _, refused = answers.partition(b'{"status":"ok"}')
    head, _, body = refused.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), refused
    assert error_code(body) == "request_head_too_large"
