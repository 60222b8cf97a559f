"""How many connections a server holds open: a cap per service and one for the whole process,
below its file-descriptor limit.

Each open connection is a file descriptor. Past the process's limit, ``accept`` fails and
every service in the process stops answering (20,000 idle connections once did that to
``civicid up``). So a connection is admitted only while both its service and the process are
under their caps; when one is full, the connection that has been idle longest (no request in
flight: a keep-alive wait, or a head not yet complete) is closed to make room; when none is
idle, the one whose request body has been arriving longest (its head complete, its body not,
no answer begun) is; and only when every connection is busy (its request whole with the app,
or its answer being written) is the newcomer refused (503). Neither idle clients nor clients
dripping bodies can crowd out a client that asks something: a body trickled for as long as
the body deadline allows holds its slot only until someone else needs it.

There is no share per peer address: behind a reverse proxy or a NAT every client has the
same one (a share would let one of them lock the others out), and one client can have many
(IPv6 gives it a whole network); what a slot may be held for decides, not who holds it.

Services run in one process share the process's cap (``civicid up`` runs three, each on its
own event loop in its own thread): bookkeeping is under one lock, and a connection of another
loop is closed on its own loop.

A connection closed for room is closed a turn of its loop later, and stays counted until it is:
its descriptor is open until then. If a request of its own arrived in between (its client sent
one as the newcomer connected), it is not closed after all (a request in flight never is), and
it counts again as any other; were it forgotten when asked to close, it would be served, kept
alive and never counted again, and enough such races would take the process past its cap.

A connection holds a descriptor from the moment it is accepted, before it is admitted: a burst
that piled up while the process could not run (descheduled, or stopped) is accepted in one
turn of the event loop, before any of it is counted. So the process's listeners
(``server.Listener``) accept only while the descriptors held (connections open, those closing
included, and those accepted but not yet admitted) are under the process's cap and
``ACCEPT_HEADROOM``: the rest wait in the kernel's queue for the next turn. uvloop's loop
accepts on the descriptor itself, without asking: there, a connection accepted past that
bound is refused (503 ``server_busy``) and closed as soon as its protocol is made
(``Budget.arrived``), before it is admitted or makes anyone room.
"""

from __future__ import annotations

import functools
import resource
import threading
import time
from collections import deque
from typing import Final, Protocol

# Descriptors kept back from connections: the stores' files, SQLite and its journal, logs,
# listening sockets, the clients' pools towards the ledger, the event loops' own pipes. A
# whole ``civicid up`` uses about 60 before its first connection.
FD_RESERVE: Final = 128
# When the limit is unlimited (or absurdly high), this many connections per process: far more
# than one process can serve, low enough that their buffers fit in memory.
MAX_PROCESS_CONNECTIONS: Final = 65_536
# However low the file-descriptor limit, a service must be able to answer someone.
MIN_PROCESS_CONNECTIONS: Final = 16
# Descriptors a burst may hold past the process's cap: the newcomers that close idle
# connections to make room hold theirs until those closes are made (a turn or two later).
# Half the reserve: the other half stays for the stores, logs and clients.
ACCEPT_HEADROOM: Final = FD_RESERVE // 2
# A connection accepted this long ago and not yet admitted is taken as lost (its transport
# failed to start): counted no more, so that such losses cannot shrink the room for ever.
ACCEPT_WAIT: Final = 1.0


class Connection(Protocol):
    """What the budget needs of a connection: a way to close it from any thread."""

    def evict(self) -> None:
        """Close this connection (on its own event loop) if it is still idle, or its
        request's body still arriving."""


