"""The desk as a library: make a request for a policy, serve its request object once, take
the wallet's answer, decide, sign a receipt, keep an audit record. The HTTP app, the CLI and
the demo are shells over ``Verifier``.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from civicid.dcql import claim_name_or_repr
from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient, check_kept_policy, check_trust_file
from civicid.names import endorsed_names
from civicid.oid4vp import (
    ELIGIBLE,
    NOT_ELIGIBLE,
    AuthorizationRequest,
    AuthorizationResponse,
    Receipt,
    ReceivedClaims,
    build_link,
    build_receipt,
    build_request_object,
    client_id_for,
    new_nonce,
)
from civicid.quota import RequestQuota
from civicid.times import Clock, rfc3339, system_clock
from civicid.trust import ANY_AGE, DeskStanding, Trust
from civicid.trust.federation import Federation
from civicid.trust.pins import Pins
from verifier import redemption
from verifier.checks import STEPS, ReplayGuard, check_presentation
from verifier.decision import FAILED, SKIPPED, Decision, Outcome
from verifier.errors import DESK_REQUESTS_FULL, PRESENTATION_REPLAYED, RESPONSE_ERROR
from verifier.policy import (
    CREDENTIAL_QUERY_ID,
    Policy,
    load_policies,
    policies_named,
    require_accredited,
)
from verifier.poll import poll_answer
from verifier.settings import (
    DEFAULT_MAX_PENDING_REQUESTS,
    DEFAULT_MAX_PENDING_REQUESTS_PER_CLIENT,
    VerifierSettings,
    require_init,
)
from verifier.snapshot import Snapshot
from verifier.store import DeskStore, PendingRequest, Store

REQUEST_PATH: Final = "/oid4vp/requests/"
RESPONSE_PATH: Final = "/oid4vp/response"
CHECKPOINT_KEY_NAME: Final = "ledger-checkpoint"  # where `civicid ledger init` keeps the vkey


def checkpoint_key(settings: VerifierSettings) -> str:
    """The ledger's checkpoint key: from the settings, else the data dir's key store."""
    if settings.checkpoint_key:
        return settings.checkpoint_key
    keys = KeyStore(settings.data_dir / "keys")
    return keys.text(CHECKPOINT_KEY_NAME, "vkey")


@dataclass(frozen=True, slots=True)
class Created:
    """A new request, as the desk's page shows it."""

    id: str
    transaction_id: str
    policy: str
    title: str
    purpose: str
    link: str
    request_uri: str
    expires: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transaction_id": self.transaction_id,
            "policy": self.policy,
            "title": self.title,
            "purpose": self.purpose,
            "link": self.link,
            "request_uri": self.request_uri,
            "expires_at": rfc3339(self.expires),
        }


@dataclass(frozen=True, slots=True)
class Answered:
    decision: Decision
    receipt: str

    def to_json(self) -> dict[str, Any]:
        """The direct_post answer (OpenID4VP §8.2: 200, JSON): the decision and the receipt."""
        return {
            "decision": ELIGIBLE if self.decision.eligible else NOT_ELIGIBLE,
            "receipt": self.receipt,
        }


class SpentWithClaim:
    """The replay step's guard for an answer whose nonce its claim spent, in the claim's own
    commit (``claim_answer_spending_nonce``): the step passes for that nonce once, only if
    the claim was the first to spend it; any other nonce is spent in the store as ever."""

    __slots__ = ("fresh", "nonce", "store", "used")

    def __init__(self, nonce: str, fresh: bool, store: DeskStore) -> None:
        self.nonce, self.fresh, self.store, self.used = nonce, fresh, store, False

    def use_nonce(self, nonce: str, now: int) -> None:
        if nonce != self.nonce or self.used:
            self.store.use_nonce(nonce, now)
            return
        self.used = True
        if not self.fresh:
            raise PRESENTATION_REPLAYED("this nonce was already used")


