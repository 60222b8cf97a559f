"""The keep-alive timer armed once per deadline (``GuardedHttpTools._wait`` and
``_keep_alive``), at its two less travelled turns: when it fires on a connection that began
to wait again since it was armed, it is armed again for the rest, and the connection is
closed then, not left open for ever; when it fires while a request is answered, it is left
unarmed, and the answer's wait arms it. Each turn, broken, left an idle connection open."""

from __future__ import annotations

import asyncio
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
from tests.civicid.shell.test_keep_alive import KEEP_ALIVE, asked, closed_after
from tests.slow_clients import LIMITS, response

SLOW: Final = 1.0  # seconds the slow route takes: in flight when the first timer fires
ASK_SLOWLY: Final = b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n"


@pytest.fixture(scope="module", params=sorted(PARSERS))
def address(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    limits = {**LIMITS, "keep_alive": KEEP_ALIVE, "header_timeout": 10.0}
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **limits)
    app = small_service()

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(SLOW)
        return {"status": "ok"}

    config = server_config(settings, app, parser=request.param)
    port = free_port()
    with serving(app, port, config=config):
        yield ("127.0.0.1", port)


def test_a_timer_that_finds_a_later_wait_is_armed_for_the_rest(address: tuple[str, int]) -> None:
    """Asked again 0.6 s into the wait, then idle: the first timer fires 1 s after the first
    answer, finds 0.6 s of the second wait, and is armed for the 0.4 s left."""
    with socket.create_connection(address, timeout=10) as sock:
        asked(sock)
        time.sleep(0.6 * KEEP_ALIVE)
        asked(sock)
        waited = closed_after(sock, time.monotonic())
    assert KEEP_ALIVE - 0.05 <= waited < KEEP_ALIVE + 1.0


def test_a_timer_that_fires_during_an_answer_is_armed_by_its_wait(
    address: tuple[str, int],
) -> None:
    """A slow request sent 0.5 s into the wait is in flight when the timer fires at 1 s: the
    connection is not closed then, and is closed ``KEEP_ALIVE`` after that answer."""
    with socket.create_connection(address, timeout=10) as sock:
        asked(sock)
        time.sleep(0.5 * KEEP_ALIVE)
        sock.sendall(ASK_SLOWLY)
        head, _ = response(sock)
        assert head.startswith(b"HTTP/1.1 200"), head
        waited = closed_after(sock, time.monotonic())
    assert KEEP_ALIVE - 0.05 <= waited < KEEP_ALIVE + 1.0
