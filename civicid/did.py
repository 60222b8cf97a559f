"""The ``did:civicid`` method: self-certifying identifiers and W3C DID Core documents.

A DID is ``did:civicid:<scid>``, where the SCID is the base32 SHA-256 of the RFC 8785 form of
the DID's first document with every occurrence of the DID written as ``did:civicid:{SCID}``
(the did:webvh construction), so nobody can register a DID for a document they did not make.
Documents are validated with pydid before the ledger stores them.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Final, NewType

import pydid
from pydantic import ValidationError

from civicid.encoding import canonical_json, sha256
from civicid.errors import Gone, InvalidInput, NotFound, Refused, declare
from civicid.jose import PublicKey

DID = NewType("DID", str)
KeyId = NewType("KeyId", str)  # a DID URL naming one verification method, "did:...#fragment"

METHOD: Final = "civicid"
PREFIX: Final = f"did:{METHOD}:"
SCID_PLACEHOLDER: Final = "{SCID}"
# 32 base32 characters = 160 bits of SHA-256: second pre-images stay out of reach.
SCID_LENGTH: Final = 32
DID_PATTERN: Final = re.compile(rf"^did:{METHOD}:[a-z2-7]{{{SCID_LENGTH}}}$")
DID_LENGTH: Final = len(PREFIX) + SCID_LENGTH
# A DID, "#" and a fragment of at most 64 characters (FRAGMENT_PATTERN).
MAX_KEY_ID_LENGTH: Final = DID_LENGTH + 1 + 64
FRAGMENT_PATTERN: Final = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")
# A DID document holds a few keys and services; anything near this size is an abuse.
MAX_DOCUMENT_BYTES: Final = 16 * 1024
MAX_VERIFICATION_METHODS: Final = 16
MAX_SERVICES: Final = 16
# Well-formed DIDs and key ids remembered (a few hundred bytes each): a desk reads the same
# few issuers' names in every credential; a flood of new ones only pushes the oldest out.
MAX_REMEMBERED_IDS: Final = 4096

CONTEXT: Final = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]
VM_TYPE: Final = "JsonWebKey2020"
RELATIONSHIPS: Final = (
    "authentication",
    "assertionMethod",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
)
# Keys in this relationship control the DID (DID Core §5.3.4): they sign updates and deactivation.
CONTROLLER_RELATIONSHIP: Final = "capabilityInvocation"

DID_INVALID = declare("did_invalid", InvalidInput, "not a did:civicid identifier")
KID_INVALID = declare("kid_invalid", InvalidInput, "a key id is a DID URL with a plain fragment")
DID_DOCUMENT_INVALID = declare("did_document_invalid", InvalidInput, "not a valid DID document")
DID_DOCUMENT_TOO_LARGE = declare(
    "did_document_too_large", InvalidInput, "the DID document is over its size limit"
)
DID_SCID_MISMATCH = declare(
    "did_scid_mismatch", Refused, "the DID is not derived from its first document"
)
KEY_UNKNOWN = declare("key_unknown", Refused, "the key id names no key of the DID")
KEY_NOT_AUTHORIZED = declare(
    "key_not_authorized", Refused, "the key is not in the verification relationship needed"
)
DID_NOT_FOUND = declare("did_not_found", NotFound, "the DID (or that version) is not on the ledger")
DID_DEACTIVATED = declare("did_deactivated", Gone, "the DID has been deactivated")


def parse_did(value: str) -> DID:
    """A syntactically valid did:civicid identifier, or ``did_invalid``."""
    # The length first: only strings that may be DIDs reach the cache, which keeps its
    # arguments (a flood of long strings would otherwise stay in memory, 4096 at a time).
    if not isinstance(value, str) or len(value) != DID_LENGTH or not _is_did(value):
        raise DID_INVALID(f"not a did:{METHOD} identifier: {str(value)[:80]!r}")
    return DID(value)


@functools.lru_cache(maxsize=MAX_REMEMBERED_IDS)
def _is_did(value: str) -> bool:
    return DID_PATTERN.fullmatch(value) is not None


def split_key_id(kid: str) -> tuple[DID, str]:
    """Split a DID URL ``did:civicid:x#frag`` into the DID and the fragment."""
    # As in ``parse_did``: only a string as long as a key id may be is remembered.
    if not isinstance(kid, str) or len(kid) > MAX_KEY_ID_LENGTH:
        raise KID_INVALID("kid must be a DID URL with a fragment")
    return _split_key_id(kid)


@functools.lru_cache(maxsize=MAX_REMEMBERED_IDS)  # errors are raised anew, never remembered
def _split_key_id(kid: str) -> tuple[DID, str]:
    if "#" not in kid:
        raise KID_INVALID("kid must be a DID URL with a fragment")
    did, _, fragment = kid.partition("#")
    if not FRAGMENT_PATTERN.fullmatch(fragment):
        raise KID_INVALID("kid fragment is not a plain name")
    return parse_did(did), fragment


def _scid_of(template_text: str) -> str:
    digest = sha256(canonical_json(json.loads(template_text)))
    return base64.b32encode(digest).decode("ascii").lower().rstrip("=")[:SCID_LENGTH]


