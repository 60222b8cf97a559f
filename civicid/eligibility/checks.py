"""The checks of one presentation, as one numbered pipeline: each step cites the rule it
enforces and raises its own code; the first failure decides, later steps are skipped.

Steps 1-3, 5-7 and 10 are the kernel's SD-JWT steps (``civicid.sdjwt``) run one at a time so
the decision can say which one failed; the others put the ledger (keys, accreditations, types,
status lists, each proven) and the desk's policy around them. A refusal carries its code and
message only: a step's outcome keeps nothing else.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Protocol

import jsonschema

from civicid import sdjwt, status_list
from civicid.accreditation import ISSUER_NOT_ACCREDITED
from civicid.dcql import select
from civicid.did import parse_did, split_key_id
from civicid.eligibility.decision import FAILED, SKIPPED, Decision, Outcome, passed
from civicid.eligibility.errors import (
    CLAIM_MISSING,
    CREDENTIAL_ISSUER_INVALID,
    CREDENTIAL_KEY_NOT_IN_FORCE,
    CREDENTIAL_STATUS_INVALID,
    CREDENTIAL_TOO_OLD,
    ISSUER_NOT_ACCEPTED,
    PRESENTATION_TOO_DEEP,
    PRESENTATION_TOO_LARGE,
    STATUS_MISSING,
    STATUS_REVOKED,
    STATUS_SUSPENDED,
    STATUS_UNKNOWN_VALUE,
    VCT_NOT_ACCEPTED,
    VCT_SCHEMA_MISMATCH,
    VCT_UNKNOWN,
)
from civicid.entitlements import single_use, status_reference
from civicid.errors import INTERNAL_ERROR, Error, NotFound
from civicid.jose import PublicKey
from civicid.policy import Policy, today_of
from civicid.proven import CREDENTIAL_TYPE_NOT_FOUND
from civicid.trust import KEY_NOT_IN_FORCE, Trust
from civicid.trust.federation import Federation, Route

# One SD-JWT VC presentation: the kernel's bound on what it parses at all.
MAX_PRESENTATION_CHARS: Final = sdjwt.MAX_PRESENTATION_BYTES
# Real credentials nest a few levels (address.street, nationalities[]); far deeper is an attack
# on a parser, refused before any processing.
MAX_NESTING: Final = 16
# How old a key binding may be: the citizen reads the request and consents on a phone first.
KB_MAX_AGE: Final = sdjwt.KB_MAX_AGE
CLOCK_SKEW: Final = sdjwt.CLOCK_SKEW


class ReplayGuard(Protocol):
    def use_nonce(self, nonce: str, now: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    title: str
    spec: str


STEPS: Final = (
    Step("structure", "Size, nesting and SD-JWT structure", "RFC 9901 §4, §7.1 step 1"),
    Step(
        "header",
        "Credential format and signature method",
        "SD-JWT VC §3.2.1; RFC 9901 §7.1 step 2.1",
    ),
    Step("issuer", "Issuer is a ledger DID the policy accepts", "SD-JWT VC §3.5 (ledger DIDs)"),
    Step("issuer_key", "Issuer key in force at issuance", "SD-JWT VC §3.5; DID Resolution"),
    Step("signature", "Issuer signature", "RFC 9901 §7.1 step 2.2"),
    Step("disclosures", "Disclosures match their digests", "RFC 9901 §7.1 steps 3-5"),
    Step("validity", "Validity period and credential age", "RFC 9901 §7.1 step 6; RFC 7519 §4.1"),
    Step("type", "Credential type and schema", "SD-JWT VC §3.2.2.1, §6.5"),
    Step("accreditation", "Issuer accredited for the type at issuance", "ledger trust registry"),
    Step("key_binding", "Holder key binding for this request", "RFC 9901 §7.3; OpenID4VP §B.3.6"),
    Step("replay", "Nonce used only once", "OpenID4VP §14.1"),
    Step("status", "Not revoked or suspended", "Token Status List §8.3"),
    Step("entitlement", "Single-use entitlement not yet redeemed", "ledger redemptions"),
    Step("claims", "Required claims disclosed", "OpenID4VP §8.6 step 2.2"),
    Step("predicates", "Policy conditions met", "the desk's policy"),
)


def depth_of(value: Any, limit: int) -> int:
    """How deep ``value`` nests (a scalar 0; ``{}``, ``[]`` and ``[1]`` 1), counting no further
    than ``limit + 1``."""
    level = [value]
    depth = 0
    while depth <= limit:
        containers = [item for item in level if type(item) in (dict, list)]
        if not containers:
            break
        depth += 1
        level = [v for c in containers for v in (c.values() if type(c) is dict else c)]
    return depth


@dataclass(slots=True)
class Run:
    """What one presentation's checks learn, step by step."""

    text: str
    policy: Policy
    nonce: str
    client_id: str
    now: int
    trust: Trust
    replay: ReplayGuard | None
    on_status_uri: Callable[[str], None] | None
    parsed: sdjwt.Presentation | None = None
    iss: str = ""
    kid: str = ""
    iat: int = 0
    key: PublicKey | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    disclosed: tuple[Any, ...] = ()
    holder_key: PublicKey | None = None
    vct: str | None = None
    single_use: bool = False
    redeem: tuple[str, int] | None = None  # a single-use credential's status reference
    federation: Federation | None = None  # pinned foreign ledgers, if the desk trusts any
    route: Route | None = None  # the ledger that answers for the issuer (step 3)
    required_found: bool = False  # step 14 selected every required claim
    # What step 14 selected, by path: a predicate on a required claim reads it again from here.
    selected: dict[sdjwt.ClaimPath, list[Any]] = field(default_factory=dict)
    max_age: int = 0  # the policy's max_ledger_age, read once (four questions ask it)

    def __post_init__(self) -> None:
        self.max_age = self.policy.max_ledger_age

    @property
    def presentation(self) -> sdjwt.Presentation:
        assert self.parsed is not None  # steps run in order; structure set it
        return self.parsed

    # 1. RFC 9901 §4 / §7.1 step 1: split and decode, within our limits.
    def structure(self) -> str:
        if len(self.text) > MAX_PRESENTATION_CHARS:
            raise PRESENTATION_TOO_LARGE(f"over {MAX_PRESENTATION_CHARS} characters")
        self.parsed = sdjwt.parse(self.text)
        # Fewer brackets than the limit cannot nest past it: most credentials skip the walk.
        raw = self.parsed.jws.payload
        brackets = raw.count(b"{") + raw.count(b"[")
        if brackets > MAX_NESTING and depth_of(self.parsed.payload, MAX_NESTING) > MAX_NESTING:
            raise PRESENTATION_TOO_DEEP(f"the issuer's claims nest deeper than {MAX_NESTING}")
        return f"{len(self.parsed.disclosures)} disclosures"

    # 2. SD-JWT VC §3.2.1 typ dc+sd-jwt; alg on the allow-list; no key in the header.
    def header(self) -> str:
        presentation = self.presentation
        sdjwt.check_issuer_header(presentation, typ=sdjwt.SD_JWT_VC_TYP)
        return str(presentation.jws.header.get("alg"))

    # 3. The issuer is a ledger DID, named by iss and by the kid that signed (SD-JWT VC §3.5
    #    allows this ecosystem-defined key resolution); the policy may name its issuers.
    def issuer(self) -> str:
        presentation = self.presentation
        payload = presentation.payload
        kid = str(presentation.jws.header.get("kid"))
        try:
            self.iss = parse_did(str(payload.get("iss")))
            kid_did, _ = split_key_id(kid)
        except Error as exc:
            raise CREDENTIAL_ISSUER_INVALID(exc.message) from exc
        if kid_did != self.iss:
            raise CREDENTIAL_ISSUER_INVALID(f"signed with a key of {kid_did}, not of iss")
        self.kid = kid
        iat = payload.get("iat")
        if type(iat) is not int:
            raise CREDENTIAL_ISSUER_INVALID("iat must be an integer: it finds the issuer's key")
        self.iat = iat
        if self.policy.issuers is not None and self.iss not in self.policy.issuers:
            raise ISSUER_NOT_ACCEPTED(f"{self.policy.name} accepts only named issuers")
        if self.federation is not None:  # every later question goes to the issuer's ledger
            self.route = self.federation.route_issuer(self.iss, now=self.now, max_age=self.max_age)
            self.trust = self.route.trust
            if self.route.foreign:
                return f"{self.iss} (ledger {self.route.ledger})"
        return self.iss

    # 4. The key kid names, in the issuer's DID document as it stood at iat, proven.
    def issuer_key(self) -> str:
        try:
            self.key = self.trust.key_in_force(
                self.kid, self.iat, now=self.now, max_age=self.max_age
            )
        except Error as exc:
            if not KEY_NOT_IN_FORCE.matches(exc):
                raise
            raise CREDENTIAL_KEY_NOT_IN_FORCE(exc.message) from exc
        _, fragment = split_key_id(self.kid)
        return fragment

    # 5. RFC 9901 §7.1 step 2.2: the issuer's signature, with that key only.
    def signature(self) -> str:
        assert self.key is not None
        sdjwt.verify_issuer_signature(self.presentation, self.key)
        return ""

    # 6. RFC 9901 §7.1 steps 3-5: digests, duplicates, unreferenced, reserved names, _sd_alg.
    def disclosures(self) -> str:
        processed = sdjwt.process_disclosures(self.presentation)
        self.claims = processed.claims
        self.disclosed = processed.paths
        return f"{len(self.disclosed)} claims disclosed"

    # 7. RFC 9901 §7.1 step 6: exp/nbf/iat read only now, after processing (pitfall 9).
    def validity(self) -> str:
        sdjwt.check_time_claims(self.claims, now=self.now, skew=CLOCK_SKEW)
        limit = self.policy.max_credential_age
        if limit is not None and self.now - self.iat > limit:
            raise CREDENTIAL_TOO_OLD(f"issued {(self.now - self.iat) // 86400} days ago")
        return ""

    # 8. SD-JWT VC §3.2.2.1 vct, accepted by the policy, registered on the ledger; the
    #    disclosed claims fit its JSON Schema (§6.5; "required" left to the policy).
    def type(self) -> str:
        self.holder_key = sdjwt.check_type_claims(self.presentation.jws.header, self.claims)
        vct = str(self.claims["vct"])
        self.vct = vct
        if vct not in self.policy.credential_types:
            raise VCT_NOT_ACCEPTED(f"{self.policy.name} does not accept {vct}")
        try:
            proven = self.trust.credential_type(vct, now=self.now, max_age=self.max_age)
        except NotFound as exc:
            if not CREDENTIAL_TYPE_NOT_FOUND.matches(exc):
                raise
            raise VCT_UNKNOWN(f"{vct} is not registered on the ledger") from exc
        # The schema describes the subject's claims, as the issuer validated them at the
        # offer; the registered claims (iss, vct, cnf, status, ...) are the format's.
        registered = sdjwt.NOT_DISCLOSABLE
        subject = {k: v for k, v in self.claims.items() if k not in registered}
        error = schema_validator(proven.vct, proven.seq, proven.schema).first_error(subject)
        if error is not None:
            raise VCT_SCHEMA_MISMATCH(error)
        self.single_use = single_use(proven.metadata)
        if self.route is not None:
            self.route.require_type(vct, single_use=self.single_use)
        return vct

    # 9. The issuer held an accreditation for vct at iat (not revoked before it), from
    #    proven governance entries.
    def accreditation(self) -> str:
        assert self.vct is not None
        standing = self.trust.issuer_standing(
            self.iss, self.vct, self.iat, now=self.now, max_age=self.max_age
        )
        if standing.accreditation is None:
            raise ISSUER_NOT_ACCREDITED(
                f"{self.iss} was not accredited for {self.vct} at issuance ({standing.reason})"
            )
        return standing.accreditation

    # 10. RFC 9901 §7.3 and OpenID4VP §B.3.6: a KB-JWT by the cnf key, sd_hash over what was
    #     sent, this request's nonce, aud = the full client_id, fresh iat. Required, always.
    def key_binding(self) -> str:
        sdjwt.verify_key_binding(
            self.presentation,
            self.holder_key,
            now=self.now,
            nonce=self.nonce,
            aud=self.client_id,
            required=True,
            max_kb_age=KB_MAX_AGE,
            skew=CLOCK_SKEW,
        )
        return ""

    # 11. OpenID4VP §14.1: the nonce is spent once, in a store every desk process shares.
    def replay_(self) -> str:
        if self.replay is not None:
            self.replay.use_nonce(self.nonce, self.now)
        return ""

    # 12. Token Status List §8.3: the list from the ledger (signed by its owner, sub = uri,
    #     within exp and ttl), the entry valid; suspended passes only if the policy says so.
    def status(self) -> str:
        reference = self.claims.get("status")
        if reference is None:
            if self.policy.require_status:
                raise STATUS_MISSING("the credential has no status_list reference")
            return "no status list (the policy does not require one)"
        listed = reference.get("status_list") if isinstance(reference, dict) else None
        uri = listed.get("uri") if isinstance(listed, dict) else None
        if not isinstance(uri, str) or not uri:
            raise CREDENTIAL_STATUS_INVALID("status must hold status_list.uri and .idx (§6.2)")
        fetched = self.trust.status_list(uri, issuer=self.iss, now=self.now, max_age=self.max_age)
        if self.on_status_uri is not None and not (self.route and self.route.foreign):
            self.on_status_uri(str(uri))  # a foreign list is not the local ledger's to sync
        value = status_list.status_of(reference, fetched.value.token)
        if value == status_list.STATUS_VALID:
            return f"valid (list entry {fetched.value.seq})"
        if value == status_list.STATUS_INVALID:
            raise STATUS_REVOKED("the issuer revoked this credential")
        if value == status_list.STATUS_SUSPENDED:
            if self.policy.allow_suspended:
                return "suspended, which this policy accepts"
            raise STATUS_SUSPENDED("the issuer suspended this credential")
        raise STATUS_UNKNOWN_VALUE(f"status value {value:#x} is not one we know")

    # 13. A single-use type (its metadata says so, civicid/entitlements.py): the ledger's
    #     redemptions of its status list, proven (none withheld), do not hold this one.
    def entitlement(self) -> str:
        if not self.single_use:
            return "not a single-use type"
        reference = status_reference(self.claims)
        if reference is None:
            raise STATUS_MISSING("a single-use credential is redeemed by its status reference")
        redeemed = self.trust.redemptions(reference[0], now=self.now, max_age=self.max_age)
        redeemed.require_unredeemed(reference[1])
        self.redeem = reference
        return f"not redeemed ({redeemed.count} of its list redeemed so far)"

    # 14. OpenID4VP §8.6 step 2.2: every claim the policy requires was disclosed.
    def claims_(self) -> str:
        selected = self.selected
        for name, path in self.policy.required_paths:
            try:
                selected[path] = select(self.claims, path, checked=True)
            except Error as exc:
                raise CLAIM_MISSING(f"{name} was not disclosed") from exc
        self.required_found = True
        return ", ".join(self.policy.required)

    # 15. The policy's conditions on the disclosed values.
    def predicates(self) -> str:
        today = _today(self.now // DAY)
        selected = self.selected
        for predicate in self.policy.predicates:
            path = predicate.path
            found = selected.get(path)
            if found is None:  # a claim the policy does not require (or step 14 did not run)
                found = select(self.claims, path, checked=True)
            predicate.check(found, today)
        return self.policy.conditions


DAY: Final = 86_400


@functools.lru_cache(maxsize=4)  # a few days: a clock may step back across midnight
def _today(day: int) -> date:
    """The UTC date of day ``day`` since 1970, as ``today_of`` gives it for any time in that
    day: the checks of one day ask it again and again."""
    return today_of(day * DAY)


# Every step's outcome when an earlier one failed: immutable, so made once and shared.
_SKIPPED: Final = tuple(Outcome(step.name, step.title, SKIPPED, step.spec) for step in STEPS)
# A passed step's outcome by its detail, per step: most steps pass with the same detail every
# time ("", a policy's claims, an issuer's DID), and an outcome is immutable, so each is made
# once and shared. Up to this many per step (a detail names a DID, a type, a list entry),
# then that step's memory starts over: nothing is lost but the time to make one again.
MAX_PASSED_PER_STEP: Final = 1024
_PASSED: Final[tuple[dict[str, Outcome], ...]] = tuple({} for _ in STEPS)

_STEPS_AND_PASSED: Final = tuple(zip(STEPS, _PASSED, strict=True))

RUNNERS: Final[dict[str, Callable[[Run], str]]] = {
    "structure": Run.structure,
    "header": Run.header,
    "issuer": Run.issuer,
    "issuer_key": Run.issuer_key,
    "signature": Run.signature,
    "disclosures": Run.disclosures,
    "validity": Run.validity,
    "type": Run.type,
    "accreditation": Run.accreditation,
    "key_binding": Run.key_binding,
    "replay": Run.replay_,
    "status": Run.status,
    "entitlement": Run.entitlement,
    "claims": Run.claims_,
    "predicates": Run.predicates,
}


def asked_and_extra(
    policy: Policy,
    claims: dict[str, Any],
    disclosed: tuple[Any, ...],
    required_found: bool = False,
) -> tuple[tuple[str, ...], int]:
    """What the desk received of what the policy asks (each claim by its name, sorted; a
    nested one by its own name, not its parent's), and how many disclosures
    it asked for none of. Those are dropped: no receipt, page, decision or store names them
    (data minimisation, GDPR Art. 5(1)(c)); the audit trail counts them.
    ``required_found``: every required claim was selected in ``claims`` already (step 14
    passed), so only the optional ones are looked for."""
    asked = policy.requested_paths
    required = policy.required if required_found else ()
    received = []
    for name, path in asked:
        if name not in required:
            try:
                select(claims, path, checked=True)
            except Error:
                continue
        received.append(name)
    extra = 0
    for disclosure in disclosed:
        for _, path in asked:
            if disclosure == path or along(disclosure, path):  # mostly the claim asked itself
                break
        else:  # along no asked claim's path
            extra += 1
    return tuple(sorted(received)), extra


def along(disclosed: Any, asked: tuple[Any, ...]) -> bool:
    """Whether a disclosure's path lies along an asked claim's: the claim itself, inside it,
    or an object holding it (a nested claim travels with its parent's Disclosure)."""
    if not isinstance(disclosed, tuple):
        return False
    if None not in asked:  # no "any element": the shorter path begins the longer one
        shorter = min(len(disclosed), len(asked))
        return disclosed[:shorter] == asked[:shorter]
    return all(
        a == b or (a is None and isinstance(b, int)) for b, a in zip(disclosed, asked, strict=False)
    )


class SchemaValidator:
    """A type's JSON Schema compiled once, without ``required``: a holder discloses only
    what was asked, so absent claims are the policy's business (step 13), not the schema's.

    The verdict is a pure function of the disclosed claims, and many presentations disclose
    the same values (``resident: true``, ``age_equal_or_over.18: true``): verdicts are kept
    for up to ``MAX_VERDICTS`` distinct disclosures, then the memory starts over (as the
    trust package's answers do): nothing is lost but the time to validate again."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._validator = jsonschema.Draft202012Validator(_without_required(schema))
        self._verdicts: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def first_error(self, claims: dict[str, Any]) -> str | None:
        # The claims as JSON gave them (dicts, lists, strings, numbers, booleans, null): their
        # repr is a Python literal that reads back to equal claims, so two that differ never
        # share a key (``1``, ``1.0`` and ``True`` are spelled apart); the same claims in
        # another order miss and are validated again. A quarter of json.dumps' cost.
        key = repr(claims)
        try:
            return self._verdicts[key]  # a dict read is whole: it needs no lock
        except KeyError:
            pass
        verdict = self._validate(claims)
        if len(key) > MAX_VERDICT_KEY_CHARS:  # judged again next time rather than kept
            return verdict
        with self._lock:
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def _validate(self, claims: dict[str, Any]) -> str | None:
        error = next(iter(self._validator.iter_errors(claims)), None)
        if error is None:
            return None
        where = ".".join(str(p) for p in error.absolute_path) or "the credential"
        return f"{where}: {error.message}"[:300]


# Distinct disclosures whose schema verdict is kept per type (a few MiB at most).
MAX_VERDICTS: Final = 4096
# Longest disclosure (its repr) whose verdict is kept: a national ID's disclosed claims are a
# few hundred characters; a presentation may carry ~500 KiB of them, and 4,096 of those
# would be 2 GiB. At this bound the memory of one type is 8 MiB at most.
MAX_VERDICT_KEY_CHARS: Final = 2048
_VALIDATORS: dict[tuple[str, int, str], SchemaValidator] = {}
_VALIDATORS_LOCK = threading.Lock()
_LAST_VALIDATOR: dict[tuple[str, int], tuple[dict[str, Any], SchemaValidator]] = {}
MAX_VALIDATORS: Final = 256


def schema_validator(vct: str, seq: int, schema: dict[str, Any]) -> SchemaValidator:
    # The very schema object of the last call (the trust package's remembered answer): its
    # validator, without writing the schema out again as a key.
    last = _LAST_VALIDATOR.get((vct, seq))
    if last is not None and last[0] is schema:
        return last[1]
    # Keyed by the schema itself too: (vct, seq) names a registration on one ledger only,
    # and a process may verify against another ledger (or one started afresh).
    key = (vct, seq, json.dumps(schema, sort_keys=True, separators=(",", ":")))
    found = _VALIDATORS.get(key)
    if found is None:
        with _VALIDATORS_LOCK:
            if len(_VALIDATORS) >= MAX_VALIDATORS:
                _VALIDATORS.clear()
                _LAST_VALIDATOR.clear()
            found = _VALIDATORS[key] = SchemaValidator(schema)
    _LAST_VALIDATOR[(vct, seq)] = (schema, found)
    return found


# JSON Schema 2020-12 keywords whose value is a subschema, a list of subschemas, or a map of
# names to subschemas: "required" is dropped where a schema demands a claim, never from a
# value (an enum's, a const's) nor from a map's names (a claim, or a definition, named
# "required"). Under "not" and "if" it is a condition, not a demand (a claim that must be
# absent; a rule for when a claim is there): those are kept as they are.
SUBSCHEMA: Final = frozenset(
    {"additionalProperties", "contains", "else", "items", "propertyNames", "then",
     "unevaluatedItems", "unevaluatedProperties"}
)  # fmt: skip
SUBSCHEMA_LISTS: Final = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SUBSCHEMA_MAPS: Final = frozenset(
    {"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"}
)


def _without_required(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema  # true, false: a schema with no keyword
    kept = {}
    for keyword, value in schema.items():
        if keyword == "required":
            continue
        if keyword in SUBSCHEMA:
            value = _without_required(value)
        elif keyword in SUBSCHEMA_LISTS and isinstance(value, list):
            value = [_without_required(v) for v in value]
        elif keyword in SUBSCHEMA_MAPS and isinstance(value, dict):
            value = {name: _without_required(v) for name, v in value.items()}
        kept[keyword] = value
    return kept


def check_presentation(
    presentation: str,
    *,
    policy: Policy,
    nonce: str,
    client_id: str,
    trust: Trust,
    now: int,
    replay: ReplayGuard | None = None,
    on_status_uri: Callable[[str], None] | None = None,
    federation: Federation | None = None,
) -> Decision:
    """Run every step in order; the first failure decides. Never raises for a bad
    presentation: the decision says which step failed, with its code."""
    run = Run(presentation, policy, nonce, client_id, now, trust, replay, on_status_uri)
    run.federation = federation
    outcomes: list[Outcome] = []
    failed = False
    for step, kept in _STEPS_AND_PASSED:
        try:
            detail = RUNNERS[step.name](run)
        except Error as exc:
            outcomes.append(
                Outcome(step.name, step.title, FAILED, step.spec, exc.code, exc.message)
            )
            failed = True
            break
        except Exception as exc:  # a bug must fail closed, never pass
            error = INTERNAL_ERROR(f"{type(exc).__name__} in step {step.name}")
            outcomes.append(
                Outcome(step.name, step.title, FAILED, step.spec, error.code, error.message)
            )
            failed = True
            break
        outcome = kept.get(detail)
        if outcome is None:
            if len(kept) >= MAX_PASSED_PER_STEP:
                kept.clear()
            outcome = kept[detail] = passed(step.name, step.title, step.spec, detail)
        outcomes.append(outcome)
    outcomes += _SKIPPED[len(outcomes) :]  # the steps after a failure, none after a pass
    received, over_disclosed = asked_and_extra(
        policy, run.claims, run.disclosed, run.required_found
    )
    return Decision(
        eligible=not failed,
        policy=policy.name,
        purpose=policy.purpose,
        decided_at=now,
        outcomes=tuple(outcomes),
        vct=run.vct,
        issuer=run.iss or None,
        received=received,
        over_disclosed=over_disclosed,
        checkpoint_size=trust.checkpoint_size(),
        offline=trust.offline,
        redeem=run.redeem if not failed else None,
    )
