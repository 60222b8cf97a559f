"""Who may sign a DID's history: its creation (proof of possession, governance's endorsement),
each key rotation (the controller key in force, or the committed pre-rotation key) and its
deactivation; governance's own history starts at the genesis.

The ledger checks each entry with these functions when it appends; a client checks a DID's
whole history with the same functions, version by version from its creation (``Chain``), so
an operator who can sign checkpoints still cannot make a client believe a forged version.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from civicid.did import (
    CONTROLLER_RELATIONSHIP,
    DID,
    DID_DEACTIVATED,
    Document,
    check_self_certifying,
    parse_did,
    split_key_id,
)
from civicid.errors import Conflict, InvalidInput, Refused, VerificationError, declare
from civicid.jose import SIGNING_ALGS, CompactJWS, PublicKey
from civicid.transaction import (
    DID_CREATE,
    DID_DEACTIVATE,
    DID_UPDATE,
    ENDORSEMENT_TYP,
    GENESIS,
    Transaction,
)

SIGNER_UNKNOWN = declare("signer_unknown", VerificationError, "the signer is not on the ledger")
SIGNER_DEACTIVATED = declare(
    "signer_deactivated", VerificationError, "the signer's DID was deactivated by then"
)
SIGNER_NOT_CONTROLLER = declare(
    "signer_not_controller", Refused, "the signer does not control the DID"
)
TX_BODY_INVALID = declare("tx_body_invalid", InvalidInput, "the transaction body is invalid")
ROLE_UNKNOWN = declare("role_unknown", InvalidInput, "the role is not one governance endorses")
DID_PREV_MISMATCH = declare(
    "did_prev_mismatch", Conflict, "prev must name the DID's current version"
)
TX_TIME_REGRESSION = declare(
    "tx_time_regression", Refused, "a new version cannot predate the one it replaces"
)
PREROTATION_KEY_MISMATCH = declare(
    "prerotation_key_mismatch", Refused, "the signing key is not the committed next key"
)
ENDORSEMENT_MISSING = declare(
    "endorsement_missing", Refused, "the DID needs governance's endorsement"
)
ENDORSEMENT_INVALID = declare("endorsement_invalid", Refused, "the endorsement does not verify")
DID_HISTORY_INVALID = declare(
    "did_history_invalid", VerificationError, "the DID's history does not verify"
)

# Roles governance may endorse; citizens never get a ledger DID.
ROLES: Final = frozenset({"agency", "service-desk"})
GOVERNANCE_ROLE: Final = "governance"
# A document commits to at most this many next keys: enough for a few backup keys, and a
# bound on what every later rotation check reads.
MAX_NEXT_KEY_HASHES: Final = 8
# An RFC 7638 SHA-256 thumbprint, base64url without padding.
THUMBPRINT_CHARS: Final = 43
# Governance and issuers sign what they assert with an assertionMethod key (DID Core §5.3.2).
ASSERTION: Final = "assertionMethod"
# Endorsements are small signed statements; anything bigger is not one.
MAX_ENDORSEMENT_BYTES: Final = 8192


def body_field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TX_BODY_INVALID(f"body.{name} must be a {kind.__name__}")
    return value


def next_key_hashes(body: dict[str, Any]) -> tuple[str, ...]:
    """The pre-rotation commitment: JWK thumbprints of the keys allowed to rotate next."""
    hashes = body.get("nextKeyHashes", [])
    if (
        not isinstance(hashes, list)
        or len(hashes) > MAX_NEXT_KEY_HASHES
        or not all(isinstance(h, str) and len(h) == THUMBPRINT_CHARS for h in hashes)
    ):
        raise TX_BODY_INVALID("nextKeyHashes must list base64url SHA-256 JWK thumbprints")
    return tuple(hashes)


def verify_signed_by(tx: Transaction, key: PublicKey, verify: bool) -> None:
    if verify:
        tx.jws.verify_with(key)


@dataclass(frozen=True, slots=True)
class Founding:
    """What a DID's first entry (genesis or create) establishes, once its checks passed."""

    did: DID
    role: str
    document: Document
    next_key_hashes: tuple[str, ...]
    endorsement: Any  # the create's endorsement token, checked against governance separately


