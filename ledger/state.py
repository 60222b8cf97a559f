"""The ledger's current state, derived by replaying the log; rebuilt from it at any time."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar

from civicid.accreditation import Grant
from civicid.did import DID, DID_DEACTIVATED, DID_NOT_FOUND, Document
from civicid.statemap import StateMap, map_key, map_value
from civicid.transaction import Transaction
from civicid.type_metadata import TypeMetadata
from ledger.errors import (
    LEDGER_NOT_INITIALIZED,
)

# Parsed DID documents kept in memory, most recently used first: the DIDs that sign most
# often (governance, agencies publishing lists, a DID just created and about to rotate). A
# parsed document costs a few KiB, so this bounds that part of memory to tens of MiB whatever
# the log's size; the others are read back from their log entries when needed. At least
# twice ledger.log.MAX_BATCH: a document applied in a batch can be asked for again (a create
# then a rotation in the same batch) before the batch reaches the store to be read back.
MAX_CACHED_DOCUMENTS: Final = 10_000
# Where a DID entry's payload names its document, at the latest: after '{"body":{"did":"',
# a did:civicid (12 + 32 characters) and its closing quote, so well within this.
MAX_DOCUMENT_OFFSET: Final = 128


def logged_document(entry: bytes) -> dict[str, Any] | None:
    """The ``document`` of a DID entry this ledger logged, read from its JWS payload alone
    (None if it is not there). The entry was parsed and checked in full when it was logged
    and at every replay, and the store checks its CRC as it reads it back, so an answer
    needs only its payload: not the header, the signature, or the strict parser's checks
    (canonical base64, no duplicate keys), which were half of a first resolution's CPU."""
    parts = entry.split(b".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        document = data["body"]["document"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        return None
    return document if isinstance(document, dict) else None


# What may stand between the strings of a logged document for it to be answered as it is
# logged, its separators spaced as ``json.dumps`` spaces them: structure and the literals
# true, false and null. Numbers (RFC 8785 and ``json.dumps`` may spell one differently) and
# whitespace leave a document to ``json.dumps``.
SPLICEABLE: Final = b"{}[],:truefalsn"
# A DID entry's payload as RFC 8785 writes it: its body first, the body's DID, then (keys
# sorted) its document, if nothing sorts between them.
BODY_HEAD: Final = b'{"body":{"did":"'
THEN_DOCUMENT: Final = b'","document":'
_decoder = json.JSONDecoder()
# base64url's alphabet to base64's, as ``base64.urlsafe_b64decode`` translates it.
URLSAFE: Final = bytes.maketrans(b"-_", b"+/")
# Distinct runs of structure between two strings of a document kept spaced (``_Spaced``): a
# few dozen in practice (``":"``, ``"],"``, ``"}]}"``...); a document nested oddly cannot
# grow it past this.
MAX_SPACED_RUNS: Final = 256


class _Spaced(dict[bytes, bytes]):
    """A run of structure with a space after each "," and ":", as ``json.dumps`` writes it,
    kept by the run: one look-up per run instead of two replaces."""

    def __missing__(self, run: bytes) -> bytes:
        spaced = run.replace(b",", b", ").replace(b":", b": ")
        if len(self) < MAX_SPACED_RUNS:
            self[run] = spaced
        return spaced


_spaced = _Spaced()


def logged_document_json(entry: bytes) -> bytes | None:
    """``json.dumps`` of the document of a DID entry this ledger logged (None if it is not
    there), as ``logged_document`` reads it but mostly not encoded again: the payload is
    RFC 8785 JSON (compact, as signed), so a document whose strings are ASCII without
    escapes is its logged bytes with ", " and ": " for "," and ":" between its strings (a
    test holds them equal to ``json.dumps`` of ``logged_document``). Only the document is
    parsed (to find where it ends and that it is one), from where a payload that names its
    DID first and then its document puts it (``BODY_HEAD``); any other is read in full."""
    # The payload between the JWS's two dots, found rather than split out (a copy of the
    # whole entry less), decoded as ``base64.urlsafe_b64decode`` decodes, without its wrapper.
    first = entry.find(b".")
    second = entry.find(b".", first + 1)
    if first < 0 or second < 0 or entry.find(b".", second + 1) >= 0:
        return None
    payload = entry[first + 1 : second]
    try:
        text = binascii.a2b_base64(payload.translate(URLSAFE) + b"=" * (-len(payload) % 4))
    except binascii.Error:
        return None
    close = text.find(b'"', len(BODY_HEAD), MAX_DOCUMENT_OFFSET)
    start = close + len(THEN_DOCUMENT)
    if (
        close < 0
        or not text.startswith(BODY_HEAD)
        or not text.startswith(THEN_DOCUMENT, close)
        or b"\\" in text[:start]
        or not text.isascii()
    ):
        return _dumped(logged_document(entry))
    try:
        document, end = _decoder.raw_decode(text.decode("ascii"), start)
    except ValueError:
        return _dumped(logged_document(entry))
    if not isinstance(document, dict):
        return _dumped(logged_document(entry))
    logged = text[start:end]
    if b"\\" in logged:
        return _dumped(document)
    pieces = logged.split(b'"')
    between = pieces[::2]  # what is not inside a string: no escape lets a quote in one
    if b"".join(between).translate(None, SPLICEABLE):
        return _dumped(document)
    pieces[::2] = map(_spaced.__getitem__, between)
    return b'"'.join(pieces)


def _dumped(document: dict[str, Any] | None) -> bytes | None:
    return None if document is None else json.dumps(document).encode()


class DidVersion(NamedTuple):
    """One version of a DID document, produced by the transaction at ``seq``. Immutable, and
    a tuple rather than a frozen dataclass: a 1M-entry ledger loads 1M of them at start-up,
    and a frozen dataclass costs ~5 times as much to make (each field set through
    ``object.__setattr__``), ~0.7 s of that start-up; ``_make`` checks the arity."""

    number: int
    seq: int
    time: int  # the transaction's iat: signed by the controller, checked by the ledger
    # The document itself is not held here: it is in the entry at ``seq``, read back (and
    # kept in a bounded cache) when asked for (``State.document``), so memory stays flat.
    next_key_hashes: tuple[str, ...]
    leaf_hash: bytes
    deactivated: bool = False  # this version is the DID's deactivation

    @property
    def version_id(self) -> str:
        return f"{self.number}-{self.leaf_hash.hex()}"


@dataclass(slots=True)
class DidRecord:
    did: DID
    role: str
    versions: list[DidVersion] = field(default_factory=list)
    bases: tuple[str, ...] = ()  # base URLs of its first document's services (status lists)

    @property
    def current(self) -> DidVersion:
        return self.versions[-1]

    def add(self, version: DidVersion) -> None:
        """``version`` is the new head. The one it supersedes lets go of its next-key hashes:
        only a head's are ever checked (the next rotation's key), and a superseded version
        holding its own was ~100 MiB of a 1M-entry ledger's memory."""
        if self.versions and self.versions[-1].next_key_hashes:
            self.versions[-1] = self.versions[-1]._replace(next_key_hashes=())
        self.versions.append(version)

    def visible(self, size: int) -> list[DidVersion]:
        """The versions whose transactions are in the first ``size`` entries of the log: a
        copy taken at once (a writer may add one meanwhile), and all of it when its last is
        in, as nearly every one is (a DID updated after the checkpoint served is the rare
        one whose versions are searched)."""
        versions = self.versions[:]
        if versions and versions[-1].seq < size:
            return versions
        return versions[: bisect.bisect_left([v.seq for v in versions], size)]

    def select(
        self, size: int, *, version_id: str | None = None, version_time: int | None = None
    ) -> tuple[DidVersion, list[DidVersion]]:
        """The version a resolution asks for, and every version visible at ``size``."""
        versions = self.visible(size)
        if not versions:
            raise DID_NOT_FOUND(f"{self.did} is not on the ledger")
        if version_id is not None:
            for version in versions:
                if version_id in (version.version_id, str(version.number)):
                    return version, versions
            raise DID_NOT_FOUND(f"{self.did} has no version {version_id!r}")
        if version_time is not None:
            earlier = [v for v in versions if v.time <= version_time]
            if not earlier:
                raise DID_NOT_FOUND(f"{self.did} did not exist at {version_time}")
            return earlier[-1], versions
        return versions[-1], versions


@dataclass(frozen=True, slots=True)
class Revocation:
    """The ``accreditation.revoke`` entry that ended an accreditation from ``time`` on."""

    seq: int
    leaf_hash: bytes
    time: int
    reason: str


@dataclass(frozen=True, slots=True)
class Accreditation:
    """A governance grant as logged at ``seq``, with its revocation once there is one."""

    grant: Grant
    seq: int
    leaf_hash: bytes
    time: int
    revocation: Revocation | None = None

    def revoked_at(self, size: int) -> int | None:
        """When it was revoked, as the first ``size`` entries of the log tell."""
        revocation = self.revocation
        return revocation.time if revocation is not None and revocation.seq < size else None


@dataclass(frozen=True, slots=True)
class TypeVersion:
    """One registration of a credential type by its issuer."""

    number: int
    issuer: DID
    metadata: TypeMetadata
    schema: dict[str, Any]
    seq: int
    leaf_hash: bytes
    time: int


@dataclass(frozen=True, slots=True)
class ListVersion:
    """One publish of a status list token; the token itself stays in the log entry."""

    number: int
    owner: DID
    bits: int
    entries: int
    issued_at: int  # the token's iat
    expires: int | None  # the token's exp
    ttl: int | None
    seq: int
    leaf_hash: bytes
    time: int
    # How many entries this version marks revoked (INVALID) and suspended: counted when it
    # is logged, so the public counts over time never read the tokens back.
    revoked: int
    suspended: int


Version = TypeVar("Version", TypeVersion, ListVersion)


def visible(versions: list[Version], size: int) -> list[Version]:
    """The versions whose entries are in the first ``size`` entries of the log."""
    return versions[: bisect.bisect_left([v.seq for v in versions], size)]


@dataclass(slots=True)
class State:
    """Everything the rules read: who exists, with which keys, and what has been seen."""

    origin: str | None = None
    governance: DID | None = None
    checkpoint_vkey: str | None = None
    dids: dict[DID, DidRecord] = field(default_factory=dict)
    tx_ids: set[str] = field(default_factory=set)
    extensions: dict[str, Any] = field(default_factory=dict)
    # Governance (ledger/governance.py): the trust registry, credential types, status lists.
    accreditations: dict[str, Accreditation] = field(default_factory=dict)
    accreditations_of: dict[DID, list[str]] = field(default_factory=dict)  # ids, grant order
    credential_types: dict[str, list[TypeVersion]] = field(default_factory=dict)  # by vct
    status_lists: dict[str, list[ListVersion]] = field(default_factory=dict)  # by uri
    # The revoked (INVALID) indexes of each list's latest version: revocation is final.
    status_revoked: dict[str, frozenset[int]] = field(default_factory=dict)
    # The verifiable current state (civicid/statemap.py): per name, the latest entry about it.
    statemap: StateMap = field(default_factory=StateMap)
    # While replaying a whole log: the map's items, built into the map once at the end.
    deferred: dict[bytes, bytes] | None = None
    # Reads entry ``seq`` of the log: DID documents are read back from there.
    reader: Callable[[int], bytes] | None = None
    # Parsed documents by the seq of their entry, least recently used first; bounded.
    documents: dict[int, Document] = field(default_factory=dict)
    _documents_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note_latest(self, kind: str, name: str, seq: int, leaf_hash: bytes) -> None:
        """Entry ``seq`` is now the latest about ``<kind>:<name>``."""
        key, value = map_key(kind, name), map_value(leaf_hash, seq)
        if self.deferred is not None:
            self.deferred[key] = value
        else:
            self.statemap = self.statemap.set(key, value)

    def defer_map(self) -> None:
        """Collect map updates instead of applying each (a replay builds the map once)."""
        self.deferred = dict(self.statemap.items())

    def map_root(self) -> bytes:
        """The map's root as the state stands (built from the deferred items if deferred)."""
        if self.deferred is not None:
            return StateMap.build(self.deferred.items()).root
        return self.statemap.root

    def build_map(self) -> None:
        if self.deferred is not None:
            self.statemap = StateMap.build(self.deferred.items())
            self.deferred = None

    def record(self, did: DID) -> DidRecord:
        record = self.dids.get(did)
        if record is None:
            raise DID_NOT_FOUND(f"{did} is not on the ledger")
        return record

    def remember(self, seq: int, document: Document) -> None:
        """Keep ``document`` (logged at ``seq``) parsed, evicting the least recently used."""
        with self._documents_lock:
            self.documents.pop(seq, None)
            self.documents[seq] = document
            while len(self.documents) > MAX_CACHED_DOCUMENTS:
                del self.documents[next(iter(self.documents))]

    def document(self, did: DID, version: DidVersion) -> Document | None:
        """``version``'s document (None for a deactivation): from the cache, else read back
        from its log entry (validated as the ledger logged it, keys parsed) and cached."""
        if version.deactivated:
            return None
        with self._documents_lock:
            cached = self.documents.pop(version.seq, None)
            if cached is not None:
                self.documents[version.seq] = cached  # most recently used
                return cached
        if self.reader is None:
            raise LEDGER_NOT_INITIALIZED("no log to read documents from")
        data = Transaction.parse(self.reader(version.seq)).body["document"]
        document = Document.validate(did, data, full=False)
        self.remember(version.seq, document)
        return document

    def document_data(self, version: DidVersion) -> dict[str, Any] | None:
        """``version``'s document as logged (None for a deactivation), for answers: from the
        cache if there, else from its entry without caching (a resolution of a DID nobody
        signs with must not evict the ones that do)."""
        if version.deactivated:
            return None
        with self._documents_lock:
            cached = self.documents.get(version.seq)
        if cached is not None:
            return cached.data
        if self.reader is None:
            raise LEDGER_NOT_INITIALIZED("no log to read documents from")
        entry = self.reader(version.seq)
        data = logged_document(entry)
        if data is None:  # not the entry it was logged as: the full parse says how
            data = Transaction.parse(entry).body["document"]
        return data

    def live_document(self, did: DID) -> Document:
        """The current document of an active DID."""
        current = self.record(did).current
        document = self.document(did, current)
        if document is None:
            raise DID_DEACTIVATED(f"{did} has been deactivated")
        return document

    def governance_document(self) -> Document:
        if self.governance is None:
            raise LEDGER_NOT_INITIALIZED("the ledger has no genesis")
        return self.live_document(self.governance)
