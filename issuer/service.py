"""The issuer as a library: staff operations (offers, status changes, publication) and the
OpenID4VCI flow (token, nonce, credential). The HTTP routes and the CLI only call these.

Concurrency: in-memory state (offers in play, status lists, nonces) changes under one lock,
and each change is queued to the store under that same lock, so disk order is memory order.
Callers then wait, outside the lock, until their change is durable (group commit) before
they answer: many requests share one fsync.
"""

from __future__ import annotations

import logging
import shlex
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Final, TypeVar

from civicid.entitlements import single_use
from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.oid4vci import (
    CredentialRequest,
    CredentialResponse,
    NonceResponse,
    TokenRequest,
    TokenResponse,
    verify_proof_jwt,
)
from civicid.sdjwt_builder import Copy, issue_batch
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from civicid.times import Clock, system_clock
from issuer import metadata
from issuer.agency import ledger_client
from issuer.clerks import Keyring
from issuer.entropy import ENTROPY
from issuer.errors import (
    ACCESS_TOKEN_INVALID,
    BATCH_TOO_LARGE,
    CONFIGURATION_UNKNOWN,
    CREDENTIAL_CONFIGURATION_UNKNOWN,
    CREDENTIAL_IDENTIFIER_UNKNOWN,
    CREDENTIAL_NOT_FOUND,
    CREDENTIAL_STATUS_CONFLICT,
    OFFER_NOT_FOUND,
    PROOF_KEY_DUPLICATE,
    PROOF_MISSING,
    STAFF_KEY_INVALID,
    STAFF_SCOPE_MISSING,
    STORE_CONFLICT,
)
from issuer.nonces import NonceBook, Nonces, SharedNonces
from issuer.offers import CreatedOffer, OfferBook, Redeemed, digest, wrong_code_error
from issuer.records import (
    ISSUED,
    SCOPE_ADMIN,
    STATUS_NAMES,
    AuditEvent,
    Clerk,
    Issued,
    ListRecord,
    Offer,
)
from issuer.settings import IssuerSettings
from issuer.status import Snapshot, StatusLists, sign_list
from issuer.store import (
    Audit,
    ClearExpired,
    ClerkHolds,
    IssuerStore,
    MarkPending,
    NewList,
    Op,
    PutIssued,
    PutList,
    PutOffer,
    SpendNonce,
)
from issuer.stores import open_store, require_store_of
from issuer.trust import LedgerView

log = logging.getLogger("civicid.issuer")

SYSTEM: Final = "system"
WALLET: Final = "wallet"
# Status changes: which status each staff action leads to, from which statuses.
TRANSITIONS: Final = {
    "revoke": (STATUS_INVALID, (STATUS_VALID, STATUS_SUSPENDED)),
    "suspend": (STATUS_SUSPENDED, (STATUS_VALID,)),
    "reinstate": (STATUS_VALID, (STATUS_SUSPENDED,)),
}
MAX_PAGE: Final = 500
# A record named where an id was expected: its newest ids, enough to pick one from.
MAX_IDS_HINTED: Final = 5
# Issuer processes sharing a database: a change that finds what it read changed by another
# process is read and tried again, this many times (each retry follows a change that won).
MAX_CONFLICT_RETRIES: Final = 8
T = TypeVar("T")


def _done() -> Future[None]:
    done: Future[None] = Future()
    done.set_result(None)
    return done