def check_genesis(tx: Transaction, *, full: bool = True, verify: bool = True) -> Founding:
    """The genesis names the ledger's origin and checkpoint key and founds governance's DID,
    signed by that DID's own controller key (the operator's, once, at ``ledger init``)."""
    origin = body_field(tx.body, "origin", str)
    body_field(tx.body, "checkpointKey", str)
    did = parse_did(body_field(tx.body, "did", str))
    if tx.ledger != origin:
        raise TX_BODY_INVALID("genesis ledger must equal its origin")
    document = body_field(tx.body, "document", dict)
    if full:
        check_self_certifying(did, document)
    governance = Document.validate(did, document, full=full)
    if tx.signer != did:
        raise SIGNER_NOT_CONTROLLER("genesis is signed by the governance DID")
    verify_signed_by(tx, governance.key(tx.kid, CONTROLLER_RELATIONSHIP), verify)
    return Founding(did, GOVERNANCE_ROLE, governance, (), None)


def check_create(tx: Transaction, *, full: bool = True, verify: bool = True) -> Founding:
    """A DID is created by its own controller key (proof of possession), for a document its
    identifier is derived from; governance's endorsement is checked by ``check_endorsement``."""
    did = parse_did(body_field(tx.body, "did", str))
    role = body_field(tx.body, "role", str)
    if role not in ROLES:
        raise ROLE_UNKNOWN(f"role must be one of {sorted(ROLES)}")
    document = body_field(tx.body, "document", dict)
    if full:
        check_self_certifying(did, document)
    validated = Document.validate(did, document, full=full)
    if tx.signer != did:
        raise SIGNER_NOT_CONTROLLER("a DID is created by its own key")
    verify_signed_by(tx, validated.key(tx.kid, CONTROLLER_RELATIONSHIP), verify)
    return Founding(did, role, validated, next_key_hashes(tx.body), tx.body.get("endorsement"))


def check_endorsement(
    token: Any,
    *,
    did: DID,
    role: str,
    origin: str | None,
    governance: DID | None,
    governance_key: Callable[[str], PublicKey],
    verify: bool = True,
) -> None:
    """Governance's signed consent that ``did`` joins in ``role`` (DESIGN: who may write what),
    checked with ``governance_key(kid)``: governance's assertion key in force at the create."""
    if not isinstance(token, str):
        raise ENDORSEMENT_MISSING(f"a {role} DID needs governance's endorsement")
    try:
        jws = CompactJWS.parse(token, max_bytes=MAX_ENDORSEMENT_BYTES)
        jws.check_header(allowed_algs=SIGNING_ALGS, typ=ENDORSEMENT_TYP)
        kid = str(jws.header.get("kid"))
        signer, _ = split_key_id(kid)
    except (InvalidInput, VerificationError) as exc:
        raise ENDORSEMENT_INVALID(f"endorsement is malformed: {exc.message}") from exc
    if signer != governance:
        raise ENDORSEMENT_INVALID("endorsement is not signed by governance")
    key = governance_key(kid)  # outside the try: a failed look-up keeps its own code
    try:
        if verify:
            jws.verify_with(key)
        claims = jws.payload_json()
    except (InvalidInput, VerificationError) as exc:
        raise ENDORSEMENT_INVALID(f"endorsement does not verify: {exc.message}") from exc
    if claims.get("sub") != did or claims.get("role") != role or claims.get("ledger") != origin:
        raise ENDORSEMENT_INVALID("endorsement is for another DID, role or ledger")


@dataclass(frozen=True, slots=True)
class Head:
    """The version a DID update or deactivation must follow: live, with its document."""

    did: DID
    version_id: str
    time: int
    document: Document
    next_key_hashes: tuple[str, ...]


