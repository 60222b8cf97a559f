"""A public body's ledger identity (DID, controller key) and the transactions it signs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicid import transaction as tx
from civicid.did import (
    CONTROLLER_RELATIONSHIP,
    DID,
    Document,
    build_document,
    new_did,
    parse_did,
    split_key_id,
)
from civicid.errors import Error, InvalidInput, declare
from civicid.jose import DEFAULT_ALG, PrivateKey

IDENTITY_INVALID = declare(
    "identity_invalid", InvalidInput, "not a stored identity (DID, kid, private key, document)"
)
# The stored document is what a key rotation publishes again (its services carried over):
# one of another DID, or one whose controller key is not the stored key, is not this
# identity's, whatever else is right in it.
IDENTITY_DOCUMENT_MISMATCH = declare(
    "identity_document_mismatch",
    InvalidInput,
    "a stored identity's DID document is not of its DID, or does not make its key the controller",
)


@dataclass(frozen=True, slots=True)
class Identity:
    """A DID with the private key of its current controller key ``kid``."""

    did: DID
    kid: str
    key: PrivateKey
    document: dict[str, Any]
    next_key: PrivateKey | None = None  # pre-rotation: committed to, not yet published

    @classmethod
    def create(
        cls,
        *,
        alg: str = DEFAULT_ALG,
        prerotate: bool = False,
        services: list[dict[str, Any]] | None = None,
    ) -> Identity:
        key = PrivateKey.generate(alg)
        did, document = new_did([("key-1", key.public)], services=services)
        next_key = PrivateKey.generate(alg) if prerotate else None
        return cls(did, f"{did}#key-1", key, document, next_key)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "did": self.did,
            "kid": self.kid,
            "key": self.key.to_json(),
            "document": self.document,
        }
        if self.next_key is not None:
            data["nextKey"] = self.next_key.to_json()
        return data

    @classmethod
    def from_json(cls, data: Any) -> Identity:
        """An identity as ``to_json`` wrote it, or ``identity_invalid`` naming what is wrong
        (a missing member, a wrong type, a key without its private part)."""
        if not isinstance(data, dict):
            raise IDENTITY_INVALID("an identity is a JSON object")
        missing = [m for m in ("did", "kid", "key", "document") if m not in data]
        if missing:
            raise IDENTITY_INVALID(f"missing {', '.join(missing)}")
        did, kid, document = data["did"], data["kid"], data["document"]
        if not isinstance(kid, str) or not isinstance(document, dict):
            raise IDENTITY_INVALID("kid must be a string and document an object")
        next_key = data.get("nextKey")
        try:
            signer, _ = split_key_id(kid)
            if parse_did(did) != signer:
                raise IDENTITY_INVALID(f"kid {kid!r} is not a key of {did!r}")
            identity = cls(
                DID(did),
                kid,
                PrivateKey.from_json(data["key"]),
                document,
                PrivateKey.from_json(next_key) if next_key is not None else None,
            )
            identity.check_document()
            return identity
        except Error as exc:
            if IDENTITY_INVALID.matches(exc) or IDENTITY_DOCUMENT_MISMATCH.matches(exc):
                raise
            raise IDENTITY_INVALID(exc.message) from exc

    def check_document(self) -> None:
        """The document is a valid DID document of ``did`` (``identity_invalid`` if it is no
        valid document) listing ``key``'s public key as ``kid``, a controller key
        (``identity_document_mismatch`` otherwise)."""
        if self.document.get("id") != self.did:
            raise IDENTITY_DOCUMENT_MISMATCH(f"the document is not of {self.did}")
        document = Document.validate(self.did, self.document)
        try:
            listed = document.key(self.kid, CONTROLLER_RELATIONSHIP)
        except Error as exc:
            raise IDENTITY_DOCUMENT_MISMATCH(
                f"the document does not make {self.kid} its controller key: {exc.message}"
            ) from exc
        if listed.thumbprint() != self.key.public.thumbprint():
            raise IDENTITY_DOCUMENT_MISMATCH(
                f"the document's {self.kid} is another key than the one stored"
            )

    def next_key_hashes(self) -> list[str]:
        return [self.next_key.public.thumbprint()] if self.next_key else []

    def sign(
        self, tx_type: str, body: dict[str, Any], *, ledger: str, now: int | None = None
    ) -> str:
        return tx.build_tx(self.key, self.kid, tx_type, body, ledger=ledger, now=now)

    # -- DID transactions -----------------------------------------------------------------

    def genesis(self, *, origin: str, checkpoint_key: str, now: int | None = None) -> str:
        body = {
            "origin": origin,
            "did": self.did,
            "document": self.document,
            "checkpointKey": checkpoint_key,
        }
        return self.sign(tx.GENESIS, body, ledger=origin, now=now)

    def endorse(self, subject: str, role: str, *, ledger: str, now: int | None = None) -> str:
        return tx.build_endorsement(
            self.key, self.kid, subject=subject, role=role, ledger=ledger, now=now
        )

    def create_tx(self, *, role: str, endorsement: str, ledger: str, now: int | None = None) -> str:
        body = {
            "did": self.did,
            "role": role,
            "document": self.document,
            "endorsement": endorsement,
            "nextKeyHashes": self.next_key_hashes(),
        }
        return self.sign(tx.DID_CREATE, body, ledger=ledger, now=now)

    def rotate(
        self, prev: str, *, ledger: str, now: int | None = None, alg: str = DEFAULT_ALG
    ) -> tuple[Identity, str]:
        """A new identity whose controller key replaces this one, and the update transaction.

        With pre-rotation the committed key becomes current and signs; otherwise the current
        key signs for a fresh one. The new version lists only the new key: what the old key
        signed is checked against the version in force when it signed (resolution by
        ``versionTime``), which the ledger keeps forever.
        """
        new_key = self.next_key or PrivateKey.generate(alg)
        fragment = (
            f"key-{int(self.kid.rsplit('-', 1)[-1]) + 1}" if self.kid[-1].isdigit() else "key-1"
        )
        document = build_document([(fragment, new_key.public)], did=self.did)
        if "service" in self.document:
            document["service"] = self.document["service"]
        successor = Identity(
            self.did,
            f"{self.did}#{fragment}",
            new_key,
            document,
            PrivateKey.generate(alg) if self.next_key else None,
        )
        signer = successor if self.next_key else self
        body = {
            "did": self.did,
            "prev": prev,
            "document": document,
            "nextKeyHashes": successor.next_key_hashes(),
        }
        return successor, signer.sign(tx.DID_UPDATE, body, ledger=ledger, now=now)

    def deactivate_tx(self, prev: str, *, ledger: str, now: int | None = None) -> str:
        return self.sign(tx.DID_DEACTIVATE, {"did": self.did, "prev": prev}, ledger=ledger, now=now)