class Issuer:
    def __init__(
        self,
        settings: IssuerSettings,
        *,
        store: IssuerStore,
        ledger: LedgerView,
        identity: Identity,
        clock: Clock = system_clock,
    ) -> None:
        self.settings = settings
        self.store = store
        self.ledger = ledger
        ledger.identity = identity
        self.clock = clock
        self.keyring = Keyring(store, clock)
        self.shared = store.shared
        self.nonces: NonceBook = (
            SharedNonces(store, clock, settings.nonce_ttl)
            if store.shared
            else Nonces(clock, settings.nonce_ttl)
        )
        self.publish_wanted = threading.Event()
        self._metadata: tuple[Identity, tuple[Any, ...], dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._publishing = threading.Lock()
        # Another process took a status index this one chose: learn which before the next.
        self._stale_lists = False
        # How many times memory was read again after a refused write (a publication's
        # snapshot taken before one may hold a change that never reached the disk).
        self._reloads = 0
        self.offers, self.lists = self._load()
        if not store.shared:  # this process's memory is the store's: kept so after a refusal
            store.reconcile = self._reconcile

    def _load(self) -> tuple[OfferBook, StatusLists]:
        """The offers in play and the status lists, as the store holds them."""
        offers = OfferBook(self.settings.public_url, self.settings.tx_code_length)
        lists = StatusLists(self.settings.public_url, self.settings.status_list_size)
        for offer in [] if self.store.shared else self.store.active_offers():
            if offer.claims is not None:  # not yet expired and cleared
                offers.put(offer)
        records = self.store.lists()  # first: a slot of a list made since is not loaded
        slots = self.store.slots_by_list()
        for record in records:
            lists.load(record, slots.get(record.number, []))
        return offers, lists

    def _reconcile(self, settle_queued: Callable[[], None]) -> None:
        """After the store refused a write (on its writer thread, before the refused callers
        are told): memory is made what is on disk again. Under the state lock nothing more is
        queued; what was queued before is settled, then offers and lists are read again."""
        with self._lock:
            self._reloads += 1  # counted first: a snapshot's barrier may be settled now
            settle_queued()
            self.offers, self.lists = self._load()

    @classmethod
    def open(
        cls,
        settings: IssuerSettings,
        *,
        clock: Clock = system_clock,
        client: LedgerClient | None = None,
        create: bool = False,
    ) -> Issuer:
        """The issuer for ``settings``: its agency identity from the key store, its store
        (exclusively; made only with ``create``, by ``init``), and a proving client for its
        ledger. Without its store: ``issuer_store_missing``, and nothing written."""
        if not create:
            require_store_of(settings)

        def load_identity() -> Identity:
            return KeyStore(settings.keys_dir).identity(settings.identity)

        identity = load_identity()
        client = client or ledger_client(settings)
        store = open_store(settings, create=create)
        view = LedgerView(
            client,
            identity,
            clock=clock,
            accreditation_ttl=settings.accreditation_ttl,
            reload=load_identity,
        )
        try:
            return cls(settings, store=store, ledger=view, identity=identity, clock=clock)
        except BaseException:
            store.close()
            raise

    @property
    def identity(self) -> Identity:
        """The agency identity signing now (it changes when the key is rotated)."""
        return self.ledger.identity

    def close(self) -> None:
        self.store.close()
        self.ledger.close()

    # -- helpers ----------------------------------------------------------------------------

    def _event(self, actor: str, action: str, **fields: Any) -> Audit:
        return Audit(AuditEvent(at=self.clock(), actor=actor, action=action, **fields))

    @contextmanager
    def _audited(
        self, actor: str, action: str, subject: str | None = None, *, unread: Clerk | None = None
    ) -> Iterator[None]:
        """A refused staff call is logged with its code (queued: whoever answers the refusal
        waits for ``barrier`` first); a successful one logs itself with its change. For a call
        by ``unread`` (its clerk's row not read yet), the row is read first: a clerk removed
        meanwhile is refused as such (``staff_key_invalid``), not for what it sent."""
        try:
            yield
        except Error as exc:
            if unread is not None and not self.keyring.holds(unread):
                with self._audited("unknown", action):
                    raise STAFF_KEY_INVALID("the API key does not belong to any clerk") from None
            self.store.submit([self._event(actor, action, subject=subject, outcome=exc.code)])
            raise

    def barrier(self) -> Future[None]:
        """Completes once everything queued so far is durable (refusals' audit records)."""
        return self.store.submit([])

    def _wait(self, begin: Callable[..., tuple[T, Future[None]]], *args: Any, **kw: Any) -> T:
        """Run a ``*_begin`` step and wait until its change is durable; a refusal is raised
        once its audit record is. A change another process beat is read and run again."""
        for attempt in range(MAX_CONFLICT_RETRIES + 1):
            try:
                value, future = begin(*args, **kw)
            except Error:
                self.barrier().result()
                raise
            try:
                future.result()
            except Error as exc:
                if self.retry_after(exc, attempt):
                    continue
                raise
            return value
        raise AssertionError("unreachable: the last attempt returns or raises")

    def retry_after(self, error: Error, attempt: int) -> bool:
        """Whether a ``*_begin`` step whose change failed with ``error`` is run again: only
        when another process sharing the store changed what it read, a bounded number of
        times."""
        if not STORE_CONFLICT.matches(error) or attempt >= MAX_CONFLICT_RETRIES:
            return False
        self._stale_lists = True
        return True

    def _fresh(self, offer: Offer | None) -> Offer | None:
        """On a shared store: ``offer`` as the store holds it now replaces memory's copy."""
        if offer is not None:
            self.offers.put(offer)
        return offer

    def _sync_lists(self, *, everything: bool = False) -> None:
        """On a shared store (under the state lock): the lists other processes made, and
        after a conflict (or with ``everything``) the indexes and statuses they set."""
        records = self.store.lists()
        newest = records[-1].number if records else None
        for record in records:
            known = record.number in self.lists.lists
            stale = everything or (self._stale_lists and record.number == newest)
            if not known or stale:
                self.lists.load(record, list(self.store.slots(record.number)))
        self._stale_lists = False

    def authorize(self, api_key: str | None, scopes: tuple[str, ...], action: str) -> Clerk:
        """The clerk whose key this is, if it has one of ``scopes`` (admin has all); every
        refusal is logged."""
        clerk = self._wait(self.authorize_begin, api_key, scopes, action, cached_only=False)
        assert clerk is not None  # not cached_only: Argon2 ran or the key was refused
        return clerk

    def authorize_begin(
        self,
        api_key: str | None,
        scopes: tuple[str, ...],
        action: str,
        *,
        cached_only: bool = True,
        unread: bool = False,
    ) -> tuple[Clerk | None, Future[None]]:
        """As ``authorize``; with ``cached_only``, None when the key would need Argon2 (slow:
        the caller runs ``authorize`` off its event loop then). With ``unread`` too, a key
        verified lately answers with its clerk as verified, its row not read here: the caller
        passes ``unread=True`` to its write, which reads it (``ClerkHolds``). A clerk without
        the scopes is decided on its row, read as without ``unread``."""
        done = _done()
        with self._audited("unknown", action):
            clerk = self.keyring.unread(api_key) if cached_only and unread else None
            if clerk is None or not set((*scopes, SCOPE_ADMIN)) & set(clerk.scopes):
                clerk = self.keyring.cached(api_key) if cached_only else None
            if clerk is None:
                if cached_only and api_key:
                    return None, done
                clerk = self.keyring.authenticate(api_key)
        if not set((*scopes, SCOPE_ADMIN)) & set(clerk.scopes):
            with self._audited(clerk.name, action):
                raise STAFF_SCOPE_MISSING(f"{action} needs the {' or '.join(scopes)} scope")
        return clerk, done

    # -- staff: offers ----------------------------------------------------------------------

    def create_offer(
        self,
        clerk: Clerk,
        *,
        configuration: str,
        record: str,
        claims: Any,
        tx_code: bool = True,
    ) -> CreatedOffer:
        """An offer for ``record``: the claims checked against the type's schema from the
        ledger, the agency's accreditation for the type checked, then stored."""
        return self._wait(
            self.create_offer_begin,
            clerk,
            configuration=configuration,
            record=record,
            claims=claims,
            tx_code=tx_code,
        )

    def create_offer_begin(
        self,
        clerk: Clerk,
        *,
        configuration: str,
        record: str,
        claims: Any,
        tx_code: bool = True,
        unread: bool = False,
    ) -> tuple[CreatedOffer, Future[None]]:
        """As ``create_offer``. With ``unread`` (``clerk`` as its key was verified lately, its
        row not read since: ``authorize_begin(unread=True)``), the offer is written only while
        the row is still that clerk, read in the write's own transaction (a clerk removed
        before it commits: ``clerk_changed``, nothing written), and a refusal reads it first:
        a removed clerk is locked out at once, without a read of its row on every offer."""
        with self._audited(clerk.name, "offer.create", unread=clerk if unread else None):
            config = self.settings.configuration(configuration)
            if config is None:
                raise CONFIGURATION_UNKNOWN(f"no credential configuration {configuration!r}")
            kind = self.ledger.credential_type(config.vct)
            self.ledger.require_accredited(config.vct)
            checked = kind.check_claims(claims)
            created = self.offers.make(
                configuration=config.id,
                vct=config.vct,
                record=record,
                claims=checked,
                clerk=clerk.name,
                now=self.clock(),
                ttl=self.settings.offer_ttl,
                tx_code=tx_code,
            )
        offer = created.offer
        event = self._event(
            clerk.name,
            "offer.create",
            subject=offer.id,
            record=offer.record,
            detail={"configuration": config.id, "txCode": tx_code},
        )
        ops: list[Op] = [PutOffer(offer), event]
        if unread:
            ops.insert(0, ClerkHolds(clerk))
        with self._lock:
            self.offers.put(offer)
            # Refused (its clerk removed, a database lost): memory forgets it before anyone
            # is told, so its code redeems nothing. A store of one process has read its
            # memory again from disk by then (``_reconcile``, on the writer thread, under the
            # state lock); a shared one does not, and would keep it.
            forget = (lambda: self._forget(offer)) if self.shared else None
            future = self.store.submit(ops, refused=forget)
        return created, future

    def _forget(self, offer: Offer) -> None:
        """An offer whose write a shared store refused is not kept in memory."""
        with self._lock:
            if self.offers.by_id.get(offer.id) is offer:
                self.offers.drop(offer)

    def offer(self, offer_id: str) -> Offer:
        if self.shared:
            found = self.store.offer(offer_id)
        else:
            found = self.offers.by_id.get(offer_id) or self.store.offer(offer_id)
        if found is None:
            raise OFFER_NOT_FOUND(f"no offer {offer_id!r}")
        return found

    def list_offers(self, *, record: str | None, limit: int, offset: int) -> list[Offer]:
        return self.store.offers(record=record, limit=min(limit, MAX_PAGE), offset=offset)

    # -- staff: issued credentials and their status -----------------------------------------

    def credential(self, issued_id: str) -> Issued:
        found = self.store.issued(issued_id)
        if found is None:
            # A clerk often has the record, not the id: say which ids the record has.
            of_record = self.store.issued_list(
                record=issued_id, status=None, limit=MAX_IDS_HINTED + 1, offset=0
            )
            hint = ""
            if of_record:
                ids = ", ".join(i.id for i in of_record[:MAX_IDS_HINTED])
                more = " and more" if len(of_record) > MAX_IDS_HINTED else ""
                hint = (
                    f"; {issued_id!r} is a record, its credentials are {ids}{more} "
                    f"(civicid issuer credentials --record {shlex.quote(issued_id)})"
                )
            raise CREDENTIAL_NOT_FOUND(f"no issued credential {issued_id!r}{hint}")
        return found

    def credentials(
        self, *, record: str | None, status: int | None, limit: int, offset: int
    ) -> list[Issued]:
        return self.store.issued_list(
            record=record, status=status, limit=min(limit, MAX_PAGE), offset=offset
        )

    def list_uris(self) -> dict[int, str]:
        if self.shared:
            with self._lock:
                self._sync_lists()
        return {n: s.record.uri for n, s in self.lists.lists.items()}

    def set_status(self, clerk: Clerk, issued_id: str, action: str) -> Issued:
        """Revoke, suspend or reinstate every copy of an issuance. Recorded at once; on the
        ledger with the next publication (within ``status_interval``, or ``publish``)."""
        return self._wait(self._set_status_begin, clerk, issued_id, action)

    def _set_status_begin(
        self, clerk: Clerk, issued_id: str, action: str
    ) -> tuple[Issued, Future[None]]:
        target, allowed = TRANSITIONS[action]
        with self._audited(clerk.name, f"credential.{action}", issued_id):
            issued = self.credential(issued_id)
            if target == STATUS_VALID:
                # Lifting a suspension vouches for the credential anew: the ledger takes it
                # only from an accredited agency (after that, statuses may only be added), and
                # a list holding a refused change could not be published at all.
                self.ledger.require_accredited(issued.vct, fresh=True)
            with self._lock:
                number, idx = issued.slots[0]
                if self.shared:  # another process may have changed it: the store says
                    self._sync_lists()
                    current = issued.status
                else:
                    current = self.lists.lists[number].bits.get(idx)
                if current not in allowed:
                    raise CREDENTIAL_STATUS_CONFLICT(
                        f"cannot {action} a credential that is {STATUS_NAMES[current]}"
                    )
                marked = self.lists.set(issued.slots, target)
                updated = replace(issued, status=target, changed=self.clock())
                event = self._event(
                    clerk.name,
                    f"credential.{action}",
                    subject=issued.id,
                    record=issued.record,
                    detail={"from": STATUS_NAMES[current], "to": STATUS_NAMES[target]},
                )
                ops: list[Op] = [PutList(r) for r in marked]
                if self.shared:
                    numbers = sorted({n for n, _ in issued.slots})
                    ops = [MarkPending(n) for n in numbers]
                    ops.append(PutIssued(updated, expect_status=current))
                else:
                    ops.append(PutIssued(updated))
                future = self.store.submit([*ops, event])
        return updated, future

    # -- status publication -----------------------------------------------------------------

    def publish(self, actor: str = SYSTEM) -> list[ListRecord]:
        """Publish every list that changed (or is due to be refreshed) as one new token per
        list on the ledger. A ledger that cannot be reached: the changes stay pending, are
        published by the next run, and the first failure is raised."""
        with self._publishing, self.store.publishing() as mine:
            if not mine:  # another process sharing the store publishes now
                return []
            return self._publish(actor)

    def _publish(self, actor: str) -> list[ListRecord]:
        published: list[ListRecord] = []
        failure: Error | None = None
        snapshots = self._due()
        signer = self.identity
        if snapshots:
            try:
                signer = self.ledger.require_key_in_force()
            except Error as exc:
                self.store.write([self._event(actor, "status.publish", outcome=exc.code)])
                raise
        for snapshot in snapshots:
            now = self.clock()
            token = sign_list(
                snapshot,
                key=signer.key,
                kid=signer.kid,
                now=now,
                ttl=self.settings.status_ttl,
            )
            try:
                receipt = self.ledger.publish_list(snapshot.uri, token)
            except Error as exc:
                failure = failure or exc
                event = self._event(actor, "status.publish", subject=snapshot.uri, outcome=exc.code)
                self.store.write([event])
                continue
            with self._lock:
                record = self.lists.published(
                    snapshot, now=now, seq=int(receipt["seq"]), token=token
                )
                event = self._event(
                    actor,
                    "status.publish",
                    subject=snapshot.uri,
                    detail={"seq": record.published_seq, "version": snapshot.version},
                )
                future = self.store.submit([PutList(record), event])
            future.result()
            published.append(record)
        if failure is not None:
            raise failure
        return published

    def _due(self) -> list[Snapshot]:
        """The lists due for publication, every change they hold on disk before the ledger is
        told. Taken anew when a change they hold was refused meanwhile (memory read again):
        each new try follows a refused write, and a disk that refuses all raises here."""
        while True:
            with self._lock:
                if self.shared:  # every process's changes, as the store holds them
                    self._sync_lists(everything=True)
                snapshots = self.lists.due(self.clock(), self.settings.status_ttl)
                reloads = self._reloads
                settled = self.store.submit([])  # behind every change the snapshots hold
            settled.result()
            if reloads == self._reloads:
                return snapshots

    def status_token(self, number: int) -> str | None:
        if self.shared:  # the latest token, whichever process published it
            return next((r.token for r in self.store.lists() if r.number == number), None)
        state = self.lists.lists.get(number)
        return state.record.token if state is not None else None

    def expire_offers(self) -> int:
        """Drop the claims (and codes) of offers whose time is up: nothing kept that is not
        needed (the offer row stays, for the audit trail and "expired" answers)."""
        now = self.clock()
        with self._lock:
            expired = self.offers.expired(now)
            ops: list[Op] = []
            for offer in expired:
                self.offers.drop(offer)
                ops.append(PutOffer(replace(offer, claims=None, code=None)))
            if self.shared:  # all processes' offers, by the store's own clock rule
                ops = [ClearExpired(now)]
            future = self.store.submit(ops) if ops else None
        if future is not None:
            future.result()
        return len(expired)

    def run_background(self, stop: threading.Event) -> None:
        """Publish every ``status_interval`` seconds (sooner when a new list needs to be on
        the ledger), expire offers; until ``stop`` is set."""
        while not stop.is_set():
            self.publish_wanted.wait(self.settings.status_interval)
            if stop.is_set():
                return
            self.publish_wanted.clear()
            try:
                self.expire_offers()
                self.store.maintain()
                self.publish()
            except Error as exc:
                log.warning("status publication failed, will retry: %s [%s]", exc.message, exc.code)

    # -- OpenID4VCI -------------------------------------------------------------------------

    def issuer_metadata(self) -> dict[str, Any]:
        for config in self.settings.credential_configurations:
            if self.ledger.known_type(config.vct) is not None:
                continue
            try:  # display comes from the type on the ledger, once it has been read
                self.ledger.credential_type(config.vct)
            except Error:
                continue
        return self._issuer_metadata()

    def known_issuer_metadata(self) -> dict[str, Any] | None:
        """The metadata if every configuration's type has been read from the ledger (then
        nothing is asked of it), else None: ``issuer_metadata`` reads them."""
        configs = self.settings.credential_configurations
        if any(self.ledger.known_type(c.vct) is None for c in configs):
            return None
        return self._issuer_metadata()

    def _issuer_metadata(self) -> dict[str, Any]:
        """Built once for the agency's key and the types as read (a wallet asks for it before
        each credential); built again when either changes (a rotated key, a type read)."""
        types = tuple(
            self.ledger.known_type(c.vct) for c in self.settings.credential_configurations
        )
        identity = self.identity
        built = self._metadata
        if (
            built is not None
            and built[0] is identity
            and all(a is b for a, b in zip(built[1], types, strict=True))
        ):
            return built[2]
        document = metadata.issuer_metadata(
            self.settings, identity, self.ledger.known_type
        ).to_json()
        self._metadata = (identity, types, document)
        return document

    def fetch_offer(self, offer_id: str) -> dict[str, Any]:
        """§4.1.3: an offer by reference, served once."""
        return self._wait(self.fetch_offer_begin, offer_id)

    def fetch_offer_begin(self, offer_id: str) -> tuple[dict[str, Any], Future[None]]:
        with self._lock:
            if self.shared:
                stored = self._fresh(self.store.offer(offer_id))
            else:
                stored = None if offer_id in self.offers.by_id else self.store.offer(offer_id)
            fetched, body = self.offers.fetch(offer_id, self.clock(), stored)
            self.offers.put(fetched)
            event = self._event(WALLET, "offer.fetch", subject=fetched.id, record=fetched.record)
            expect = stored if self.shared else None
            future = self.store.submit([PutOffer(fetched, expect=expect), event])
        return body.to_json(), future

    def token(self, request: TokenRequest) -> TokenResponse:
        """§6: the pre-authorized code (and transaction code) for an access token."""
        return self._wait(self.token_begin, request)

    def token_begin(self, request: TokenRequest) -> tuple[TokenResponse, Future[None]]:
        for attempt in range(MAX_CONFLICT_RETRIES + 1):
            outcome, future = self._redeem(request)
            if isinstance(outcome, Redeemed):
                break
            if self.shared:  # counted across processes before the refusal is answered
                try:
                    future.result()
                except Error as exc:
                    if self.retry_after(exc, attempt):
                        continue
                    raise
            raise wrong_code_error(outcome)  # answered after the barrier: attempts are counted
        else:
            raise AssertionError("unreachable: the last attempt breaks or raises")
        answer = TokenResponse(
            access_token=outcome.access_token,
            token_type="Bearer",  # noqa: S106  # RFC 6750 token type, not a secret
            expires_in=self.settings.token_ttl,
        )
        return answer, future

    def _redeem(self, request: TokenRequest) -> tuple[Redeemed | Offer, Future[None]]:
        """One try at the code: redeemed, or the offer with a wrong code counted; queued."""
        now = self.clock()
        with self._lock:
            code_hash = digest(request.pre_authorized_code)
            if self.shared:
                stored = self._fresh(self.store.offer_by_code(code_hash))
            else:
                stored = (
                    None
                    if code_hash in self.offers.by_code
                    else self.store.offer_by_code(code_hash)
                )
            outcome = self.offers.redeem(request, now, self.settings.token_ttl, stored)
            offer = outcome.offer if isinstance(outcome, Redeemed) else outcome
            # What the store holds: its offer, or (one process) memory's, which is the same.
            before = stored if self.shared else self.offers.by_id.get(offer.id)
            self.offers.put(offer)
            event = self._event(
                WALLET,
                "token.issue",
                subject=offer.id,
                record=offer.record,
                outcome="ok" if isinstance(outcome, Redeemed) else wrong_code_error(offer).code,
            )
            future = self.store.submit([PutOffer(offer, expect=before), event])
        return outcome, future

    def nonce(self) -> NonceResponse:
        return NonceResponse(c_nonce=self.nonces.issue())

    def credential_request(
        self, access_token: str | None, request: CredentialRequest
    ) -> CredentialResponse:
        """§8: one credential per proven holder key, each with its own status index, signed
        by the agency key; the offer's claims are dropped once the answer is durable."""
        credentials = self._wait(self.credential_request_begin, access_token, request)
        return CredentialResponse.from_json(
            {"credentials": [{"credential": c} for c in credentials]}
        )

    def credential_request_begin(
        self, access_token: str | None, request: CredentialRequest
    ) -> tuple[list[str], Future[None]]:
        """As ``credential_request``: the SD-JWTs issued (one per proof), and their write. The
        routes answer them as they are; they are our own, so no model checks them again."""
        now = self.clock()
        if self.shared and access_token:
            with self._lock:
                self._fresh(self.store.offer_by_token(digest(access_token)))
        offer = self.offers.for_token(access_token, now)
        if offer is None:
            raise ACCESS_TOKEN_INVALID("send the access token from the token endpoint")
        if request.credential_identifier is not None:
            raise CREDENTIAL_IDENTIFIER_UNKNOWN("ask by credential_configuration_id")
        if request.credential_configuration_id != offer.configuration:
            raise CREDENTIAL_CONFIGURATION_UNKNOWN(f"the token covers {offer.configuration!r} only")
        config = self.settings.configuration(offer.configuration)
        if config is None:
            raise CREDENTIAL_CONFIGURATION_UNKNOWN("the configuration is no longer offered")
        proofs = request.proofs.jwt if request.proofs is not None else []
        if not proofs:
            raise PROOF_MISSING("send proofs.jwt: one key proof per credential")
        if len(proofs) > config.batch_size:
            raise BATCH_TOO_LARGE(f"at most {config.batch_size} proofs per request")
        aud = self.settings.public_url
        verified = [verify_proof_jwt(p, aud=aud, now=now, nonce=self.nonces.check) for p in proofs]
        if len({v.key for v in verified}) != len(verified):  # equal keys: equal thumbprints
            raise PROOF_KEY_DUPLICATE("each copy is bound to its own key: repeat none")
        # Checked now, not only when the offer was made: an accreditation revoked since
        # refuses the credential (with the ledger's code).
        self.ledger.require_accredited(offer.vct)
        signer = self.ledger.require_key_in_force()
        kind = self.ledger.credential_type(offer.vct)
        if single_use(kind.metadata.document) and len(verified) > 1:
            # Each copy has its own status entry, and a redemption is keyed by it: copies of a
            # single-use credential would each be redeemable once.
            raise BATCH_TOO_LARGE("a single-use credential is issued as one copy")
        assert offer.claims is not None
        disclosable = kind.disclosable(offer.claims)
        with self._lock:
            current = self.offers.by_id.get(offer.id)
            if current is None or current.state != offer.state or current.token_hash is None:
                raise ACCESS_TOKEN_INVALID("the access token was used")
            # Taken now, so a second request with the same token finds it gone.
            self.offers.drop(offer)
            if self.shared:
                self._sync_lists()
            slots, new_lists = self.lists.allocate(len(verified), now)
            if new_lists and not self.shared:  # queued before any issuance that uses them
                self.store.submit([PutList(r) for r in new_lists])
        if new_lists:
            self.publish_wanted.set()  # a new list must reach the ledger before it is read
        exp = now + config.validity_days * 86400
        # The claims are checked and walked once for the batch; each copy has its own salts.
        credentials = issue_batch(
            issuer_key=signer.key,
            kid=signer.kid,
            iss=signer.did,
            claims=offer.claims,
            disclosable=disclosable,
            iat=now,
            exp=exp,
            vct=offer.vct,
            copies=[
                Copy(
                    cnf_jwk=proof.key.to_jwk(),
                    status={"status_list": {"idx": idx, "uri": self.lists.uri(number)}},
                )
                for proof, (number, idx) in zip(verified, slots, strict=True)
            ],
            rng=ENTROPY,
        )
        issued = Issued(
            id=ENTROPY.ident(12),
            offer=offer.id,
            record=offer.record,
            configuration=offer.configuration,
            vct=offer.vct,
            iat=now,
            exp=exp,
            status=STATUS_VALID,
            slots=tuple(slots),
            clerk=offer.clerk,
        )
        done = replace(
            offer, state=ISSUED, claims=None, code=None, token_hash=None, credential=issued.id
        )
        event = self._event(
            WALLET,
            "credential.issue",
            subject=issued.id,
            record=issued.record,
            detail={"offer": offer.id, "copies": len(credentials)},
        )
        ops: list[Op] = [PutIssued(issued), PutOffer(done, expect=offer), event]
        if self.shared:  # all or nothing: the list, the indexes, the token, the nonces
            spent = sorted({v.nonce for v in verified if v.nonce is not None})
            ops = [
                *(NewList(r) for r in new_lists),
                PutIssued(issued),
                PutOffer(done, expect=offer),
                *(SpendNonce(n) for n in spent),
                event,
            ]
        with self._lock:
            future = self.store.submit(ops)
        self.nonces.consume({v.nonce for v in verified if v.nonce is not None})
        return credentials, future

    def audit(self, *, after: int = 0, limit: int = 100) -> list[AuditEvent]:
        return self.store.audit(after=after, limit=min(limit, MAX_PAGE))
