"""The ledger client: every answer is checked against a checkpoint the client verified.

The client pins the ledger's checkpoint key (its vkey, published at ``ledger init``), and
remembers the last checkpoint it trusted; a ledger whose new checkpoint is not provably an
extension of that one (RFC 9162 consistency proof) is refused as forked or rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import httpx

from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
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
from civicid.keystore import write_private
from civicid.merkle import leaf_hash, verify_consistency, verify_inclusion
from civicid.transaction import DID_DEACTIVATE, Transaction

DEFAULT_TIMEOUT: Final = 10.0
# Answers bigger than this are not something the ledger sends; refuse rather than buffer.
MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
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

    # -- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable("ledger_unreachable", f"cannot reach the ledger: {exc}") from exc
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise Unavailable("ledger_response_too_large", "the ledger's answer is too large")
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        raise_for(response)
        return response.json()

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

    def close(self) -> None:
        self.http.close()
