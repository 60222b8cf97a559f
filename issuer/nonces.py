"""``c_nonce`` values (OpenID4VCI §7): unpredictable, short-lived, each good for one credential
request. Kept in memory by an issuer of one process: after a restart a wallet's proof meets
``invalid_nonce`` and the wallet fetches a fresh nonce, as §7.2 and §13.5 expect it to.
Issuer processes sharing a database keep them there (``SharedNonces``)."""

from __future__ import annotations

import threading
from typing import Final, Protocol

from civicid.oid4vci import PROOF_NONCE_MISMATCH
from civicid.times import Clock
from issuer.entropy import ENTROPY
from issuer.store import IssuerStore

# Outstanding nonces at most; past it the oldest go first (a flood cannot grow memory).
MAX_NONCES: Final = 200_000


class Nonces:
    def __init__(self, clock: Clock, ttl: int) -> None:
        self.clock = clock
        self.ttl = ttl
        self._expires: dict[str, int] = {}  # insertion order is expiry order
        self._lock = threading.Lock()

    def issue(self) -> str:
        nonce = ENTROPY.token(24)
        now = self.clock()
        with self._lock:
            self._prune(now)
            self._expires[nonce] = now + self.ttl
        return nonce

    def check(self, nonce: str) -> None:
        """A proof's nonce must be one we gave out and that is still fresh (not consumed)."""
        expires = self._expires.get(nonce)
        if expires is None or expires <= self.clock():
            raise PROOF_NONCE_MISMATCH("the nonce is unknown, used or expired; fetch a new one")

    def consume(self, nonces: set[str]) -> None:
        with self._lock:
            for nonce in nonces:
                self._expires.pop(nonce, None)

    def _prune(self, now: int) -> None:
        while self._expires:
            oldest = next(iter(self._expires))
            if self._expires[oldest] > now and len(self._expires) < MAX_NONCES:
                break
            del self._expires[oldest]


class NonceBook(Protocol):
    def issue(self) -> str: ...
    def check(self, nonce: str) -> None: ...
    def consume(self, nonces: set[str]) -> None: ...


class SharedNonces:
    """Nonces kept in a store several issuer processes share: given out by one, good at any.
    Each is spent by the issuance that uses it (``SpendNonce``, in the same commit), so a
    nonce serves one credential request across all processes."""

    def __init__(self, store: IssuerStore, clock: Clock, ttl: int) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl

    def issue(self) -> str:
        nonce = ENTROPY.token(24)
        now = self.clock()
        self.store.put_nonce(nonce, now=now, expires=now + self.ttl)
        return nonce

    def check(self, nonce: str) -> None:
        expires = self.store.nonce_expires(nonce)
        if expires is None or expires <= self.clock():
            raise PROOF_NONCE_MISMATCH("the nonce is unknown, used or expired; fetch a new one")

    def consume(self, nonces: set[str]) -> None:
        """Nothing left to do: spent in the issuance's own commit."""
