"""What the issuer keeps: clerks, offers, issued credentials, status lists and the audit log,
as frozen records. Claim values live only in a pending offer and are dropped once it is
issued or has expired; an issued credential keeps only what managing its status needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from civicid.times import rfc3339

SCOPE_ISSUE: Final = "issue"
SCOPE_REVOKE: Final = "revoke"
SCOPE_ADMIN: Final = "admin"
SCOPES: Final = (SCOPE_ISSUE, SCOPE_REVOKE, SCOPE_ADMIN)

# Offer life: offered -> redeemed (token given) -> issued; or locked (5 wrong tx codes).
OFFERED: Final = "offered"
REDEEMED: Final = "redeemed"
ISSUED: Final = "issued"
LOCKED: Final = "locked"
OFFER_STATES: Final = (OFFERED, REDEEMED, ISSUED, LOCKED)

STATUS_NAMES: Final = {
    STATUS_VALID: "valid",
    STATUS_INVALID: "revoked",
    STATUS_SUSPENDED: "suspended",
}
STATUS_VALUES: Final = {name: value for value, name in STATUS_NAMES.items()}


@dataclass(frozen=True, slots=True)
class Clerk:
    """A member of staff: an API key (stored only as its Argon2 hash) and what it may do."""

    id: str
    name: str
    scopes: tuple[str, ...]
    key_hash: str
    created: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created": rfc3339(self.created),
        }


@dataclass(frozen=True, slots=True)
class Offer:
    """A credential offer for one record. ``code`` is kept only until the offer is fetched by
    reference or redeemed (it is a bearer secret); lookups go by ``code_hash``."""

    id: str
    record: str
    configuration: str
    vct: str
    claims: dict[str, Any] | None
    code_hash: str
    code: str | None
    tx_code_hash: str | None
    created: int
    expires: int
    clerk: str
    state: str = OFFERED
    attempts: int = 0
    fetched: bool = False
    token_hash: str | None = None
    token_expires: int | None = None
    credential: str | None = None

    def to_json(self, now: int) -> dict[str, Any]:
        """Staff view: no claim values, no secrets."""
        return {
            "id": self.id,
            "record": self.record,
            "configuration": self.configuration,
            "vct": self.vct,
            "state": "expired" if self.expired(now) else self.state,
            "created": rfc3339(self.created),
            "expires": rfc3339(self.expires),
            "txCode": self.tx_code_hash is not None,
            "credential": self.credential,
            "clerk": self.clerk,
        }

    def expired(self, now: int) -> bool:
        return self.state in (OFFERED, REDEEMED) and now >= self.expires


@dataclass(frozen=True, slots=True)
class Issued:
    """An issuance: one or more unlinkable copies (one per holder key), each at its own status
    list index; revoking or suspending it applies to every copy."""

    id: str
    offer: str
    record: str
    configuration: str
    vct: str
    iat: int
    exp: int
    status: int
    slots: tuple[tuple[int, int], ...]  # (list number, index) per copy
    clerk: str
    changed: int = 0

    def to_json(self, uris: dict[int, str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "record": self.record,
            "configuration": self.configuration,
            "vct": self.vct,
            "status": STATUS_NAMES[self.status],
            "issuedAt": rfc3339(self.iat),
            "expires": rfc3339(self.exp),
            "copies": [
                {"list": n, "idx": i, **({"uri": uris[n]} if uris and n in uris else {})}
                for n, i in self.slots
            ],
            "offer": self.offer,
            "clerk": self.clerk,
            **({"statusChanged": rfc3339(self.changed)} if self.changed else {}),
        }


@dataclass(frozen=True, slots=True)
class ListRecord:
    """One of the agency's status lists; ``token`` is the last one the ledger took."""

    number: int
    uri: str
    size: int
    bits: int
    created: int
    published_at: int | None = None
    published_seq: int | None = None
    token: str | None = None
    pending: bool = False  # a status changed since ``token``: publish it (after a restart too)
    # Status changes marked on the list so far, as a store shared by several processes read
    # it: a publication clears ``pending`` only if none came since (0 on a store of one).
    changes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "uri": self.uri,
            "size": self.size,
            "bits": self.bits,
            "created": rfc3339(self.created),
            "publishedAt": rfc3339(self.published_at) if self.published_at else None,
            "ledgerSeq": self.published_seq,
            "pending": self.pending,
        }


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Who did what, when, to which offer or credential, and how it ended. Never a claim
    value: ``detail`` holds ids, counts and codes only."""

    at: int
    actor: str
    action: str
    subject: str | None = None
    record: str | None = None
    outcome: str = "ok"
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None
    hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": rfc3339(self.at),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "record": self.record,
            "outcome": self.outcome,
            "detail": self.detail,
            "hash": self.hash,
        }
