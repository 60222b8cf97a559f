"""Attack: a client pipelines thousands of requests and never reads an answer. What the server
keeps of them per connection is bounded, on each request parser: at most ``MAX_PIPELINED``
requests read and not yet answered, and the bytes received and not yet parsed at most a head
and one read (httptools once parsed every request of a read at once, ~7 MB for 5,000 small
ones, kept until the stalled answer was given up: ``test_pipelined_memory.py``). Prompt
clients that pipeline are answered all the same, every request in order. Over raw sockets on
127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Final

import pytest

from civicid.shell.guards import MAX_PIPELINED
from civicid.shell.heads import RequestLines
from civicid.shell.parsers import GuardedHttpTools
from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, small_service
from tests.civicid.shell.test_request_lines import REQUESTS, Reader
from tests.slow_clients import LIMITS, PATIENCE

PIPELINED: Final = 5000  # requests each client sends in one go, reading no answer
GET: Final = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
POST: Final = b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"
# The most one read brings (asyncio's and uvloop's read buffer).
READ: Final = 256 * 1024


# -- where a parser may be given bytes up to -------------------------------------------------


@pytest.mark.parametrize("piece", [1, 3, 64, 1 << 20])
@pytest.mark.parametrize("heads", [1, 2, 3])
def test_a_parser_given_what_within_allows_completes_no_more_heads(piece: int, heads: int) -> None:
    """Received in pieces of ``piece`` bytes, given to httptools no further than ``within``
    allows: never more than ``heads`` heads complete at once, and every request is read."""
    reader = Reader()
    stream = b"".join(REQUESTS) * 3
    parsed = feeds = 0
    for at in range(0, len(stream), piece):
        reader.lines.received(stream[at : at + piece])
        while parsed < min(at + piece, len(stream)):
            size = reader.lines.within(parsed, heads)
            assert size >= 1
            before = len(reader.verdicts)
            reader.parser.feed_data(stream[parsed : parsed + size])
            assert len(reader.verdicts) - before <= heads
            parsed, feeds = parsed + size, feeds + 1
    assert [sent for _, sent in reader.verdicts] == [True] * 3 * len(REQUESTS)
    if piece > len(stream):
        # Received whole: each giving completes a head at least (the empty lines and last
        # chunks in a body are counted only until its head is read): no body full of them
        # makes a parser be given a few bytes at a time.
        assert feeds <= len(reader.verdicts) + 1, feeds


def test_room_for_no_head_is_room_for_no_byte() -> None:
    lines = RequestLines(4096)
    lines.received(GET * 3)
    assert lines.within(0, 0) == 0
    assert lines.within(0, 1) == len(GET)
    assert lines.within(len(GET) - 1, 1) == 1  # a head whose end began before ``start``
    assert lines.within(0, 5) == 3 * len(GET)


# -- a served connection ---------------------------------------------------------------------


class Watched:
    """The most a connection was seen to keep: requests read and not answered, and bytes
    received and not yet parsed (after every read, and every answer)."""

    queued: ClassVar[int] = 0
    unparsed: ClassVar[int] = 0


def watched(protocol: type[Any]) -> type[Any]:
    class Watching(protocol):  # type: ignore[valid-type,misc]
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._note()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._note()

        def _note(self) -> None:
            cycle = self.cycle
            queued = len(getattr(self, "pipeline", ()))
            queued += cycle is not None and not cycle.response_complete
            if isinstance(self, GuardedHttpTools):
                unparsed = len(getattr(self, "_held", b""))  # (none before it was bounded)
            else:
                unparsed = len(self.conn.trailing_data[0])
            Watched.queued = max(Watched.queued, queued)
            Watched.unparsed = max(Watched.unparsed, unparsed)

    return Watching


@pytest.fixture(scope="module", params=sorted(PARSERS))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """The small service on one parser, each connection watched; its parser and port."""
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **LIMITS)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser=request.param)
    config.http = watched(config.http)
    with serving(app, free_port(), config=config) as url:
        yield request.param, int(url.rsplit(":", 1)[1])


def send_all(sock: socket.socket, data: bytes) -> None:
    """Send ``data`` as fast as the server takes it, reading nothing, until it stops taking
    it for a while (its buffers and ours are full: it no longer reads)."""
    sock.setblocking(False)
    sent, still = 0, time.monotonic()
    while sent < len(data) and time.monotonic() - still < 1.0:
        try:
            sent += sock.send(data[sent : sent + 65536])
            still = time.monotonic()
        except BlockingIOError:
            time.sleep(0.005)


@pytest.mark.parametrize("request_", [GET, POST], ids=["get", "post"])
def test_requests_pipelined_and_never_read_are_kept_within_a_bound(
    served: tuple[str, int], request_: bytes
) -> None:
    _, port = served
    Watched.queued = Watched.unparsed = 0
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        send_all(sock, request_ * PIPELINED)
        time.sleep(0.3)  # what was sent is read and answered as far as the server goes
    assert 1 <= Watched.queued <= MAX_PIPELINED, Watched.queued
    assert Watched.unparsed <= LIMITS["max_header_bytes"] + READ, Watched.unparsed


def test_a_prompt_client_that_pipelines_thousands_is_answered_in_order(
    served: tuple[str, int],
) -> None:
    _, port = served
    requests = [b"GET /health?n=%d HTTP/1.1\r\nhost: x\r\n\r\n" % n for n in range(PIPELINED)]
    requests[-1] = POST  # and one with a body, last
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        sock.sendall(b"".join(requests))
        answers = b""
        while not answers.endswith(b'{"bytes":2}'):
            chunk = sock.recv(65536)
            assert chunk, answers[-200:]
            answers += chunk
    assert answers.count(b"HTTP/1.1 200 OK") == PIPELINED
    assert answers.count(b'{"status":"ok"}') == PIPELINED - 1
