"""Governance on the ledger: accreditations (the trust registry), credential types and status
lists; who may write each (DESIGN.md, "Who may write what"), as rules ``ledger/log.py`` loads.

Status list tokens ride inline in their transaction: a sparse 1M-entry list is a few KiB and
even a dense one fits ``MAX_TX_BYTES``. Storing large tokens beside the log entry, addressed
by the hash the entry commits to, stays possible later; at these sizes it is not needed.
Queries over the state these rules build are in ``ledger/registry.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final

from civicid import statemap
from civicid import transaction as tx_types
from civicid.accreditation import (
    ACCREDITATION_INVALID,
    ISSUER,
    VERIFIER,
    Grant,
    Standing,
    check_vct,
    judge,
    parse_revocation,
)
from civicid.did import DID, split_key_id
from civicid.errors import InvalidInput
from civicid.status_list import (
    STATUS_INVALID,
    STATUS_LIST_EXPIRED,
    STATUS_LIST_SUB_MISMATCH,
    STATUS_LIST_TOKEN_MALFORMED,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
    StatusListToken,
    parse_token,
    verify_token,
)
from civicid.status_uri import check_bound, check_status_uri
from civicid.transaction import Transaction
from civicid.type_metadata import (
    TypeMetadata,
    check_extension,
    check_metadata,
    check_schema,
    effective_claims,
)
from ledger.errors import (
    ACCREDITATION_ALREADY_REVOKED,
    ACCREDITATION_EXISTS,
    ACCREDITATION_NOT_FOUND,
    ACCREDITATION_SUBJECT_ROLE,
    ACCREDITATION_SUBJECT_UNKNOWN,
    CREDENTIAL_TYPE_OWNED,
    SIGNER_NOT_GOVERNANCE,
    STATUS_LIST_ACCREDITATION_ENDED,
    STATUS_LIST_FRESHNESS_MISSING,
    STATUS_LIST_NOT_OWNER,
    STATUS_LIST_REGRESSION,
    STATUS_LIST_RESIZED,
    STATUS_LIST_SIGNER_MISMATCH,
    STATUS_LIST_UNREVOKED,
    TYPE_EXTENDS_CYCLE,
    TYPE_EXTENDS_UNKNOWN,
)
from ledger.rules import Context, Rule, moments, signer_key
from ledger.state import (
    Accreditation,
    ListVersion,
    Revocation,
    State,
    TypeVersion,
)

# Governance and issuers sign what they assert with an assertionMethod key (DID Core §5.3.2).
ASSERTION: Final = "assertionMethod"
# Who may be accredited as what: agencies issue, service desks verify.
ROLE_FOR_KIND: Final = {ISSUER: "agency", VERIFIER: "service-desk"}
# State.extensions member: per status list URI, the statuses of its latest version other
# than VALID and INVALID, as [index, status] pairs (INVALID ones are State.status_revoked):
# what an agency whose accreditation ended may not clear or change. JSON, so a state
# snapshot keeps it as it is.
HELD_STATUSES: Final = "statusListHeld"
# A chain of extended types longer than this is a mistake, and bounds the walk (§7.4).
MAX_EXTENDS_DEPTH: Final = 8


def governance_signer(state: State, tx: Transaction, ctx: Context) -> None:
    """The transaction is governance's, signed with a key in its assertionMethod."""
    if state.governance is None or tx.signer != state.governance:
        raise SIGNER_NOT_GOVERNANCE("only governance grants and revokes accreditations")
    signer_key(state, tx, ASSERTION, ctx)


def accreditations_of(
    state: State, subject: DID | str, size: int | None = None
) -> list[Accreditation]:
    """The subject's accreditations in grant order; with ``size``, those logged before it."""
    records = [state.accreditations[i] for i in state.accreditations_of.get(DID(subject), [])]
    return records if size is None else [r for r in records if r.seq < size]


def writer_standing(state: State, signer: DID, at: int, vct: str | None = None) -> Standing:
    """May ``signer`` write as an issuer (for ``vct``, or any type) at ``at``?

    A revocation already in the log counts whatever its time: a signer cannot slip a write
    in under it by backdating ``iat`` within the allowed clock skew.
    """
    grants = [(a.grant, 0 if a.revocation else None) for a in accreditations_of(state, signer)]
    return judge(signer, ISSUER, grants, at, vct=vct)