def build_document(
    keys: list[tuple[str, PublicKey]],
    *,
    did: str = PREFIX + SCID_PLACEHOLDER,
    services: list[dict[str, Any]] | None = None,
    controller_fragments: list[str] | None = None,
) -> dict[str, Any]:
    """A DID document: every key may authenticate and assert; ``controller_fragments``
    (default: the first key) may also update or deactivate the DID."""
    controllers = controller_fragments if controller_fragments is not None else [keys[0][0]]
    vms = [
        {"id": f"{did}#{frag}", "type": VM_TYPE, "controller": did, "publicKeyJwk": key.to_jwk()}
        for frag, key in keys
    ]
    doc: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": did,
        "verificationMethod": vms,
        "authentication": [vm["id"] for vm in vms],
        "assertionMethod": [vm["id"] for vm in vms],
        "capabilityInvocation": [f"{did}#{frag}" for frag in controllers],
    }
    if services:
        doc["service"] = [
            {**svc, "id": svc["id"] if "#" not in svc["id"] else f"{did}#{svc['id'].split('#')[1]}"}
            for svc in services
        ]
    return doc


def new_did(
    keys: list[tuple[str, PublicKey]],
    *,
    services: list[dict[str, Any]] | None = None,
    controller_fragments: list[str] | None = None,
) -> tuple[DID, dict[str, Any]]:
    """Make a fresh self-certifying DID and its first document."""
    template = build_document(keys, services=services, controller_fragments=controller_fragments)
    text = json.dumps(template)
    did = PREFIX + _scid_of(text)
    return DID(did), json.loads(text.replace(PREFIX + SCID_PLACEHOLDER, did))


def check_self_certifying(did: DID, document: dict[str, Any]) -> None:
    """The DID's SCID must be the hash of its first document (placeholder put back)."""
    text = json.dumps(document).replace(did, PREFIX + SCID_PLACEHOLDER)
    if PREFIX + _scid_of(text) != did:
        raise DID_SCID_MISMATCH("the DID is not derived from its first document")


@dataclass(frozen=True, slots=True)
class Document:
    """A validated DID document: pydid accepted it and every key is one we allow."""

    did: DID
    data: dict[str, Any]
    keys: dict[str, PublicKey]  # fragment -> key

    @classmethod
    def validate(cls, did: DID, data: Any, *, full: bool = True) -> Document:
        """Check ``data`` as the document of ``did``. ``full=False`` is for replaying a log
        this process already validated: it skips the pydid pass but still parses every key."""
        if not isinstance(data, dict):
            raise DID_DOCUMENT_INVALID("a DID document is a JSON object")
        if full:
            if len(json.dumps(data, separators=(",", ":"))) > MAX_DOCUMENT_BYTES:
                raise DID_DOCUMENT_TOO_LARGE(f"over {MAX_DOCUMENT_BYTES} bytes")
            if data.get("id") != did:
                raise DID_DOCUMENT_INVALID("document id does not match the DID")
            try:
                # DID Core structure, ids and relationship references; key material is checked
                # below against our own allow-list, so pydid's per-type key classes are not used.
                pydid.BasicDIDDocument.model_validate(data)
            except (ValidationError, ValueError, TypeError) as exc:
                raise DID_DOCUMENT_INVALID(f"not a DID Core document: {exc}") from exc
        methods = data.get("verificationMethod") or []
        if not 1 <= len(methods) <= MAX_VERIFICATION_METHODS:
            raise DID_DOCUMENT_INVALID(f"1 to {MAX_VERIFICATION_METHODS} verification methods")
        if len(data.get("service") or []) > MAX_SERVICES:
            raise DID_DOCUMENT_INVALID(f"at most {MAX_SERVICES} services")
        keys: dict[str, PublicKey] = {}
        for vm in methods:
            vm_did, fragment = split_key_id(str(vm.get("id")))
            if vm_did != did or vm.get("controller") != did:
                raise DID_DOCUMENT_INVALID("keys must belong to the DID itself")
            if vm.get("type") != VM_TYPE or "publicKeyJwk" not in vm:
                raise DID_DOCUMENT_INVALID(f"keys must be {VM_TYPE} with a JWK")
            if fragment in keys:
                raise DID_DOCUMENT_INVALID(f"duplicate key id #{fragment}")
            keys[fragment] = PublicKey.from_jwk(vm["publicKeyJwk"])
        for rel in RELATIONSHIPS:
            for ref in data.get(rel) or []:
                if not isinstance(ref, str) or split_key_id(ref)[1] not in keys:
                    raise DID_DOCUMENT_INVALID(f"{rel} must reference listed keys")
        if not data.get(CONTROLLER_RELATIONSHIP):
            raise DID_DOCUMENT_INVALID(f"{CONTROLLER_RELATIONSHIP} names no key")
        return cls(did=did, data=data, keys=keys)

    def key(self, kid: str, relationship: str) -> PublicKey:
        """The key ``kid`` names, if it is in ``relationship``; else ``key_not_authorized``."""
        did, fragment = split_key_id(kid)
        if did != self.did or fragment not in self.keys:
            raise KEY_UNKNOWN(f"{kid} is not a key of {self.did}")
        if kid not in (self.data.get(relationship) or []):
            raise KEY_NOT_AUTHORIZED(f"{kid} is not in {relationship} of {self.did}")
        return self.keys[fragment]

    def controller_thumbprints(self) -> set[str]:
        refs = self.data.get(CONTROLLER_RELATIONSHIP) or []
        return {self.keys[split_key_id(ref)[1]].thumbprint() for ref in refs}
