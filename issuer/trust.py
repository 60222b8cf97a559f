"""The issuer's view of the ledger: the agency's own standing, its types and its key in force,
each asked of the kernel's trust package (``civicid.trust``, which alone decides what to
believe), remembered for ``accreditation_ttl``; and publishing status lists."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from civicid import transaction as tx_types
from civicid.errors import Error, Unavailable
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.times import Clock
from civicid.trust import ANY_AGE, Trust
from issuer.credential_types import CredentialType
from issuer.errors import KEY_NOT_IN_FORCE


class LedgerView:
    """One lock around the client: it keeps a trusted checkpoint that must advance in order."""

    def __init__(
        self,
        client: LedgerClient,
        identity: Identity,
        *,
        clock: Clock,
        accreditation_ttl: int,
        reload: Callable[[], Identity] | None = None,
    ) -> None:
        self.client = client
        self.trust = Trust(client, clock=clock)
        self.identity = identity
        self.clock = clock
        self.accreditation_ttl = accreditation_ttl
        self._lock = threading.Lock()
        self._types: dict[str, CredentialType] = {}
        self.reload = reload

    @property
    def origin(self) -> str:
        return self.client.origin

    def require_accredited(self, vct: str, *, fresh: bool = False) -> str:
        """The accreditation that lets the agency issue ``vct`` now; refused with the ledger's
        code (``accreditation_revoked``, ``issuer_not_accredited``, ...) otherwise. ``fresh``
        asks the ledger even if a recent answer is remembered."""
        now = self.clock()
        with self._lock:
            standing = self.trust.issuer_standing(
                self.identity.did, vct, now, now=now, max_age=self.accreditation_ttl, fresh=fresh
            )
        standing.require()
        assert standing.accreditation is not None
        return standing.accreditation

    @contextmanager
    def asking(self) -> Iterator[Trust]:
        """The trust package, for a run of questions (a presentation's checks) that no other
        thread's may interleave with: the client's trusted checkpoint advances in order."""
        with self._lock:
            yield self.trust

    def forget(self) -> None:
        """Ask the ledger again next time (accreditations, key in force), as after the ttl."""
        self.trust.forget()

    def credential_type(self, vct: str) -> CredentialType:
        """The type's metadata and schema as registered (proven), loaded once per process."""
        found = self._types.get(vct)
        if found is None:
            with self._lock:
                proven = self.trust.credential_type(vct, max_age=ANY_AGE)
            found = CredentialType.from_proven(proven)
            self._types[vct] = found
        return found

    def known_type(self, vct: str) -> CredentialType | None:
        return self._types.get(vct)

    def require_key_in_force(self) -> Identity:
        """The identity to sign with: its key is the agency DID's assertion key on the ledger
        now. Checked again every ``accreditation_ttl``; after a rotation (``civicid ledger
        rotate``) the key store holds the new key, which ``reload`` picks up."""
        now = self.clock()
        in_force = self._in_force(self.identity, now, self.accreditation_ttl)
        if not in_force and self.reload is not None:
            candidate = self.reload()
            if candidate.did == self.identity.did and self._in_force(candidate, now, 0):
                self.identity, in_force = candidate, True
        if not in_force:
            raise KEY_NOT_IN_FORCE(
                f"{self.identity.kid} is not the agency's key on the ledger; rotate the key "
                "store's identity to the one in force"
            )
        return self.identity

    def _in_force(self, identity: Identity, now: int, max_age: int) -> bool:
        try:
            with self._lock:
                key = self.trust.key_in_force(identity.kid, now, now=now, max_age=max_age)
        except Unavailable:
            raise  # the ledger cannot say: not the same as "not in force"
        except Error:
            return False  # the key is not in the DID's document (any more)
        return key == identity.key.public

    def publish_list(self, uri: str, token: str) -> dict[str, Any]:
        """Submit one status list token; the receipt's inclusion is proven by the client."""
        transaction = self.identity.sign(
            tx_types.STATUS_LIST, {"uri": uri, "token": token}, ledger=self.origin, now=self.clock()
        )
        with self._lock:
            return self.client.submit(transaction)

    def close(self) -> None:
        self.client.close()