def require_writer(state: State, tx: Transaction, ctx: Context, vct: str | None = None) -> None:
    """The signer is an accredited issuer when the ledger sequences the entry, as well as at
    the ``iat`` it claims (what a replay of the log can judge): a backdated ``iat`` cannot
    slip a write in before an accreditation's end."""
    for at in moments(tx, ctx):
        writer_standing(state, tx.signer, at, vct).require()


# -- accreditation grant / revoke -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrantChange:
    grant: Grant
    iat: int
    tx_id: str

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        state.accreditations[self.grant.id] = Accreditation(self.grant, seq, leaf_hash, self.iat)
        state.accreditations_of.setdefault(self.grant.subject, []).append(self.grant.id)
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.ACCREDITATION, self.grant.id, seq, leaf_hash)


def check_grant(state: State, tx: Transaction, ctx: Context) -> GrantChange:
    governance_signer(state, tx, ctx)
    grant = Grant.from_body(tx.body)
    if grant.id in state.accreditations:
        raise ACCREDITATION_EXISTS(f"accreditation {grant.id} already exists")
    record = state.dids.get(grant.subject)
    if record is None:
        raise ACCREDITATION_SUBJECT_UNKNOWN(f"{grant.subject} is not on the ledger")
    state.live_document(grant.subject)  # a deactivated DID is accredited for nothing
    if record.role != ROLE_FOR_KIND[grant.kind]:
        raise ACCREDITATION_SUBJECT_ROLE(
            f"only a DID with role {ROLE_FOR_KIND[grant.kind]!r} can be accredited as "
            f"{grant.kind}; {grant.subject} has role {record.role!r}",
        )
    if any(grant.valid_until <= at for at in moments(tx, ctx)):
        raise ACCREDITATION_INVALID("the validity period has already ended")
    return GrantChange(grant, tx.iat, tx.id)


@dataclass(frozen=True, slots=True)
class RevokeChange:
    accreditation: str
    reason: str
    iat: int
    tx_id: str

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        current = state.accreditations[self.accreditation]
        revocation = Revocation(seq, leaf_hash, self.iat, self.reason)
        state.accreditations[self.accreditation] = replace(current, revocation=revocation)
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.ACCREDITATION, self.accreditation, seq, leaf_hash)


def check_revoke(state: State, tx: Transaction, ctx: Context) -> RevokeChange:
    governance_signer(state, tx, ctx)
    accreditation, reason = parse_revocation(tx.body)
    current = state.accreditations.get(accreditation)
    if current is None:
        raise ACCREDITATION_NOT_FOUND(f"no accreditation {accreditation}")
    if current.revocation is not None:
        raise ACCREDITATION_ALREADY_REVOKED(f"{accreditation} is already revoked")
    return RevokeChange(accreditation, reason, tx.iat, tx.id)


# -- credential types -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeChange:
    issuer: DID
    metadata: TypeMetadata
    schema: dict[str, Any]
    iat: int
    tx_id: str

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        versions = state.credential_types.setdefault(self.metadata.vct, [])
        versions.append(
            TypeVersion(
                len(versions) + 1, self.issuer, self.metadata, self.schema, seq, leaf_hash, self.iat
            )
        )
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.TYPE, self.metadata.vct, seq, leaf_hash)


def check_extends(state: State, metadata: TypeMetadata) -> None:
    """The extended type is on the ledger, the chain has no cycle (§7.4), and the child keeps
    the parent's sd and mandatory promises (§5.6.5.1)."""
    chain: list[TypeMetadata] = []
    parent = metadata.extends
    while parent is not None:
        if parent == metadata.vct:
            raise TYPE_EXTENDS_CYCLE(f"{metadata.vct} would extend itself via {parent}")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise TYPE_EXTENDS_CYCLE(f"extends chain is over {MAX_EXTENDS_DEPTH} types")
        versions = state.credential_types.get(parent)
        if not versions:
            raise TYPE_EXTENDS_UNKNOWN(f"extended type {parent} is not on the ledger")
        chain.append(versions[-1].metadata)
        parent = versions[-1].metadata.extends
    check_extension(metadata, effective_claims(chain[::-1]))


