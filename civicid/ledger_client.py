"""The ledger client: every answer is checked against a checkpoint the client verified.

The client pins the ledger's checkpoint key (its vkey, published at ``ledger init``), and
remembers the last checkpoint it trusted; a ledger whose new checkpoint is not provably an
extension of that one (RFC 9162 consistency proof) is refused as forked or rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import httpx

from civicid.authority import SIGNER_DEACTIVATED, SIGNER_UNKNOWN
from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from civicid.did import DID, Document, split_key_id
from civicid.encoding import b64_decode
from civicid.errors import Error, NotFound, Unavailable, VerificationError, declare
from civicid.http import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, MAX_RESPONSE_BYTES, Answer, HttpClient
from civicid.jose import PublicKey
from civicid.keystore import write_private
from civicid.merkle import leaf_hash, verify_consistency, verify_inclusion
from civicid.proven import LEDGER_ANSWER_MALFORMED, ProvenStatusList, ProvenType, TrustAnswer
from civicid.registry_client import RegistryClient
from civicid.status_list import TYP as STATUS_LIST_TYP
from civicid.times import rfc3339
from civicid.transaction import DID_DEACTIVATE, GENESIS, GENESIS_MISSING, Transaction

LEDGER_FORKED = declare(
    "ledger_forked", VerificationError, "the ledger shows two different logs of one size"
)
LEDGER_INCONSISTENT = declare(
    "ledger_inconsistent", VerificationError, "the ledger's checkpoints are not one growing log"
)
RESOLUTION_UNPROVEN = declare(
    "resolution_unproven", VerificationError, "the resolution carries no proof"
)
RESOLUTION_MISMATCH = declare(
    "resolution_mismatch", VerificationError, "the resolution differs from its proven entry"
)
LEDGER_CONTENT_TYPE = declare(
    "ledger_content_type", Unavailable, "the ledger answered with the wrong content type"
)

STATUS_LIST_MEDIA: Final = f"application/{STATUS_LIST_TYP}"  # Token Status List §8.1
# Signer keys found by key_at, per (kid, entry, relationship); a verifier sees few signers.
MAX_CACHED_KEYS: Final = 4096


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Turn a malformed answer (missing member, wrong type) into ``ledger_answer_malformed``."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise LEDGER_ANSWER_MALFORMED(f"unreadable {what}: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class ResolvedDid:
    did: str
    document: dict[str, Any] | None
    metadata: dict[str, Any]
    seq: int
    checkpoint: Checkpoint

    @property
    def deactivated(self) -> bool:
        return bool(self.metadata.get("deactivated"))


class LedgerClient:
    """A ledger's answers, each verified against a checkpoint signed by the pinned key.

    ``transport`` replaces the network (tests; an in-process app); every call is bounded by
    ``timeout`` per operation and ``deadline`` overall (``civicid.http``).
    """

    def __init__(
        self,
        base_url: str,
        vkey: str,
        *,
        trust_file: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.verifier = NoteVerifier(vkey)
        self.origin = self.verifier.name
        self.trust_file = trust_file
        self.http = HttpClient(
            base_url, timeout=timeout, deadline=deadline, max_bytes=max_bytes, transport=transport
        )
        self.trusted: Checkpoint | None = self._load_trusted()
        self._governance: DID | None = None
        self._registry: RegistryClient | None = None
        self._keys: dict[tuple[str, int, str], PublicKey] = {}

    # -- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Answer:
        return self.http.request(method, path, **kwargs)

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self._request(method, path, **kwargs)
        answer.raise_for_error()
        return answer.json_object()

    def get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET ``path`` and decode its JSON answer (unverified: callers prove what they use)."""
        return self._json("GET", path, params=params)

    # -- checkpoints ----------------------------------------------------------------------

    def _load_trusted(self) -> Checkpoint | None:
        if self.trust_file is None or not self.trust_file.exists():
            return None
        return open_checkpoint(
            self.trust_file.read_text("utf-8"), self.verifier, origin=self.origin
        )

    def accept_checkpoint(self, note: str) -> Checkpoint:
        """Verify ``note`` and that it extends the last trusted checkpoint; then trust it."""
        checkpoint = open_checkpoint(note, self.verifier, origin=self.origin)
        trusted = self.trusted
        if trusted is not None:
            if checkpoint.size < trusted.size:
                # A lagging replica may serve an older checkpoint; it must be our past.
                self._verify_extends(checkpoint, trusted)
                return checkpoint
            if checkpoint.size == trusted.size and checkpoint.root != trusted.root:
                raise LEDGER_FORKED("same size, different root: a fork")
            if checkpoint.size > trusted.size:
                self._verify_extends(trusted, checkpoint)
        if trusted is None or checkpoint.size > trusted.size:
            self.trusted = checkpoint
            if self.trust_file is not None:
                write_private(self.trust_file, note.encode("utf-8"))
        return checkpoint

    def _verify_extends(self, old: Checkpoint, new: Checkpoint) -> None:
        proof = self._json("GET", "/proofs/consistency", params={"from": old.size, "to": new.size})
        with reading("consistency proof"):
            path = [b64_decode(h) for h in proof["consistency"]]
        try:
            verify_consistency(old.size, new.size, old.root, new.root, path)
        except Error as exc:
            raise LEDGER_INCONSISTENT("the ledger's checkpoints are not one growing log") from exc

    def checkpoint(self) -> Checkpoint:
        answer = self._request("GET", "/checkpoint")
        answer.raise_for_error()
        return self.accept_checkpoint(answer.text)

    # -- entries --------------------------------------------------------------------------

    def submit(self, transaction: str) -> dict[str, Any]:
        """Submit; the receipt's entry is checked to be in the checkpoint it came with."""
        receipt = self._json(
            "POST",
            "/transactions",
            content=transaction,
            headers={"content-type": "application/jose"},
        )
        with reading("receipt"):
            note, seq = str(receipt["checkpoint"]), int(receipt["seq"])
        checkpoint = self.accept_checkpoint(note)
        self.prove_entry(seq, transaction.encode("ascii"), checkpoint)
        return receipt

    def prove_entry(self, seq: int, leaf: bytes, checkpoint: Checkpoint) -> None:
        proof = self._json(
            "GET", "/proofs/inclusion", params={"seq": seq, "treeSize": checkpoint.size}
        )
        with reading("inclusion proof"):
            path = [b64_decode(h) for h in proof["inclusion"]]
        verify_inclusion(leaf_hash(leaf), seq, checkpoint.size, path, checkpoint.root)

    def entry(self, seq: int) -> str:
        data = self._json("GET", f"/transactions/{seq}")
        with reading("entry"):
            return str(data["transaction"])

    # -- DIDs -----------------------------------------------------------------------------

    def resolve(
        self, did: str, *, version_id: str | None = None, version_time: str | None = None
    ) -> ResolvedDid:
        params: dict[str, str] = {"withProof": "true"}
        if version_id is not None:
            params["versionId"] = version_id
        if version_time is not None:
            params["versionTime"] = version_time
        answer = self._request("GET", f"/1.0/identifiers/{quote(did, safe=':')}", params=params)
        if answer.status not in (200, 410):
            answer.raise_for_error()
        result = answer.json_object()
        with reading("resolution"):
            document = result.get("didDocument")
            metadata = result.get("didDocumentMetadata") or {}
            proof = (result.get("didResolutionMetadata") or {}).get("proof")
            if not isinstance(proof, dict):
                raise RESOLUTION_UNPROVEN("the ledger sent no proof")
            note, seq, text = str(proof["checkpoint"]), int(proof["seq"]), str(proof["transaction"])
            path = [b64_decode(h) for h in proof["inclusion"]]
        checkpoint = self.accept_checkpoint(note)
        verify_inclusion(
            leaf_hash(text.encode("ascii")), seq, checkpoint.size, path, checkpoint.root
        )
        tx = Transaction.parse(text)
        if tx.body.get("did") != did:
            raise RESOLUTION_MISMATCH("the proven entry is about another DID")
        expected = None if tx.type == DID_DEACTIVATE else tx.body.get("document")
        if json.dumps(expected, sort_keys=True) != json.dumps(document, sort_keys=True):
            raise RESOLUTION_MISMATCH("document differs from the logged one")
        return ResolvedDid(did, document, metadata, seq, checkpoint)

    # -- governance: trust registry, credential types, status lists ------------------------
    #
    # Implemented in civicid/registry_client.py: each answer is re-derived from the entries
    # it rests on, each proven included and its signature checked; the ledger's own verdict is
    # only compared against that. Inclusion proves presence, not absence: a withheld
    # revocation or newer list is caught by auditing or monitoring the log, not by one answer.

    def governance(self) -> DID:
        """The governance DID, read from the proven genesis entry (once)."""
        if self._governance is None:
            checkpoint = self.checkpoint()
            text = self.entry(0)
            self.prove_entry(0, text.encode("ascii"), checkpoint)
            genesis = Transaction.parse(text)
            if genesis.type != GENESIS:
                raise GENESIS_MISSING("entry 0 is not the genesis")
            with reading("genesis"):
                self._governance = DID(str(genesis.body["did"]))
        return self._governance

    def key_at(
        self, kid: str, seq: int, iat: int, relationship: str = "assertionMethod"
    ) -> PublicKey:
        """The key ``kid`` names, in ``relationship``, in its DID's document as it stood when
        entry ``seq`` (signed at ``iat``) was logged: the version logged last before ``seq``,
        found by ``versionTime`` and stepped to by ``versionId``, every one resolved with proof."""
        cached = self._keys.get((kid, seq, relationship))
        if cached is not None:
            return cached
        did, _ = split_key_id(kid)
        try:
            resolved = self.resolve(did, version_time=rfc3339(iat))
        except NotFound:  # iat a little before the DID's first version: the allowed clock skew
            resolved = self.resolve(did, version_id="1")
        while True:
            with reading("resolution metadata"):
                number = int(str(resolved.metadata["versionId"]).split("-", 1)[0])
            if resolved.seq >= seq:
                if number == 1:
                    raise SIGNER_UNKNOWN(f"{did} was not on the ledger yet")
                resolved = self.resolve(did, version_id=str(number - 1))
                continue
            if "nextVersionId" in resolved.metadata:
                following = self.resolve(did, version_id=str(number + 1))
                if following.seq < seq:
                    resolved = following
                    continue
            break
        if resolved.document is None:
            raise SIGNER_DEACTIVATED(f"{did} was deactivated before {seq}")
        key = Document.validate(DID(did), resolved.document).key(kid, relationship)
        if len(self._keys) >= MAX_CACHED_KEYS:
            self._keys.clear()
        self._keys[(kid, seq, relationship)] = key
        return key

    def key_in_force(self, kid: str, at: int, relationship: str = "assertionMethod") -> PublicKey:
        """The key ``kid`` names, in ``relationship``, in its DID's document as it stood at
        time ``at`` (e.g. a credential's ``iat``): how verifiers and wallets find an issuer's
        key (SD-JWT VC §3.5 allows such an ecosystem-defined key resolution)."""
        did, _ = split_key_id(kid)
        try:
            resolved = self.resolve(did, version_time=rfc3339(at))
        except NotFound as exc:
            raise SIGNER_UNKNOWN(f"{did} had no version on the ledger at that time") from exc
        if resolved.document is None:
            raise SIGNER_DEACTIVATED(f"{did} was deactivated by then")
        return Document.validate(DID(did), resolved.document).key(kid, relationship)

    @property
    def registry(self) -> RegistryClient:
        if self._registry is None:
            self._registry = RegistryClient(self)
        return self._registry

    def issuer_accredited(self, did: str, vct: str, at: int | None = None) -> TrustAnswer:
        """Is ``did`` accredited to issue ``vct`` at ``at`` (default: now)?"""
        return self.registry.issuer_accredited(did, vct, at)

    def verifier_allowed(
        self, did: str, vct: str, claims: list[str] | tuple[str, ...], at: int | None = None
    ) -> TrustAnswer:
        """May ``did`` ask for ``claims`` of ``vct`` at ``at`` (default: now)?"""
        return self.registry.verifier_allowed(did, vct, claims, at)

    def credential_type(self, vct: str) -> ProvenType:
        """The latest metadata and schema of ``vct``, registered by an accredited issuer."""
        return self.registry.credential_type(vct)

    def status_list(
        self, uri: str, tree_size: int | None = None, *, now: int | None = None
    ) -> ProvenStatusList:
        """The status list at ``uri`` (latest, or as of ``tree_size``), proven and verified."""
        return self.registry.status_list(uri, tree_size, now=now)

    def status_list_token(self, uri: str) -> str:
        """The raw latest token, as Token Status List §8.1 serves it (unverified: pass it to
        ``verify_token``, or use ``status_list`` to have it proven and verified)."""
        answer = self._request(
            "GET", "/status-lists", params={"uri": uri}, headers={"accept": STATUS_LIST_MEDIA}
        )
        answer.raise_for_error()
        if answer.content_type != STATUS_LIST_MEDIA:
            raise LEDGER_CONTENT_TYPE("the ledger did not answer with a token")
        return answer.text

    def close(self) -> None:
        self.http.close()
