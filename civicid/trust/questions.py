"""The questions every part asks of the ledger, each answered from proven entries only.

A key in force for a DID at a time; an issuer accredited for a type at a time; the claims a
desk may ask for; a credential type and its schema; a status list and its owner, who must be
the credential's issuer. Each question is asked in a form that does not depend on the
credential at hand (a DID's whole history, a subject's grants with their revocations, a
list's latest token) and judged locally at the time asked about, so one proven answer serves
every credential of an issuer and an offline snapshot replays the same questions.

Everything here rests on ``LedgerClient`` (checkpoint acceptance, inclusion and signatures,
histories) and ``RegistryClient`` (state map proofs: nothing newer withheld); no part of the
issuer, wallet or verifier decides any of it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from civicid import rule_registry
from civicid.accreditation import ISSUER, VERIFIER, Grant, Standing
from civicid.authority import ASSERTION, Chain
from civicid.checkpoint import Checkpoint
from civicid.did import split_key_id
from civicid.entitlements import ProvenRedemptions
from civicid.errors import Error, NotFound, VerificationError, declare
from civicid.issuance_rules import RuleVersion
from civicid.jose import PublicKey
from civicid.ledger_client import LedgerClient
from civicid.proven import ProvenStatusList, ProvenType
from civicid.registry_client import ProvenGrants
from civicid.status_list import STATUS_LIST_EXPIRED, STATUS_LIST_STALE, parse_token
from civicid.status_uri import normalize_uri
from civicid.times import Clock, system_clock
from civicid.trust.cache import (
    MAX_ANSWERS,
    SNAPSHOT_INCOMPLETE,
    SNAPSHOT_STALE,
    AnswerCache,
    Fetched,
)

KEY_NOT_IN_FORCE = declare(
    "key_not_in_force",
    VerificationError,
    "the key was not in its DID's document, in that role, at that time",
)
STATUS_LIST_NOT_ISSUERS = declare(
    "status_list_not_issuers",
    VerificationError,
    "the credential's status list is owned on the ledger by another than its issuer",
)

# The memory's labels, one per question (an answer is never served for another question).
DID_HISTORY: Final = "did"
ISSUER_GRANTS: Final = "issuer"
DESK_GRANTS: Final = "desk"
CREDENTIAL_TYPE: Final = "type"
STATUS_LIST: Final = "list"
ISSUANCE_RULE: Final = "rule"
REDEMPTIONS: Final = "redemptions"

# Default maximum age (seconds) of a remembered answer for callers without a policy of their
# own: none, every question goes to the ledger (its latest checkpoint).
NO_REUSE: Final = 0
# A maximum age no answer reaches: for checks whose data's age is judged elsewhere (a desk
# loading its policies offline; each check then holds the snapshot to the policy's age).
ANY_AGE: Final = 2**62


@dataclass(frozen=True, slots=True)
class DeskStanding:
    """May a desk ask for some claims of a type, and which claims of it may it ask for."""

    standing: Standing
    allowed: frozenset[str]
    grants: tuple[Grant, ...]  # the desk's grants for the type in force at the time asked
    checkpoint: Checkpoint

    @property
    def accredited(self) -> bool:
        return self.standing.accredited


class Trust:
    """A client's one place to believe the ledger, over one proving client and one memory.

    ``as_of`` set: offline, ``client`` answers from a snapshot taken then; answers older than
    a caller's maximum age are refused (``snapshot_stale``), never refreshed.
    """

    def __init__(
        self,
        client: LedgerClient,
        *,
        clock: Clock = system_clock,
        as_of: int | None = None,
        limit: int = MAX_ANSWERS,
    ) -> None:
        self.client = client
        self.clock = clock
        self.cache = AnswerCache(as_of=as_of, limit=limit)

    @property
    def as_of(self) -> int | None:
        return self.cache.as_of

    @property
    def offline(self) -> bool:
        return self.cache.as_of is not None

    def _when(self, now: int) -> int:
        """The time the ledger is asked about: now, or the snapshot's time offline."""
        return now if self.cache.as_of is None else self.cache.as_of

    def _now(self, now: int | None) -> int:
        return self.clock() if now is None else now

    # -- checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """The ledger's latest checkpoint, accepted (signed by the pinned key, an extension of
        every one trusted before)."""
        return self.client.checkpoint()

    def checkpoint_size(self) -> int | None:
        trusted = self.client.trusted
        return trusted.size if trusted is not None else None

    # -- DIDs and keys ------------------------------------------------------------------------

    def history(self, did: str, *, now: int | None = None, max_age: int = NO_REUSE) -> Chain:
        """``did``'s history, every version proven and checked from its creation, the last
        proven the latest."""
        now = self._now(now)
        key = (DID_HISTORY, did)
        hit = self.cache.remembered(key, now=now, max_age=max_age)
        if hit is not None:  # no fetch made for the usual, remembered answer
            chain: Chain = hit.value
            return chain

        def fetch() -> Chain:
            chain = self.client.resolve(did).chain
            assert chain is not None  # resolve always verifies the whole history
            return chain

        return self.cache.get(key, fetch, now=now, max_age=max_age).value

    def key_in_force(
        self,
        kid: str,
        at: int,
        relationship: str = ASSERTION,
        *,
        now: int | None = None,
        max_age: int = NO_REUSE,
    ) -> PublicKey:
        """The key ``kid`` names, in ``relationship``, in its DID's document as it stood at
        time ``at`` (a credential's ``iat``, a request's time)."""
        did, _ = split_key_id(kid)
        try:
            chain = self.history(did, now=now, max_age=max_age)
        except NotFound as exc:
            if SNAPSHOT_INCOMPLETE.matches(exc):
                raise
            raise KEY_NOT_IN_FORCE(
                f"{did} is not on the ledger ({exc.code})", reason=exc.code
            ) from exc
        try:
            return chain.key(chain.at_time(at), kid, relationship)
        except Error as exc:
            raise KEY_NOT_IN_FORCE(
                f"{kid} was not a {relationship} key of {did} at {at}: {exc.message}",
                reason=exc.code,
            ) from exc

    # -- accreditation ------------------------------------------------------------------------

    def issuer_grants(
        self, did: str, vct: str, *, now: int | None = None, max_age: int = NO_REUSE
    ) -> Fetched[ProvenGrants]:
        now = self._now(now)
        key = (ISSUER_GRANTS, did, vct)
        hit = self.cache.remembered(key, now=now, max_age=max_age)
        if hit is not None:
            return hit
        when = self._when(now)
        return self.cache.get(
            key,
            lambda: self.client.registry.grants(ISSUER, did, vct, when),
            now=now,
            max_age=max_age,
        )

    def issuer_standing(
        self,
        did: str,
        vct: str,
        at: int,
        *,
        now: int | None = None,
        max_age: int = NO_REUSE,
        fresh: bool = False,
    ) -> Standing:
        """Was ``did`` accredited to issue ``vct`` at ``at``: its proven grants, revocations
        counted from their time, its deactivation from its time; an answer remembered while
        younger than ``max_age``, judged once per time asked about (``ProvenGrants``).
        ``fresh``: a new proven answer whatever ``max_age`` (an agency vouching anew, as when
        it lifts a suspension), remembered in place of the old."""
        age = NO_REUSE if fresh else max_age
        return self.issuer_grants(did, vct, now=now, max_age=age).value.standing(at)

    def desk_standing(
        self,
        did: str,
        vct: str,
        claims: tuple[str, ...],
        at: int | None = None,
        *,
        now: int | None = None,
        max_age: int = NO_REUSE,
    ) -> DeskStanding:
        """May desk ``did`` ask for ``claims`` of ``vct`` at ``at`` (default: now, or the
        snapshot's time), and which claims of ``vct`` may it ask for then."""
        now = self._now(now)
        when = self._when(now)
        grants = self.cache.get(
            (DESK_GRANTS, did, vct, claims),
            lambda: self.client.registry.grants(VERIFIER, did, vct, when, claims),
            now=now,
            max_age=max_age,
        ).value
        at = when if at is None else at
        return DeskStanding(
            grants.standing(at, claims),
            grants.claims_allowed(at),
            grants.in_force(at),
            grants.checkpoint,
        )

    def issuers_for(
        self, vct: str, *, now: int | None = None, max_age: int = NO_REUSE
    ) -> tuple[str, ...]:
        """Every agency accredited now to issue ``vct``: the ledger's list gives candidates,
        each believed only through its own proven grants (nothing withheld about them)."""
        now = self._now(now)
        when = self._when(now)
        candidates = self.client.registry.granted_subjects(ISSUER, vct, when)
        return tuple(
            did
            for did in candidates
            if self.issuer_standing(did, vct, when, now=now, max_age=max_age).accredited
        )

    # -- credential types and status lists ----------------------------------------------------

    def credential_type(
        self, vct: str, *, now: int | None = None, max_age: int = NO_REUSE
    ) -> ProvenType:
        """The latest registration of ``vct``: metadata and JSON Schema, by an issuer that
        was accredited for it when it registered."""
        now = self._now(now)
        key = (CREDENTIAL_TYPE, vct)
        hit = self.cache.remembered(key, now=now, max_age=max_age)
        if hit is not None:
            proven: ProvenType = hit.value
            return proven
        return self.cache.get(
            key,
            lambda: self.client.credential_type(vct),
            now=now,
            max_age=max_age,
        ).value

    def status_list(
        self,
        uri: str,
        *,
        issuer: str | None,
        now: int | None = None,
        max_age: int = NO_REUSE,
    ) -> Fetched[ProvenStatusList]:
        """The list at ``uri``: its latest token, proven the latest, signed by its owner,
        ``sub`` = ``uri``, within its exp and ttl at ``now`` (checked again at every use,
        Token Status List §13.7). With ``issuer`` (a credential's ``iss``), the list must be
        that issuer's own: an agency cannot vouch for another's credentials."""
        now = self._now(now)
        key = (STATUS_LIST, normalize_uri(uri))

        def fetch() -> ProvenStatusList:
            return self.client.status_list(uri, now=now)

        fetched: Fetched[ProvenStatusList] | None
        fetched = self.cache.remembered(key, now=now, max_age=max_age)
        if fetched is None:
            fetched = self.cache.get(key, fetch, now=now, max_age=max_age)
        token = fetched.value.token
        if (token.exp is not None and token.exp <= now) or (
            token.ttl is not None and token.iat + token.ttl < now
        ):
            if self.offline:
                raise SNAPSHOT_STALE("the status list in the snapshot is past its exp or ttl")
            fetched = self.cache.get(key, fetch, now=now, max_age=NO_REUSE)  # asked anew
        owned_by(fetched.value, issuer)
        return fetched

    def status_list_as_issued(
        self, uri: str, *, issuer: str, now: int | None = None
    ) -> ProvenStatusList:
        """The list at ``uri`` for its own agency rebuilding a lost store: its latest token,
        proven the latest and signed by its owner, ``sub`` = ``uri``, owned by ``issuer``, as
        ``status_list`` asks; but a token past its exp or ttl still stands, checked as of its
        own ``iat``: its age guards a decision about a credential, never a rebuild. Asked
        anew each time, never remembered, never used to judge a credential."""
        now = self._now(now)
        try:
            proven = self.client.status_list(uri, now=now)
        except Error as exc:
            if not (STATUS_LIST_EXPIRED.matches(exc) or STATUS_LIST_STALE.matches(exc)):
                raise
            issued_at = parse_token(self.client.status_list_token(uri)).iat
            proven = self.client.status_list(uri, now=issued_at)
        owned_by(proven, issuer)
        return proven

    # -- issuance rules and single-use entitlements ---------------------------------------------

    def issuance_rule(
        self,
        issuer: str,
        name: str,
        at: int,
        *,
        now: int | None = None,
        max_age: int = NO_REUSE,
        standing_max_age: int | None = None,
    ) -> RuleVersion:
        """The version of ``issuer``'s rule ``name`` in force at ``at``: every version proven
        (none withheld, a withdrawal included), and its agency accredited for the type it
        issues when it published that version (``issuance_rule_withdrawn`` once withdrawn).
        ``standing_max_age``: how old the agency's standing may be (default ``max_age``)."""
        now = self._now(now)
        rule = self.cache.get(
            (ISSUANCE_RULE, issuer, name),
            lambda: rule_registry.issuance_rule(self.client, issuer, name),
            now=now,
            max_age=max_age,
        ).value
        version = rule.in_force(at)
        assert version.vct is not None  # in force: a publish
        standing_age = max_age if standing_max_age is None else standing_max_age
        self.issuer_standing(
            issuer, version.vct, version.time, now=now, max_age=standing_age
        ).require()
        return version

    def redemptions(
        self, uri: str, *, now: int | None = None, max_age: int = NO_REUSE
    ) -> ProvenRedemptions:
        """Every redemption of the single-use credentials of the list at ``uri``, proven
        (none withheld); offline, as the snapshot recorded them."""
        now = self._now(now)
        return self.cache.get(
            (REDEMPTIONS, normalize_uri(uri)),
            lambda: rule_registry.redemptions(self.client, uri),
            now=now,
            max_age=max_age,
        ).value

    def forget(self) -> None:
        """Ask the ledger again next time, whatever the maximum age."""
        self.cache.forget()

    def close(self) -> None:
        self.client.close()


def owned_by(proven: ProvenStatusList, issuer: str | None) -> None:
    """With ``issuer`` (a credential's ``iss``, an agency's own DID), the list must be that
    issuer's own on the ledger: an agency cannot vouch for another's credentials."""
    if issuer is not None and proven.owner != issuer:
        raise STATUS_LIST_NOT_ISSUERS(
            f"{proven.uri} belongs to {proven.owner}, not to {issuer}", owner=proven.owner
        )


__all__ = [
    "ANY_AGE",
    "KEY_NOT_IN_FORCE",
    "NO_REUSE",
    "STATUS_LIST_NOT_ISSUERS",
    "DeskStanding",
    "Trust",
]
