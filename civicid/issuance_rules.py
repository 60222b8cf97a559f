"""Issuance rules: an agency's public, versioned promise, logged on the ledger under its DID,
"issue credential type B to any holder who presents credentials satisfying policy P".

P is written in the one policy language (``civicid.policy``) and judged by the very checks a
desk runs (``civicid.eligibility``). A rule is named by its agency and a short name; each
entry about it (a publish or a withdrawal) is its next version, numbered 1, 2, ... so that a
reader holding the latest version (proven by the state map) and every version before it
knows none was withheld. The ledger's rules (``ledger/issuance.py``) and the clients'
(``civicid/rule_registry.py``) read entries with the same functions, here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from civicid.accreditation import check_vct
from civicid.checkpoint import Checkpoint
from civicid.did import DID
from civicid.errors import Conflict, Error, Gone, InvalidInput, NotFound, declare
from civicid.policy import NAME_PATTERN, Policy
from civicid.sdjwt_format import RESERVED_CLAIMS
from civicid.transaction import ISSUANCE_RULE, ISSUANCE_RULE_WITHDRAW, Transaction

ISSUANCE_RULE_INVALID = declare(
    "issuance_rule_invalid", InvalidInput, "the issuance rule is not well formed"
)
ISSUANCE_RULE_TYPE_UNKNOWN = declare(
    "issuance_rule_type_unknown",
    InvalidInput,
    "the rule names a credential type that is not registered on the ledger",
)
ISSUANCE_RULE_NOT_FOUND = declare(
    "issuance_rule_not_found", NotFound, "the agency has no issuance rule of that name"
)
ISSUANCE_RULE_WITHDRAWN = declare(
    "issuance_rule_withdrawn", Gone, "the issuance rule has been withdrawn by its agency"
)
ISSUANCE_RULE_NOT_IN_FORCE = declare(
    "issuance_rule_not_in_force", NotFound, "no version of the rule was in force at that time"
)
ISSUANCE_RULE_VERSION_CONFLICT = declare(
    "issuance_rule_version_conflict",
    Conflict,
    "the entry does not follow the rule's latest version (read the rule again)",
)

# A rule grants a pass or a voucher: a few fixed claims (a concession, a zone), not a record.
MAX_FIXED_CLAIMS: Final = 32
MAX_FIXED_CLAIMS_BYTES: Final = 8 * 1024
# Claims copied from what the holder presented (a name on a pass): a handful.
MAX_COPIED_CLAIMS: Final = 16
# A withdrawal says why in a sentence people read in the public log.
MAX_REASON_CHARS: Final = 500
# A rule lives for years, with an update now and then; this bounds one answer's entries.
MAX_RULE_VERSIONS: Final = 1000


def rule_id(issuer: str, name: str) -> str:
    """The rule's name on the ledger (and in its state map): ``<agency DID>/<name>``; a DID
    holds no ``/`` and a rule name no ``:``, so the two parts are always told apart."""
    return f"{issuer}/{name}"


def _name(body: dict[str, Any]) -> str:
    name = body.get("rule")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ISSUANCE_RULE_INVALID("rule must be lowercase letters, digits and '-'")
    return name


def _version(body: dict[str, Any]) -> int:
    version = body.get("version")
    if type(version) is not int or not 1 <= version <= MAX_RULE_VERSIONS:
        raise ISSUANCE_RULE_INVALID(f"version is a whole number from 1 to {MAX_RULE_VERSIONS}")
    return version


@dataclass(frozen=True)
class RuleVersion:
    """One entry about a rule: a publish (``policy`` set) or a withdrawal (``reason`` set)."""

    issuer: DID
    name: str
    version: int
    time: int  # the entry's iat, signed by the agency and held near the ledger's clock
    seq: int
    vct: str | None = None
    policy: Policy | None = None
    claims: dict[str, Any] | None = None
    copy: tuple[str, ...] = ()
    reason: str | None = None
    leaf_hash: bytes = b""

    @property
    def withdrawn(self) -> bool:
        return self.policy is None

    @property
    def id(self) -> str:
        return rule_id(self.issuer, self.name)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "issuer": self.issuer,
            "rule": self.name,
            "version": self.version,
            "seq": self.seq,
            "time": self.time,
            "withdrawn": self.withdrawn,
        }
        if self.policy is not None:
            data.update(
                vct=self.vct,
                title=self.policy.title,
                purpose=self.policy.purpose,
                accepts=list(self.policy.credential_types),
                conditions=[p.describe() for p in self.policy.predicates],
                claims=self.claims,
                copy=list(self.copy),
            )
        else:
            data["reason"] = self.reason
        return data


def parse_publish(
    body: dict[str, Any],
) -> tuple[str, int, str, Policy, dict[str, Any], tuple[str, ...]]:
    """A publish entry's body: name, version, the type issued, P, fixed and copied claims."""
    name, version = _name(body), _version(body)
    try:
        vct = check_vct(body.get("vct"))
    except Error as exc:
        raise ISSUANCE_RULE_INVALID(f"vct: {exc.message}") from exc
    data = body.get("policy")
    if not isinstance(data, dict):
        raise ISSUANCE_RULE_INVALID("policy is a table in the policy language")
    policy = Policy.from_toml(data, f"rule {name}", name=name)  # policy_invalid, naming the field
    claims = body.get("claims", {})
    if not isinstance(claims, dict) or len(claims) > MAX_FIXED_CLAIMS:
        raise ISSUANCE_RULE_INVALID(f"claims is a table of at most {MAX_FIXED_CLAIMS} claims")
    if len(json.dumps(claims)) > MAX_FIXED_CLAIMS_BYTES:
        raise ISSUANCE_RULE_INVALID(f"claims are over {MAX_FIXED_CLAIMS_BYTES} bytes")
    # The issuer sets these itself and refuses them from any record: a rule fixing one could
    # never issue, and each citizen who applied would be refused after showing a card.
    if reserved := sorted(RESERVED_CLAIMS & claims.keys()):
        raise ISSUANCE_RULE_INVALID(f"claims may not set {', '.join(reserved)}")
    copy = body.get("copy", [])
    if (
        not isinstance(copy, list)
        or len(copy) > MAX_COPIED_CLAIMS
        or not all(isinstance(c, str) for c in copy)
        or len(set(copy)) != len(copy)
    ):
        raise ISSUANCE_RULE_INVALID(f"copy lists at most {MAX_COPIED_CLAIMS} claim names, once")
    for claim in copy:
        # Only a claim every accepted presentation must disclose can be copied onto the
        # credential; nothing the holder did not have to show.
        if claim not in policy.required or "." in claim:
            raise ISSUANCE_RULE_INVALID(f"copy: {claim!r} is not a top-level required claim")
        if claim in claims:
            raise ISSUANCE_RULE_INVALID(f"{claim!r} is both fixed and copied")
        if claim in RESERVED_CLAIMS:
            raise ISSUANCE_RULE_INVALID(f"copy: {claim!r} is set by the issuer itself")
    return name, version, vct, policy, claims, tuple(copy)


