"""How every service is served: uvicorn with httptools and one set of limits, whoever starts
it (``civicid ledger|issuer|verifier serve``, ``civicid up``, ``civicid demo``).

uvicorn's defaults bound neither the time a client takes to send a request nor the number of
connections it may hold: a client sending a header line every few seconds (slowloris), or
one that connects and says nothing, held its connection for ever, and enough of them used up
the process's file descriptors. Here:

- each request's head (line and headers) must be complete within ``header_timeout`` of its
  first byte, or of the connection's opening; past that the connection is closed;
- a head's bytes are capped (``max_header_bytes``; httptools has no cap of its own, so the
  bytes of a head not yet complete are counted here): past it, 431 with our code;
- a head either parser would read otherwise than RFC 9112 has it (a transfer coding but
  chunked alone, Content-Length beside Transfer-Encoding, bare LF, obs-fold, a target that
  is not a path, HTTP/0.9 or /2.0) is refused 400 with our code (``heads.py``);
- a body must arrive within ``body_timeout`` of its head and stay under the service's cap
  (``body.py``); a response sent before its body was read closes the connection;
- idle keep-alive connections are closed after ``keep_alive``;
- an answer the client stops taking (the transport's buffer full, not drained for
  ``body_timeout``) is given up and its connection aborted: a client that asks for answers
  and never reads them would otherwise hold a busy connection for ever, and with as many of
  them as the budget holds, every newcomer would be refused 503;
- connections are capped per service and per process (``connections.py``).

The parser is httptools: the same guards on h11 (``GuardedH11``, kept beside it and tested
with every slow-client case) cost ~0.25 ms more CPU per request in the issuance benchmark
(``python -m benchmarks.issuer --http-only --compare-servers``; docs/performance/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, Final, cast

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from civicid.errors import REQUEST_INVALID, Code, Error
from civicid.shell.body import BodyGuard
from civicid.shell.connections import Budget, process_budget
from civicid.shell.errors import SERVER_BUSY, SERVICE_PORT_IN_USE
from civicid.shell.heads import (
    CHUNKED,
    VERSIONS,
    StrictConnection,
    coding_refused,
    framing_refused,
    target_refused,
    target_served,
    too_large,
    version_refused,
)

if TYPE_CHECKING:
    from civicid.shell.settings import ServiceSettings

# Requests in flight may finish within this at shutdown; then their connections are closed.
GRACEFUL_SHUTDOWN: Final = 10
# One line per kind of warning per this many seconds, saying how many there were: a flood of
# slow or greedy clients must not become a flood of log lines (a terminal that stops reading
# blocks the process that writes to it, and with it every service it serves).
LOG_WINDOW: Final = 10.0
# The largest body any route takes is a ledger transaction (1 MiB and its wrapper); each
# route has its own, smaller limit. This cap bounds the routes that have none.
MAX_BODY_BYTES: Final = 2 * 1024 * 1024
# Python's cyclic collector runs once this many more objects were made than freed (CPython's
# default is 700). A request makes a few thousand that live until it is answered: at 700 the
# collector ran ~200 times per thousand issuances, each time walking the requests in flight
# (~0.16 ms of CPU per issuance, measured with gc.callbacks); at this, ~7 times (~0.03 ms).
# Between runs it holds at most this many objects more, a few MiB.
GC_YOUNG_OBJECTS: Final = 10_000
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


class Throttle(logging.Filter):
    """Lets one warning of each kind through per ``window`` seconds; the next one let through
    says how many were held back. Errors always pass."""

    def __init__(self, window: float = LOG_WINDOW, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()  # the services of one process log from their threads
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        kind = str(record.msg)
        now = self.clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.window:
                self._held[kind] = self._held.get(kind, 0) + 1
                return False
            self._last[kind] = now
            held = self._held.pop(kind, 0)
        if held:
            record.msg = f"{record.getMessage()} (and {held} more like it before this one)"
            record.args = None
        return True


@functools.cache
def log_throttle() -> Throttle:
    """The one throttle on uvicorn's server log in this process (made on first use)."""
    return Throttle()


