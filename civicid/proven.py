"""Registry answers re-derived from proven log entries: the client never takes the ledger's
word for "accredited", a type's metadata or a status list, only the entries it proved.

Inclusion proves presence; that nothing newer (a revocation, a newer list) is withheld is
the state map proofs' part (``civicid/registry_client.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicid.accreditation import ISSUER, Grant, Standing, judge, parse_revocation
from civicid.checkpoint import Checkpoint
from civicid.did import DID
from civicid.errors import Error, NotFound, VerificationError, declare
from civicid.status_list import StatusListToken
from civicid.transaction import (
    ACCREDITATION_GRANT,
    ACCREDITATION_REVOKE,
    CREDENTIAL_TYPE,
    STATUS_LIST,
    Transaction,
)
from civicid.type_metadata import check_metadata

LEDGER_ANSWER_MISMATCH = declare(
    "ledger_answer_mismatch",
    VerificationError,
    "the ledger's answer differs from its proven entries",
)
# The ledger's answers when it holds no such type or list: declared here, where clients
# meet them (a "not found" believed only with its proof of absence).
CREDENTIAL_TYPE_NOT_FOUND = declare(
    "credential_type_not_found", NotFound, "no such credential type"
)
STATUS_LIST_NOT_FOUND = declare("status_list_not_found", NotFound, "no such status list")
LEDGER_ANSWER_MALFORMED = declare(
    "ledger_answer_malformed", VerificationError, "the ledger's answer cannot be read"
)


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """A log entry whose inclusion in ``checkpoint`` the client verified."""

    seq: int
    tx: Transaction
    leaf_hash: bytes = b""


@dataclass(frozen=True, slots=True)
class TrustAnswer:
    """An accreditation question answered from proven grant and revocation entries."""

    standing: Standing
    grants: tuple[Grant, ...]
    checkpoint: Checkpoint

    @property
    def accredited(self) -> bool:
        return self.standing.accredited

    def require(self) -> None:
        self.standing.require()


@dataclass(frozen=True, slots=True)
class ProvenType:
    vct: str
    issuer: DID
    metadata: dict[str, Any]
    schema: dict[str, Any]
    seq: int
    accreditation: str  # the grant that allowed the registration
    checkpoint: Checkpoint


@dataclass(frozen=True, slots=True)
class ProvenStatusList:
    uri: str
    owner: DID
    seq: int
    token: StatusListToken  # verified: signature, sub, exp/ttl at the time asked about
    checkpoint: Checkpoint

    def status(self, index: int) -> int:
        return self.token.status_list.get(index)


def governance_grants(
    entries: list[ProvenEntry], governance: str, origin: str
) -> list[tuple[int, Grant, list[tuple[int, int]]]]:
    """(seq, grant, [(revocation seq, revocation time)]) for every grant entry, each checked
    to be governance's, on this ledger, with every revocation naming one of the grants."""
    grants: dict[str, tuple[int, Grant, list[tuple[int, int]]]] = {}
    for entry in entries:
        tx = entry.tx
        if tx.ledger != origin or tx.signer != governance:
            raise LEDGER_ANSWER_MISMATCH(
                f"entry {entry.seq} is not a governance transaction of this ledger"
            )
        try:
            if tx.type == ACCREDITATION_GRANT:
                grant = Grant.from_body(tx.body)
                grants[grant.id] = (entry.seq, grant, [])
            elif tx.type == ACCREDITATION_REVOKE:
                accreditation, _ = parse_revocation(tx.body)
                if accreditation not in grants or grants[accreditation][0] > entry.seq:
                    raise LEDGER_ANSWER_MISMATCH(
                        f"entry {entry.seq} revokes no grant of this answer"
                    )
                grants[accreditation][2].append((entry.seq, tx.iat))
            else:
                raise LEDGER_ANSWER_MISMATCH(
                    f"entry {entry.seq} is a {tx.type}, not an accreditation"
                )
        except VerificationError:
            raise
        except Error as exc:
            raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq}: {exc.message}") from exc
    return list(grants.values())


def latest_about(entries: list[ProvenEntry]) -> dict[str, ProvenEntry]:
    """The latest entry about each accreditation in ``entries``: its grant or its revocation
    (what the state map must hold for it)."""
    latest: dict[str, ProvenEntry] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        ident = entry.tx.body.get("accreditation")
        if isinstance(ident, str):
            latest[ident] = entry
    return latest


def registered_type(
    entries: list[ProvenEntry], seq: int, *, governance: str, origin: str, vct: str
) -> tuple[Transaction, str]:
    """The registration at ``seq`` and the accreditation that allowed it, judged as the ledger
    did: at its iat, counting only revocations logged before it."""
    registration = next((e for e in entries if e.seq == seq), None)
    if registration is None or registration.tx.type != CREDENTIAL_TYPE:
        raise LEDGER_ANSWER_MISMATCH(f"entry {seq} is not a credential type registration")
    tx = registration.tx
    if tx.ledger != origin or tx.body.get("vct") != vct:
        raise LEDGER_ANSWER_MISMATCH(f"entry {seq} registers another type")
    try:
        check_metadata(tx.body.get("metadata"), vct)
    except Error as exc:
        raise LEDGER_ANSWER_MISMATCH(
            f"the registered metadata does not check: {exc.message}"
        ) from exc
    others = [e for e in entries if e.seq != seq]
    grants = governance_grants(others, governance, origin)
    pairs = [
        (grant, 0 if any(s < seq for s, _ in revocations) else None)
        for _, grant, revocations in grants
        if grant.subject == tx.signer and grant.kind == ISSUER
    ]
    verdict = judge(tx.signer, ISSUER, pairs, tx.iat, vct=vct)
    if verdict.accreditation is None:
        raise LEDGER_ANSWER_MISMATCH(
            f"no proven grant let {tx.signer} register {vct} ({verdict.reason})"
        )
    return tx, verdict.accreditation


def list_entries(
    entries: list[ProvenEntry], seq: int, *, origin: str, uri: str, as_of: int
) -> tuple[Transaction, DID]:
    """The publish at ``seq`` (before ``as_of``) and the owner that the first publish proves."""
    publishes = sorted(entries, key=lambda e: e.seq)
    if not publishes or not any(e.seq == seq for e in publishes):
        raise LEDGER_ANSWER_MISMATCH(f"entry {seq} is not in the answer")
    for entry in publishes:
        tx = entry.tx
        if tx.type != STATUS_LIST or tx.ledger != origin or tx.body.get("uri") != uri:
            raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq} does not publish {uri}")
    owner = publishes[0].tx.signer
    latest = next(e for e in publishes if e.seq == seq)
    if latest.tx.signer != owner:
        raise LEDGER_ANSWER_MISMATCH("the list was published by someone other than its owner")
    if latest.seq >= as_of:
        raise LEDGER_ANSWER_MISMATCH(f"entry {latest.seq} is not before tree size {as_of}")
    return latest.tx, owner
