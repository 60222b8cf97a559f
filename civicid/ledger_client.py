"""The ledger client: every answer is checked against a checkpoint the client verified.

The client pins the ledger's checkpoint key (its vkey, published at ``ledger init``), and
remembers the last checkpoint it trusted; a ledger whose new checkpoint is not provably an
extension of that one (RFC 9162 consistency proof) is refused as forked or rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import httpx

from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from civicid.did import DID, Document, split_key_id
from civicid.encoding import b64_decode
from civicid.errors import (
    Conflict,
    Error,
    Gone,
    InvalidInput,
    NotFound,
    Refused,
    TooLarge,
    Unavailable,
    VerificationError,
)
from civicid.jose import PublicKey
from civicid.keystore import write_private
from civicid.merkle import leaf_hash, verify_consistency, verify_inclusion
from civicid.proven import ProvenStatusList, ProvenType, TrustAnswer
from civicid.registry_client import RegistryClient
from civicid.status_list import TYP as STATUS_LIST_TYP
from civicid.transaction import DID_DEACTIVATE, GENESIS, Transaction

DEFAULT_TIMEOUT: Final = 10.0
# Answers bigger than this are not something the ledger sends; refuse rather than buffer.
MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
STATUS_LIST_MEDIA: Final = f"application/{STATUS_LIST_TYP}"  # Token Status List §8.1
# Signer keys found by key_at, per (kid, entry, relationship); a verifier sees few signers.
MAX_CACHED_KEYS: Final = 4096
STATUS_ERRORS: Final[dict[int, type[Error]]] = {
    400: InvalidInput,
    403: Refused,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: TooLarge,
}


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


def iso_time(ts: int) -> str:
    """An XML Schema dateTime, as DID Resolution's ``versionTime`` takes it."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def raise_for(response: httpx.Response) -> None:
    """Turn an error answer into our error, keeping the server's code."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = body.get("error") if isinstance(body, dict) else None
    message = (
        body.get("error_description", response.reason_phrase) if isinstance(body, dict) else ""
    )
    if isinstance(code, dict):  # DID Resolution error object
        code, message = code.get("type", "").rsplit("#", 1)[-1], code.get("title", "")
    cls = STATUS_ERRORS.get(response.status_code, Unavailable)
    raise cls(str(code or f"http_{response.status_code}"), str(message))


class LedgerClient:
    def __init__(
        self,
        base_url: str,
        vkey: str,
        *,
        trust_file: Path | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.verifier = NoteVerifier(vkey)
        self.origin = self.verifier.name
        self.trust_file = trust_file
        self.http = http or httpx.Client(base_url=base_url, timeout=DEFAULT_TIMEOUT)
        self.trusted: Checkpoint | None = self._load_trusted()
        self._governance: DID | None = None
        self._registry: RegistryClient | None = None
        self._keys: dict[tuple[str, int, str], PublicKey] = {}

    # -- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            with self.http.stream(method, path, **kwargs) as response:
                body = bytearray()
                # Read no more than the limit: a hostile server cannot make us buffer more.
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise Unavailable(
                            "ledger_response_too_large", "the ledger's answer is too large"
                        )
        except httpx.HTTPError as exc:
            raise Unavailable("ledger_unreachable", f"cannot reach the ledger: {exc}") from exc
        # The body is already decoded: drop the headers that described its encoded form.
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        }
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=bytes(body),
            request=response.request,
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        raise_for(response)
        return response.json()

    def get_json(self, path: str, params: dict[str, Any]) -> Any:
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
                raise VerificationError("ledger_forked", "same size, different root: a fork")
            if checkpoint.size > trusted.size:
                self._verify_extends(trusted, checkpoint)
        if trusted is None or checkpoint.size > trusted.size:
            self.trusted = checkpoint
            if self.trust_file is not None:
                write_private(self.trust_file, note.encode("utf-8"))
        return checkpoint

    def _verify_extends(self, old: Checkpoint, new: Checkpoint) -> None:
        proof = self._json("GET", "/proofs/consistency", params={"from": old.size, "to": new.size})
        try:
            verify_consistency(
                old.size,
                new.size,
                old.root,
                new.root,
                [b64_decode(h) for h in proof["consistency"]],
            )
        except Error as exc:
            raise VerificationError(
                "ledger_inconsistent", "the ledger's checkpoints are not one growing log"
            ) from exc

    def checkpoint(self) -> Checkpoint:
        response = self._request("GET", "/checkpoint")
        raise_for(response)
        return self.accept_checkpoint(response.text)

    # -- entries --------------------------------------------------------------------------

    def submit(self, transaction: str) -> dict[str, Any]:
        """Submit; the receipt's entry is checked to be in the checkpoint it came with."""
        receipt: dict[str, Any] = self._json(
            "POST",
            "/transactions",
            content=transaction,
            headers={"content-type": "application/jose"},
        )
        checkpoint = self.accept_checkpoint(receipt["checkpoint"])
        self.prove_entry(int(receipt["seq"]), transaction.encode("ascii"), checkpoint)
        return receipt

    def prove_entry(self, seq: int, leaf: bytes, checkpoint: Checkpoint) -> None:
        proof = self._json(
            "GET", "/proofs/inclusion", params={"seq": seq, "treeSize": checkpoint.size}
        )
        verify_inclusion(
            leaf_hash(leaf),
            seq,
            checkpoint.size,
            [b64_decode(h) for h in proof["inclusion"]],
            checkpoint.root,
        )

    def entry(self, seq: int) -> str:
        data = self._json("GET", f"/transactions/{seq}")
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
        response = self._request("GET", f"/1.0/identifiers/{quote(did, safe=':')}", params=params)
        if response.status_code not in (200, 410):
            raise_for(response)
        result = response.json()
        document = result.get("didDocument")
        metadata = result.get("didDocumentMetadata") or {}
        proof = (result.get("didResolutionMetadata") or {}).get("proof")
        if not isinstance(proof, dict):
            raise VerificationError("resolution_unproven", "the ledger sent no proof")
        checkpoint = self.accept_checkpoint(str(proof["checkpoint"]))
        seq, text = int(proof["seq"]), str(proof["transaction"])
        verify_inclusion(
            leaf_hash(text.encode("ascii")),
            seq,
            checkpoint.size,
            [b64_decode(h) for h in proof["inclusion"]],
            checkpoint.root,
        )
        tx = Transaction.parse(text)
        if tx.body.get("did") != did:
            raise VerificationError("resolution_mismatch", "the proven entry is about another DID")
        expected = None if tx.type == DID_DEACTIVATE else tx.body.get("document")
        if json.dumps(expected, sort_keys=True) != json.dumps(document, sort_keys=True):
            raise VerificationError("resolution_mismatch", "document differs from the logged one")
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
                raise VerificationError("genesis_missing", "entry 0 is not the genesis")
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
            resolved = self.resolve(did, version_time=iso_time(iat))
        except NotFound:  # iat a little before the DID's first version: the allowed clock skew
            resolved = self.resolve(did, version_id="1")
        while True:
            number = int(str(resolved.metadata["versionId"]).split("-", 1)[0])
            if resolved.seq >= seq:
                if number == 1:
                    raise VerificationError("signer_unknown", f"{did} was not on the ledger yet")
                resolved = self.resolve(did, version_id=str(number - 1))
                continue
            if "nextVersionId" in resolved.metadata:
                following = self.resolve(did, version_id=str(number + 1))
                if following.seq < seq:
                    resolved = following
                    continue
            break
        if resolved.document is None:
            raise VerificationError("signer_deactivated", f"{did} was deactivated before {seq}")
        key = Document.validate(DID(did), resolved.document).key(kid, relationship)
        if len(self._keys) >= MAX_CACHED_KEYS:
            self._keys.clear()
        self._keys[(kid, seq, relationship)] = key
        return key

    def key_in_force(
        self, kid: str, at: int, relationship: str = "assertionMethod"
    ) -> PublicKey:
        """The key ``kid`` names, in ``relationship``, in its DID's document as it stood at
        time ``at`` (e.g. a credential's ``iat``): how verifiers and wallets find an issuer's
        key (SD-JWT VC §3.5 allows such an ecosystem-defined key resolution)."""
        did, _ = split_key_id(kid)
        try:
            resolved = self.resolve(did, version_time=iso_time(at))
        except NotFound as exc:
            raise VerificationError(
                "signer_unknown", f"{did} had no version on the ledger at that time"
            ) from exc
        if resolved.document is None:
            raise VerificationError("signer_deactivated", f"{did} was deactivated by then")
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
        response = self._request(
            "GET", "/status-lists", params={"uri": uri}, headers={"accept": STATUS_LIST_MEDIA}
        )
        raise_for(response)
        if not response.headers.get("content-type", "").startswith(STATUS_LIST_MEDIA):
            raise Unavailable("ledger_content_type", "the ledger did not answer with a token")
        return response.text

    def close(self) -> None:
        self.http.close()