class OneWrite:
    """A request's transport that holds the answer's head until its body is written, so both
    leave in one socket write (uvicorn's h11 protocol writes them apart: two sends, each
    waking the client, for every answer). Only the head is held, and only once the answer
    has started (an interim ``100 Continue`` is sent at once); a close sends what is held."""

    __slots__ = ("_cycle", "_held", "_transport", "_wrote_head")

    def __init__(self, transport: asyncio.Transport, cycle: Any) -> None:
        self._transport = transport
        self._cycle = cycle
        self._held = b""
        self._wrote_head = False

    def write(self, data: bytes) -> None:
        if self._transport.is_closing():
            # Closed under an answer pipelined behind the last request parsed (uvicorn marks
            # that one disconnected, not the one running): nobody reads it, and uvloop would
            # raise, an app's traceback in the log for every such client.
            self._cycle.disconnected = True
            return
        if not self._wrote_head and self._cycle.response_started:
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


class Guards:
    """What both guarded protocols add to uvicorn's: a deadline on each request head, the
    connection budget, and a cap on how long an answer may stall. Mixed in first, before the
    uvicorn protocol that gives ``loop``, ``transport`` and ``logger``; ``_busy`` is the
    protocol's own word for a request in flight."""

    header_timeout: ClassVar[float] = 10.0  # set per server by ``protocol``
    max_header_bytes: ClassVar[int] = 16 * 1024
    send_timeout: ClassVar[float] = 10.0  # an answer stalled this long is given up (body_timeout)
    budget: ClassVar[Budget]
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    logger: logging.Logger

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        self._admitted = False

    def _busy(self) -> bool:
        raise NotImplementedError

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._admitted = self.budget.admit(self)
        if not self._admitted:
            self.logger.warning("refusing a connection: every connection is busy")
            self.transport.write(refusal(SERVER_BUSY()))  # uvicorn's: the one just made
            self.transport.close()
            return
        self._arm()  # the first request's head is due from the moment the client connects

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
        if not self.transport.is_closing() and not self._busy():
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


