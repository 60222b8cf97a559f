"""Held credentials: one record per credential, with its batch of copies.

Each copy is a separately issued SD-JWT VC bound to its own P-256 holder key, so two desks
shown two different copies cannot link them by signature, digest or key. The wallet picks,
for each presentation, a copy that desk has not seen, preferring the least shown one; which
copy met which desk is read from the history, the one record of it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from typing import Any, Final

from civicid.dcql import ClaimPath, claim_name_or_repr
from civicid.jose import PrivateKey
from civicid.times import rfc3339
from wallet.errors import WALLET_RECORD_INVALID

# Statuses a copy can have (Token Status List §7.1 values, named), and the credential's view.
VALID: Final = "valid"
REVOKED: Final = "revoked"
SUSPENDED: Final = "suspended"
EXPIRED: Final = "expired"
UNKNOWN: Final = "unknown"  # never checked, or the ledger could not be asked
STATUSES: Final = (VALID, REVOKED, SUSPENDED, EXPIRED, UNKNOWN)
# Worst first: one revoked copy means the issuer revoked the credential.
SEVERITY: Final = (REVOKED, SUSPENDED, EXPIRED, UNKNOWN, VALID)
# What a card no desk accepts means for its holder, and what to do: the app's details and
# `wallet show` say it alike.
WHAT_NOW: Final = {
    REVOKED: "Revoked by the agency that issued it: every desk refuses it. Ask the agency "
    "for a new one.",
    SUSPENDED: "Suspended by the agency that issued it: desks refuse it until the agency "
    "lifts the suspension. Ask the agency why.",
    EXPIRED: "Expired: desks refuse it. Ask the agency that issued it for a new one.",
}

ORIGIN_ISSUANCE: Final = "openid4vci"
ORIGIN_IMPORT: Final = "import"


def new_id() -> str:
    """A short random id for people to type (``civicid wallet show 3f9a1c2e``)."""
    return secrets.token_hex(4)


def path_label(path: ClaimPath) -> str:
    """``("address", "street")`` as ``address.street``: the claim name accreditations use."""
    return claim_name_or_repr(path)


@dataclass(frozen=True, slots=True)
class Copy:
    """One issued copy: the SD-JWT VC as received, its holder key, and where its status lives."""

    id: str
    sd_jwt: str
    key: dict[str, Any]  # PrivateKey.to_json(): never leaves the sealed store
    status_uri: str | None = None
    status_idx: int | None = None
    status: str = UNKNOWN

    def holder_key(self) -> PrivateKey:
        return PrivateKey.from_json(self.key)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sd_jwt": self.sd_jwt,
            "key": self.key,
            "status_uri": self.status_uri,
            "status_idx": self.status_idx,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Copy:
        return cls(
            id=str(data["id"]),
            sd_jwt=str(data["sd_jwt"]),
            key=dict(data["key"]),
            status_uri=data.get("status_uri"),
            status_idx=data.get("status_idx"),
            status=str(data.get("status", UNKNOWN)),
        )


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential as the citizen sees it, with the copies that carry it."""

    id: str
    vct: str
    issuer: str  # the issuer's DID, as the ledger knows it
    claims: dict[str, Any]  # every claim the holder can see (all disclosures processed)
    disclosable: tuple[ClaimPath, ...]
    issued_at: int
    received_at: int
    copies: tuple[Copy, ...]
    expires_at: int | None = None
    origin: str = ORIGIN_ISSUANCE
    issuer_name: str | None = None  # its name as it registered it on the ledger
    issuer_names: dict[str, str] = field(default_factory=dict)  # every language's
    type_name: str | None = None  # display name from the ledger's type metadata
    labels: dict[str, str] = field(default_factory=dict)  # claim path label -> display label
    checked_at: int | None = None  # last status refresh from the ledger

    def status(self, now: int) -> str:
        if self.expires_at is not None and self.expires_at <= now:
            return EXPIRED
        states = {copy.status for copy in self.copies}
        return next(state for state in SEVERITY if state in states or state == VALID)

    @property
    def title(self) -> str:
        return self.type_name or self.vct.rsplit("/", 1)[-1]

    def label(self, path: ClaimPath) -> str:
        return self.labels.get(path_label(path), path_label(path))

    def is_disclosable(self, path: ClaimPath) -> bool:
        return any(path[: len(known)] == known for known in self.disclosable)

    def choose_copy(self, verifier: str, shown: Mapping[str, Set[str]]) -> tuple[Copy, bool]:
        """The copy to show ``verifier``, and whether that verifier has not seen it before.

        ``shown`` maps a copy id to the verifiers it met (from the history). Copies neither
        revoked nor suspended come first; among them, one this verifier has not seen, the
        least shown overall (so each copy tends to meet one desk only); when every usable
        copy has met this verifier already, the least shown is shown to it again."""
        usable = [c for c in self.copies if c.status in (VALID, UNKNOWN)] or list(self.copies)
        unseen = [c for c in usable if verifier not in shown.get(c.id, ())]
        pool = unseen or usable
        best = min(pool, key=lambda c: len(shown.get(c.id, ())))
        return best, bool(unseen)

    def with_statuses(self, statuses: dict[str, str], checked_at: int) -> Credential:
        """The copies' statuses just read. ``checked_at`` moves only when every copy that
        points to a list was read: a list the ledger could not prove checked nothing."""
        copies = tuple(replace(c, status=statuses.get(c.id, c.status)) for c in self.copies)
        read = all(c.id in statuses for c in self.copies if c.status_uri)
        return replace(self, copies=copies, checked_at=checked_at if read else self.checked_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vct": self.vct,
            "issuer": self.issuer,
            "issuer_name": self.issuer_name,
            "issuer_names": self.issuer_names,
            "type_name": self.type_name,
            "claims": self.claims,
            "disclosable": [list(p) for p in self.disclosable],
            "labels": self.labels,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "received_at": self.received_at,
            "checked_at": self.checked_at,
            "origin": self.origin,
            "copies": [c.to_json() for c in self.copies],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credential:
        try:
            return cls(
                id=str(data["id"]),
                vct=str(data["vct"]),
                issuer=str(data["issuer"]),
                issuer_name=data.get("issuer_name"),
                issuer_names=dict(data.get("issuer_names") or {}),
                type_name=data.get("type_name"),
                claims=dict(data["claims"]),
                disclosable=tuple(tuple(p) for p in data["disclosable"]),
                labels=dict(data.get("labels") or {}),
                issued_at=int(data["issued_at"]),
                expires_at=data.get("expires_at"),
                received_at=int(data["received_at"]),
                checked_at=data.get("checked_at"),
                origin=str(data.get("origin", ORIGIN_ISSUANCE)),
                copies=tuple(Copy.from_json(c) for c in data["copies"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WALLET_RECORD_INVALID(f"a stored credential is malformed: {exc}") from exc

    def summary(self, now: int, shown: Mapping[str, Set[str]]) -> dict[str, Any]:
        """What ``civicid wallet list --json`` prints: no claim values, no keys."""
        return {
            "id": self.id,
            "type": self.title,
            "vct": self.vct,
            "issuer": self.issuer,
            "issuer_name": self.issuer_name,
            "status": self.status(now),
            "copies": len(self.copies),
            "copies_unused": sum(1 for c in self.copies if not shown.get(c.id)),
            "issued_at": rfc3339(self.issued_at),
            "expires_at": rfc3339(self.expires_at) if self.expires_at else None,
            "received_at": rfc3339(self.received_at),
            "checked_at": rfc3339(self.checked_at) if self.checked_at else None,
        }