def check_successor(
    tx: Transaction, head: Head, *, full: bool = True, verify: bool = True
) -> tuple[Document | None, tuple[str, ...]]:
    """A DID update (a new document) or deactivation (None) following ``head``: signed by the
    DID's controller key in force, or, once the DID committed to next keys, by one of those
    (pre-rotation), which must control the new version. Returns the new document and its
    next-key commitment."""
    if tx.type not in (DID_UPDATE, DID_DEACTIVATE):
        raise TX_BODY_INVALID(f"a {tx.type} does not follow a DID version")
    if parse_did(body_field(tx.body, "did", str)) != head.did:
        raise TX_BODY_INVALID("the entry is about another DID")
    if tx.signer != head.did:
        raise SIGNER_NOT_CONTROLLER("only the DID's controller may change it")
    if body_field(tx.body, "prev", str) != head.version_id:
        raise DID_PREV_MISMATCH(f"prev must name the current version {head.version_id}")
    if tx.iat < head.time:
        raise TX_TIME_REGRESSION("a new version cannot predate the one it replaces")
    if tx.type == DID_DEACTIVATE:
        verify_signed_by(tx, head.document.key(tx.kid, CONTROLLER_RELATIONSHIP), verify)
        return None, ()
    new = Document.validate(head.did, body_field(tx.body, "document", dict), full=full)
    if head.next_key_hashes:
        # Pre-rotation: only a key committed to by the previous version may rotate, and it
        # must control the new version (its hash was public, the key itself was not).
        key = new.key(tx.kid, CONTROLLER_RELATIONSHIP)
        if key.thumbprint() not in head.next_key_hashes:
            raise PREROTATION_KEY_MISMATCH("signing key is not the committed next key")
        verify_signed_by(tx, key, verify)
    else:
        verify_signed_by(tx, head.document.key(tx.kid, CONTROLLER_RELATIONSHIP), verify)
    return new, next_key_hashes(tx.body)


# -- a client's view: a DID's history verified from its creation -------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a DID, verified against every version before it."""

    number: int
    seq: int
    time: int  # the entry's iat
    leaf_hash: bytes
    document: Document | None  # None: deactivated
    next_key_hashes: tuple[str, ...]

    @property
    def version_id(self) -> str:
        return f"{self.number}-{self.leaf_hash.hex()}"

    @property
    def deactivated(self) -> bool:
        return self.document is None


@dataclass(frozen=True, slots=True)
class Entry:
    """A log entry a client proved included: its place, leaf hash and parsed transaction."""

    seq: int
    leaf_hash: bytes
    tx: Transaction


GovernanceKey = Callable[[str, int], PublicKey]  # (kid, seq) -> governance's key before seq


@dataclass(frozen=True, slots=True)
class Chain:
    """A DID's versions, oldest first, each checked by the rule that logged it."""

    did: DID
    role: str
    versions: tuple[Version, ...]

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    def before(self, seq: int) -> Version:
        """The version in force when entry ``seq`` was logged: the last one logged before."""
        index = bisect.bisect_left([v.seq for v in self.versions], seq)
        if index == 0:
            raise SIGNER_UNKNOWN(f"{self.did} was not on the ledger before entry {seq}")
        return self.versions[index - 1]

    def at_time(self, at: int) -> Version:
        """The version in force at time ``at``: the last one signed at or before it."""
        index = bisect.bisect_right([v.time for v in self.versions], at)
        if index == 0:
            raise SIGNER_UNKNOWN(f"{self.did} had no version on the ledger at that time")
        return self.versions[index - 1]

    def select(self, version_id: str | None, version_time: int | None) -> Version:
        """The version DID Resolution's ``versionId`` / ``versionTime`` names (else the latest)."""
        if version_id is not None:
            for version in self.versions:
                if version_id in (version.version_id, str(version.number)):
                    return version
            raise SIGNER_UNKNOWN(f"{self.did} has no version {version_id!r}")
        if version_time is not None:
            return self.at_time(version_time)
        return self.latest

    def key(self, version: Version, kid: str, relationship: str) -> PublicKey:
        if version.document is None:
            raise SIGNER_DEACTIVATED(f"{self.did} was deactivated by then")
        return version.document.key(kid, relationship)

    def extend(self, entries: Sequence[Entry], *, origin: str) -> Chain:
        """This chain with ``entries`` (the versions after the last one) verified in order."""
        versions = list(self.versions)
        for entry in entries:
            versions.append(_next_version(self.did, versions, entry, origin))
        return Chain(self.did, self.role, tuple(versions))