def check_credential_type(state: State, tx: Transaction, ctx: Context) -> TypeChange:
    signer_key(state, tx, ASSERTION, ctx)
    vct = check_vct(tx.body.get("vct"))
    # Authorization before the costlier checks of what an outsider might send.
    require_writer(state, tx, ctx, vct)
    versions = state.credential_types.get(vct)
    if versions and versions[0].issuer != tx.signer:
        raise CREDENTIAL_TYPE_OWNED(f"{vct} is registered by {versions[0].issuer}")
    metadata = check_metadata(tx.body.get("metadata"), vct)
    schema = tx.body.get("schema")
    if ctx.verify_signatures or not isinstance(schema, dict):  # replay: checked when logged
        check_schema(schema)
    assert isinstance(schema, dict)  # check_schema refuses anything else
    if metadata.extends is not None:
        check_extends(state, metadata)
    return TypeChange(tx.signer, metadata, schema, tx.iat, tx.id)


# -- status lists -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListChange:
    uri: str
    owner: DID
    token: StatusListToken
    iat: int
    tx_id: str
    revoked: frozenset[int] = frozenset()
    held: tuple[tuple[int, int], ...] = ()

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        versions = state.status_lists.setdefault(self.uri, [])
        token = self.token
        versions.append(
            ListVersion(
                number=len(versions) + 1,
                owner=self.owner,
                bits=token.status_list.bits,
                entries=token.status_list.size,
                issued_at=token.iat,
                expires=token.exp,
                ttl=token.ttl,
                seq=seq,
                leaf_hash=leaf_hash,
                time=self.iat,
                revoked=len(self.revoked),
                suspended=sum(status == STATUS_SUSPENDED for _, status in self.held),
            )
        )
        state.status_revoked[self.uri] = self.revoked
        if self.held:
            held = state.extensions.setdefault(HELD_STATUSES, {})
            held[self.uri] = [list(pair) for pair in self.held]
        elif self.uri in state.extensions.get(HELD_STATUSES, {}):
            del state.extensions[HELD_STATUSES][self.uri]
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.STATUS_LIST, self.uri, seq, leaf_hash)


def token_signer(token: StatusListToken) -> tuple[DID, str]:
    """The DID and key id named by a status list token's ``kid`` (a DID URL)."""
    kid = token.header.get("kid")
    try:
        did, _ = split_key_id(str(kid))
    except InvalidInput as exc:
        raise STATUS_LIST_SIGNER_MISMATCH(
            "the token's kid must name a key of its publisher"
        ) from exc
    return did, str(kid)


