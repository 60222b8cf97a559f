"""The citizen's wallet as a library: open or create the sealed store, hold credentials and
their history, lock itself when idle, back up and restore. The TUI, the CLI and the demo all
drive this one object; the protocols (``issuance``, ``presentation``, ``status``) act on it.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import httpx
from tinydb import Query

from civicid import sdjwt
from civicid.errors import Error
from civicid.files import read_bounded
from civicid.http import HttpClient
from civicid.ledger_client import LedgerClient, check_kept_policy, check_trust_file
from civicid.names import languages_from_environment
from civicid.oid4vci import CredentialOffer
from civicid.times import Clock, system_clock
from civicid.trust import Trust
from civicid.trust.federation import Federation
from civicid.trust.pins import Pins
from wallet.errors import (
    WALLET_CREDENTIAL_NOT_FOUND,
    WALLET_IMPORT_INVALID,
    WALLET_LOCKED,
    WALLET_NOT_FOUND,
    WALLET_PASSPHRASE_WRONG,
    WALLET_RESTORE_NOT_EMPTY,
    WALLET_STORE_CORRUPT,
    WALLET_STORE_MISSING,
    WALLET_STORE_PUT_BACK,
)
from wallet.holder import by_rule, intake, issuance, presentation, status
from wallet.holder.backup import read_backup, write_backup
from wallet.holder.credentials import Credential
from wallet.holder.history import Presentation
from wallet.holder.issuance import OfferReview
from wallet.holder.kept_checkpoint import KeptCheckpoint
from wallet.holder.presentation import Outcome, Plan
from wallet.holder.status import Refreshed
from wallet.holder.store import Store
from wallet.holder.vault import KdfParams, SealKey, check_strength
from wallet.settings import WalletSettings

CREDENTIALS: Final = "credentials"
HISTORY: Final = "history"
META: Final = "meta"
OFFERS: Final = "offers"  # offers by reference fetched and reviewed, not yet redeemed
# Offers fetched but not redeemed are kept for a retry; an offer lives days at most, so a
# few dozen cover every honest case, and a page that keeps handing out links fills no more.
MAX_KEPT_OFFERS: Final = 32
# An id prefix people type must still name one credential; shorter than this is a guess.
MIN_ID_PREFIX: Final = 3
# A clock found a little behind a time the wallet recorded was stepped back by its time
# service (seconds); this far back, it was moved back, or is wrong now.
CLOCK_SLACK_SECONDS: Final = 300
# A store file that cannot be opened for one of these was damaged or removed from outside.
DAMAGED: Final = (WALLET_STORE_CORRUPT, WALLET_STORE_MISSING, WALLET_NOT_FOUND)

Monotonic = Callable[[], float]


class IdleLock:
    """Domain-level auto-lock: after ``timeout`` seconds without use, the wallet forgets its
    key and cached contents, and every call asks for the passphrase again."""

    def __init__(self, timeout: float, monotonic: Monotonic = time.monotonic) -> None:
        self.timeout = timeout
        self.monotonic = monotonic
        self.last = monotonic()

    def touch(self) -> None:
        self.last = self.monotonic()

    def remaining(self) -> float:
        return max(0.0, self.timeout - (self.monotonic() - self.last))

    def expired(self) -> bool:
        return self.remaining() <= 0


class Wallet:
    def __init__(
        self,
        settings: WalletSettings,
        store: Store,
        *,
        clock: Clock = system_clock,
        monotonic: Monotonic = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        languages: Iterable[str] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.transport = transport
        # The languages public bodies' names are shown in, most preferred first: the
        # locale's (LANGUAGE, LANG), then English.
        self.languages = (
            tuple(languages)
            if languages is not None
            else languages_from_environment(os.environ) + intake.PREFERRED_LOCALES
        )
        self.idle = IdleLock(settings.idle_timeout, monotonic)
        self._store: Store | None = store
        self._ledger: LedgerClient | None = None
        self._trust: Trust | None = None
        self._federation: Federation | None = None
        # The TUI reads on its thread while a worker writes: one database use at a time.
        self._lock = threading.RLock()
        # The store's file as this program last read or wrote it, kept while locked (it is
        # what the disk held: no secret), and what became of a file found damaged at unlock.
        self._last_sealed: bytes | None = None
        self._put_back: Error | None = None
        # The checkpoint file as the open ledger client left it, and what became of it.
        self._kept: KeptCheckpoint | None = None
        self._checkpoint_put_back: Error | None = None

    # -- lifecycle ------------------------------------------------------------------------

    @staticmethod
    def exists(settings: WalletSettings) -> bool:
        return Store.exists(settings.store_path)

    @staticmethod
    def require(settings: WalletSettings) -> None:
        """Why there is no wallet here (never made, or lost), if there is none."""
        Store.require(settings.store_path)

    @classmethod
    def create(cls, settings: WalletSettings, passphrase: str, **options: Any) -> Wallet:
        store = Store.create(settings.store_path, passphrase, kdf_of(settings))
        wallet = cls(settings, store, **options)
        with wallet._session() as db:
            db.table(META).insert({"created_at": wallet.clock(), "schema": 1})
        return wallet

    @classmethod
    def open(cls, settings: WalletSettings, passphrase: str, **options: Any) -> Wallet:
        # A wallet that ran under a witness policy and is given none (a lost wallet.toml)
        # stops here, not at its first question to the ledger: ``witness_policy_lost``.
        check_kept_policy(settings.trust_file, settings.checkpoint_policy())
        # A wallet that trusted a checkpoint and lost it stops here too: ``trust_file_lost``.
        check_trust_file(settings.trust_file)
        return cls(settings, Store.open(settings.store_path, passphrase), **options)

    @classmethod
    def restore(
        cls,
        settings: WalletSettings,
        backup: Path,
        backup_passphrase: str,
        passphrase: str,
        **options: Any,
    ) -> Wallet:
        """Restore ``backup`` into this data dir's wallet, which must be empty or absent.
        The backup is opened and checked before anything is created or written."""
        document = read_backup(backup, backup_passphrase)
        if cls.exists(settings):
            wallet = cls.open(settings, passphrase, **options)
        else:
            wallet = cls.create(settings, passphrase, **options)
        try:
            if wallet.credentials() or wallet.history():
                raise WALLET_RESTORE_NOT_EMPTY(
                    f"{settings.store_path} already holds credentials or history; restore "
                    "into a fresh data dir (or move this wallet aside first)"
                )
            wallet.store.replace(document)
        except BaseException:
            wallet.close()
            raise
        return wallet

    @property
    def store(self) -> Store:
        if self._store is None:
            raise WALLET_LOCKED("the wallet is locked: unlock it with its passphrase")
        return self._store

    @property
    def locked(self) -> bool:
        return self._store is None

    def lock(self) -> None:
        """Forget the key and every decrypted record; the file stays as it is."""
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        if self._store is not None:
            self._last_sealed = self._store.storage.sealed
            self._store.close()
            self._store = None
        self._close_ledger()
        if self._federation is not None:
            self._federation.close()
            self._federation = None

    def _close_ledger(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
        self._kept = None  # a client opened later reads the file as it is, or refuses it

    def _mend_checkpoint(self) -> None:
        """The checkpoint file found not as the open ledger client left it is written again
        from what the client holds (``KeptCheckpoint``), before the client writes over it."""
        with self._lock:
            if self._ledger is not None and self._kept is not None:
                try:
                    notice = self._kept.check(self._ledger.trusted_note)
                except Error as exc:  # it could not be written again: said the same way
                    notice = exc
                if notice is not None:
                    self._checkpoint_put_back = notice

    def unlock(self, passphrase: str) -> None:
        """Open the store again. Its file found damaged or lost since this program had it
        open is written again from the copy it last had (the damage kept beside it, and
        said in ``put_back``): the citizen loses nothing the wallet held before it locked."""
        if self._store is None:
            path = self.settings.store_path
            try:
                self._store = Store.open(path, passphrase)
            except Error as exc:
                last = self._last_sealed
                if last is None or not any(c.matches(exc) for c in DAMAGED):
                    raise
                self._store, aside = Store.put_back(path, passphrase, last)
                found = f"damaged [{exc.code}], kept as {aside.name}" if aside else "removed"
                self._put_back = WALLET_STORE_PUT_BACK(
                    f"{path} was found {found} while the wallet was locked; it was written "
                    "again as this program last saved it"
                )
        self.idle.touch()

    def take_notice(self) -> Error | None:
        """Once: the store's file found damaged, replaced or removed from outside, and
        written again from what this program held (at an unlock, or at a write)."""
        # Asked by the app's screen each second: never waits behind a worker's write (None
        # this time; the next asks again).
        if not self._lock.acquire(blocking=False):
            return None
        try:
            notice, self._put_back = self._put_back, None
            if notice is None and self._store is not None:
                notice, self._store.storage.notice = self._store.storage.notice, None
            self._mend_checkpoint()
            if notice is None:
                notice, self._checkpoint_put_back = self._checkpoint_put_back, None
        finally:
            self._lock.release()
        return notice

    def check_idle(self) -> bool:
        """Lock if idle too long; True if the wallet is (now) locked. The TUI polls this."""
        if self._store is not None and self.idle.expired():
            self.lock()
        return self.locked

    def close(self) -> None:
        self.lock()

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """Every use goes through here: refuse when locked or idle too long, else count as
        activity."""
        with self._lock:
            if self.check_idle():
                raise WALLET_LOCKED("the wallet locked itself after idling: unlock it again")
            self.idle.touch()
            yield self.store.db

    def _guard(self) -> None:
        with self._session():
            pass

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-seal under a key from ``new`` (with a fresh salt), once ``old`` is proven."""
        check_strength(new)
        with self._session():
            current = self.store.storage.key
            if current is None:
                raise WALLET_LOCKED("the wallet is locked")
            proof = SealKey.derive(old, current.kdf, current.salt)
            if not hmac.compare_digest(proof.check, current.check):
                raise WALLET_PASSPHRASE_WRONG("the current passphrase is not the one given")
            self.store.rekey(SealKey.derive(new, kdf_of(self.settings) or current.kdf))

    # -- credentials ----------------------------------------------------------------------

    def credentials(self) -> list[Credential]:
        with self._session() as db:
            records = db.table(CREDENTIALS).all()
        held = [Credential.from_json(record) for record in records]
        return sorted(held, key=lambda c: (c.received_at, c.id))

    def credential(self, ident: str) -> Credential:
        """The credential whose id is ``ident`` (or starts with it, if only one does)."""
        with self._session() as db:
            table = db.table(CREDENTIALS)
            exact = table.get(Query().id == ident)
            if exact is not None:
                return Credential.from_json(exact)
            if len(ident) >= MIN_ID_PREFIX:
                found = table.search(Query().id.test(lambda v: str(v).startswith(ident)))
                if len(found) == 1:
                    return Credential.from_json(found[0])
        raise WALLET_CREDENTIAL_NOT_FOUND(f"no credential {ident!r} in this wallet")

    def add(self, credential: Credential) -> None:
        with self._session() as db:
            db.table(CREDENTIALS).insert(credential.to_json())

    def put(self, credential: Credential) -> None:
        """Replace the stored record of ``credential`` (same id)."""
        with self._session() as db:
            record = credential.to_json()

            def replace(doc: dict[str, Any]) -> None:
                doc.clear()
                doc.update(record)

            updated = db.table(CREDENTIALS).update(replace, Query().id == credential.id)
        if not updated:
            raise WALLET_CREDENTIAL_NOT_FOUND(f"no credential {credential.id!r} in this wallet")

    def put_many(self, credentials: list[Credential]) -> None:
        """Replace several records in one sealed write (a status refresh)."""
        by_id = {c.id: c.to_json() for c in credentials}
        if not by_id:
            return

        def replace(doc: dict[str, Any]) -> None:
            record = by_id[doc["id"]]
            doc.clear()
            doc.update(record)

        with self._session() as db:
            db.table(CREDENTIALS).update(replace, Query().id.one_of(list(by_id)))

    def remove(self, ident: str) -> Credential:
        credential = self.credential(ident)
        with self._session() as db:
            db.table(CREDENTIALS).remove(Query().id == credential.id)
        return credential

    # -- history --------------------------------------------------------------------------

    def clock_behind(self, held: Iterable[Credential] | None = None) -> int | None:
        """The newest time this wallet recorded by its own clock (a card received or checked
        on the ledger, an answer to a desk), if the clock now reads well before it: moved
        back since. The ledger's signatures then look as if from the future (refused), and
        every date the wallet writes would be out of order with those it holds. ``held``:
        the credentials, where just read."""
        cards = self.credentials() if held is None else held
        times = [t for c in cards for t in (c.received_at, c.checked_at or 0)]
        newest = max([*times, *(p.at for p in self.history())], default=0)
        return newest if newest - self.clock() > CLOCK_SLACK_SECONDS else None

    def history(self) -> list[Presentation]:
        with self._session() as db:
            records = sorted(db.table(HISTORY).all(), key=lambda r: r.doc_id)  # as recorded
        return [Presentation.from_json(r) for r in records]

    def record(self, presentation: Presentation) -> None:
        """Keep ``presentation``: it is also what tells which copy met which verifier."""
        with self._session() as db:
            db.table(HISTORY).insert(presentation.to_json())

    def shown(self) -> dict[str, set[str]]:
        """Copy id -> the verifiers (DIDs) it was shown to, from the history."""
        seen: dict[str, set[str]] = {}
        for entry in self.history():
            seen.setdefault(entry.copy_id, set()).add(entry.verifier)
        return seen

    # -- backup ---------------------------------------------------------------------------

    def backup(self, path: Path, passphrase: str) -> int:
        """Seal the whole wallet into ``path`` under ``passphrase``; bytes written."""
        with self._session():
            document = self.store.document()
        return write_backup(path, document, passphrase, now=self.clock(), kdf=kdf_of(self.settings))

    # -- protocols ------------------------------------------------------------------------

    def review_offer(self, link: str) -> OfferReview:
        """Check an offer link, the issuer and its accreditation; nothing is spent. An offer
        served once (by reference) is kept until redeemed, so the link works again."""
        self._guard()
        return issuance.review(self, link)

    def kept_offer(self, offer_uri: str) -> CredentialOffer | None:
        """The offer fetched from ``offer_uri`` before and not yet redeemed, if any."""
        with self._session() as db:
            found = db.table(OFFERS).get(Query().uri == offer_uri)
        return CredentialOffer.from_json(found["offer"]) if found is not None else None

    def keep_offer(self, offer_uri: str, offer: CredentialOffer) -> None:
        """Keep an offer served once (by reference) until it is redeemed; the oldest kept
        goes once there are ``MAX_KEPT_OFFERS``."""
        with self._session() as db:
            table = db.table(OFFERS)
            if table.contains(Query().uri == offer_uri):
                return
            kept = sorted(table.all(), key=lambda r: r.doc_id)
            stale = [r.doc_id for r in kept[: max(0, len(kept) - MAX_KEPT_OFFERS + 1)]]
            if stale:
                table.remove(doc_ids=stale)
            table.insert({"uri": offer_uri, "offer": offer.to_json(), "at": self.clock()})

    def forget_offer(self, offer_uri: str) -> None:
        with self._session() as db:
            db.table(OFFERS).remove(Query().uri == offer_uri)

    def accept_offer(self, review: OfferReview, tx_code: str | None = None) -> list[Credential]:
        self._guard()
        return issuance.accept(self, review, tx_code)

    def receive(self, link: str, tx_code: str | None = None) -> list[Credential]:
        """Review and accept in one call (scripts, the demo)."""
        return self.accept_offer(self.review_offer(link), tx_code)

    def apply(self, issuer_url: str, rule: str) -> by_rule.Applied:
        """Ask an agency for the credential its rule on the ledger issues: present what the
        rule needs, and receive it at once, or learn which condition failed."""
        self._guard()
        return by_rule.apply(self, issuer_url, rule)

    def prepare_apply(self, issuer_url: str, rule: str) -> by_rule.RulePlan:
        """Check an agency's request by its rule and what answering it would send (the card,
        its claims, a condition the card does not meet); nothing is sent."""
        self._guard()
        return by_rule.prepare(self, issuer_url, rule)

    def send_apply(self, plan: by_rule.RulePlan) -> by_rule.Applied:
        """Send what ``plan`` shows, agreed to: issued at once, or which condition failed."""
        self._guard()
        return by_rule.send(self, plan)

    def prepare(self, link: str) -> Plan:
        """Check a desk's request and what answering it would send; nothing is sent."""
        self._guard()
        return presentation.prepare(self, link)

    def decline(self, plan: Plan | by_rule.RulePlan) -> bool:
        """Tell the desk (or the agency asking by its rule) whose request ``plan`` answers
        that nothing will be sent; False if it could not be told."""
        self._guard()
        return presentation.decline(self, plan.request)

    def present(
        self,
        plan: Plan,
        *,
        omit: Iterable[str] = (),
        choose: dict[str, str] | None = None,
        unsafe_send_unaccredited: Iterable[str] = (),
    ) -> Outcome:
        self._guard()
        return presentation.present(
            self,
            plan,
            omit=omit,
            choose=choose,
            unsafe_send_unaccredited=unsafe_send_unaccredited,
        )

    def refresh(self) -> Refreshed:
        """Every copy's status from the status lists on the ledger."""
        return status.refresh(self)

    def import_file(self, path: Path, key_path: Path | None = None) -> Credential:
        """Hold an SD-JWT VC from a file, verified as a received one is."""
        data = _read_import_file(path)
        key_data = _read_import_file(key_path) if key_path is not None else None
        sd_jwt, key = intake.read_import(data, key_data)
        self._guard()
        credential = intake.import_credential(
            self._issuers_trust(sd_jwt), sd_jwt, key, now=self.clock(), languages=self.languages
        )
        self.add(credential)
        return credential

    # -- the outside world ----------------------------------------------------------------

    @property
    def ledger(self) -> LedgerClient:
        if self._ledger is None:
            self._ledger = LedgerClient(
                self.settings.ledger_url,
                self.settings.checkpoint_key(),
                trust_file=self.settings.trust_file,
                transport=self.transport,
                timeout=self.settings.http_timeout,
                deadline=self.settings.http_deadline,
                policy=self.settings.checkpoint_policy(),
                remember=True,
            )
            self._kept = KeptCheckpoint(self.settings.trust_file)
        return self._ledger

    @property
    def trust(self) -> Trust:
        """Every ledger question the wallet asks, answered by the kernel's trust package."""
        self._mend_checkpoint()
        if self._trust is None or self._trust.client is not self.ledger:
            self._trust = Trust(self.ledger, clock=self.clock)
            if self._federation is not None:
                self._federation.close()
                self._federation = None
        return self._trust

    def trust_for(self, did: str) -> Trust:
        """The ledger questions about ``did`` (an issuer), answered on its ledger: the
        wallet's own, or a foreign one it pins (``wallet federate``), proven the same way."""
        trust = self.trust
        if self._federation is None:
            pins = Pins(self.settings.federation_path).load()
            self._federation = Federation.open(
                trust,
                pins,
                clock=self.clock,
                trust_dir=self.settings.federation_path,
                transports={p.name: self.transport for p in pins if self.transport},
            )
        return self._federation.route(did).trust

    def _issuers_trust(self, sd_jwt: str) -> Trust:
        """The ledger of the issuer ``sd_jwt`` names (read unverified only to choose where
        to ask: that ledger then proves its key, accreditation and type, or refuses)."""
        try:
            iss = sdjwt.parse(sd_jwt.strip()).payload.get("iss")
        except Error:
            return self.trust  # malformed: refused by the checks, with their code
        return self.trust_for(iss) if isinstance(iss, str) else self.trust

    def reset_ledger_client(self) -> None:
        """Forget the ledger client (its URL or key changed); the next use makes a new one."""
        with self._lock:
            self._close_ledger()

    def http(self) -> HttpClient:
        """A bounded client for issuers and verifiers (a fresh one per flow)."""
        return HttpClient(
            transport=self.transport,
            timeout=self.settings.http_timeout,
            deadline=self.settings.http_deadline,
        )


def kdf_of(settings: WalletSettings) -> KdfParams | None:
    if settings.kdf_memory_kib is None and settings.kdf_iterations is None:
        return None
    default = KdfParams()
    return KdfParams(
        settings.kdf_memory_kib or default.memory_kib,
        settings.kdf_iterations or default.iterations,
    )


__all__ = ["IdleLock", "Wallet"]


def _read_import_file(path: Path) -> bytes:
    """A file given to ``import``, read no further than any credential could reach: a named
    pipe, a directory or ``/dev/zero`` is one line, never a wait or a memory filled up."""
    return read_bounded(
        path,
        intake.MAX_IMPORT_BYTES,
        too_large=WALLET_IMPORT_INVALID,
        message=f"{path} is over {intake.MAX_IMPORT_BYTES} bytes: not a credential file",
        unreadable=WALLET_IMPORT_INVALID,
        not_regular=WALLET_IMPORT_INVALID,
    )