def verify_chain(
    did: DID,
    entries: Sequence[Entry],
    *,
    origin: str,
    governance: DID,
    governance_key: GovernanceKey,
    known: Chain | None = None,
) -> Chain:
    """``did``'s history from ``entries`` (every version, oldest first), each checked by the
    rule that logged it; a creation's endorsement with ``governance_key(kid, seq)``,
    governance's key in force then. ``known``, a chain verified before, must be a prefix of
    it: only the versions after it are checked again."""
    if not entries:
        raise DID_HISTORY_INVALID(f"no versions of {did}")
    if known is not None:
        count = len(known.versions)
        if len(entries) < count or any(
            (e.seq, e.leaf_hash) != (v.seq, v.leaf_hash)
            for e, v in zip(entries, known.versions, strict=False)
        ):
            raise DID_HISTORY_INVALID(f"{did}'s history differs from the one verified before")
        return known.extend(entries[count:], origin=origin)
    first = entries[0]
    founding = _found(did, first, origin, governance, governance_key)
    version = Version(
        1, first.seq, first.tx.iat, first.leaf_hash, founding.document, founding.next_key_hashes
    )
    chain = Chain(did, founding.role, (version,))
    return chain.extend(entries[1:], origin=origin)


def _found(
    did: DID, entry: Entry, origin: str, governance: DID, governance_key: GovernanceKey
) -> Founding:
    tx = entry.tx
    if tx.ledger != origin:
        raise DID_HISTORY_INVALID(f"entry {entry.seq} is for another ledger")
    if tx.type == GENESIS:
        if entry.seq != 0:
            raise DID_HISTORY_INVALID("a genesis is only ever entry 0")
        founding = check_genesis(tx)
    elif tx.type == DID_CREATE:
        founding = check_create(tx)
    else:
        raise DID_HISTORY_INVALID(f"entry {entry.seq} is a {tx.type}, not a DID's creation")
    if founding.did != did:
        raise DID_HISTORY_INVALID(f"entry {entry.seq} creates another DID")
    if (tx.type == GENESIS) != (did == governance):
        raise DID_HISTORY_INVALID(f"{did} is governance's DID only if founded by the genesis")
    if tx.type == DID_CREATE:
        check_endorsement(
            founding.endorsement,
            did=did,
            role=founding.role,
            origin=origin,
            governance=governance,
            governance_key=lambda kid: governance_key(kid, entry.seq),
        )
    return founding


def _next_version(did: DID, versions: list[Version], entry: Entry, origin: str) -> Version:
    tx, current = entry.tx, versions[-1]
    if tx.type not in (DID_UPDATE, DID_DEACTIVATE):
        raise DID_HISTORY_INVALID(f"entry {entry.seq} is a {tx.type}, not a DID version")
    if tx.ledger != origin:
        raise DID_HISTORY_INVALID(f"entry {entry.seq} is for another ledger")
    if entry.seq <= current.seq:
        raise DID_HISTORY_INVALID(f"entry {entry.seq} is not after version {current.number}")
    if current.document is None:
        raise DID_DEACTIVATED(f"{did} was deactivated at entry {current.seq}")
    head = Head(did, current.version_id, current.time, current.document, current.next_key_hashes)
    document, hashes = check_successor(tx, head)
    return Version(current.number + 1, entry.seq, tx.iat, entry.leaf_hash, document, hashes)
