"""Who may write what: one rule per transaction type, each validating fully before any change.

A rule reads the state, raises an error naming the rule that failed, or returns a ``Change``
that the log applies only after the entry is written. Later transaction types plug in by
adding to ``RULES`` (see ``register``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from civicid import transaction as tx_types
from civicid.authority import SIGNER_UNKNOWN
from civicid.did import (
    CONTROLLER_RELATIONSHIP,
    DID,
    DID_DEACTIVATED,
    Document,
    check_self_certifying,
    parse_did,
    split_key_id,
)
from civicid.errors import InvalidInput, VerificationError
from civicid.jose import SIGNING_ALGS, CompactJWS, PublicKey
from civicid.transaction import ENDORSEMENT_TYP, Transaction
from ledger.errors import (
    DID_EXISTS,
    DID_PREV_MISMATCH,
    ENDORSEMENT_INVALID,
    ENDORSEMENT_MISSING,
    GENESIS_EXISTS,
    LEDGER_NOT_INITIALIZED,
    PREROTATION_KEY_MISMATCH,
    ROLE_UNKNOWN,
    SIGNER_NOT_CONTROLLER,
    TX_BODY_INVALID,
    TX_REPLAYED,
    TX_STALE,
    TX_TIME_REGRESSION,
    TX_TYPE_NOT_SUPPORTED,
    TX_WRONG_LEDGER,
)
from ledger.state import DidRecord, DidVersion, State

# How far a transaction's iat may be from the ledger's clock. Bounds how long a signed but
# unsubmitted transaction stays usable, on top of the replay index that refuses any id twice.
MAX_CLOCK_SKEW: Final = 300
# Roles governance may endorse; citizens never get a ledger DID.
ROLES: Final = frozenset({"agency", "service-desk"})
GOVERNANCE_ROLE: Final = "governance"
MAX_NEXT_KEY_HASHES: Final = 8


@dataclass(frozen=True, slots=True)
class Context:
    """How strictly to check: a live submit checks time and signatures; a replay of our own
    durable log may skip them (``audit`` does not)."""

    now: int | None
    verify_signatures: bool = True

    @property
    def full(self) -> bool:
        """Validate documents in full (pydid, SCID); off only when replaying our own log."""
        return self.verify_signatures


class Change(Protocol):
    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None: ...


Rule = Callable[[State, Transaction, Context], Change]
RULES: dict[str, Rule] = {}


def register(tx_type: str) -> Callable[[Rule], Rule]:
    def add(rule: Rule) -> Rule:
        RULES[tx_type] = rule
        return rule

    return add


def check(state: State, tx: Transaction, ctx: Context) -> Change:
    """Every rule common to all transactions, then the rule of the transaction's type."""
    if tx.type != tx_types.GENESIS:
        if state.origin is None:
            raise LEDGER_NOT_INITIALIZED("the ledger has no genesis yet")
        if tx.ledger != state.origin:
            raise TX_WRONG_LEDGER(f"transaction is for ledger {tx.ledger!r}")
    if tx.id in state.tx_ids:
        raise TX_REPLAYED(f"transaction id {tx.id} is already in the log")
    if ctx.now is not None and abs(ctx.now - tx.iat) > MAX_CLOCK_SKEW:
        raise TX_STALE(f"iat is more than {MAX_CLOCK_SKEW}s from the ledger's clock")
    rule = RULES.get(tx.type)
    if rule is None:
        raise TX_TYPE_NOT_SUPPORTED(f"this ledger does not accept {tx.type}")
    return rule(state, tx, ctx)


def verify_signed_by(tx: Transaction, key: PublicKey, ctx: Context) -> None:
    if ctx.verify_signatures:
        tx.jws.verify_with(key)


def signer_key(state: State, tx: Transaction, relationship: str, ctx: Context) -> PublicKey:
    """The key ``kid`` names in the signer's current document, in ``relationship``; verified."""
    if tx.signer not in state.dids:
        raise SIGNER_UNKNOWN(f"{tx.signer} is not on the ledger")
    document = state.live_document(tx.signer)
    key = document.key(tx.kid, relationship)
    verify_signed_by(tx, key, ctx)
    return key


def body_field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TX_BODY_INVALID(f"body.{name} must be a {kind.__name__}")
    return value


def next_key_hashes(body: dict[str, Any]) -> tuple[str, ...]:
    hashes = body.get("nextKeyHashes", [])
    if (
        not isinstance(hashes, list)
        or len(hashes) > MAX_NEXT_KEY_HASHES
        or not all(isinstance(h, str) and len(h) == 43 for h in hashes)
    ):
        raise TX_BODY_INVALID("nextKeyHashes must list base64url SHA-256 JWK thumbprints")
    return tuple(hashes)


# -- genesis ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Genesis:
    origin: str
    governance: Document
    vkey: str
    iat: int
    tx_id: str

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        state.origin, state.governance, state.checkpoint_vkey = (
            self.origin,
            self.governance.did,
            self.vkey,
        )
        record = DidRecord(self.governance.did, GOVERNANCE_ROLE)
        record.add(DidVersion(1, seq, self.iat, self.governance, (), leaf_hash))
        state.dids[self.governance.did] = record
        state.tx_ids.add(self.tx_id)