class Budget:
    """At most ``limit`` open connections here, and within ``parent``'s limit too."""

    def __init__(self, limit: int, parent: Budget | None = None) -> None:
        if limit < 1:
            raise ValueError("a connection budget holds at least one connection")
        self.limit = limit
        self.parent = parent
        self._lock: threading.Lock = parent._lock if parent is not None else threading.Lock()
        self._open: set[Connection] = set()
        # Idle connections, the longest idle first (dicts keep insertion order).
        self._idle: dict[Connection, None] = {}
        # Connections whose request body is still arriving, the one arriving longest first.
        self._receiving: dict[Connection, None] = {}
        # Connections asked to close for room, not closed yet: open, but no longer held.
        self._closing: set[Connection] = set()
        self._home: dict[Connection, Budget] = {}  # on the root: each connection's own budget
        # On the root: when each connection accepted but not yet admitted was (the oldest first).
        self._accepted: deque[float] = deque()
        # This budget and its parents, then the root: fixed once made, read on every request.
        self._chain: tuple[Budget, ...] = (self, *(parent._chain if parent is not None else ()))
        self._top: Budget = self._chain[-1]

    def __len__(self) -> int:
        """The connections held here: those open, less those asked to close for room."""
        return len(self._open) - len(self._closing)

    @property
    def descriptors(self) -> int:
        """The connections open here, those asked to close but not closed yet included: the
        descriptors they hold."""
        return len(self._open)

    def room_to_accept(self) -> bool:
        """Whether the process may accept one more connection now: the descriptors its
        connections hold (those closing, and those accepted and not yet admitted, included)
        are under its cap and ``ACCEPT_HEADROOM``."""
        root = self._top
        now = time.monotonic()
        with self._lock:
            while root._accepted and now - root._accepted[0] > ACCEPT_WAIT:
                root._accepted.popleft()
            return len(root._open) + len(root._accepted) < root.limit + ACCEPT_HEADROOM

    def accepted(self) -> None:
        """A connection was accepted: it holds a descriptor until it is admitted or refused."""
        with self._lock:
            self._top._accepted.append(time.monotonic())

    def arrived(self) -> bool:
        """A connection accepted has its protocol: whether the process has a descriptor to
        spare for it (those its connections hold, closing or accepted and not yet admitted,
        with this one, are within its cap and ``ACCEPT_HEADROOM``); if not, the caller refuses
        it at once. asyncio's loop asked ``room_to_accept`` before accepting it; uvloop's
        accepts on the descriptor itself, asking nothing, and it is refused here instead."""
        root = self._top
        with self._lock:
            if root._accepted:  # it was accepted (the oldest such): admitted or refused now
                root._accepted.popleft()
            return len(root._open) + len(root._accepted) < root.limit + ACCEPT_HEADROOM

    def admit(self, connection: Connection) -> bool:
        """Take ``connection`` in (idle), closing the longest-idle ones where a cap is full,
        then those whose body has been arriving longest; False if every connection is busy
        (the caller refuses it)."""
        with self._lock:
            for level in self._levels():
                while len(level) >= level.limit:
                    victim = next(iter(level._idle), None)
                    if victim is None:
                        victim = next(iter(level._receiving), None)
                    if victim is None:
                        return False
                    self._root()._close_for_room(victim)
                    victim.evict()  # schedules the close on the victim's own loop
            for level in self._levels():
                level._open.add(connection)
                level._idle[connection] = None
            self._root()._home[connection] = self
            return True

    def receiving(self, connection: Connection) -> None:
        """A request's head is complete on ``connection`` and its body still arriving: it may
        be closed to make room once no connection is idle (the one arriving longest first)."""
        with self._lock:
            home = self._root()._home.get(connection)
            for level in home._levels() if home is not None else ():
                if connection in level._closing:
                    continue  # its close is on its way, and refuses the body (503)
                level._idle.pop(connection, None)
                level._receiving.setdefault(connection)  # keeps its place if there already

    def busy(self, connection: Connection) -> None:
        """A request is in flight on ``connection`` (whole, with the app, or being answered):
        it is not to be closed for room. Asked to close for room before its request came,
        it will not be (``Guards._evicted`` leaves a request in flight be): held again."""
        with self._lock:
            home = self._root()._home.get(connection)
            for level in home._levels() if home is not None else ():
                level._idle.pop(connection, None)
                level._receiving.pop(connection, None)
                level._closing.discard(connection)

    def idle(self, connection: Connection) -> None:
        """``connection`` waits for its next request: it may be closed to make room."""
        with self._lock:
            home = self._root()._home.get(connection)
            for level in home._levels() if home is not None else ():
                if connection in level._closing:
                    continue  # its close is on its way: not a candidate a second time
                level._receiving.pop(connection, None)
                level._idle.pop(connection, None)
                level._idle[connection] = None  # now the most recently idle

    def release(self, connection: Connection) -> None:
        """``connection`` is closed."""
        with self._lock:
            self._root()._forget(connection)

    def _levels(self) -> tuple[Budget, ...]:
        return self._chain

    def _root(self) -> Budget:
        return self._top

    def _close_for_room(self, connection: Connection) -> None:
        """``connection`` is to be closed: still open (counted in ``descriptors``), no longer
        held, nor a candidate to close again."""
        home = self._home.get(connection)
        for level in home._levels() if home is not None else ():
            level._idle.pop(connection, None)
            level._receiving.pop(connection, None)
            level._closing.add(connection)

    def _forget(self, connection: Connection) -> None:
        home = self._home.pop(connection, None)
        for level in home._levels() if home is not None else ():
            level._open.discard(connection)
            level._idle.pop(connection, None)
            level._receiving.pop(connection, None)
            level._closing.discard(connection)


def process_limit() -> int:
    """The connections this process may hold: its file-descriptor limit less a reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft - FD_RESERVE > MAX_PROCESS_CONNECTIONS:
        return MAX_PROCESS_CONNECTIONS
    return max(soft - FD_RESERVE, MIN_PROCESS_CONNECTIONS)


@functools.cache
def process_budget() -> Budget:
    """The one budget every service of this process draws on (made on first use)."""
    return Budget(process_limit())
