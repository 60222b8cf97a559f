"""A desk's answer: eligible or not, with every check's outcome, as JSON and as text people
read; and the audit record of it, which holds no claim value."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Final

from civicid.accreditation import ISSUER_NOT_ACCREDITED
from civicid.eligibility.errors import (
    CLAIM_MISSING,
    CREDENTIAL_KEY_NOT_IN_FORCE,
    CREDENTIAL_TOO_OLD,
    ISSUER_NOT_ACCEPTED,
    PRESENTATION_REPLAYED,
    STATUS_MISSING,
    STATUS_REVOKED,
    STATUS_SUSPENDED,
    VCT_NOT_ACCEPTED,
)
from civicid.entitlements import ENTITLEMENT_ALREADY_REDEEMED
from civicid.errors import CATALOGUE, Code, Error
from civicid.issuance_rules import ISSUANCE_RULE_WITHDRAWN
from civicid.policy import PREDICATE_FAILED
from civicid.sdjwt import (
    KB_AUD_MISMATCH,
    KB_IAT_STALE,
    KB_MISSING,
    KB_NONCE_MISMATCH,
    KB_SIGNATURE_INVALID,
    SDJWT_EXPIRED,
    SDJWT_NOT_YET_VALID,
)
from civicid.sdjwt_format import SDJWT_SIGNATURE_INVALID
from civicid.times import rfc3339
from civicid.trust import SNAPSHOT_STALE, STATUS_LIST_NOT_ISSUERS

# A decision's time as RFC 3339: its JSON and its audit record each write it, and decisions
# made in the same second share it (formatting a time costs more than the rest of a record).
_time_text: Final = functools.lru_cache(maxsize=64)(rfc3339)

PASSED: Final = "passed"
FAILED: Final = "failed"
SKIPPED: Final = "skipped"

# The failing step in plain words for the desk's screen and the CLI (the code stays beside
# it): keyed by the declared codes themselves, never by their names.
PLAIN: Final[dict[Code, str]] = {
    STATUS_REVOKED: "The card has been revoked by the agency that issued it.",
    STATUS_SUSPENDED: "The card is suspended by the agency that issued it.",
    STATUS_MISSING: "The card carries no revocation entry, so it cannot be checked.",
    STATUS_LIST_NOT_ISSUERS: "The card points at another agency's revocation list, which "
    "cannot vouch for it.",
    SDJWT_EXPIRED: "The card has expired.",
    SDJWT_NOT_YET_VALID: "The card is not valid yet.",
    CREDENTIAL_TOO_OLD: "The card was issued longer ago than this check accepts.",
    ISSUER_NOT_ACCREDITED: "The agency was not accredited to issue this card when it did.",
    ISSUER_NOT_ACCEPTED: "This check does not accept cards from this agency.",
    CREDENTIAL_KEY_NOT_IN_FORCE: "The card was signed with a key the agency did not hold then.",
    SDJWT_SIGNATURE_INVALID: "The card's signature is not the agency's: it may be forged.",
    VCT_NOT_ACCEPTED: "This kind of card is not accepted for this check.",
    CLAIM_MISSING: "The wallet did not share everything this check needs.",
    PREDICATE_FAILED: "The shared information does not meet this check's conditions.",
    KB_NONCE_MISMATCH: "The answer was made for another request (possible replay).",
    KB_AUD_MISMATCH: "The answer was made for another desk.",
    KB_IAT_STALE: "The answer is too old; ask the citizen to try again.",
    KB_SIGNATURE_INVALID: "The answer was not made by the card's holder.",
    KB_MISSING: "The answer does not prove the citizen holds the card.",
    PRESENTATION_REPLAYED: "This answer was already used once (replay).",
    SNAPSHOT_STALE: "The desk's offline ledger data is too old; sync it again.",
    ENTITLEMENT_ALREADY_REDEEMED: "This voucher has already been used at a distribution point.",
    ISSUANCE_RULE_WITHDRAWN: "The agency has withdrawn this rule: it no longer issues by it.",
}
DEFAULT_PLAIN: Final = "The card did not pass the desk's checks."
# Codes of a ledger answer that failed its proofs: the desk cannot trust what it was told.
LEDGER_PROOF_AREAS: Final = (
    "ledger_",
    "resolution_",
    "signer_",
    "inclusion_",
    "consistency_",
    "merkle_",
    "checkpoint_",
    "note_",
    "did_history_",
    "map_",
)


def plain(code: str | None) -> str:
    if code is None:
        return ""
    declared = CATALOGUE.get(code)
    if declared is not None and declared in PLAIN:
        return PLAIN[declared]
    if code.startswith(("sdjwt_", "kb_")):
        return "The card or the answer is malformed or tampered with."
    if code.startswith(LEDGER_PROOF_AREAS):
        return "The ledger's answer could not be verified; the check cannot be trusted."
    return DEFAULT_PLAIN


@dataclass(frozen=True, slots=True)
class Outcome:
    """One step of the checks: passed, failed (with its code) or skipped after a failure."""

    step: str
    title: str
    status: str
    spec: str
    code: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "step": self.step,
            "title": self.title,
            "status": self.status,
            "spec": self.spec,
        }
        if self.code is not None:
            data["code"] = self.code
        if self.detail:
            data["detail"] = self.detail
        return data


# Passed outcomes are few and immutable (a step, and a detail such as "2 disclosures" or an
# issuer's DID): each is made once and shared, up to this many, then the memory starts over.
MAX_SHARED_OUTCOMES: Final = 4096
_PASSED: dict[tuple[str, str, str, str], Outcome] = {}


def passed(step: str, title: str, spec: str, detail: str) -> Outcome:
    """The outcome of a step that passed with ``detail``."""
    key = (step, title, spec, detail)
    found = _PASSED.get(key)
    if found is None:
        if len(_PASSED) >= MAX_SHARED_OUTCOMES:
            _PASSED.clear()
        found = _PASSED[key] = Outcome(step, title, PASSED, spec, None, detail)
    return found


@dataclass(frozen=True, slots=True)
class Decision:
    """Eligible or not, why, and what was received (claim names, never values)."""

    eligible: bool
    policy: str
    purpose: str
    decided_at: int
    outcomes: tuple[Outcome, ...]
    vct: str | None = None
    issuer: str | None = None
    received: tuple[str, ...] = ()  # the asked claims received, by name; nothing else
    over_disclosed: int = 0  # disclosures the policy did not ask for (dropped, counted)
    checkpoint_size: int | None = None
    offline: bool = False
    # A single-use credential's status reference (list URI, index), which the desk records
    # as redeemed on the ledger; a random index naming no person, kept out of every record.
    redeem: tuple[str, int] | None = None

    def refused_at(self, step: str, error: Error) -> Decision:
        """This decision, refused at ``step`` by ``error`` (a check that can only be made
        after the others pass, such as recording a redemption)."""
        outcomes = tuple(
            replace(o, status=FAILED, code=error.code, detail=error.message)
            if o.step == step
            else o
            for o in self.outcomes
        )
        return replace(self, eligible=False, outcomes=outcomes, redeem=None)

    @property
    def failed(self) -> Outcome | None:
        return next((o for o in self.outcomes if o.status == FAILED), None)

    @property
    def code(self) -> str | None:
        failed = self.failed
        return failed.code if failed else None

    @property
    def reason(self) -> str:
        return plain(self.code)

    def to_json(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "decision": "eligible" if self.eligible else "not_eligible",
            "eligible": self.eligible,
            "policy": self.policy,
            "purpose": self.purpose,
            "decided_at": _time_text(self.decided_at),
            "failed_step": failed.step if failed else None,
            "code": failed.code if failed else None,
            "reason": self.reason or None,
            "vct": self.vct,
            "issuer": self.issuer,
            "received_claims": list(self.received),
            "checkpoint_size": self.checkpoint_size,
            "offline": self.offline,
            "steps": [o.to_json() for o in self.outcomes],
        }

    def to_text(self) -> str:
        marks = {PASSED: "✓", FAILED: "✗", SKIPPED: "·"}
        head = "ELIGIBLE" if self.eligible else "NOT ELIGIBLE"
        lines = [f"{head} for {self.policy} ({rfc3339(self.decided_at)})"]
        if not self.eligible:
            lines.append(f"  {self.reason} [{self.code}]")
        if self.issuer:
            lines.append(f"  credential {self.vct} from {self.issuer}")
        if self.received:
            lines.append(f"  claims received: {', '.join(self.received)}")
        if self.offline:
            lines.append("  checked offline, against the last synced snapshot")
        for outcome in self.outcomes:
            note = f" [{outcome.code}] {outcome.detail}" if outcome.code else f" {outcome.detail}"
            lines.append(f"  {marks[outcome.status]} {outcome.title}{note.rstrip()}")
        return "\n".join(lines)

    def audit_record(self) -> dict[str, Any]:
        """What the audit trail keeps: no claim values, no nonce, no holder key."""
        failed = self.failed
        return {
            "time": _time_text(self.decided_at),
            "policy": self.policy,
            "decision": "eligible" if self.eligible else "not_eligible",
            "failed_step": failed.step if failed else None,
            "code": failed.code if failed else None,
            "vct": self.vct,
            "issuer": self.issuer,
            "offline": self.offline,
            "over_disclosed": self.over_disclosed,
        }
