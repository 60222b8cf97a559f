"""The connection budget against the order a real event loop runs things in: a connection
closed for room is closed a turn of its loop later, and its client may have sent a request
meanwhile. Each parser's guarded protocol, served by uvicorn's own machinery on a stdlib loop
over socket pairs, so the order of the turns is the loop's, not the test's."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from uvicorn.server import ServerState

from civicid.shell.connections import Budget
from civicid.shell.server import PARSERS, protocol
from civicid.shell.settings import ServiceSettings
from tests.civicid.shell.conftest import small_service
from tests.slow_clients import LIMITS, PATIENCE

HEALTH = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"


class Served:
    """A service's protocol on ``loop``, fed socket pairs as if its listener accepted them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, parser: str, tmp: Path) -> None:
        self.loop = loop
        self.budget = Budget(1, parent=Budget(100))  # the service holds one connection
        settings = ServiceSettings(data_dir=tmp, **LIMITS)
        self.config = uvicorn.Config(
            small_service(), http=protocol(settings, self.budget, parser), lifespan="off"
        )
        self.config.load()
        self.state = ServerState()
        self.clients: list[socket.socket] = []

    def make(self) -> asyncio.Protocol:
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.state, app_state={}, _loop=self.loop
        )

    async def connect(self) -> socket.socket:
        """A new connection, made (and admitted) by the time this returns."""
        ours, theirs = socket.socketpair()
        theirs.setblocking(False)  # read on the loop (``answer``), which must go on turning
        self.clients.append(theirs)
        await self.loop.connect_accepted_socket(self.make, ours)
        return theirs

    async def settle(self) -> None:
        for _ in range(20):  # a few turns: closes and answers scheduled meanwhile are made
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)

    def open(self) -> int:
        """The connections whose transport is still open (the descriptors they hold)."""
        return sum(1 for conn in self.state.connections if not conn.transport.is_closing())


@pytest.fixture(params=sorted(PARSERS))
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    served = Served(loop, request.param, tmp_path)
    try:
        yield served
    finally:
        for conn in list(served.state.connections):
            conn.transport.abort()
        loop.run_until_complete(asyncio.sleep(0.05))
        loop.close()
        for client in served.clients:
            client.close()


async def answer(client: socket.socket) -> bytes:
    """One whole answer to a GET /health (its body is small and ends the read)."""
    loop = asyncio.get_running_loop()
    data = b""
    while not data.endswith(b'{"status":"ok"}'):
        chunk = await loop.sock_recv(client, 4096)
        assert chunk, data
        data += chunk
    return data


def test_a_connection_that_asked_before_its_close_for_room_ran_stays_counted(
    served: Served,
) -> None:
    """The first connection's request arrives in the same turn as a second connection, which
    asks it to close for room: its close comes a turn later and finds a request in flight, so
    it stays open. The budget must still count it: open connections never exceed what it
    holds, and the next newcomer closes it once it is idle again."""

    async def run() -> None:
        first = await served.connect()
        first.sendall(HEALTH)  # readable before the second connection is admitted
        await served.connect()  # admitted in the turn that reads the first one's request
        assert (await answer(first)).startswith(b"HTTP/1.1 200")  # it was served, not closed
        await served.settle()
        assert served.open() == 2
        assert len(served.budget) == 2, "an open connection is not counted"
        assert served.budget.parent is not None and len(served.budget.parent) == 2
        await served.connect()  # both others idle: each is closed to make room for it
        await served.settle()
        assert served.open() == 1
        assert len(served.budget) == 1 and served.budget.descriptors == 1

    served.loop.run_until_complete(asyncio.wait_for(run(), PATIENCE))


def test_a_connection_closed_for_room_is_counted_until_it_is_closed(served: Served) -> None:
    """Asked to close, a connection still holds its descriptor until its loop closes it."""

    async def run() -> None:
        first = await served.connect()
        await served.connect()
        assert len(served.budget) == 1 and served.budget.descriptors == 2
        await served.settle()
        # Closed, without an answer: it asked nothing.
        assert await served.loop.sock_recv(first, 1) == b""
        assert len(served.budget) == 1 and served.budget.descriptors == 1

    served.loop.run_until_complete(asyncio.wait_for(run(), PATIENCE))
