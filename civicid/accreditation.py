"""Accreditations: governance's public record that an agency may issue some credential types,
or that a service desk may ask for some claims of them, for a period and a stated purpose.

The ledger and the client judge "accredited at time T" with the same code (``judge``), so a
client can recompute every trust answer from the proven transactions themselves.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from civicid.did import DID, parse_did
from civicid.errors import Code, InvalidInput, Refused, declare

ACCREDITATION_INVALID = declare(
    "accreditation_invalid", InvalidInput, "the accreditation is malformed"
)
VCT_INVALID = declare("vct_invalid", InvalidInput, "the vct is not an absolute URI")
# Why a subject is not accredited (``Standing.reason``), most telling first.
ACCREDITATION_REVOKED = declare(
    "accreditation_revoked", Refused, "the accreditation was revoked by then"
)
ACCREDITATION_EXPIRED = declare("accreditation_expired", Refused, "the accreditation has expired")
ACCREDITATION_NOT_YET_VALID = declare(
    "accreditation_not_yet_valid", Refused, "the accreditation is not valid yet"
)
VERIFIER_CLAIMS_NOT_ALLOWED = declare(
    "verifier_claims_not_allowed", Refused, "the accreditation does not cover those claims"
)
ACCREDITATION_SUBJECT_DEACTIVATED = declare(
    "accreditation_subject_deactivated", Refused, "the accredited DID was deactivated by then"
)
ISSUER_NOT_ACCREDITED = declare(
    "issuer_not_accredited", Refused, "no accreditation lets this DID issue that type"
)
VERIFIER_NOT_ACCREDITED = declare(
    "verifier_not_accredited", Refused, "no accreditation lets this DID verify that type"
)
REFUSALS: Final[dict[str, Code]] = {
    code.name: code
    for code in (
        ACCREDITATION_REVOKED,
        ACCREDITATION_EXPIRED,
        ACCREDITATION_NOT_YET_VALID,
        VERIFIER_CLAIMS_NOT_ALLOWED,
        ACCREDITATION_SUBJECT_DEACTIVATED,
        ISSUER_NOT_ACCREDITED,
        VERIFIER_NOT_ACCREDITED,
    )
}
NOT_ACCREDITED: Final = {"issuer": ISSUER_NOT_ACCREDITED, "verifier": VERIFIER_NOT_ACCREDITED}

ISSUER: Final = "issuer"
VERIFIER: Final = "verifier"
KINDS: Final = (ISSUER, VERIFIER)

# Ids are chosen by governance so people can quote them (in letters, in court): short, plain.
ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
# vct is a Collision-Resistant Name (RFC 7515 §2; SD-JWT VC §2.2.2.1): in practice a URI. 255
# characters hold any real https:// or urn: type name and keep every index key small.
VCT_PATTERN: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[\x21-\x7e]+$")
MAX_VCT_CHARS: Final = 255
# An agency issues a handful of credential types; a desk asks for a handful of claims of each.
# Bounds the work of every trust query and the size of every accreditation entry.
MAX_CREDENTIAL_TYPES: Final = 32
MAX_CLAIMS_PER_TYPE: Final = 64
# Claim names as a verifier asks for them: a top-level claim name or a dotted path to one.
CLAIM_PATTERN: Final = re.compile(r"^[^\x00-\x20\x7f]{1,128}$")
# Purpose and legal basis are read by citizens in their wallet: a paragraph, not a contract.
MAX_TEXT_CHARS: Final = 1000
MAX_REASON_CHARS: Final = 1000
# Accreditations are reviewed at least every five years; nothing is granted open-ended.
MAX_VALIDITY_SECONDS: Final = 5 * 366 * 24 * 3600


def _int(value: Any, name: str) -> int:
    if type(value) is not int or value < 0:
        raise ACCREDITATION_INVALID(
            f"{name} must be a non-negative integer (seconds since the epoch)"
        )
    return value


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ACCREDITATION_INVALID(
            f"{name} must be a non-empty text of at most {limit} characters"
        )
    return value


def check_vct(value: Any) -> str:
    """A credential type identifier: an absolute URI of at most ``MAX_VCT_CHARS``."""
    if not isinstance(value, str) or len(value) > MAX_VCT_CHARS or not VCT_PATTERN.match(value):
        raise VCT_INVALID(f"vct must be an absolute URI of at most {MAX_VCT_CHARS} characters")
    return value


def _unique(values: list[str], what: str) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise ACCREDITATION_INVALID(f"{what} lists a value twice")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class Grant:
    """The body of an ``accreditation.grant`` transaction, valid once built."""

    id: str
    subject: DID
    kind: str
    credential_types: tuple[str, ...]  # issuer: the vcts; verifier: the vcts it may ask about
    claims: tuple[tuple[str, tuple[str, ...]], ...]  # verifier: (vct, claim names) pairs
    valid_from: int
    valid_until: int
    purpose: str
    legal_basis: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Grant:
        accreditation = body.get("accreditation")
        if not isinstance(accreditation, str) or not ID_PATTERN.fullmatch(accreditation):
            raise ACCREDITATION_INVALID(
                "accreditation must be an id of 8-64 letters, digits, '._:-'"
            )
        subject = parse_did(str(body.get("subject", "")))
        kind = body.get("kind")
        if kind not in KINDS:
            raise ACCREDITATION_INVALID(f"kind must be one of {list(KINDS)}")
        claims: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if kind == ISSUER:
            if "claims" in body:
                raise ACCREDITATION_INVALID(
                    "an issuer accreditation names credentialTypes, not claims"
                )
            vcts = body.get("credentialTypes")
            if not isinstance(vcts, list) or not 1 <= len(vcts) <= MAX_CREDENTIAL_TYPES:
                raise ACCREDITATION_INVALID(
                    f"credentialTypes must list 1 to {MAX_CREDENTIAL_TYPES} vcts"
                )
            credential_types = _unique([check_vct(v) for v in vcts], "credentialTypes")
        else:
            if "credentialTypes" in body:
                raise ACCREDITATION_INVALID("a verifier accreditation names claims per vct")
            asked = body.get("claims")
            if not isinstance(asked, dict) or not 1 <= len(asked) <= MAX_CREDENTIAL_TYPES:
                raise ACCREDITATION_INVALID(
                    f"claims must map 1 to {MAX_CREDENTIAL_TYPES} vcts to claim names"
                )
            pairs = []
            for vct, names in asked.items():
                check_vct(vct)
                if not isinstance(names, list) or not 1 <= len(names) <= MAX_CLAIMS_PER_TYPE:
                    raise ACCREDITATION_INVALID(
                        f"each vct lists 1 to {MAX_CLAIMS_PER_TYPE} claim names"
                    )
                if not all(isinstance(n, str) and CLAIM_PATTERN.fullmatch(n) for n in names):
                    raise ACCREDITATION_INVALID(
                        "a claim name is 1-128 characters without spaces or controls"
                    )
                pairs.append((vct, _unique(names, f"claims of {vct}")))
            claims = tuple(pairs)
            credential_types = tuple(vct for vct, _ in pairs)
        valid_from = _int(body.get("validFrom"), "validFrom")
        valid_until = _int(body.get("validUntil"), "validUntil")
        if valid_until <= valid_from:
            raise ACCREDITATION_INVALID("validUntil must be after validFrom")
        if valid_until - valid_from > MAX_VALIDITY_SECONDS:
            raise ACCREDITATION_INVALID(
                "an accreditation lasts at most five years; renew it after that"
            )
        return cls(
            id=accreditation,
            subject=subject,
            kind=kind,
            credential_types=credential_types,
            claims=claims,
            valid_from=valid_from,
            valid_until=valid_until,
            purpose=_text(body.get("purpose"), "purpose", MAX_TEXT_CHARS),
            legal_basis=_text(body.get("legalBasis"), "legalBasis", MAX_TEXT_CHARS),
        )

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "accreditation": self.id,
            "subject": self.subject,
            "kind": self.kind,
        }
        if self.kind == ISSUER:
            body["credentialTypes"] = list(self.credential_types)
        else:
            body["claims"] = {vct: list(names) for vct, names in self.claims}
        body.update(
            validFrom=self.valid_from,
            validUntil=self.valid_until,
            purpose=self.purpose,
            legalBasis=self.legal_basis,
        )
        return body

    def claims_for(self, vct: str) -> frozenset[str]:
        return frozenset(next((names for v, names in self.claims if v == vct), ()))

    def in_force(self, at: int, revoked_at: int | None) -> bool:
        """validFrom <= at < validUntil, and not revoked at or before ``at``."""
        revoked = revoked_at is not None and revoked_at <= at
        return self.valid_from <= at < self.valid_until and not revoked


def new_accreditation_id() -> str:
    """A fresh id governance can quote: "acc-" and 48 random bits (no clash in practice)."""
    return f"acc-{secrets.token_hex(6)}"


def grant_body(
    subject: str,
    *,
    credential_types: list[str] | None = None,
    claims: dict[str, list[str]] | None = None,
    valid_from: int,
    valid_until: int,
    purpose: str,
    legal_basis: str,
    accreditation: str | None = None,
) -> dict[str, Any]:
    """The body of an ``accreditation.grant``: an issuer one with ``credential_types``, a
    verifier one with ``claims``. Not checked here: the ledger's rule checks it."""
    body: dict[str, Any] = {
        "accreditation": accreditation or new_accreditation_id(),
        "subject": subject,
        "kind": VERIFIER if claims is not None else ISSUER,
    }
    if claims is not None:
        body["claims"] = claims
    else:
        body["credentialTypes"] = credential_types or []
    body.update(
        validFrom=valid_from, validUntil=valid_until, purpose=purpose, legalBasis=legal_basis
    )
    return body


