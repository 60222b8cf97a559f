"""A connection is kept only while the process has a descriptor for it (its connections, those
closing included, within its cap and ``ACCEPT_HEADROOM``), on each event loop uvicorn may run
the server on: asyncio's accepts through ``server.Listener``, which leaves the connection in
the kernel's queue until there is room; uvloop's accepts on the descriptor itself, and the
connection is refused (503 ``server_busy``) and closed as soon as its protocol is made. Once
there is room again, a client is served on both. Over raw sockets on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from civicid.shell import server
from civicid.shell.connections import ACCEPT_HEADROOM, Budget
from civicid.shell.server import server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import small_service
from tests.slow_clients import PATIENCE, closed_by_server, error_code, response

LIMIT: Final = 2  # the process's cap on connections here
GET: Final = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"


class Closing:
    """A connection asked to close for room whose close is not made yet: it holds its
    descriptor (as one does for a turn of its loop, or longer on a loop kept busy)."""

    def evict(self) -> None:
        pass


def hold(budget: Budget, descriptors: int) -> list[Closing]:
    """Connections closing, admitted until the budget's connections hold ``descriptors``
    (the harness's own idle one, closed for room by them, is waited for)."""
    held: list[Closing] = []
    settled = 0
    while settled < 3:
        while budget.descriptors < descriptors:
            held.append(Closing())
            assert budget.admit(held[-1])  # each one past the cap closes another for room
        time.sleep(0.05)
        settled = settled + 1 if budget.descriptors == descriptors else 0
    return held


@pytest.fixture(params=["asyncio", "uvloop"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, int, Budget]]:
    """The small service on one loop, its connections in a process budget of ``LIMIT``
    (its listening socket's too); the loop, the port and that budget."""
    budget = Budget(LIMIT)
    monkeypatch.setattr(server, "process_budget", lambda: budget)  # ``listen``'s, here
    app = small_service()
    config = server_config(ServiceSettings(data_dir=tmp_path), app, process=budget)
    config.loop = request.param
    with serving(app, free_port(), config=config) as url:
        yield request.param, int(url.rsplit(":", 1)[1]), budget


class Logged(logging.Handler):
    """The server log's lines, as they are written."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_no_connection_is_kept_past_the_descriptors_to_spare(
    served: tuple[str, int, Budget],
) -> None:
    loop, port, budget = served
    logged = Logged()
    logging.getLogger("uvicorn.error").addHandler(logged)
    # Connections closed for room and not closed yet: every descriptor to spare is held.
    closing = hold(budget, LIMIT + ACCEPT_HEADROOM)
    assert len(budget) == LIMIT  # a newcomer would be admitted, closing another for room
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        if loop == "asyncio":  # not accepted: it waits in the kernel's queue, unanswered
            sock.sendall(GET)
            sock.settimeout(1.0)
            with pytest.raises(TimeoutError):
                sock.recv(1)
        else:  # accepted by the loop itself: refused at once (unasked), nobody closed for it
            head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 503"), head
            assert error_code(body) == "server_busy"
            assert budget.descriptors == LIMIT + ACCEPT_HEADROOM
            assert "refusing a connection: no descriptor to spare for it" in logged.lines
    logging.getLogger("uvicorn.error").removeHandler(logged)
    for connection in closing:  # their closes are made
        budget.release(connection)
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        sock.sendall(GET)
        head, _ = response(sock)
    assert head.startswith(b"HTTP/1.1 200"), head


def test_one_descriptor_short_of_the_bound_is_room_enough(
    served: tuple[str, int, Budget],
) -> None:
    _, port, budget = served
    closing = hold(budget, LIMIT + ACCEPT_HEADROOM - 1)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
            sock.sendall(GET)
            head, _ = response(sock)
        assert head.startswith(b"HTTP/1.1 200"), head
    finally:
        for connection in closing:
            budget.release(connection)