def failed_in_words(policy: Policy, decision: Decision) -> str | None:
    """What the receipt tells the citizen of a refusal besides its step: which of the
    policy's conditions was not met, or which of its claims was not shared, in the policy's
    own words (the desk's policies are public); never a value that was shared."""
    failed = decision.failed
    return policy.failure_in_words(failed.step, failed.detail) if failed else None


def response_failure(policy: Policy, now: int, error: Error, offline: bool = False) -> Decision:
    """A decision for an answer refused before any presentation step could run."""
    outcomes = [Outcome("response", "Authorization response", FAILED, "OpenID4VP §8.1, §8.6",
                        error.code, error.message)]  # fmt: skip
    outcomes += [Outcome(s.name, s.title, SKIPPED, s.spec) for s in STEPS]
    return Decision(False, policy.name, policy.purpose, now, tuple(outcomes), offline=offline)


def open_store(settings: VerifierSettings) -> DeskStore:
    """The desk's store: on PostgreSQL if ``database_url`` names one, else the SQLite file in
    the data directory."""
    if settings.database_url is None:
        return Store(settings.store_path)
    # Imported only here: a desk on its embedded store never loads the database driver.
    from verifier.pg_store import PgStore

    return PgStore(settings.database_url)


class Verifier:
    """One desk: its ledger identity, its policies, its ledger view, its store."""

    def __init__(
        self,
        *,
        desk: Identity,
        policies: dict[str, Policy],
        trust: Trust,
        store: DeskStore,
        base_url: str,
        clock: Clock = system_clock,
        request_ttl: int = 300,
        federation: Federation | None = None,
        max_pending_requests: int = DEFAULT_MAX_PENDING_REQUESTS,
        max_pending_requests_per_client: int = DEFAULT_MAX_PENDING_REQUESTS_PER_CLIENT,
    ) -> None:
        self.desk = desk
        self.federation = federation  # foreign ledgers pinned by this desk (docs/federation.md)
        self.policies = policies
        self.trust = trust
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.request_ttl = request_ttl
        self.quota = RequestQuota(
            max_pending_requests, max_pending_requests_per_client, full=DESK_REQUESTS_FULL
        )
        self.client_id = client_id_for(desk.did)
        self._status_uris: set[str] = set(store.status_uris())
        self._desk_names: dict[str, str] | None = None
        # Old requests and spent nonces go when a desk starts (see store.KEEP_*).
        store.purge(clock())

    @classmethod
    def open(
        cls,
        settings: VerifierSettings,
        *,
        clock: Clock = system_clock,
        ledger_transport: httpx.BaseTransport | None = None,
        offline: bool = False,
        check_accreditation: bool = True,
    ) -> Verifier:
        """The desk of ``settings.data_dir``: its identity from the key store, its policies
        (each refused unless the desk is accredited for every claim it asks), its store;
        its ledger view live, or ``offline`` from the last ``sync`` snapshot."""
        keys = KeyStore(settings.data_dir / "keys")
        if settings.policies_dir is None:
            require_init(settings)
        desk = keys.identity(settings.desk)
        vkey = checkpoint_key(settings)
        if offline:
            policy = settings.checkpoint_policy()
            check_kept_policy(settings.trust_file, policy)  # a lost policy is lost offline too
            check_trust_file(settings.trust_file)  # and so is a lost trust file
            snapshot = Snapshot.load(settings.snapshot_path)
            trust = snapshot.trust(vkey, clock, policy)
        else:
            client = LedgerClient(
                settings.ledger_url,
                vkey,
                trust_file=settings.trust_file,
                transport=ledger_transport,
                policy=settings.checkpoint_policy(),
                remember=True,
            )
            trust = Trust(client, clock=clock)
        # Offline, the snapshot is the local ledger's only: foreign issuers are not federated.
        try:
            pins = () if offline else Pins(settings.federation_path).load()
            federation = (
                Federation.open(trust, pins, clock=clock, trust_dir=settings.federation_path)
                if pins
                else None
            )
        except BaseException:
            trust.close()
            raise
        verifier = cls(
            desk=desk,
            policies=load_policies(settings.policies_path),
            trust=trust,
            store=open_store(settings),
            base_url=settings.base_url,
            clock=clock,
            request_ttl=settings.request_ttl,
            federation=federation,
            max_pending_requests=settings.max_pending_requests,
            max_pending_requests_per_client=settings.max_pending_requests_per_client,
        )
        if check_accreditation:
            try:
                verifier.check_policies(settings.policies_path)
            except BaseException:
                verifier.close()
                raise
        return verifier

    def close(self) -> None:
        self.store.close()
        self.trust.close()
        if self.federation is not None:
            self.federation.close()

    def desk_names(self) -> dict[str, str]:
        """The desk's display names as governance endorsed them (its first DID document, on
        the ledger), kept once read; none while the ledger cannot say (unreachable, or a
        snapshot without the desk's history): the page then shows the DID alone."""
        if self._desk_names is None:
            try:
                history = self.trust.history(self.desk.did, max_age=ANY_AGE)
                self._desk_names = endorsed_names(history)
            except Error:
                return {}
        return self._desk_names

    def check_policies(self, directory: Path | None = None) -> None:
        """Refuse (at load) any policy asking for a claim the desk may not ask for, naming its
        file in ``directory``. Offline, the snapshot's age is each check's business: a policy
        that never runs offline still loads."""
        now = self.clock()
        for policy in self.policies.values():
            age = ANY_AGE if self.trust.offline else policy.max_ledger_age
            standing = functools.partial(self._desk_standing, now=now, age=age)
            require_accredited(policy, standing, directory)

    def _desk_standing(
        self, vct: str, claims: tuple[str, ...], *, now: int, age: int
    ) -> DeskStanding:
        return self.trust.desk_standing(self.desk.did, vct, claims, now=now, max_age=age)

    def policy(self, name: str) -> Policy:
        return policies_named(self.policies, name)

    # -- requests ---------------------------------------------------------------------------

    def create_request(self, policy_name: str, client: str = "") -> Created:
        """A signed OpenID4VP request for ``policy_name`` (§5, §8.2), stored, served once;
        within the requests ``client`` (``civicid.quota.client_of``) and the desk may start
        for now (``client_requests_full``, ``desk_requests_full``: nothing stored)."""
        policy = self.policy(policy_name)
        now = self.clock()
        ticket = self.quota.take(client, now, now + self.request_ttl)
        try:
            return self._create_request(policy, now)
        except Error:  # not stored (a store that fails keeps nothing of the write)
            self.quota.give_back(ticket)
            raise

    def _create_request(self, policy: Policy, now: int) -> Created:
        request_id = secrets.token_urlsafe(16)
        request = AuthorizationRequest(
            client_id=self.client_id,
            response_uri=self.base_url + RESPONSE_PATH,
            nonce=new_nonce(),
            state=new_nonce(),
            dcql_query=policy.dcql(),
            iat=now,
            exp=now + self.request_ttl,
            policy=policy.name,
            purpose=policy.purpose,
        )
        token = build_request_object(request, self.desk.key, self.desk.kid)
        pending = PendingRequest(
            id=request_id,
            state=request.state,
            transaction_id=secrets.token_urlsafe(24),
            nonce=request.nonce,
            policy=policy.name,
            request_object=token,
            created=now,
            expires=request.exp,
        )
        self.store.add_request(pending)
        return Created(
            id=request_id,
            transaction_id=pending.transaction_id,
            policy=policy.name,
            title=policy.title,
            purpose=policy.purpose,
            link=self.link_for(request_id),
            request_uri=self.base_url + REQUEST_PATH + request_id,
            expires=pending.expires,
        )

    def link_for(self, request_id: str) -> str:
        """The ``openid4vp://`` link (and QR code content) of request ``request_id``."""
        return build_link(self.client_id, self.base_url + REQUEST_PATH + request_id)

    def request_object(self, request_id: str) -> str:
        return self.store.fetch_request_object(request_id, self.clock())

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        """What the desk's page polls: the request's status, and its decision once made
        (``expires_at`` in seconds: the wire model writes it as RFC 3339)."""
        pending = self.store.by_transaction(transaction_id)
        now = self.clock()
        policy = self.policies.get(pending.policy)
        return {
            "status": pending.status(now),
            "policy": pending.policy,
            "title": policy.title if policy else pending.policy,
            "expires_at": pending.expires,
            "decision": pending.decision,
        }

    def poll(self, transaction_id: str) -> bytes:
        """``transaction``'s answer as the page's poll sends it (``verifier.poll``): the same
        bytes as its wire model would write, without parsing the stored decision."""
        polled = self.store.poll(transaction_id)
        policy = self.policies.get(polled.policy)
        return poll_answer(polled, policy.title if policy else polled.policy, self.clock())

    # -- answers ----------------------------------------------------------------------------

    def receive_response(self, form: Mapping[str, Any]) -> Answered:
        """The wallet's direct_post (§8.2): once per request, before expiry; then the checks,
        the decision, the receipt and the audit record, all committed before answering."""
        response = AuthorizationResponse.from_form(form)
        now = self.clock()
        # The right to answer and the nonce, spent together: the replay step then asks
        # whether this claim was the first to spend it.
        pending, fresh = self.store.claim_answer_spending_nonce(response.state, now)
        policy = self.policy(pending.policy)
        replay = SpentWithClaim(pending.nonce, fresh, self.store)
        decision = self._decide(response, pending, policy, now, replay)
        received: tuple[ReceivedClaims, ...] = ()
        if decision.vct is not None and decision.issuer is not None:
            received = (ReceivedClaims(decision.vct, decision.issuer, decision.received),)
        receipt = Receipt(
            iss=self.desk.did,
            client_id=self.client_id,
            policy=policy.name,
            purpose=policy.purpose,
            received=received,
            decision=ELIGIBLE if decision.eligible else NOT_ELIGIBLE,
            iat=now,
            nonce=pending.nonce,
            failed_step=decision.code,
            failed_condition=failed_in_words(policy, decision),
        )
        token = build_receipt(receipt, self.desk.key, self.desk.kid)
        self.store.save_decision(response.state, decision.to_json(), token, decision.audit_record())
        return Answered(decision, token)

    def _decide(
        self,
        response: AuthorizationResponse,
        pending: PendingRequest,
        policy: Policy,
        now: int,
        replay: ReplayGuard,
    ) -> Decision:
        if response.error is not None:
            refusal = RESPONSE_ERROR(f"the wallet answered {response.error}")
            return response_failure(policy, now, refusal)
        try:
            vp_token = policy.dcql().check_vp_token(response.vp_token)
        except Error as exc:
            return response_failure(policy, now, exc)
        presentation = str(vp_token[CREDENTIAL_QUERY_ID][0])
        return self.check(presentation, policy=policy, nonce=pending.nonce, now=now, replay=replay)

    def check(
        self,
        presentation: str,
        *,
        policy: Policy,
        nonce: str,
        now: int | None = None,
        replay: ReplayGuard | None = None,
    ) -> Decision:
        """Every check of one presentation against ``policy``, bound to ``nonce`` and this
        desk's client_id; the nonce is spent in the shared store (by ``replay``, if given)."""
        now = self.clock() if now is None else now
        decision = check_presentation(
            presentation,
            policy=policy,
            nonce=nonce,
            client_id=self.client_id,
            trust=self.trust,
            now=now,
            replay=self.store if replay is None else replay,
            on_status_uri=self._seen_status_uri,
            federation=self.federation,
        )
        # A single-use entitlement found eligible is redeemed here, on the ledger, at once.
        return redemption.redeem(decision, self.desk, self.trust, now)

    def _seen_status_uri(self, uri: str) -> None:
        if uri not in self._status_uris:
            self._status_uris.add(uri)
            self.store.remember_status_uri(uri, self.clock())

    def audit(self, record: Decision) -> None:
        self.store.audit(record.audit_record())

    def policies_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.policies.values()]


def received_names(paths: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(claim_name_or_repr(p) for p in paths)
