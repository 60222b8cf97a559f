"""The policy language: what a check asks for and what makes someone eligible (types,
accepted issuers, claims, predicates such as an age or a residence), checked when read (every
error names the field) and turned into the DCQL query of a request.

One language for every part that judges a presentation: a desk's policies (TOML files, read
by ``verifier/policy.py``) and an agency's issuance rules on the ledger (``civicid/
issuance_rules.py``) are both this, checked by the same steps (``civicid/eligibility``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, Final

from civicid import words
from civicid.accreditation import check_vct
from civicid.dcql import (
    SD_JWT_VC_FORMAT,
    ClaimPath,
    ClaimsQuery,
    CredentialQuery,
    DcqlQuery,
    claim_name,
    claim_path,
    same_value,
)
from civicid.did import parse_did
from civicid.errors import Error, InvalidInput, Refused, declare

POLICY_INVALID = declare("policy_invalid", InvalidInput, "the policy file is not valid")
PREDICATE_FAILED = declare("predicate_failed", Refused, "a condition of the policy is not met")

NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ANY_ACCREDITED: Final = "accredited"
# The DCQL credential query id every policy's request uses (OpenID4VP §6.1 id syntax).
CREDENTIAL_QUERY_ID: Final = "credential"
# A policy is read by people at the desk and by the citizen: a paragraph, not a contract.
MAX_TEXT_CHARS: Final = 1000
# A desk asks for a handful of claims; more would be a fishing expedition, not a check.
MAX_CLAIMS: Final = 32
MAX_TYPES: Final = 8
MAX_ISSUERS: Final = 64
MAX_PREDICATES: Final = 16
# Ledger data a desk relies on is refreshed at least this often unless a policy says less:
# a revocation published on the ledger takes effect at the desk within five minutes.
DEFAULT_MAX_LEDGER_AGE: Final = 300
# Nobody lives this long; bounds age arithmetic on hostile dates.
MAX_AGE_YEARS: Final = 150
PREDICATE_KINDS: Final = ("equals", "one_of", "age_at_least", "date_in_future")
AGE_CLAIM: Final = "age_equal_or_over"  # SD-JWT VC / PID: {"18": true, ...}
# How the checks say a condition was not met, and a required claim was not shared
# (``Predicate.check``; ``civicid/eligibility/checks.py``).
NOT_MET: Final = "not met: "
NOT_DISCLOSED: Final = " was not disclosed"

Value = str | int | bool


def _invalid(source: str, message: str) -> Error:
    return POLICY_INVALID(f"{source}: {message}")


@dataclass(frozen=True)
class Predicate:
    """One condition on a disclosed claim: ``equals``, ``one_of``, ``age_at_least`` (from a
    birth date, or from ``age_equal_or_over.N``) or ``date_in_future``."""

    claim: str
    kind: str
    value: Any

    @cached_property
    def path(self) -> ClaimPath:
        """The claim the predicate reads: ``age_at_least`` N on ``age_equal_or_over`` reads
        ``age_equal_or_over.N`` (never the birth date, which it does not need)."""
        if self.kind == "age_at_least" and self.claim == AGE_CLAIM:
            return (AGE_CLAIM, str(self.value))
        return claim_path(self.claim)

    def describe(self) -> str:
        """The condition as the policy's reader says it (a clerk, a citizen): ``resident:
        yes``, ``nationality: one of FR, BE``, ``age is at least 65``. Decisions and refusals
        carry it (``not met: resident: yes``); pages word it further (``civicid.words``)."""
        if self.kind == "equals":
            return f"{self.claim}: {words.value(self.value)}"
        if self.kind == "one_of":
            return f"{self.claim}: one of {words.value(list(self.value))}"
        if self.kind == "age_at_least":
            return f"age is at least {self.value}"
        return f"{self.claim} is a date in the future"

    def to_json(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"claim": self.claim, self.kind: value}

    def check(self, found: list[Any], today: date) -> None:
        """Raise ``predicate_failed`` unless one of the selected values satisfies this."""
        if not any(self._holds(value, today) for value in found):
            raise PREDICATE_FAILED(f"{NOT_MET}{self.describe()}", predicate=self.describe())

    def _holds(self, value: Any, today: date) -> bool:
        if self.kind == "equals":
            return same_value(value, self.value)
        if self.kind == "one_of":
            return any(same_value(value, v) for v in self.value)
        if self.kind == "age_at_least":
            if self.claim == AGE_CLAIM:
                return value is True
            born = _date(value)
            if born is None or born > today:
                return False
            years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            return bool(years >= self.value)
        day = _date(value)
        return day is not None and day > today

    @classmethod
    def from_toml(cls, data: Any, source: str) -> Predicate:
        if not isinstance(data, dict):
            raise _invalid(source, "each [[predicates]] is a table")
        claim = data.get("claim")
        kinds = [k for k in PREDICATE_KINDS if k in data]
        unknown = set(data) - {"claim", *PREDICATE_KINDS}
        if unknown:
            raise _invalid(source, f"predicate has unknown keys {sorted(unknown)}")
        if len(kinds) != 1:
            raise _invalid(source, f"a predicate has exactly one of {list(PREDICATE_KINDS)}")
        kind = kinds[0]
        value = data[kind]
        if not isinstance(claim, str):
            raise _invalid(source, "predicate.claim must name a claim")
        _claim_name(claim, source)
        if kind == "equals" and not isinstance(value, str | int | bool):
            raise _invalid(source, f"{claim}: equals takes a string, integer or boolean")
        if kind == "one_of":
            if not isinstance(value, list) or not value or len(value) > MAX_CLAIMS:
                raise _invalid(source, f"{claim}: one_of takes a non-empty list")
            if not all(isinstance(v, str | int | bool) for v in value):
                raise _invalid(source, f"{claim}: one_of holds strings, integers or booleans")
            value = tuple(value)
        if kind == "age_at_least" and (type(value) is not int or not 0 < value <= MAX_AGE_YEARS):
            raise _invalid(source, f"{claim}: age_at_least is a whole number of years")
        if kind == "date_in_future" and value is not True:
            raise _invalid(source, f"{claim}: date_in_future = true")
        return cls(claim=claim, kind=kind, value=value)


def _date(value: Any) -> date | None:
    """A full-date (RFC 3339 §5.6, ISO 8601 YYYY-MM-DD) or a date-time's date; else None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _claim_name(name: Any, source: str) -> ClaimPath:
    if not isinstance(name, str):
        raise _invalid(source, f"claim names are strings, got {name!r}")
    try:
        return claim_path(name)
    except Error as exc:
        raise _invalid(source, exc.message) from exc