class GuardedH11(Guards, H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request head and a connection budget,
    every head read by the rules of ``heads`` (h11 lets a whole head over the cap, bare LF
    line ends, obs-fold and ambiguous framing through); each answer's head and body leave in
    one write."""

    conn: StrictConnection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = StrictConnection(self.max_header_bytes)

    def _busy(self) -> bool:
        """A request is in flight: h11 has read more of it than nothing."""
        return self.conn.their_state is not h11.IDLE

    def data_received(self, data: bytes) -> None:
        if not self._admitted:
            return
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:
            if data:
                self._arm()  # a head has begun (or goes on): it keeps the deadline it had
        else:
            self._disarm()  # the head is complete: the body and the app have their own
            self.budget.busy(self)

    def handle_events(self) -> None:
        super().handle_events()
        cycle = self.cycle
        # A new request's cycle is made above and runs from the next turn of the loop.
        if cycle is not None and not isinstance(cycle.transport, OneWrite):
            # It stands in for the transport: write and close are its own, the rest passes.
            cycle.transport = cast(asyncio.Transport, OneWrite(self.transport, cycle))

    def on_response_complete(self) -> None:
        self._disarm()  # waiting for the next request is the keep-alive timer's business
        unread = self.conn.their_state is h11.SEND_BODY
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if unread:
            # Answered before its body arrived (too large, too slow, or not wanted): reading
            # the rest would let a client hold the connection by trickling it.
            self.transport.close()
        elif self.conn.their_state is h11.IDLE:
            self.budget.idle(self)

    def send_400_response(self, msg: str) -> None:
        """A malformed head, or one over the byte cap (h11 or ``heads`` refuses both): our
        code in JSON."""
        error = self.conn.refused
        if error is None:
            buffered = len(self.conn.trailing_data[0])
            if buffered > self.max_header_bytes:
                error = too_large(self.max_header_bytes)
            else:
                error = REQUEST_INVALID("the request head is not HTTP/1.1")
        self.transport.write(refusal(error))
        self.transport.close()


class GuardedHttpTools(Guards, HttpToolsProtocol):
    """uvicorn's httptools protocol with the same guards as ``GuardedH11``: a deadline on each
    request head, a cap on its bytes (httptools has none: the bytes of a head not yet complete
    are counted here), the connection budget; each answer's head and body in one write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # received towards the next request head, not yet complete
        self._in_body = False  # a request's head is complete, its body not yet
        self._refused: Error | None = None  # a head refused while an answer was in flight

    def _busy(self) -> bool:
        """A request is in flight: its head is complete and its answer is not."""
        return self.cycle is not None and not self.cycle.response_complete

    def data_received(self, data: bytes) -> None:
        if not self._admitted:
            return
        if not self._in_body:
            self._head_bytes += len(data)
        super().data_received(data)  # a head completed in here resets the count
        if self.transport.is_closing():
            return
        if self._head_bytes > self.max_header_bytes:
            self._refuse_head()
            return
        if not self._busy() and data:
            self._arm()  # a head has begun (or goes on): it keeps the deadline it had

    def on_headers_complete(self) -> None:
        self._check_head()
        self._head_bytes = 0
        self._in_body = True
        self._disarm()  # the head is complete: the body and the app have their own
        self.budget.busy(self)
        super().on_headers_complete()
        cycle = self.cycle
        if self.parser.should_upgrade():
            # No route speaks another protocol: the request is answered as HTTP/1.1, and then
            # the connection closed (the parser reads nothing more after an upgrade).
            cycle.keep_alive = False
        # It stands in for the transport: write and close are its own, the rest passes.
        cycle.transport = cast(asyncio.Transport, OneWrite(self.transport, cycle))

    def on_message_complete(self) -> None:
        self._in_body = False
        self._head_bytes = 0  # what follows in this read is the next head's, counted from the next
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._disarm()  # waiting for the next request is the keep-alive timer's business
        # A body still coming is the answered request's own only if that request is the last
        # one parsed: one pipelined behind it has a head, so the answered one was read whole.
        unread = self._in_body and self.cycle.response_complete
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if unread:
            # Answered before its body arrived (too large, too slow, or not wanted): reading
            # the rest would let a client hold the connection by trickling it.
            self.transport.close()
        elif self._head_bytes > self.max_header_bytes:
            self._refuse_head()  # behind the pipelined request that runs now, if one does
        elif self._refused is not None:
            if not self._busy():  # the requests before the refused head are all answered
                self._refuse(self._refused)
        elif not self._busy():
            self.budget.idle(self)
            if self._head_bytes:
                self._arm()  # the next head has begun while this answer was made

    def send_400_response(self, msg: str) -> None:
        """A malformed head (httptools refuses it, or ``_check_head``): our code in JSON."""
        self._refuse(self._refused or REQUEST_INVALID("the request head is not HTTP/1.1"))

    def _check_head(self) -> None:
        """What httptools lets through and ``heads`` refuses (raised here, the parser stops
        and ``send_400_response`` answers): a whole head over the byte cap (the count in
        ``data_received`` sees only heads still incomplete after a read), an HTTP/1.1 request
        without exactly one Host (RFC 9112 §3.2), HTTP/0.9 or /2.0, a target that is not a
        path, a transfer coding but chunked alone, and ambiguous framing (RFC 9112 §6.1)."""
        method = self.parser.get_method()
        url = self.url
        # The head as written with one space after each colon: its line, headers, blank line.
        size = len(method) + len(url) + 14
        hosts = 0
        coding: bytes | None = None  # the Transfer-Encoding fields' values, joined
        for name, value in self.headers:
            size += len(name) + len(value) + 4
            if name == b"host":
                hosts += 1
            elif name == b"transfer-encoding":
                coding = value if coding is None else coding + b"," + value
        error: Error | None = None
        version = self.parser.get_http_version()
        if size > self.max_header_bytes:
            error = too_large(self.max_header_bytes)
        elif version not in VERSIONS:
            error = version_refused(version)
        elif hosts != 1 and version == "1.1":
            error = REQUEST_INVALID("an HTTP/1.1 request names exactly one host")
        elif not target_served(url, method):
            error = target_refused()
        elif coding is not None:
            if coding.rstrip(b" \t").lower() != CHUNKED:
                error = coding_refused()
            elif version == "1.0":  # llhttp refuses Content-Length beside it already
                error = framing_refused()
        if error is not None:
            self._refused = error
            raise error

    def _refuse(self, error: Error) -> None:
        """Answer ``error`` and close. A head behind whole requests still being answered is
        refused once they are (sent now, it would be read as the answer to the one before it);
        a malformed body is the request in flight's own, refused at once."""
        if self._busy() and not self._in_body:
            self._refused = error
            self.flow.pause_reading()
            return
        self.transport.write(refusal(error))
        self.transport.close()

    def _refuse_head(self) -> None:
        """A head over the cap: refused now, or once the answer in flight has left (sent
        before it, the refusal would be read as that request's answer)."""
        if self._busy():
            self.flow.pause_reading()
            return
        self.transport.write(refusal(too_large(self.max_header_bytes)))
        self.transport.close()


PARSERS: Final = {"h11": GuardedH11, "httptools": GuardedHttpTools}
# The request parser every service is served with (see the module's docstring).
PARSER: Final = "httptools"


def protocol(
    settings: ServiceSettings, budget: Budget, parser: str = PARSER
) -> type[GuardedH11 | GuardedHttpTools]:
    """The protocol class with these limits (uvicorn makes one instance per connection)."""
    return type(
        "GuardedHttp",
        (PARSERS[parser],),
        {
            "header_timeout": settings.header_timeout,
            "max_header_bytes": settings.max_header_bytes,
            "send_timeout": settings.body_timeout,
            "budget": budget,
        },
    )


def server_config(
    settings: ServiceSettings,
    app: Any,
    *,
    access_log: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    process: Budget | None = None,
    parser: str = PARSER,
) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` with every limit ``settings`` names. The service's
    connections count against ``process`` (default: this process's budget). ``parser``: one
    of ``PARSERS``, every guard the same (the other is for measuring)."""
    budget = Budget(settings.max_connections, parent=process or process_budget())
    config = uvicorn.Config(
        BodyGuard(app, max_bytes=max_body_bytes, timeout=settings.body_timeout),
        log_level="info" if access_log else "warning",
        access_log=access_log,
        # Served directly, not behind a proxy, unless the operator says otherwise.
        proxy_headers=False,
        server_header=False,
        http=protocol(settings, budget, parser),
        ws="none",  # no route speaks WebSocket: an upgrade would leave the budget's count
        lifespan="on",
        # The budget caps connections (uvicorn's own cap counts those closed for room until
        # their close completes, and would answer 503 where the budget made room).
        limit_concurrency=None,
        timeout_keep_alive=max(1, round(settings.keep_alive)),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )
    # After the configuration: it (re)configures uvicorn's loggers, keeping their filters.
    server_log = logging.getLogger("uvicorn.error")
    if log_throttle() not in server_log.filters:
        server_log.addFilter(log_throttle())
    return config


def listen(host: str, port: int, *, taken: Code = SERVICE_PORT_IN_USE) -> socket.socket:
    """Bind the listening socket before anything else starts: a taken port is one line with
    its code (``taken``), not a server thread that dies with a log line."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise taken(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def tune_collector() -> None:
    """Set a serving process's cyclic collector to run after GC_YOUNG_OBJECTS new objects."""
    gc.set_threshold(GC_YOUNG_OBJECTS, *gc.get_threshold()[1:])


def serve(config: uvicorn.Config, sock: socket.socket) -> None:
    """Serve until Ctrl-C on an already bound socket (a taken port was one line earlier)."""
    tune_collector()
    uvicorn.Server(config).run(sockets=[sock])