def parse_withdraw(body: dict[str, Any]) -> tuple[str, int, str]:
    name, version = _name(body), _version(body)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_CHARS:
        raise ISSUANCE_RULE_INVALID(f"reason is a text of 1-{MAX_REASON_CHARS} characters")
    return name, version, reason.strip()


def version_of(tx: Transaction, seq: int, leaf_hash: bytes = b"") -> RuleVersion:
    """The rule version a logged publish or withdrawal entry states."""
    if tx.type == ISSUANCE_RULE:
        name, version, vct, policy, claims, copy = parse_publish(tx.body)
        return RuleVersion(
            tx.signer, name, version, tx.iat, seq, vct, policy, claims, copy, None, leaf_hash
        )
    if tx.type == ISSUANCE_RULE_WITHDRAW:
        name, version, reason = parse_withdraw(tx.body)
        return RuleVersion(
            tx.signer, name, version, tx.iat, seq, reason=reason, leaf_hash=leaf_hash
        )
    raise ISSUANCE_RULE_INVALID(f"a {tx.type} entry is not about an issuance rule")


def publish_body(
    *,
    name: str,
    version: int,
    vct: str,
    policy: dict[str, Any],
    claims: dict[str, Any] | None = None,
    copy: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The body of a publish entry, checked as the ledger will check it."""
    body = {
        "rule": name,
        "version": version,
        "vct": vct,
        "policy": {**policy, "name": name},
        "claims": dict(claims or {}),
        "copy": list(copy),
    }
    parse_publish(body)
    return body


def withdraw_body(*, name: str, version: int, reason: str) -> dict[str, Any]:
    body = {"rule": name, "version": version, "reason": reason}
    parse_withdraw(body)
    return body


RULE_FILE_KEYS: Final = frozenset({"issues", "claims", "copy_claims"})


def from_rule_file(data: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """A rule as an agency writes it (TOML): the policy language's keys, plus ``issues`` (the
    type B), ``[claims]`` (fixed claims of B) and ``copy_claims``; as a publish body's fields
    but its version."""
    policy = {k: v for k, v in data.items() if k not in RULE_FILE_KEYS}
    rule_name = policy.get("name", name)
    if not isinstance(rule_name, str):
        raise ISSUANCE_RULE_INVALID('the rule file names the rule: name = "..."')
    body = publish_body(
        name=rule_name,
        version=1,
        vct=str(data.get("issues", "")),
        policy=policy,
        claims=data.get("claims", {}),
        copy=data.get("copy_claims", []),
    )
    del body["version"]
    return body


@dataclass(frozen=True)
class ProvenRule:
    """Every version of a rule, each entry proven included, signed by the agency with a key
    of its DID as it stood then, numbered without a gap; the last proven the latest."""

    issuer: DID
    name: str
    versions: tuple[RuleVersion, ...]
    checkpoint: Checkpoint

    @property
    def latest(self) -> RuleVersion:
        return self.versions[-1]

    def in_force(self, at: int) -> RuleVersion:
        """The version in force at ``at``: the last published at or before it; refused if
        that is a withdrawal (``issuance_rule_withdrawn``) or if none was yet."""
        found = [v for v in self.versions if v.time <= at]
        if not found:
            raise ISSUANCE_RULE_NOT_IN_FORCE(f"{self.name} had no version in force at {at}")
        version = found[-1]
        if version.withdrawn:
            raise ISSUANCE_RULE_WITHDRAWN(
                f"{self.name} was withdrawn by its agency (version {version.version}: "
                f"{version.reason})",
                version=version.version,
            )
        return version