def _text(data: dict[str, Any], key: str, source: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_CHARS:
        raise _invalid(source, f"{key} must be a text of 1-{MAX_TEXT_CHARS} characters")
    return value.strip()


def _names(data: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_CLAIMS:
        raise _invalid(source, f"{key} must be a list of at most {MAX_CLAIMS} claim names")
    for name in value:
        _claim_name(name, source)
    if len(set(value)) != len(value):
        raise _invalid(source, f"{key} names a claim twice")
    return tuple(value)


def _seconds(
    data: dict[str, Any], key: str, source: str, default: int | None, *, minimum: int = 1
) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if type(value) is not int or value < minimum:
        what = "a positive" if minimum > 0 else "a non-negative"
        raise _invalid(source, f"{key} must be {what} whole number")
    return value


@dataclass(frozen=True)
class Policy:
    """A validated eligibility policy."""

    name: str
    title: str
    purpose: str
    credential_types: tuple[str, ...]
    issuers: tuple[str, ...] | None  # None: any issuer accredited for the type at issuance
    required_claims: tuple[str, ...]
    optional_claims: tuple[str, ...] = ()
    predicates: tuple[Predicate, ...] = ()
    max_credential_age: int | None = None  # seconds since the credential's iat
    allow_suspended: bool = False
    require_status: bool = True
    max_ledger_age: int = DEFAULT_MAX_LEDGER_AGE
    status_lists: tuple[str, ...] = field(default=())  # lists to hold offline (sync)

    @cached_property
    def requested(self) -> tuple[str, ...]:
        """Every claim name the request asks for: required, predicates', then optional."""
        names = list(self.required_claims)
        for predicate in self.predicates:
            name = claim_name(predicate.path)
            if name not in names:
                names.append(name)
        return tuple(names) + tuple(n for n in self.optional_claims if n not in names)

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(n for n in self.requested if n not in self.optional_claims)

    @cached_property
    def conditions(self) -> str:
        """The predicates in words, as a decision's outcome shows them."""
        return "; ".join(p.describe() for p in self.predicates)

    def failure_in_words(self, step: str | None, detail: str | None) -> str | None:
        """Which of this policy's conditions the checks found not met, or which of its claims
        was not shared, in people words (``civicid.words``): "Not met: Resident must be
        yes", "Not shared: Family name"; None if ``detail`` names neither. Said from the
        policy's own words only, never from a value that was shared."""
        if step == "predicates" and detail:
            for predicate in self.predicates:
                if detail == f"{NOT_MET}{predicate.describe()}":
                    return f"Not met: {words.condition(predicate)}"
        if step == "claims" and detail and detail.endswith(NOT_DISCLOSED):
            name = detail.removesuffix(NOT_DISCLOSED)
            if name in self.requested:
                return f"Not shared: {words.claim(name)}"
        return None

    @cached_property
    def required_paths(self) -> tuple[tuple[str, ClaimPath], ...]:
        return tuple((name, claim_path(name)) for name in self.required)

    @cached_property
    def requested_paths(self) -> tuple[tuple[str, ClaimPath], ...]:
        return tuple((name, claim_path(name)) for name in self.requested)

    def dcql(self) -> DcqlQuery:
        """One credential query: the accepted types, the requested claims; with optional
        claims, two claim sets (all, then the required ones) so the citizen may leave the
        optional ones out (OpenID4VP §6.4.1). Built once: every request of the policy asks
        the same, and every answer is held to it."""
        return self._dcql

    @cached_property
    def _dcql(self) -> DcqlQuery:
        claims = tuple(
            ClaimsQuery(path=claim_path(name), id=f"c{index}")
            for index, name in enumerate(self.requested)
        )
        claim_sets = None
        if self.optional_claims:
            required = self.required
            claim_sets = (
                tuple(str(c.id) for c in claims),
                tuple(
                    str(c.id) for c, n in zip(claims, self.requested, strict=True) if n in required
                ),
            )
        query = CredentialQuery(
            id=CREDENTIAL_QUERY_ID,
            format=SD_JWT_VC_FORMAT,
            meta={"vct_values": list(self.credential_types)},
            claims=claims or None,
            claim_sets=claim_sets,
        )
        return DcqlQuery(credentials=(query,))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "purpose": self.purpose,
            "credential_types": list(self.credential_types),
            "issuers": ANY_ACCREDITED if self.issuers is None else list(self.issuers),
            "required_claims": list(self.required),
            "optional_claims": list(self.optional_claims),
            "predicates": [p.to_json() for p in self.predicates],
            "max_credential_age_seconds": self.max_credential_age,
            "allow_suspended": self.allow_suspended,
            "require_status": self.require_status,
            "max_ledger_age_seconds": self.max_ledger_age,
        }

    @classmethod
    def from_toml(cls, data: dict[str, Any], source: str, *, name: str | None = None) -> Policy:
        known = {
            "name", "title", "purpose", "credential_types", "issuers", "required_claims",
            "optional_claims", "predicates", "max_credential_age_days", "allow_suspended",
            "require_status", "max_ledger_age_seconds", "status_lists",
        }  # fmt: skip
        unknown = set(data) - known
        if unknown:
            raise _invalid(source, f"unknown keys {sorted(unknown)} (known: {sorted(known)})")
        policy_name = data.get("name", name)
        if not isinstance(policy_name, str) or not NAME_PATTERN.fullmatch(policy_name):
            raise _invalid(source, "name must be lowercase letters, digits and '-'")
        if name is not None and policy_name != name:
            raise _invalid(source, f"name {policy_name!r} differs from the file name {name!r}")
        types = data.get("credential_types")
        if not isinstance(types, list) or not 1 <= len(types) <= MAX_TYPES:
            raise _invalid(source, f"credential_types lists 1 to {MAX_TYPES} vcts")
        try:
            vcts = tuple(check_vct(t) for t in types)
        except Error as exc:
            raise _invalid(source, f"credential_types: {exc.message}") from exc
        issuers_raw = data.get("issuers", ANY_ACCREDITED)
        issuers: tuple[str, ...] | None = None
        if issuers_raw != ANY_ACCREDITED:
            if not isinstance(issuers_raw, list) or not 1 <= len(issuers_raw) <= MAX_ISSUERS:
                raise _invalid(source, f'issuers is "{ANY_ACCREDITED}" or a list of DIDs')
            try:
                issuers = tuple(parse_did(str(d)) for d in issuers_raw)
            except Error as exc:
                raise _invalid(source, f"issuers: {exc.message}") from exc
        required = _names(data, "required_claims", source)
        optional = _names(data, "optional_claims", source)
        if set(required) & set(optional):
            raise _invalid(source, "a claim is both required and optional")
        raw_predicates = data.get("predicates", [])
        if not isinstance(raw_predicates, list) or len(raw_predicates) > MAX_PREDICATES:
            raise _invalid(source, f"predicates is a list of at most {MAX_PREDICATES}")
        predicates = tuple(Predicate.from_toml(p, source) for p in raw_predicates)
        if any(p.claim in optional for p in predicates):
            raise _invalid(source, "a predicate's claim cannot be optional")
        flags = {}
        for key, default in (("allow_suspended", False), ("require_status", True)):
            value = data.get(key, default)
            if not isinstance(value, bool):
                raise _invalid(source, f"{key} must be true or false")
            flags[key] = value
        days = _seconds(data, "max_credential_age_days", source, None)
        lists = data.get("status_lists", [])
        if not isinstance(lists, list) or not all(isinstance(u, str) for u in lists):
            raise _invalid(source, "status_lists is a list of status list URIs")
        ledger_age = _seconds(
            data, "max_ledger_age_seconds", source, DEFAULT_MAX_LEDGER_AGE, minimum=0
        )
        assert ledger_age is not None  # it has a default
        policy = cls(
            name=policy_name,
            title=_text(data, "title", source),
            purpose=_text(data, "purpose", source),
            credential_types=vcts,
            issuers=issuers,
            required_claims=required,
            optional_claims=optional,
            predicates=predicates,
            max_credential_age=None if days is None else days * 86400,
            # 0: every decision reads the ledger afresh (no cached keys, grants or lists).
            max_ledger_age=ledger_age,
            status_lists=tuple(lists),
            **flags,
        )
        if not policy.requested:
            raise _invalid(source, "the policy asks for no claim; a desk checks something")
        if len(policy.requested) > MAX_CLAIMS:
            raise _invalid(source, f"at most {MAX_CLAIMS} claims in all")
        return policy


@functools.lru_cache(maxsize=64)
def today_of(now: int) -> date:
    """The UTC date at ``now`` (ages count in whole days, as a birth date does)."""
    return datetime.fromtimestamp(now, UTC).date()


def all_status_lists(policies: Iterable[Policy]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u for p in policies for u in p.status_lists))