def revocation_body(accreditation: str, reason: str) -> dict[str, Any]:
    return {"accreditation": accreditation, "reason": reason}


def parse_revocation(body: dict[str, Any]) -> tuple[str, str]:
    """The (accreditation id, reason) of an ``accreditation.revoke`` body."""
    accreditation = body.get("accreditation")
    if not isinstance(accreditation, str) or not ID_PATTERN.fullmatch(accreditation):
        raise ACCREDITATION_INVALID("accreditation must name an accreditation id")
    return accreditation, _text(body.get("reason"), "reason", MAX_REASON_CHARS)


@dataclass(frozen=True, slots=True)
class Standing:
    """The answer to "may ``subject`` act as ``kind`` (for ``vct``, ``claims``) at ``at``?".

    ``accreditation`` names the grant in force; otherwise ``reason`` is the refusal code.
    """

    subject: str
    kind: str
    at: int
    accreditation: str | None
    reason: str | None

    @property
    def accredited(self) -> bool:
        return self.accreditation is not None

    def require(self) -> None:
        """Raise ``Refused(reason)`` unless accredited: for callers that must not go on."""
        if self.reason is not None:
            raise REFUSALS[self.reason](f"{self.subject} is not an accredited {self.kind} here")

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "at": self.at,
            "accredited": self.accredited,
            "accreditation": self.accreditation,
            "reason": self.reason,
        }


