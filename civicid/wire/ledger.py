"""What crosses the ledger's HTTP interface (and ``civicid ledger … --json``): frozen typed
models shared by the service, which builds them, and the clients, which read them.

One convention for every answer:

- times are RFC 3339 UTC strings (``2026-11-25T10:00:00Z``); a time given as input may also
  be a NumericDate integer (``civicid.times.parse_time``). Signed JWT claims inside a logged
  transaction stay NumericDate, as RFC 7519 says: they are the signer's bytes, not ours.
- a hash that *names* something (an entry's leaf hash, a DID version id) is lowercase hex,
  as it appears in URLs; a hash inside a proof, and a tree root, is standard base64, as in
  the C2SP checkpoint note that signs it.
- the same thing has the same name everywhere: ``seq`` (an entry's index), ``treeSize``,
  ``leafHash``, ``checkpoint`` (the signed note's text), ``transaction`` (the JWS text),
  ``inclusion`` / ``consistency`` (RFC 9162 proof paths).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civicid import statemap
from civicid.statemap import KEY_BITS
from civicid.wire.base import B64Hash, Camel, HexHash, ProofPath, Time, optional

Wire = Camel
"""The ledger API's base model (camelCase on the wire)."""


# -- the log ----------------------------------------------------------------------------------


class Receipt(Wire):
    """An acknowledged submit: the entry is durable and covered by ``checkpoint``."""

    seq: int = Field(ge=0)
    leaf_hash: HexHash
    id: str
    type: str
    tree_size: int = Field(ge=1)
    checkpoint: str


class Entry(Wire):
    """One log entry: the exact transaction text logged at ``seq``."""

    seq: int = Field(ge=0)
    leaf_hash: HexHash
    transaction: str


class InclusionProof(Wire):
    """RFC 9162 §2.1.3: entry ``seq`` (whose leaf hash is ``leaf_hash``) is in the tree of
    ``tree_size`` entries."""

    seq: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: HexHash
    inclusion: ProofPath


class ConsistencyProof(Wire):
    """RFC 9162 §2.1.4: the tree of ``from_size`` entries is a prefix of the one of ``to``."""

    from_size: int = Field(ge=1, alias="from")
    to: int = Field(ge=1)
    consistency: ProofPath


class Proof(Wire):
    """``civicid ledger prove --json``: the HTTP proofs, with the checkpoint they verify to."""

    checkpoint: str
    inclusion_proof: InclusionProof
    consistency_proof: ConsistencyProof | None = optional()


class CheckpointKey(Wire):
    """``GET /checkpoint-key``: the key a client pins, by a deliberate step, before trusting
    any checkpoint (compare it with the one ``civicid ledger init`` printed)."""

    origin: str
    checkpoint_key: str


class Health(Wire):
    status: str  # "ok", "behind" (a reader on an older checkpoint) or "degraded"
    origin: str | None
    tree_size: int
    checkpoint_key: str | None
    # "writing" or "stopped" (and why is in the log) when this server writes the log's
    # tiles; absent when it does not.
    tiles: str | None = None
    # When it opened from a snapshot that kept its tree's and map's hashes: "checking"
    # while they are hashed again from the log's entries, then "verified" or "failed"
    # (status "degraded", no proof served; ``code`` says why). Absent otherwise.
    integrity: str | None = None
    code: str | None = None  # the error code of what made the status other than "ok"


class LedgerInfo(Wire):
    """``civicid ledger info``: what this data directory holds."""

    origin: str
    tree_size: int
    root: B64Hash | None
    checkpoint: str
    checkpoint_key: str
    governance: str
    data_dir: str
    bytes_on_disk: int


# -- answers proven against a checkpoint -------------------------------------------------------


class IncludedEntry(Wire):
    """An entry an answer rests on, with its inclusion proof in the answer's tree: the text
    (``transaction``) or, in a history, only its ``leaf_hash``."""

    seq: int = Field(ge=0)
    transaction: str | None = optional()
    leaf_hash: HexHash | None = optional()
    inclusion: ProofPath


class MapLeaf(Wire):
    key: B64Hash
    value: B64Hash


class MapProof(Wire):
    """A state map proof (``civicid.statemap``): siblings from the root down, at most one a
    level, and the leaf the path ends in (none: the name is absent)."""

    siblings: ProofPath = Field(max_length=KEY_BITS)
    leaf: MapLeaf | None = None

    def to_proof(self) -> statemap.MapProof:
        """The proof ``civicid.statemap.verify_map`` checks."""
        leaf = None if self.leaf is None else (self.leaf.key, self.leaf.value)
        return statemap.MapProof(tuple(self.siblings), leaf)


