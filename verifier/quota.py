"""How many requests a desk process starts within a request's lifetime: in all, and per
client. Asking for a request needs no login (the desk's page asks, from the staff's screen),
and each is a signed request object kept in the store (~2.2 KB) for its lifetime and a while
after (``verifier.store``): without a bound, a client asking again and again filled the
store at the rate it could ask. A request holds its place until it expires, answered or not:
an answer is no proof of anything (a wallet's error answer is one POST), and answered
requests are kept longer than unanswered ones.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import threading
from typing import Final

from verifier.errors import CLIENT_REQUESTS_FULL, DESK_REQUESTS_FULL

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
    """The places of the requests started and not yet expired: at most ``total``, and at most
    ``per_client`` for one client. Thread-safe (the desk starts requests on its threads)."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total = total
        self.per_client = per_client
        self._lock = threading.Lock()
        self._held: list[Ticket] = []  # a heap: the first to expire first
        self._by_client: dict[str, list[int]] = {}  # each client's places, by expiry
        self._numbers = itertools.count()

    def take(self, client: str, now: int, expires: int) -> Ticket:
        """A place for a request of ``client`` made at ``now`` and expiring at ``expires``;
        refused (``client_requests_full``, ``desk_requests_full``) with ``retry_after``, the
        seconds until a place is free, when there is none."""
        with self._lock:
            self._drop_expired(now)
            mine = self._by_client.get(client, [])
            if len(mine) >= self.per_client:
                wait = max(1, min(mine) - now)
                raise CLIENT_REQUESTS_FULL(
                    f"this client started {len(mine)} requests in the last few minutes, the"
                    f" most the desk takes; try again in {wait} s",
                    retry_after=wait,
                )
            if len(self._held) >= self.total:
                wait = max(1, self._held[0][0] - now)
                raise DESK_REQUESTS_FULL(
                    f"the desk holds {len(self._held)} requests not yet expired, the most it"
                    f" takes; try again in {wait} s",
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
