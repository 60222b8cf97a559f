"""The history of presentations: when, to whom, which claims, and the desk's signed receipt.

Kept only in the sealed store: who a citizen showed what to is as private as the claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from civicid.errors import Error
from civicid.oid4vp import Receipt
from civicid.times import parse_time, rfc3339
from wallet.errors import WALLET_RECORD_INVALID

# An agency's answer to a request by its public rule (wallet.holder.by_rule): no desk's
# decision, and no accreditation to ask: the rule on the ledger says what it may ask.
ISSUED: Final = "issued"
NOT_ISSUED: Final = "not_issued"


@dataclass(frozen=True, slots=True)
class Presentation:
    id: str
    at: int
    verifier: str  # the desk's DID (the client identifier without its prefix)
    client_id: str  # as the request named it, prefix included
    credential_id: str
    copy_id: str
    vct: str
    disclosed: tuple[str, ...]  # claim labels, e.g. "given_name", "address.street"
    withheld: tuple[str, ...] = ()  # optional claims the citizen unticked
    unaccredited: tuple[str, ...] = ()  # sent although the ledger does not allow them
    verifier_name: str | None = None
    purpose: str | None = None
    accreditation: str | None = None
    decision: str | None = None  # from the receipt: e.g. "eligible" / "not_eligible"
    receipt: str | None = None  # the desk's signed receipt (a JWS), checked before keeping
    receipt_claims: Receipt | None = None  # what the receipt says, read when it was checked
    fresh_copy: bool = True  # False when every copy had already met this desk
    error: str | None = None  # the code, when sent but no valid receipt came back

    @property
    def by_rule(self) -> bool:
        """Shown to an agency asking by its public rule, not to a desk."""
        return self.decision in (ISSUED, NOT_ISSUED)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": rfc3339(self.at),
            "verifier": self.verifier,
            "client_id": self.client_id,
            "verifier_name": self.verifier_name,
            "purpose": self.purpose,
            "accreditation": self.accreditation,
            "credential_id": self.credential_id,
            "copy_id": self.copy_id,
            "vct": self.vct,
            "disclosed": list(self.disclosed),
            "withheld": list(self.withheld),
            "unaccredited": list(self.unaccredited),
            "decision": self.decision,
            "receipt": self.receipt,
            "receipt_claims": self.receipt_claims.to_json() if self.receipt_claims else {},
            "fresh_copy": self.fresh_copy,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Presentation:
        try:
            return cls(
                id=str(data["id"]),
                at=parse_time(data["at"]),
                verifier=str(data["verifier"]),
                client_id=str(data["client_id"]),
                verifier_name=data.get("verifier_name"),
                purpose=data.get("purpose"),
                accreditation=data.get("accreditation"),
                credential_id=str(data["credential_id"]),
                copy_id=str(data["copy_id"]),
                vct=str(data["vct"]),
                disclosed=tuple(data["disclosed"]),
                withheld=tuple(data.get("withheld", ())),
                unaccredited=tuple(data.get("unaccredited", ())),
                decision=data.get("decision"),
                receipt=data.get("receipt"),
                receipt_claims=receipt_in(data.get("receipt_claims")),
                fresh_copy=bool(data.get("fresh_copy", True)),
                error=data.get("error"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WALLET_RECORD_INVALID(f"a stored history entry is malformed: {exc}") from exc


def receipt_in(data: Any) -> Receipt | None:
    """A kept receipt's claims (checked, with its signature, before they were kept), read
    back through the receipt's model; none kept is ``{}``."""
    if not data:
        return None
    try:
        return Receipt.from_json(data)
    except Error as exc:
        raise WALLET_RECORD_INVALID(f"a stored receipt is malformed: {exc.message}") from exc
