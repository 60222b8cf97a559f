"""How many presentation requests a process starts within a request's lifetime: in all, and
per client. Asking for one needs no login (a desk's page asks from the staff's screen, a
wallet asks an agency's rule desk), and each is a signed request kept for its lifetime and a
while after (the desk's store, the issuer's file of rule requests): without a bound, a client
asking again and again filled the store at the rate it could ask, and without a share, one
client could take every place there is. A request holds its place until it expires,
answered or not: an answer is no proof of anything (a wallet's error answer is one POST).
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import threading
from typing import Final

from civicid.errors import EXIT_UNAVAILABLE, Code, Error, declare


class TooManyRequests(Error):
    """RFC 6585 §4: this client made as many requests as it may for now; ``Retry-After``."""

    http_status = 429
    exit_code = EXIT_UNAVAILABLE


CLIENT_REQUESTS_FULL = declare(
    "client_requests_full",
    TooManyRequests,
    "this client started as many requests as it may for now; try again later",
)

# An IPv6 subscriber is given a /64 at least (RFC 6177 §2 recommends /48 or /56): the
# addresses of one /64 are one client, else a client would be a new one at each address.
IPV6_CLIENT_PREFIX: Final = 64

Ticket = tuple[int, int, str]  # (expires, sequence number, client): a place held


def client_of(host: str | None) -> str:
    """The client a request came from, by its address (the desk is served directly, not
    behind a proxy: ``proxy_headers`` off); an IPv6 address by its /64."""
    if not host:
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a Unix socket's peer, a test client: one client by that name
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


class RequestQuota:
    """The places of the requests started and not yet expired: at most ``total`` (past it,
    ``full``: the service's own code), and at most ``per_client`` for one client
    (``client_requests_full``). Thread-safe (requests are started on the service's threads)."""

    def __init__(self, total: int, per_client: int, *, full: Code) -> None:
        self.total = total
        self.per_client = per_client
        self.full = full
        self._lock = threading.Lock()
        self._held: list[Ticket] = []  # a heap: the first to expire first
        self._by_client: dict[str, list[int]] = {}  # each client's places, by expiry
        self._numbers = itertools.count()

    def take(self, client: str, now: int, expires: int) -> Ticket:
        """A place for a request of ``client`` made at ``now`` and expiring at ``expires``;
        refused (``client_requests_full``, or ``full``) with ``retry_after``, the seconds
        until a place is free, when there is none."""
        with self._lock:
            self._drop_expired(now)
            mine = self._by_client.get(client, [])
            if len(mine) >= self.per_client:
                wait = max(1, min(mine) - now)
                raise CLIENT_REQUESTS_FULL(
                    f"this client started {len(mine)} requests in the last few minutes, the"
                    f" most one client may; try again in {wait} s",
                    retry_after=wait,
                )
            if len(self._held) >= self.total:
                wait = max(1, self._held[0][0] - now)
                raise self.full(
                    f"{len(self._held)} requests are held, not yet expired, the most taken;"
                    f" try again in {wait} s",
                    retry_after=wait,
                )
            ticket = (expires, next(self._numbers), client)
            heapq.heappush(self._held, ticket)
            self._by_client.setdefault(client, []).append(expires)
            return ticket

    def give_back(self, ticket: Ticket) -> None:
        """The place of a request that was not made after all (its store refused it)."""
        with self._lock:
            if ticket not in self._held:  # expired meanwhile
                return
            self._held.remove(ticket)
            heapq.heapify(self._held)
            self._forget(ticket)

    def held(self, client: str | None = None) -> int:
        """How many places are held (by ``client``), expired ones included until next taken."""
        with self._lock:
            if client is None:
                return len(self._held)
            return len(self._by_client.get(client, ()))

    def _drop_expired(self, now: int) -> None:
        while self._held and self._held[0][0] <= now:
            self._forget(heapq.heappop(self._held))

    def _forget(self, ticket: Ticket) -> None:
        expires, _, client = ticket
        mine = self._by_client[client]
        mine.remove(expires)
        if not mine:
            del self._by_client[client]
