"""What a desk takes from the ledger, each answer proven against a verified checkpoint, and
cached no longer than a policy's maximum age of ledger data.

Every question is asked in a form that does not depend on the credential being checked (a
DID's whole version history, an issuer's grants and revocations for a type, a list's latest
token), then judged locally at the credential's ``iat``. So one fetch serves every credential
of an issuer, and an offline snapshot (``verifier.snapshot``) holds the same answers: the
same code checks them again, proofs and signatures included, without a network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from civicid.accreditation import ISSUER, VERIFIER, Grant, Standing, judge
from civicid.authority import Chain
from civicid.did import split_key_id
from civicid.errors import Error, NotFound
from civicid.jose import PublicKey
from civicid.ledger_client import LedgerClient
from civicid.proven import (
    LEDGER_ANSWER_MISMATCH,
    ProvenStatusList,
    ProvenType,
    governance_grants,
)
from civicid.times import Clock
from verifier.errors import (
    CREDENTIAL_KEY_NOT_IN_FORCE,
    LEDGER_DATA_STALE,
    SNAPSHOT_INCOMPLETE,
    SNAPSHOT_STALE,
)

T = TypeVar("T")

# A desk trusts a few issuers with a few versions each; beyond this the cache starts over
# rather than grow without bound on a flood of unknown DIDs.
MAX_CACHED: Final = 4096
# Issuers sign credentials with assertionMethod keys (SD-JWT VC §3.5, ecosystem-defined).
ISSUER_RELATIONSHIP: Final = "assertionMethod"


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    value: T
    at: int  # when the ledger said it (the snapshot's time, offline)


@dataclass(frozen=True, slots=True)
class IssuerGrants:
    """An issuer's grants for a type with their revocation times, from proven entries."""

    subject: str
    vct: str
    grants: tuple[tuple[Grant, int | None], ...]

    def standing(self, at: int) -> Standing:
        return judge(self.subject, ISSUER, self.grants, at, vct=self.vct)


