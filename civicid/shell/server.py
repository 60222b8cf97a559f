"""How every service is served: uvicorn with one set of limits, whoever starts it
(``civicid ledger|issuer|verifier serve``, ``civicid up``, ``civicid demo``).

uvicorn's defaults bound neither the time a client takes to send a request nor the number of
connections it may hold: a client sending a header line every few seconds (slowloris), or
one that connects and says nothing, held its connection for ever, and enough of them used up
the process's file descriptors. Here every connection is held to a head deadline, a
connection budget and a stall cap (``guards.py``), each head to RFC 9112's framing rules
and a byte cap (``parsers.py``, ``heads.py``), each body to a size and a deadline
(``body.py``); idle keep-alive connections are closed after ``keep_alive``. The parser is
httptools (``parsers.PARSER``); the same guards on h11 stay beside it.
"""

from __future__ import annotations

import errno
import functools
import gc
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import uvicorn

from civicid.errors import Code
from civicid.shell.body import BodyGuard
from civicid.shell.connections import Budget, process_budget
from civicid.shell.errors import SERVICE_PORT_IN_USE
from civicid.shell.guards import OneWrite, refusal
from civicid.shell.parsers import PARSER, PARSERS, GuardedH11, GuardedHttpTools

if TYPE_CHECKING:
    from civicid.shell.settings import ServiceSettings

# Each parser's protocol, the one-write transport and the refusal bytes are read from here
# too (where they lived before the server's configuration and its protocols were split).
__all__ = [
    "GC_YOUNG_OBJECTS",
    "MAX_BODY_BYTES",
    "PARSER",
    "PARSERS",
    "GuardedH11",
    "GuardedHttpTools",
    "Listener",
    "OneWrite",
    "Throttle",
    "listen",
    "protocol",
    "refusal",
    "serve",
    "server_config",
    "tune_collector",
]

# Requests in flight may finish within this at shutdown; then their connections are closed.
GRACEFUL_SHUTDOWN: Final = 10
# One line per kind of warning per this many seconds, saying how many there were: a flood of
# slow or greedy clients must not become a flood of log lines (a terminal that stops reading
# blocks the process that writes to it, and with it every service it serves).
LOG_WINDOW: Final = 10.0
# The largest body any route takes is a presentation's direct_post form (3 MiB: a 1 MiB
# ``vp_token`` with room for its percent-encoding, ``civicid.oid4vp_form.MAX_FORM_BYTES``),
# then a ledger transaction (1 MiB and its wrapper); each route has its own, smaller limit,
# answered with its own code first. This cap bounds the routes that have none.
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
# Python's cyclic collector runs once this many more objects were made than freed (CPython's
# default is 700). A request makes a few thousand that live until it is answered: at 700 the
# collector ran ~200 times per thousand issuances, each time walking the requests in flight
# (~0.16 ms of CPU per issuance, measured with gc.callbacks); at this, ~7 times (~0.03 ms).
# Between runs it holds at most this many objects more, a few MiB.
GC_YOUNG_OBJECTS: Final = 10_000


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


class Listener(socket.socket):
    """A listening socket that accepts a connection only while the process has a descriptor
    for it (``Budget.room_to_accept``). asyncio's loop accepts up to the listen backlog (2048)
    in one turn when it finds connections waiting, each holding a descriptor before the
    budget counts it: after the process was descheduled under a burst, that took it to its
    descriptor limit, where asyncio stops accepting for a second at a time (and the stores
    can open no file). Refused here, the next connection waits in the kernel's queue until
    the loop's next turn. (uvloop accepts on the descriptor itself, not through this method:
    there a connection accepted past the same bound is refused as soon as its protocol is
    made, ``Budget.arrived``; ``test_accept_bound_on_each_loop.py``.)"""

    budget: Budget

    def accept(self) -> tuple[socket.socket, Any]:
        if not self.budget.room_to_accept():
            # asyncio's loop reads this as "none waiting", and asks again at its next turn.
            raise BlockingIOError(errno.EAGAIN, "no descriptor to spare for a connection")
        accepted = super().accept()
        self.budget.accepted()
        return accepted


def listen(
    host: str, port: int, *, taken: Code = SERVICE_PORT_IN_USE, option: str | None = None
) -> socket.socket:
    """Bind the listening socket before anything else starts: a taken port is one line with
    its code (``taken``), not a server thread that dies with a log line. ``option``: the
    command's option that moves the port (``--port``), named in that line as the way out; a
    command with several ports (``civicid up``) names its own. Its connections are accepted
    within the process's budget (``Listener``)."""
    sock = Listener(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.budget = process_budget()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = f"cannot listen on {host}:{port}: {exc.strerror}"
        if option is not None and exc.errno == errno.EADDRINUSE:
            why += f": another program holds the port; stop it, or choose another with {option}"
        raise taken(why) from exc
    return sock


def tune_collector() -> None:
    """Set a serving process's cyclic collector to run after GC_YOUNG_OBJECTS new objects."""
    gc.set_threshold(GC_YOUNG_OBJECTS, *gc.get_threshold()[1:])


def serve(config: uvicorn.Config, sock: socket.socket) -> None:
    """Serve until Ctrl-C on an already bound socket (a taken port was one line earlier)."""
    tune_collector()
    uvicorn.Server(config).run(sockets=[sock])