StateMapProofs = dict[str, MapProof]
"""State map proofs by name, ``"<kind>:<name>"`` (e.g. ``"did:did:civicid:…"``)."""


class Proven(Wire):
    """An answer and what it rests on: each entry's inclusion in the signed checkpoint, and
    (for a "latest" answer) the state map proofs that nothing newer exists."""

    checkpoint: str
    tree_size: int = Field(ge=1)
    entries: list[IncludedEntry]
    state_map: StateMapProofs | None = optional()


class Revoked(Wire):
    seq: int
    time: Time
    reason: str


class AccreditationView(Wire):
    """One accreditation as the registry shows it, with its status at the time asked."""

    accreditation: str
    subject: str
    kind: str
    credential_types: list[str] | None = optional()
    claims: dict[str, list[str]] | None = optional()
    valid_from: Time
    valid_until: Time
    purpose: str
    legal_basis: str
    seq: int
    status: str
    revoked: Revoked | None = optional()


class TrustAnswer(Proven):
    """Is ``subject`` accredited (as issuer of ``vct``, or as verifier asking ``claims``)?"""

    subject: str
    kind: str
    at: Time
    accredited: bool
    accreditation: str | None = None
    reason: str | None = None
    vct: str
    claims: list[str] | None = optional()


class AccreditationList(Proven):
    at: Time
    accreditations: list[AccreditationView]


class CredentialTypeAnswer(Proven):
    vct: str
    issuer: str
    version: int
    seq: int
    metadata: dict[str, Any]
    schema_: dict[str, Any] = Field(alias="schema")


class CredentialTypeSummary(Wire):
    vct: str
    issuer: str
    version: int
    seq: int
    name: str | None = None


class CredentialTypeList(Proven):
    types: list[CredentialTypeSummary]


class ListVersion(Wire):
    """One published version of a status list (the token stays in the log entry)."""

    version: int
    seq: int
    leaf_hash: HexHash
    bits: int
    size: int  # the number of statuses in the list
    iat: Time
    exp: Time | None = None
    ttl: int | None = None


class StatusListAnswer(Proven, ListVersion):
    """The list at ``uri`` as of ``as_of`` entries: its latest version, and its owner."""

    uri: str
    owner: str
    as_of: int


class StatusListHistory(Proven):
    """A page of a list's versions, oldest first; ``next`` (when more follow) is the
    ``after`` that asks for the next page."""

    uri: str
    owner: str
    versions: list[ListVersion]
    next: int | None = optional()


# -- DID Resolution (W3C DID Resolution, HTTP(S) binding) ------------------------------------


class LedgerPlace(Wire):
    seq: int
    leaf_hash: HexHash
    role: str


class DocumentMetadata(Wire):
    created: Time | None = optional()
    updated: Time | None = optional()
    version_id: str | None = optional()
    version_time: Time | None = optional()
    next_version_id: str | None = optional()
    next_update: Time | None = optional()
    deactivated: bool | None = optional()
    ledger: LedgerPlace | None = optional()


class ResolutionProof(Wire):
    """The entry a resolution rests on, its inclusion proof, every version's entry (a
    client verifies the whole history), the state map proof that the last is the latest,
    and the checkpoint."""

    checkpoint: str
    tree_size: int = Field(ge=1)
    seq: int = Field(ge=0)
    transaction: str
    inclusion: ProofPath
    versions: list[IncludedEntry]
    state_map: StateMapProofs


class AbsenceProof(Wire):
    """A "not found", proven: the checkpoint's state map holds nothing for the name."""

    checkpoint: str
    tree_size: int = Field(ge=1)
    state_map: StateMapProofs


class ResolutionError(Wire):
    type: str  # DID Resolution §7.2's URI, e.g. https://www.w3.org/ns/did#NOT_FOUND
    title: str
    code: str | None = optional()  # ours, e.g. did_not_found


class ResolutionMetadata(Wire):
    content_type: str | None = optional()
    error: ResolutionError | None = optional()
    proof: ResolutionProof | AbsenceProof | None = optional()


class ResolutionResult(Wire):
    did_document: dict[str, Any] | None = None
    did_resolution_metadata: ResolutionMetadata
    did_document_metadata: DocumentMetadata