class LedgerTrust:
    """Ledger answers for the checks, proven by ``client`` and cached per policy max age.

    ``as_of`` set: offline, answered from a snapshot taken at that time; data older than a
    policy allows is refused (``snapshot_stale``), never refreshed.
    """

    def __init__(self, client: LedgerClient, *, clock: Clock, as_of: int | None = None) -> None:
        self.client = client
        self.clock = clock
        self.as_of = as_of
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, ...], Fetched[Any]] = {}

    @property
    def offline(self) -> bool:
        return self.as_of is not None

    def checkpoint_size(self) -> int | None:
        trusted = self.client.trusted
        return trusted.size if trusted is not None else None

    def _fresh(
        self, key: tuple[str, ...], fetch: Callable[[], T], *, now: int, max_age: int
    ) -> Fetched[T]:
        hit = self._cache.get(key)
        if hit is not None and now - hit.at < max_age:
            return hit
        if self.as_of is not None and now - self.as_of > max_age:
            raise SNAPSHOT_STALE(
                f"the snapshot is {now - self.as_of}s old; the policy allows {max_age}s: "
                "run civicid verifier sync",
                age=now - self.as_of,
            )
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit.at < max_age:
                return hit
            value = fetch()
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            fetched: Fetched[T] = Fetched(value, self.as_of if self.as_of is not None else now)
            self._cache[key] = fetched
            return fetched

    def forget(self) -> None:
        self._cache.clear()

    # -- DIDs and keys --------------------------------------------------------------------

    def _chain(self, did: str) -> Chain:
        """``did``'s history, every version proven and checked from its creation."""
        chain = self.client.resolve(did).chain
        assert chain is not None  # resolve always verifies the whole history
        return chain

    def issuer_key(self, kid: str, at: int, *, now: int, max_age: int) -> PublicKey:
        """The key ``kid`` names in its DID's document as it stood at ``at`` (the credential's
        iat): ``LedgerClient.key_in_force``'s rule, on the verified history, which is cached
        so one fetch serves every credential of an issuer."""
        did, _ = split_key_id(kid)
        try:
            chain = self._fresh(("did", did), lambda: self._chain(did), now=now, max_age=max_age)
        except NotFound as exc:
            if exc.code == SNAPSHOT_INCOMPLETE.name:
                raise
            raise CREDENTIAL_KEY_NOT_IN_FORCE(
                f"{did} is not on the ledger ({exc.code})", reason=exc.code
            ) from exc
        try:
            return chain.value.key(chain.value.at_time(at), kid, ISSUER_RELATIONSHIP)
        except Error as exc:
            raise CREDENTIAL_KEY_NOT_IN_FORCE(
                f"{kid} was not an assertion key of {did} at {at}: {exc.message} ({exc.code})"
            ) from exc

    # -- accreditation -------------------------------------------------------------------

    def _grants(self, did: str, vct: str, when: int) -> IssuerGrants:
        answer = self.client.get_json("/accreditations", {"subject": did, "vct": vct, "at": when})
        _, entries = self.client.registry.proven_entries(answer)
        found = governance_grants(entries, self.client.governance(), self.client.origin)
        pairs = tuple(
            (grant, min((t for _, t in revocations), default=None))
            for _, grant, revocations in found
            if grant.subject == did and grant.kind == ISSUER
        )
        # The ledger's verdict for `when` must be what its proven entries give.
        verdict = judge(did, ISSUER, pairs, when, vct=vct)
        if (answer.get("accredited"), answer.get("accreditation")) != (
            verdict.accredited,
            verdict.accreditation,
        ):
            raise LEDGER_ANSWER_MISMATCH("the ledger's verdict differs from its proven entries")
        return IssuerGrants(did, vct, pairs)

    def issuer_standing(self, did: str, vct: str, at: int, *, now: int, max_age: int) -> Standing:
        """Was ``did`` accredited to issue ``vct`` at ``at``? From proven grants, revocations
        counted from their time, judged by the same code the ledger uses."""
        when = self.as_of if self.as_of is not None else now
        grants = self._fresh(
            ("acc", did, vct), lambda: self._grants(did, vct, when), now=now, max_age=max_age
        )
        return grants.value.standing(at)

    def verifier_claims(
        self, did: str, vct: str, claims: tuple[str, ...], *, now: int
    ) -> tuple[bool, frozenset[str], str | None]:
        """May desk ``did`` ask for ``claims`` of ``vct`` now? And which claims may it ask?"""
        when = self.as_of if self.as_of is not None else now
        answer = self.client.verifier_allowed(did, vct, claims, at=when)
        allowed: frozenset[str] = frozenset()
        for grant in answer.grants:
            if grant.kind == VERIFIER and grant.valid_from <= when < grant.valid_until:
                allowed |= grant.claims_for(vct)
        return answer.accredited, allowed, answer.standing.reason

    # -- types and status lists ------------------------------------------------------------

    def credential_type(self, vct: str, *, now: int, max_age: int) -> ProvenType:
        return self._fresh(
            ("type", vct), lambda: self.client.credential_type(vct), now=now, max_age=max_age
        ).value

    def status_list(self, uri: str, *, now: int, max_age: int) -> Fetched[ProvenStatusList]:
        """The list's latest token, proven, signed by its owner, ``sub`` = ``uri``; its
        exp and ttl are checked again at every use (Token Status List §13.7)."""
        fetched = self._fresh(
            ("list", uri), lambda: self.client.status_list(uri, now=now), now=now, max_age=max_age
        )
        token = fetched.value.token
        if (token.exp is not None and token.exp <= now) or (
            token.ttl is not None and token.iat + token.ttl < now
        ):
            if self.offline:
                raise SNAPSHOT_STALE("the status list in the snapshot is past its exp or ttl")
            with self._lock:
                self._cache.pop(("list", uri), None)
            fetched = self._fresh(
                ("list", uri),
                lambda: self.client.status_list(uri, now=now),
                now=now,
                max_age=max_age,
            )
        return fetched

    def issuers_for(self, vct: str, *, now: int) -> tuple[str, ...]:
        """Every agency with an issuer grant for ``vct`` (for the offline snapshot)."""
        answer = self.client.get_json("/accreditations", {"at": now})
        _, entries = self.client.registry.proven_entries(answer)
        found = governance_grants(entries, self.client.governance(), self.client.origin)
        return tuple(
            dict.fromkeys(
                grant.subject
                for _, grant, _ in found
                if grant.kind == ISSUER and vct in grant.credential_types
            )
        )

    def require_fresh(self, fetched_at: int, *, now: int, max_age: int) -> None:
        if now - fetched_at > max_age:
            code = SNAPSHOT_STALE if self.offline else LEDGER_DATA_STALE
            raise code(f"ledger data is {now - fetched_at}s old; the policy allows {max_age}s")


__all__ = ["Fetched", "IssuerGrants", "LedgerTrust"]