@register(tx_types.GENESIS)
def check_genesis(state: State, tx: Transaction, ctx: Context) -> Genesis:
    if state.origin is not None:
        raise GENESIS_EXISTS("the ledger already has its genesis")
    origin = body_field(tx.body, "origin", str)
    vkey = body_field(tx.body, "checkpointKey", str)
    did = parse_did(body_field(tx.body, "did", str))
    if tx.ledger != origin:
        raise TX_BODY_INVALID("genesis ledger must equal its origin")
    document = body_field(tx.body, "document", dict)
    if ctx.full:
        check_self_certifying(did, document)
    governance = Document.validate(did, document, full=ctx.full)
    if tx.signer != did:
        raise SIGNER_NOT_CONTROLLER("genesis is signed by the governance DID")
    verify_signed_by(tx, governance.key(tx.kid, CONTROLLER_RELATIONSHIP), ctx)
    return Genesis(origin, governance, vkey, tx.iat, tx.id)


# -- DID create / update / deactivate ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewVersion:
    did: DID
    role: str | None  # set on create
    document: Document | None
    next_key_hashes: tuple[str, ...]
    iat: int
    tx_id: str

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        if self.role is not None:
            state.dids[self.did] = DidRecord(self.did, self.role)
        record = state.dids[self.did]
        number = len(record.versions) + 1
        record.add(
            DidVersion(number, seq, self.iat, self.document, self.next_key_hashes, leaf_hash)
        )
        state.tx_ids.add(self.tx_id)


def check_endorsement(state: State, token: Any, did: DID, role: str, ctx: Context) -> None:
    """Governance's signed consent that ``did`` joins in ``role`` (DESIGN: who may write what)."""
    if not isinstance(token, str):
        raise ENDORSEMENT_MISSING(f"a {role} DID needs governance's endorsement")
    try:
        jws = CompactJWS.parse(token, max_bytes=8192)
        jws.check_header(allowed_algs=SIGNING_ALGS, typ=ENDORSEMENT_TYP)
        signer, _ = split_key_id(str(jws.header.get("kid")))
        if signer != state.governance:
            raise ENDORSEMENT_INVALID("endorsement is not signed by governance")
        key = state.governance_document().key(str(jws.header["kid"]), "assertionMethod")
        if ctx.verify_signatures:
            jws.verify_with(key)
        claims = jws.payload_json()
    except (InvalidInput, VerificationError) as exc:
        raise ENDORSEMENT_INVALID(f"endorsement does not verify: {exc.message}") from exc
    if (
        claims.get("sub") != did
        or claims.get("role") != role
        or claims.get("ledger") != state.origin
    ):
        raise ENDORSEMENT_INVALID("endorsement is for another DID, role or ledger")


@register(tx_types.DID_CREATE)
def check_did_create(state: State, tx: Transaction, ctx: Context) -> NewVersion:
    did = parse_did(body_field(tx.body, "did", str))
    role = body_field(tx.body, "role", str)
    if role not in ROLES:
        raise ROLE_UNKNOWN(f"role must be one of {sorted(ROLES)}")
    if did in state.dids:
        raise DID_EXISTS(f"{did} is already on the ledger")
    document = body_field(tx.body, "document", dict)
    if ctx.full:
        check_self_certifying(did, document)
    validated = Document.validate(did, document, full=ctx.full)
    if tx.signer != did:
        raise SIGNER_NOT_CONTROLLER("a DID is created by its own key")
    verify_signed_by(tx, validated.key(tx.kid, CONTROLLER_RELATIONSHIP), ctx)
    check_endorsement(state, tx.body.get("endorsement"), did, role, ctx)
    return NewVersion(did, role, validated, next_key_hashes(tx.body), tx.iat, tx.id)


def _check_successor(state: State, tx: Transaction) -> DidVersion:
    """Checks shared by update and deactivate: the DID is live and ``prev`` is its head."""
    did = parse_did(body_field(tx.body, "did", str))
    record = state.record(did)
    current = record.current
    if current.deactivated:
        raise DID_DEACTIVATED(f"{did} has been deactivated")
    if tx.signer != did:
        raise SIGNER_NOT_CONTROLLER("only the DID's controller may change it")
    if body_field(tx.body, "prev", str) != current.version_id:
        raise DID_PREV_MISMATCH(f"prev must name the current version {current.version_id}")
    if tx.iat < current.time:
        raise TX_TIME_REGRESSION("a new version cannot predate the one it replaces")
    return current


@register(tx_types.DID_UPDATE)
def check_did_update(state: State, tx: Transaction, ctx: Context) -> NewVersion:
    current = _check_successor(state, tx)
    assert current.document is not None  # _check_successor refuses deactivated DIDs
    did = current.document.did
    new = Document.validate(did, body_field(tx.body, "document", dict), full=ctx.full)
    if current.next_key_hashes:
        # Pre-rotation: only a key committed to by the previous version may rotate, and it
        # must control the new version (its hash was public, the key itself was not).
        key = new.key(tx.kid, CONTROLLER_RELATIONSHIP)
        if key.thumbprint() not in current.next_key_hashes:
            raise PREROTATION_KEY_MISMATCH("signing key is not the committed next key")
        verify_signed_by(tx, key, ctx)
    else:
        verify_signed_by(tx, current.document.key(tx.kid, CONTROLLER_RELATIONSHIP), ctx)
    return NewVersion(did, None, new, next_key_hashes(tx.body), tx.iat, tx.id)


@register(tx_types.DID_DEACTIVATE)
def check_did_deactivate(state: State, tx: Transaction, ctx: Context) -> NewVersion:
    current = _check_successor(state, tx)
    assert current.document is not None
    verify_signed_by(tx, current.document.key(tx.kid, CONTROLLER_RELATIONSHIP), ctx)
    return NewVersion(current.document.did, None, None, (), tx.iat, tx.id)
