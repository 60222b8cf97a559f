"""Ledger transactions: compact JWS signed by a DID key, with a type, a body, an id and a time.

The leaf the ledger logs is the exact JWS text, so anyone holding it can check the signature
and the Merkle inclusion without trusting the ledger's parsing.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

from civicid.did import DID, KID_INVALID, KeyId, split_key_id
from civicid.encoding import canonical_json
from civicid.errors import InvalidInput, TooLarge, VerificationError, declare
from civicid.jose import SIGNING_ALGS, CompactJWS, PrivateKey

TX_TYP: Final = "civicid-tx+jwt"
ENDORSEMENT_TYP: Final = "civicid-endorsement+jwt"

# Transaction types; the ledger's rules say who may sign each (DESIGN.md, "Who may write what").
GENESIS: Final = "genesis"
DID_CREATE: Final = "did.create"
DID_UPDATE: Final = "did.update"
DID_DEACTIVATE: Final = "did.deactivate"
ACCREDITATION_GRANT: Final = "accreditation.grant"
ACCREDITATION_REVOKE: Final = "accreditation.revoke"
CREDENTIAL_TYPE: Final = "credential_type.register"
STATUS_LIST: Final = "status_list.publish"
ISSUANCE_RULE: Final = "issuance_rule.publish"
ISSUANCE_RULE_WITHDRAW: Final = "issuance_rule.withdraw"
ENTITLEMENT_REDEEM: Final = "entitlement.redeem"
TX_TYPES: Final = frozenset(
    {
        GENESIS,
        DID_CREATE,
        DID_UPDATE,
        DID_DEACTIVATE,
        ACCREDITATION_GRANT,
        ACCREDITATION_REVOKE,
        CREDENTIAL_TYPE,
        STATUS_LIST,
        ISSUANCE_RULE,
        ISSUANCE_RULE_WITHDRAW,
        ENTITLEMENT_REDEEM,
    }
)

# The largest transaction is a status list publish carrying a 1M-entry token; sparse lists
# compress to a few KiB, a dense random 2-bit list of 2**20 entries to ~260 KiB.
MAX_TX_BYTES: Final = 1024 * 1024
# Tx ids are 128 random bits, base64url: long enough to never collide, short enough to index.
TX_ID_BYTES: Final = 16
MAX_TX_ID_CHARS: Final = 64
TX_HEADER_ALLOWED: Final = frozenset({"alg", "kid", "typ"})

TX_MALFORMED = declare("tx_malformed", InvalidInput, "not a well-formed transaction")
TX_TOO_LARGE = declare("tx_too_large", TooLarge, "the transaction is over its size limit")
TX_TYPE_UNKNOWN = declare("tx_type_unknown", InvalidInput, "no transaction type of that name")
TX_HEADER_FORBIDDEN = declare(
    "tx_header_forbidden", InvalidInput, "a transaction header has only alg, kid and typ"
)
GENESIS_MISSING = declare("genesis_missing", VerificationError, "the first entry is not a genesis")


def new_tx_id() -> str:
    return secrets.token_urlsafe(TX_ID_BYTES)


@dataclass(frozen=True, slots=True)
class Transaction:
    """A parsed, well-formed transaction; its signature is checked by the ledger's rules."""

    jws: CompactJWS
    type: str
    id: str
    iat: int
    ledger: str
    body: dict[str, Any]
    kid: KeyId
    signer: DID

    @property
    def text(self) -> str:
        return self.jws.text

    @property
    def leaf(self) -> bytes:
        return self.jws.text.encode("ascii")

    @classmethod
    def parse(cls, text: str | bytes) -> Transaction:
        if isinstance(text, bytes):
            # Non-ASCII bytes become U+FFFD, which no compact JWS holds: the parser refuses it.
            text = text.decode("ascii", errors="replace")
        jws = CompactJWS.parse(text.strip(), max_bytes=MAX_TX_BYTES)
        jws.check_header(allowed_algs=SIGNING_ALGS, typ=TX_TYP)
        extra = set(jws.header) - TX_HEADER_ALLOWED
        if extra:
            raise TX_HEADER_FORBIDDEN(f"unexpected header parameters {sorted(extra)}")
        kid = jws.header.get("kid")
        signer, _ = split_key_id(kid) if isinstance(kid, str) else (None, None)
        if signer is None:
            raise KID_INVALID("a transaction names its signing key in kid")
        payload = jws.payload_json(code=TX_MALFORMED)
        tx_type, tx_id, iat = payload.get("type"), payload.get("id"), payload.get("iat")
        ledger, body = payload.get("ledger"), payload.get("body")
        if not isinstance(tx_type, str) or tx_type not in TX_TYPES:
            raise TX_TYPE_UNKNOWN(f"unknown transaction type {tx_type!r}")
        if not isinstance(tx_id, str) or not 16 <= len(tx_id) <= MAX_TX_ID_CHARS:
            raise TX_MALFORMED("id must be a string of 16-64 characters")
        if not isinstance(iat, int) or isinstance(iat, bool) or iat < 0:
            raise TX_MALFORMED("iat must be a non-negative integer")
        if not isinstance(ledger, str) or not isinstance(body, dict):
            raise TX_MALFORMED("ledger must be a string and body an object")
        return cls(
            jws=jws,
            type=tx_type,
            id=tx_id,
            iat=iat,
            ledger=ledger,
            body=body,
            kid=KeyId(str(kid)),
            signer=signer,
        )


def build_tx(
    key: PrivateKey,
    kid: str,
    tx_type: str,
    body: dict[str, Any],
    *,
    ledger: str,
    now: int | None = None,
    tx_id: str | None = None,
) -> str:
    """Sign a transaction for the ledger whose origin is ``ledger``."""
    if tx_type not in TX_TYPES:
        raise TX_TYPE_UNKNOWN(f"unknown transaction type {tx_type!r}")
    payload = {
        "type": tx_type,
        "id": tx_id or new_tx_id(),
        "iat": int(time.time()) if now is None else now,
        "ledger": ledger,
        "body": body,
    }
    return key.sign_compact(canonical_json(payload), {"typ": TX_TYP, "kid": kid})


def build_endorsement(
    key: PrivateKey, kid: str, *, subject: str, role: str, ledger: str, now: int | None = None
) -> str:
    """Governance's consent that ``subject`` may join the ledger in ``role``."""
    payload = {
        "sub": subject,
        "role": role,
        "ledger": ledger,
        "iat": int(time.time()) if now is None else now,
    }
    return key.sign_compact(canonical_json(payload), {"typ": ENDORSEMENT_TYP, "kid": kid})
