"""What every connection of the hardened server gets, whichever parser reads its requests: a
deadline on each request head, the connection budget (``connections.py``), a cap on how long
an answer may stall, and each answer's head and body in one socket write.

- each request's head (line and headers) must be complete within ``header_timeout`` of its
  first byte, or of the connection's opening; past that the connection is closed;
- idle connections count against the budget and may be closed for room, then those whose
  request body is still arriving (answered 503 ``server_busy``); when every connection is
  busy (its request whole with the app, or its answer being written) a newcomer is refused
  503 ``server_busy``;
- an answer the client stops taking (the transport's buffer full, not drained for
  ``body_timeout``) is given up and its connection aborted: a client that asks for answers
  and never reads them would otherwise hold a busy connection for ever, and with as many of
  them as the budget holds, every newcomer would be refused 503.

The parsers' own protocols (``parsers.py``) mix ``Guards`` in before uvicorn's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from http import HTTPStatus
from typing import Any, ClassVar, Final, Literal

from uvicorn.protocols.http.flow_control import FlowControl

from civicid.errors import Error
from civicid.shell.connections import Budget
from civicid.shell.errors import SERVER_BUSY

# What the connection budget was last told of a connection (``Guards._track``).
Stage = Literal["idle", "receiving", "busy"]
IDLE: Final[Stage] = "idle"
RECEIVING: Final[Stage] = "receiving"
BUSY: Final[Stage] = "busy"

# Requests read on a connection and not yet answered (the one being answered included): past
# this, what the client sends is not read until answers make room. Unbounded, a client that
# pipelined thousands of requests and read no answer held ~7 MB of them per connection until
# its stalled answer was given up; answered in order, one at a time, more gain nothing.
MAX_PIPELINED: Final = 8
# An answer's head and a body up to this size are joined into one buffer and one write; a
# larger body is handed to the transport beside its head (no copy of it is made to join them).
JOIN_MAX_BYTES: Final = 64 * 1024


def refusal(error: Error) -> bytes:
    """A whole HTTP/1.1 response carrying ``error``'s JSON body, closing the connection: for
    refusals made before (or instead of) a request reaching the app."""
    body = json.dumps(error.to_json(), separators=(",", ":")).encode("utf-8")
    reason = HTTPStatus(error.http_status).phrase
    head = (
        f"HTTP/1.1 {error.http_status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class OneWrite:
    """A request's transport that holds the answer's head until its body is written, so both
    leave in one socket write (uvicorn's h11 protocol writes them apart: two sends, each
    waking the client, for every answer). Only the head is held, and only once the answer
    has started (an interim ``100 Continue`` is sent at once); a close sends what is held.

    The request's cycle is held weakly: the cycle holds this as its transport, and a strong
    reference back made every request a reference cycle that only the garbage collector
    freed (a young collection every ~1,100 requests, 7-11 ms each at 1M entries, the young
    objects scattered over the whole heap). The cycle calls ``write``, so it is alive then."""

    __slots__ = ("_cycle", "_held", "_transport", "_wrote_head")

    def __init__(self, transport: asyncio.Transport, cycle: Any) -> None:
        self._transport = transport
        self._cycle = weakref.ref(cycle)
        self._held = b""
        # No body is written after a HEAD's head (the server drops it): held, it would wait
        # for a write that never comes, and the client for its answer.
        self._wrote_head = cycle.scope["method"] == "HEAD"

    def write(self, data: bytes) -> None:
        cycle = self._cycle()
        if self._transport.is_closing():
            # Closed under an answer pipelined behind the last request parsed (uvicorn marks
            # that one disconnected, not the one running): nobody reads it, and uvloop would
            # raise, an app's traceback in the log for every such client.
            if cycle is not None:
                cycle.disconnected = True
            return
        if not self._wrote_head and cycle is not None and cycle.response_started:
            self._wrote_head = True  # the first write of a started answer is its head
            self._held = bytes(data)
            return
        if self._held:
            held, self._held = self._held, b""
            if len(data) > JOIN_MAX_BYTES:  # a large body: handed over as it is, not copied
                self._transport.writelines((held, data))
                return
            data = held + data
        self._transport.write(data)

    def close(self) -> None:
        if self._held:
            self._transport.write(self._held)
            self._held = b""
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # everything else is the transport's
        return getattr(self._transport, name)


class HeldFlow(FlowControl):
    """uvicorn's flow control for a connection, that resumes reading only while the
    connection ``_may_read`` (uvicorn resumes it after every answer, and whenever the app
    asks for the request's body). The connection is held weakly: it holds this."""

    def __init__(self, transport: asyncio.Transport, connection: Guards) -> None:
        super().__init__(transport)
        self._connection = weakref.ref(connection)

    def resume_reading(self) -> None:
        connection = self._connection()
        if connection is None or connection._may_read():
            super().resume_reading()


class Guards:
    """What both guarded protocols add to uvicorn's: a deadline on each request head, the
    connection budget, and a cap on how long an answer may stall. Mixed in first, before the
    uvicorn protocol that gives ``loop``, ``transport`` and ``logger``; ``_busy`` is the
    protocol's own word for a request in flight, ``_receiving`` for one whose body is still
    arriving (no answer begun, none before it in flight)."""

    header_timeout: ClassVar[float] = 10.0  # set per server by ``protocol``
    max_header_bytes: ClassVar[int] = 16 * 1024
    send_timeout: ClassVar[float] = 10.0  # an answer stalled this long is given up (body_timeout)
    budget: ClassVar[Budget]
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    flow: FlowControl
    logger: logging.Logger

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        self._admitted = False
        self._counted: Stage = IDLE  # what the budget was last told of this connection

    def _busy(self) -> bool:
        raise NotImplementedError

    def _receiving(self) -> bool:
        raise NotImplementedError

    def _may_read(self) -> bool:
        """Whether more may be read: what was read and not yet parsed is within its bound.
        h11 parses one request at a time and pauses reading behind it (what it keeps unparsed
        is bounded by one read: ``test_pipelined_unread.py``)."""
        return True

    def _track(self) -> None:
        """A request is in flight: tell the budget whether its body is still arriving (the
        connection may be closed for room) or not (it may not), once per change."""
        stage = RECEIVING if self._receiving() else BUSY
        if stage is not self._counted:
            self._counted = stage
            if stage is RECEIVING:
                self.budget.receiving(self)
            else:
                self.budget.busy(self)

    def _rest(self) -> None:
        """No request is in flight: the connection waits for the next one."""
        self._counted = IDLE
        self.budget.idle(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self.flow = HeldFlow(self.transport, self)
        if not self.budget.arrived():
            self._refuse_connection("refusing a connection: no descriptor to spare for it")
            return
        self._admitted = self.budget.admit(self)
        if not self._admitted:
            self._refuse_connection("refusing a connection: every connection is busy")
            return
        self._arm()  # the first request's head is due from the moment the client connects

    def _refuse_connection(self, why: str) -> None:
        """Answer the connection just made 503 ``server_busy`` and close it, unadmitted."""
        self.logger.warning(why)
        self.transport.write(refusal(SERVER_BUSY()))  # uvicorn's: the one just made
        self.transport.close()

    def pause_writing(self) -> None:
        super().pause_writing()  # type: ignore[misc]
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.send_timeout, self._stalled)

    def resume_writing(self) -> None:
        self._unstall()
        super().resume_writing()  # type: ignore[misc]

    def _unstall(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _stalled(self) -> None:
        self._stall_timer = None
        self.logger.warning("aborting a connection whose client stopped taking its answer")
        self.transport.abort()  # a close would wait for the client to read what is buffered

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._unstall()
        if self._admitted:
            self.budget.release(self)
        super().connection_lost(exc)  # type: ignore[misc]

    def evict(self) -> None:
        """Called from any thread by the budget: close this connection on its own loop."""
        with contextlib.suppress(RuntimeError):  # its loop has stopped: it is closed already
            self.loop.call_soon_threadsafe(self._evicted)

    def _evicted(self) -> None:
        if self.transport.is_closing():
            return
        if not self._busy():
            self.transport.close()
        elif self._receiving():
            # Its app waits for the rest of the body and is told the client left; the client
            # is told why, and may send it again.
            self.logger.warning("closing a connection whose body was still arriving, for room")
            self.transport.write(refusal(SERVER_BUSY()))
            self.transport.close()

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _late(self) -> None:
        self._head_timer = None
        if not self._busy() and not self.transport.is_closing():
            self.logger.warning("closing a connection whose request head took too long")
            self.transport.close()