def check_status_list(state: State, tx: Transaction, ctx: Context) -> ListChange:
    signer_key(state, tx, ASSERTION, ctx)
    uri = check_status_uri(tx.body.get("uri"))  # one spelling per list (RFC 3986 §6)
    versions = state.status_lists.get(uri)
    # The first publisher of a URI owns it for good (DESIGN: "the issuer that owns the list").
    if versions and versions[0].owner != tx.signer:
        raise STATUS_LIST_NOT_OWNER(f"{uri} is owned by {versions[0].owner}")
    # Judged when the entry is sequenced as well as at the iat it claims (require_writer).
    standings = [writer_standing(state, tx.signer, at) for at in moments(tx, ctx)]
    standing = next((s for s in standings if not s.accredited), standings[0])
    if not versions:
        standing.require()  # a new list needs an accreditation in force
    # Under a base URL the publisher's endorsed first DID document names (status_uri.py), so
    # no agency can take a URI under another's.
    check_bound(uri, state.record(tx.signer).bases)
    text = tx.body.get("token")
    if not isinstance(text, str):
        raise STATUS_LIST_TOKEN_MALFORMED("body.token must be a compact JWT")
    token = parse_token(text)  # header allow-lists, typ (pitfall 7), claims, bits
    did, kid = token_signer(token)
    if did != tx.signer:
        raise STATUS_LIST_SIGNER_MISMATCH("the token must be signed by its publisher")
    if ctx.verify_signatures:
        key = state.live_document(tx.signer).key(kid, ASSERTION)
        # Signature, sub == URI (pitfall 10), and exp/iat/ttl judged at the publish time.
        token = verify_token(text, key, expected_sub=uri, now=tx.iat)
        if ctx.now is not None and token.exp is not None and token.exp <= ctx.now:
            raise STATUS_LIST_EXPIRED("the token has expired by the time it is logged")
    elif token.sub != uri:  # replaying our own log: the signature was checked when logged
        raise STATUS_LIST_SUB_MISMATCH(f"token is for {token.sub!r}")
    if token.exp is None and token.ttl is None:
        raise STATUS_LIST_FRESHNESS_MISSING(
            "a status list token carries exp or ttl, so verifiers know how fresh it must be",
        )
    if versions and token.iat < versions[-1].issued_at:
        raise STATUS_LIST_REGRESSION("the token is older than the one it replaces")
    marked = marked_statuses(token.status_list)
    revoked = frozenset(i for i, status in marked.items() if status == STATUS_INVALID)
    held = tuple(sorted((i, status) for i, status in marked.items() if status != STATUS_INVALID))
    if versions:
        latest = versions[-1]
        # A list keeps its shape: an index must keep naming the same credential.
        if (token.status_list.bits, token.status_list.size) != (latest.bits, latest.entries):
            raise STATUS_LIST_RESIZED(
                f"{uri} has {latest.entries} entries of {latest.bits} bits; start a new list"
            )
        # Token Status List §7.1: INVALID is revoked for good (SUSPENDED may be lifted); an
        # update that clears a revoked entry would un-revoke a credential.
        cleared = sorted(state.status_revoked.get(uri, frozenset()) - revoked)
        if cleared:
            raise STATUS_LIST_UNREVOKED(
                f"entries {', '.join(map(str, cleared[:5]))} of {uri} were revoked; "
                "a revocation is final"
            )
        if not standing.accredited:
            only_additions(state, uri, token.status_list, standing.reason)
    return ListChange(uri, tx.signer, token, tx.iat, tx.id, revoked, held)


def only_additions(state: State, uri: str, update: StatusList, reason: str | None) -> None:
    """An agency whose accreditation ended (revoked, expired) still owns its lists: it must
    be able to revoke and suspend what it issued while it was accredited, or a credential
    it knows to be bad would stay "valid" for as long as it lives. It may not clear or
    change a status (no un-suspension): what it adds only takes trust away, never gives it.
    Revoked entries stay revoked for everyone (``status_list_unrevoked``)."""
    for index, status in state.extensions.get(HELD_STATUSES, {}).get(uri, []):
        found = update.get(index)
        if found not in (status, STATUS_INVALID):
            raise STATUS_LIST_ACCREDITATION_ENDED(
                f"the publisher's accreditation has ended ({reason}): it may add statuses to "
                f"{uri}, not clear or change one (entry {index} was {status}, now {found})"
            )


def marked_statuses(status_list: StatusList) -> dict[int, int]:
    """Every index whose status is not VALID, with its status, read a byte at a time so
    that a sparse list of a million entries costs a scan of its bytes, not a million
    lookups."""
    per_byte = 8 // status_list.bits
    found = {}
    for offset, byte in enumerate(status_list.to_bytes()):
        if byte:
            for slot in range(per_byte):
                index = offset * per_byte + slot
                if index < status_list.size:
                    status = status_list.get(index)
                    if status != STATUS_VALID:
                        found[index] = status
    return found


# Governance records: the rules the ledger table (ledger/ruleset.py) adds to the DID rules.
GOVERNANCE_RULES: Final[dict[str, Rule]] = {
    tx_types.ACCREDITATION_GRANT: check_grant,
    tx_types.ACCREDITATION_REVOKE: check_revoke,
    tx_types.CREDENTIAL_TYPE: check_credential_type,
    tx_types.STATUS_LIST: check_status_list,
}