def judge(
    subject: str,
    kind: str,
    grants: Iterable[tuple[Grant, int | None]],
    at: int,
    *,
    vct: str | None = None,
    claims: Iterable[str] = (),
    deactivated_at: int | None = None,
) -> Standing:
    """Standing from ``(grant, revoked_at)`` pairs: the first grant of ``kind`` for ``subject``
    covering ``vct`` (any, if None) and ``claims`` that is in force at ``at`` wins; otherwise
    the most telling reason: revoked, expired, not yet valid, claims not allowed, none at all.
    A subject whose DID was deactivated at or before ``at`` holds no accreditation from then
    on, whatever its grants say (its keys are gone: nothing it signs can be checked).
    """
    if kind not in KINDS:
        raise ACCREDITATION_INVALID(f"kind must be one of {list(KINDS)}")
    if deactivated_at is not None and deactivated_at <= at:
        return Standing(subject, kind, at, None, ACCREDITATION_SUBJECT_DEACTIVATED.name)
    wanted = frozenset(claims)
    seen: set[str] = set()
    for grant, revoked_at in grants:
        if grant.subject != subject or grant.kind != kind:
            continue
        if vct is not None and vct not in grant.credential_types:
            continue
        if kind == VERIFIER and vct is not None and not wanted <= grant.claims_for(vct):
            seen.add(VERIFIER_CLAIMS_NOT_ALLOWED.name)
            continue
        if grant.in_force(at, revoked_at):
            return Standing(subject, kind, at, grant.id, None)
        if revoked_at is not None and revoked_at <= at:
            seen.add(ACCREDITATION_REVOKED.name)
        elif at >= grant.valid_until:
            seen.add(ACCREDITATION_EXPIRED.name)
        else:
            seen.add(ACCREDITATION_NOT_YET_VALID.name)
    for reason in (
        ACCREDITATION_REVOKED.name,
        ACCREDITATION_EXPIRED.name,
        ACCREDITATION_NOT_YET_VALID.name,
        VERIFIER_CLAIMS_NOT_ALLOWED.name,
    ):
        if reason in seen:
            return Standing(subject, kind, at, None, reason)
    return Standing(subject, kind, at, None, NOT_ACCREDITED[kind].name)


__all__ = [
    "ISSUER",
    "KINDS",
    "VERIFIER",
    "Grant",
    "Standing",
    "check_vct",
    "grant_body",
    "judge",
    "new_accreditation_id",
    "parse_revocation",
    "revocation_body",
]
