"""Who may write what: one rule per transaction type, each validating fully before any change.

A rule reads the state, raises an error naming the rule that failed, or returns a ``Change``
that the log applies only after the entry is written. The rules of a DID's own history are
the kernel's (``civicid.authority``), so a client checking a history checks the same things.
The table of every type and its rule is explicit, in ``ledger/ruleset.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from civicid import statemap
from civicid import transaction as tx_types
from civicid.authority import (
    ASSERTION,
    GOVERNANCE_ROLE,
    SIGNER_UNKNOWN,
    Head,
    body_field,
    check_create,
    check_endorsement,
    check_genesis,
    check_successor,
    verify_signed_by,
)
from civicid.did import DID, Document, parse_did
from civicid.jose import PublicKey
from civicid.names import display_names
from civicid.status_uri import base_urls
from civicid.transaction import Transaction
from ledger.errors import (
    DID_EXISTS,
    DID_VERSIONS_EXHAUSTED,
    GENESIS_EXISTS,
    LEDGER_NOT_INITIALIZED,
    TX_REPLAYED,
    TX_STALE,
    TX_TYPE_NOT_SUPPORTED,
    TX_WRONG_LEDGER,
)
from ledger.state import DidRecord, DidVersion, State

# How far a transaction's iat may be from the ledger's clock. Bounds how long a signed but
# unsubmitted transaction stays usable, on top of the replay index that refuses any id twice.
MAX_CLOCK_SKEW: Final = 300

# How many versions a DID may have: past it, only its deactivation is taken. Every version
# stays forever and each is walked when the DID is resolved by version, proved or replayed at
# start-up, so one key holder must not grow them without end. A controller that rotates its
# key every day stays under it for 27 years; at the limit it deactivates and registers a new
# DID. Checked on live submits only: a log that already holds more replays as it is.
MAX_DID_VERSIONS: Final = 10_000


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


def moments(tx: Transaction, ctx: Context) -> tuple[int, ...]:
    """The times a time-bound rule is judged at: the ledger's clock when it sequences the
    entry (the signer's ``iat`` could be backdated by up to ``MAX_CLOCK_SKEW``), and the
    ``iat`` itself, which is all a replay of the log has, so a replay never refuses what was
    accepted live."""
    return (tx.iat,) if ctx.now is None else (tx.iat, ctx.now)


class Change(Protocol):
    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None: ...


Rule = Callable[[State, Transaction, Context], Change]


def check(state: State, tx: Transaction, ctx: Context, table: Mapping[str, Rule]) -> Change:
    """Every rule common to all transactions, then the rule ``table`` has for its type."""
    if tx.type != tx_types.GENESIS:
        if state.origin is None:
            raise LEDGER_NOT_INITIALIZED("the ledger has no genesis yet")
        if tx.ledger != state.origin:
            raise TX_WRONG_LEDGER(f"transaction is for ledger {tx.ledger!r}")
    if tx.id in state.tx_ids:
        raise TX_REPLAYED(f"transaction id {tx.id} is already in the log")
    if ctx.now is not None and abs(ctx.now - tx.iat) > MAX_CLOCK_SKEW:
        raise TX_STALE(f"iat is more than {MAX_CLOCK_SKEW}s from the ledger's clock")
    rule = table.get(tx.type)
    if rule is None:
        raise TX_TYPE_NOT_SUPPORTED(f"this ledger does not accept {tx.type}")
    return rule(state, tx, ctx)


def signer_key(state: State, tx: Transaction, relationship: str, ctx: Context) -> PublicKey:
    """The key ``kid`` names in the signer's current document, in ``relationship``; verified."""
    if tx.signer not in state.dids:
        raise SIGNER_UNKNOWN(f"{tx.signer} is not on the ledger")
    document = state.live_document(tx.signer)
    key = document.key(tx.kid, relationship)
    verify_signed_by(tx, key, ctx.verify_signatures)
    return key


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
        record.add(DidVersion(1, seq, self.iat, (), leaf_hash))
        state.remember(seq, self.governance)
        state.dids[self.governance.did] = record
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.DID, self.governance.did, seq, leaf_hash)


def rule_genesis(state: State, tx: Transaction, ctx: Context) -> Genesis:
    if state.origin is not None:
        raise GENESIS_EXISTS("the ledger already has its genesis")
    founding = check_genesis(tx, full=ctx.full, verify=ctx.verify_signatures)
    return Genesis(tx.ledger, founding.document, str(tx.body["checkpointKey"]), tx.iat, tx.id)


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
            # The base URLs its (governance-endorsed) first document names: where its
            # status lists may live (civicid/status_uri.py).
            data = self.document.data if self.document is not None else {}
            state.dids[self.did] = DidRecord(self.did, self.role, bases=base_urls(data))
        record = state.dids[self.did]
        number = len(record.versions) + 1
        record.add(
            DidVersion(
                number,
                seq,
                self.iat,
                self.next_key_hashes,
                leaf_hash,
                deactivated=self.document is None,
            )
        )
        if self.document is not None:
            state.remember(seq, self.document)
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.DID, self.did, seq, leaf_hash)


def governance_key(state: State) -> Callable[[str], PublicKey]:
    """Governance's assertion key ``kid`` in its current document."""
    return lambda kid: state.governance_document().key(kid, ASSERTION)


def rule_did_create(state: State, tx: Transaction, ctx: Context) -> NewVersion:
    did = parse_did(body_field(tx.body, "did", str))
    if did in state.dids:
        raise DID_EXISTS(f"{did} is already on the ledger")
    founding = check_create(tx, full=ctx.full, verify=ctx.verify_signatures)
    if ctx.full:
        display_names(founding.document.data)  # a body's names are shown as they are
    check_endorsement(
        founding.endorsement,
        did=founding.did,
        role=founding.role,
        origin=state.origin,
        governance=state.governance,
        governance_key=governance_key(state),
        verify=ctx.verify_signatures,
    )
    return NewVersion(
        did, founding.role, founding.document, founding.next_key_hashes, tx.iat, tx.id
    )


def _successor(state: State, tx: Transaction, ctx: Context) -> NewVersion:
    """Update and deactivate: the DID is live, and the kernel's rule of succession holds."""
    did = parse_did(body_field(tx.body, "did", str))
    record = state.record(did)
    current = record.current
    if (
        ctx.now is not None
        and tx.type == tx_types.DID_UPDATE
        and len(record.versions) >= MAX_DID_VERSIONS
    ):
        raise DID_VERSIONS_EXHAUSTED(
            f"{did} has {len(record.versions)} versions, the most a DID may have:"
            " deactivate it and register a new DID"
        )
    live = state.live_document(did)  # did_deactivated once deactivated
    head = Head(did, current.version_id, current.time, live, current.next_key_hashes)
    document, hashes = check_successor(tx, head, full=ctx.full, verify=ctx.verify_signatures)
    if ctx.full and document is not None:
        # Readers take names from the first version only; a later entry's are still checked,
        # so nothing on the ledger is a malformed names entry.
        display_names(document.data)
    return NewVersion(did, None, document, hashes, tx.iat, tx.id)


# A DID's own history: the rules the ledger table (ledger/ruleset.py) starts from.
DID_RULES: Final[dict[str, Rule]] = {
    tx_types.GENESIS: rule_genesis,
    tx_types.DID_CREATE: rule_did_create,
    tx_types.DID_UPDATE: _successor,
    tx_types.DID_DEACTIVATE: _successor,
}
