"""Rebuilding a lost issuer store from the ledger. The status lists there are the truth: each
is read with its proofs (the latest, nothing newer withheld) and kept exactly as it is, and
every index of it stays out of use (a "valid" index may be a credential in a wallet), so new
credentials go to a fresh list numbered past every list the lost store may have made.

Credentials, offers and clerks were in the lost store only: a recovered list's statuses are
republished as they stand, but cannot be changed one by one any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid.errors import NotFound
from civicid.files import listed
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.proven import STATUS_LIST_NOT_FOUND
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, StatusListToken
from civicid.times import Clock, system_clock
from civicid.trust import Trust
from issuer.agency import ledger_client, require_key_in_force
from issuer.errors import NOTHING_TO_RECOVER, STORE_FAILED, STORE_PRESENT
from issuer.records import AuditEvent, ListRecord
from issuer.service import Issuer
from issuer.settings import IssuerSettings
from issuer.status import BITS, list_uri
from issuer.store import DB_FILE, Audit, PutList
from issuer.stores import open_store, store_exists

# Lists are numbered 1, 2, ... and each is published on its own, so one may be missing from
# the ledger while a later one is there; and the last lists a lost store made may never have
# reached it, with credentials issued from them. Recovery looks this many numbers past the
# last list it finds, and new credentials go to a list numbered past them all. Issuing needs
# the ledger (its answers are trusted for accreditation_ttl only) and a new list is published
# at once, so no more than one or two lists are ever made without reaching the ledger.
LOOKAHEAD: Final = 4
ACTOR: Final = "recovery"


@dataclass(frozen=True, slots=True)
class FoundList:
    """One of the agency's lists as the ledger holds it, proven the latest and verified."""

    number: int
    uri: str
    seq: int
    token: StatusListToken

    @property
    def revoked(self) -> int:
        return self.token.status_list.count(STATUS_INVALID)

    @property
    def suspended(self) -> int:
        return self.token.status_list.count(STATUS_SUSPENDED)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "uri": self.uri,
            "ledgerSeq": self.seq,
            "size": self.token.status_list.size,
            "revoked": self.revoked,
            "suspended": self.suspended,
        }


@dataclass(frozen=True, slots=True)
class Recovered:
    did: str
    lists: list[FoundList]
    fresh: ListRecord

    def to_json(self) -> dict[str, Any]:
        return {
            "did": self.did,
            "recovered": [f.to_json() for f in self.lists],
            "freshList": self.fresh.to_json(),
        }


def ledger_lists(trust: Trust, base_url: str, did: str, *, now: int) -> list[FoundList]:
    """Every list of the agency on the ledger, from number 1 until ``LOOKAHEAD`` numbers in a
    row are proven absent; each as the agency issued it, whatever its age, and refused when
    another DID owns it (``Trust.status_list_as_issued``)."""
    found: list[FoundList] = []
    number = missing = 0
    while missing < LOOKAHEAD:
        number += 1
        uri = list_uri(base_url, number)
        try:
            proven = trust.status_list_as_issued(uri, issuer=did, now=now)
        except NotFound as exc:
            if not STATUS_LIST_NOT_FOUND.matches(exc):
                raise
            missing += 1
            continue
        missing = 0
        found.append(FoundList(number, uri, proven.seq, proven.token))
    return found


def recover(
    settings: IssuerSettings, *, clock: Clock = system_clock, client: LedgerClient | None = None
) -> Recovered:
    """Make the lost store anew from the ledger's lists, publish them back unchanged (the
    ledger takes them only if nothing was cleared) with a fresh list for new credentials.
    All or nothing: on a refusal no store is left behind."""
    db = settings.store_dir / DB_FILE if settings.database_url is None else "the database's store"
    if store_exists(settings):
        raise STORE_PRESENT(
            f"{db} exists: recovery rebuilds a lost store only; move it away first if it is "
            "damaged beyond use"
        )
    # Listed now, before anything is written: a directory that cannot be listed would hide
    # the files of a store begun here from the clean-up, and leave them behind a refusal.
    begun_files(settings)
    identity = KeyStore(settings.keys_dir).identity(settings.identity)
    own_client = client is None
    reader = client or ledger_client(settings)
    try:
        now = clock()
        trust = Trust(reader, clock=clock)
        require_key_in_force(trust, identity, now)
        found = ledger_lists(trust, settings.public_url, identity.did, now=now)
        if not found:
            # Most likely another public_url than the lists were published under: a store
            # made now would never republish them, and every credential would fail its check.
            raise NOTHING_TO_RECOVER(
                f"no status list under {settings.public_url}/status/ on the ledger: check "
                "public_url (an issuer that never published a list is set up with init)"
            )
    finally:
        if own_client:
            reader.close()
    records = [
        ListRecord(
            number=f.number,
            uri=f.uri,
            size=f.token.status_list.size,
            bits=f.token.status_list.bits,
            created=f.token.iat,
            published_seq=f.seq,
            token=f.token.text,  # its statuses are the list's (StatusLists.load)
        )  # published_at None: signed again and republished at once, by the key in force
        for f in found
    ]
    number = max((f.number for f in found), default=0) + LOOKAHEAD + 1
    fresh = ListRecord(
        number, list_uri(settings.public_url, number), settings.status_list_size, BITS, now
    )
    event = AuditEvent(
        at=now,
        actor=ACTOR,
        action="store.recover",
        detail={"lists": [f.to_json() for f in found], "freshList": number},
    )
    try:
        store = open_store(settings, create=True)
        try:
            store.write([*(PutList(r) for r in records), PutList(fresh), Audit(event)])
        finally:
            store.close()
        issuer = Issuer.open(settings, clock=clock)
        try:
            issuer.publish(ACTOR)
        finally:
            issuer.close()
    except BaseException:  # a refusal, or an interrupt: the next attempt begins anew
        discard_begun(settings)
        raise
    return Recovered(identity.did, found, fresh)


def discard_begun(settings: IssuerSettings) -> None:
    """Remove the store a failed recovery began: the SQLite store's files, or the database's
    store emptied (``issuer.pg_store.discard_begun``)."""
    if settings.database_url is None:
        for path in begun_files(settings):
            path.unlink(missing_ok=True)
        return
    # Imported only here: an issuer on its embedded store never loads the database driver.
    from issuer.pg_store import discard_begun as discard_in_database

    discard_in_database(settings.database_url)


def begun_files(settings: IssuerSettings) -> list[Path]:
    """The files of a SQLite store in the store directory (the database and its journals);
    a directory that cannot be listed is ``issuer_store_failed`` naming it, never none."""
    return listed(
        settings.store_dir,
        DB_FILE + "*",
        unreadable=STORE_FAILED,
        what="the issuer's store directory",
        missing_ok=True,
    )
