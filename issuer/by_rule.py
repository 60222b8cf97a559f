"""Issuance by rule: the agency issues type B at once to whoever presents credentials that
satisfy the policy P of its rule on the ledger, with no clerk in between.

Over the standards: before any token is granted, the issuer asks the wallet for a
presentation with an OpenID4VP 1.0 request (a signed request object naming the agency's
ledger DID, DCQL from P, ``direct_post``). If P holds, the response endpoint answers with a
``redirect_uri`` (OpenID4VP §8.2) that is an OpenID4VCI credential offer with a pre-authorized
code, and the wallet continues with the token and credential endpoints as for any offer.
(OpenID4VCI's interactive authorization endpoint is the other road; it is still a draft that
wallets do not speak, while OpenID4VP and the pre-authorized flow are final and already spoken
by every part here.)

The presentation is judged by the kernel's checks (``civicid.eligibility``), the same steps a
desk runs; the rule is read through the trust package (``Trust.issuance_rule``): the version
in force when the wallet asked applies, and a withdrawal since then refuses. Each decision is
logged without personal data (rule, version, outcome, code, time) and counted per rule.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from civicid import sdjwt
from civicid.dcql import claim_path, select
from civicid.eligibility.checks import STEPS, check_presentation
from civicid.eligibility.decision import FAILED, SKIPPED, Decision, Outcome
from civicid.eligibility.errors import PRESENTATION_REPLAYED
from civicid.errors import Error
from civicid.issuance_rules import RuleVersion
from civicid.oid4vp import (
    AuthorizationRequest,
    AuthorizationResponse,
    build_request_object,
    client_id_for,
    new_nonce,
)
from civicid.quota import RequestQuota
from issuer import rule_requests
from issuer.errors import CONFIGURATION_UNKNOWN
from issuer.offers import CreatedOffer
from issuer.records import AuditEvent, Clerk
from issuer.rule_requests import (
    MAX_WAITING,
    RULE_REQUEST_DECLINED,
    RULE_REQUEST_EXPIRED,
    RULE_REQUEST_UNKNOWN,
    RULE_REQUESTS_FULL,
    RuleRequests,
    Waiting,
)
from issuer.service import Issuer
from issuer.store import Audit

# The citizen reads the request and consents on a phone: five minutes, as a desk allows.
REQUEST_TTL: Final = 300
# Spent nonces are kept as long as their request could be answered, then forgotten.
MAX_SPENT: Final = 4 * MAX_WAITING
# Rule versions remembered for the requests made for them (a few rules, a few versions
# each); past this the memory starts over and a version is read again from the ledger.
MAX_VERSIONS: Final = 1024
RESPONSE_PATH: Final = "/rules/responses"
ACTOR: Final = "rule"


@dataclass(frozen=True, slots=True)
class Pending:
    """A request being answered: as it was kept, and the rule version it was made for."""

    waiting: Waiting
    version: RuleVersion

    @property
    def rule(self) -> str:
        return self.waiting.rule

    @property
    def nonce(self) -> str:
        return self.waiting.nonce


@dataclass(frozen=True, slots=True)
class RuleRequest:
    """A presentation request for a rule: the signed request object and what it asks."""

    request: AuthorizationRequest
    request_object: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request_object,
            "rule": self.request.policy,
            "version": self.version,
            "purpose": self.request.purpose,
            "expires_in": self.request.exp - self.request.iat,
        }


@dataclass(frozen=True)
class RuleOutcome:
    """What the citizen is told: issued at once (with the offer to fetch it by), or exactly
    which condition failed, in plain words; and what the log keeps (no personal data)."""

    rule: str
    version: int
    decision: Decision
    offer: CreatedOffer | None = None
    declined: bool = False  # the wallet answered with an error (OpenID4VP §8.5)

    @property
    def issued(self) -> bool:
        return self.offer is not None

    @property
    def code(self) -> str | None:
        return self.decision.code

    @property
    def reason(self) -> str | None:
        """The failed condition in plain words: the step's words, then what it found."""
        failed = self.decision.failed
        if failed is None:
            return None
        return (
            f"{self.decision.reason} ({failed.detail})" if failed.detail else self.decision.reason
        )

    def to_json(self) -> dict[str, Any]:
        failed = self.decision.failed
        data: dict[str, Any] = {
            "rule": self.rule,
            "version": self.version,
            "issued": self.issued,
            "code": self.code,
            "reason": self.reason,
            "failed_step": failed.step if failed else None,
            # What the failed step found, as the kernel's checks say it ("not met: age is at
            # least 65"): the wallet matches it to the rule's conditions to name the one
            # that failed in its own words.
            "detail": (failed.detail or None) if failed else None,
        }
        if self.offer is not None:
            # OpenID4VP §8.2: where the wallet goes next, an OpenID4VCI credential offer.
            data["redirect_uri"] = self.offer.link
        return data


@dataclass
class RuleIssuance:
    """The issuer's rule desk: presentation requests for its rules, their answers judged."""

    issuer: Issuer
    _spent: dict[str, int] = field(default_factory=dict)  # nonce -> until when it is kept
    _versions: dict[tuple[str, int], RuleVersion] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    counts: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    requests: RuleRequests = field(init=False)
    quota: RequestQuota = field(init=False)

    def __post_init__(self) -> None:
        # Waiting requests on disk, beside the issuer's store: a restart answers them still.
        self.requests = RuleRequests(self.issuer.settings.store_dir)
        # Each client's share of them, in this process (the file bounds them all).
        self.quota = RequestQuota(
            rule_requests.MAX_WAITING, rule_requests.MAX_WAITING_PER_CLIENT, full=RULE_REQUESTS_FULL
        )

    @property
    def client_id(self) -> str:
        return client_id_for(self.issuer.identity.did)

    def _configuration(self, vct: str) -> str:
        for config in self.issuer.settings.credential_configurations:
            if config.vct == vct:
                return config.id
        raise CONFIGURATION_UNKNOWN(f"this issuer has no credential configuration for {vct}")

    def request(self, rule: str, client: str = "") -> RuleRequest:
        """The wallet asks for the rule's credential: the version in force now, and a signed
        OpenID4VP request for a presentation that satisfies its policy; within the requests
        ``client`` (``civicid.quota.client_of``) may ask for now (``client_requests_full``:
        nothing kept)."""
        now = self.issuer.clock()
        ticket = self.quota.take(client, now, now + REQUEST_TTL)
        try:
            return self._request(rule, now)
        except Error:  # nothing kept: the place is free again
            self.quota.give_back(ticket)
            raise

    def _request(self, rule: str, now: int) -> RuleRequest:
        with self.issuer.ledger.asking() as trust:
            # Remembered as long as the agency's standing is: a withdrawal since is caught
            # when the presentation comes back (asked anew then).
            version = trust.issuance_rule(
                self.issuer.identity.did,
                rule,
                now,
                now=now,
                max_age=self.issuer.settings.accreditation_ttl,
            )
        assert version.policy is not None and version.vct is not None  # in force: published
        self._configuration(version.vct)
        policy = version.policy
        request = AuthorizationRequest(
            client_id=self.client_id,
            response_uri=self.issuer.settings.public_url.rstrip("/") + RESPONSE_PATH,
            nonce=new_nonce(),
            state=new_nonce(),
            dcql_query=policy.dcql(),
            iat=now,
            exp=now + REQUEST_TTL,
            policy=rule,
            purpose=policy.purpose,
        )
        signer = self.issuer.identity
        token = build_request_object(request, signer.key, signer.kid)
        self._remember(version)
        waiting = Waiting(request.state, request.nonce, rule, version.version, now, request.exp)
        self.requests.add(waiting, keep=REQUEST_TTL)  # synced before the wallet sees it
        return RuleRequest(request, token, version.version)

    def _remember(self, version: RuleVersion) -> None:
        with self._lock:
            if len(self._versions) >= MAX_VERSIONS:
                self._versions.clear()
            self._versions[(version.name, version.version)] = version

    def _version(self, trust: Any, waiting: Waiting, now: int) -> RuleVersion:
        """The rule version a request was made for: remembered, or (after a restart) read
        again from the ledger as it stood when the request was made."""
        with self._lock:
            known = self._versions.get((waiting.rule, waiting.version))
        if known is not None:
            return known
        version: RuleVersion = trust.issuance_rule(
            self.issuer.identity.did,
            waiting.rule,
            waiting.requested,
            now=now,
            max_age=self.issuer.settings.accreditation_ttl,
        )
        if version.version != waiting.version:  # published within the request's second
            raise RULE_REQUEST_UNKNOWN("the rule changed as it was asked for: ask again")
        self._remember(version)
        return version

    def use_nonce(self, nonce: str, now: int) -> None:
        """The checks' replay step (OpenID4VP §14.1): a nonce answers one presentation."""
        with self._lock:
            for spent, until in list(self._spent.items()):
                if until < now or len(self._spent) > MAX_SPENT:
                    del self._spent[spent]
            if nonce in self._spent:
                raise PRESENTATION_REPLAYED("this request was already answered")
            self._spent[nonce] = now + REQUEST_TTL

    def respond(self, form: dict[str, Any]) -> RuleOutcome:
        """The wallet's ``direct_post``: judged under the version in force when it asked (a
        withdrawal since refuses), logged and counted; issued at once if P holds."""
        response = AuthorizationResponse.from_form(form)
        now = self.issuer.clock()
        # Marked answered on disk before it is judged: the same answer again is a replay.
        waiting = self.requests.take(response.state, now, keep=REQUEST_TTL)
        if now > waiting.expires:
            raise RULE_REQUEST_EXPIRED("the request is more than five minutes old; ask again")
        if response.error is not None:
            # OpenID4VP §8.5: the citizen said no (or holds no card that answers). The request
            # ends here, marked answered above; nothing is asked of the ledger.
            outcome = self._declined(waiting, response.error, now)
            self._log(outcome, now)
            return outcome
        with self.issuer.ledger.asking() as trust:
            version = self._version(trust, waiting, now)
            assert version.policy is not None
            pending = Pending(waiting, version)
            try:
                # Asked anew: a withdrawal logged since the request refuses the issuance. The
                # agency's own standing is remembered as long as a clerk's offer remembers it.
                trust.issuance_rule(
                    self.issuer.identity.did,
                    pending.rule,
                    now,
                    now=now,
                    standing_max_age=self.issuer.settings.accreditation_ttl,
                )
            except Error as exc:
                decision = _refused(version, now, exc)
            else:
                decision = self._judge(response, pending, trust, now)
        offer = None
        if decision.eligible:
            try:
                offer = self._offer(pending, response, now)
            except Error as exc:
                decision = decision.refused_at("predicates", exc)
        outcome = RuleOutcome(pending.rule, version.version, decision, offer)
        self._log(outcome, now)
        return outcome

    def _judge(
        self, response: AuthorizationResponse, pending: Pending, trust: Any, now: int
    ) -> Decision:
        policy = pending.version.policy
        assert policy is not None
        try:
            vp_token = policy.dcql().check_vp_token(response.vp_token)
        except Error as exc:
            return _refused(pending.version, now, exc)
        return check_presentation(
            str(next(iter(vp_token.values()))[0]),
            policy=policy,
            nonce=pending.nonce,
            client_id=self.client_id,
            trust=trust,
            now=now,
            replay=self,
        )

    def _declined(self, waiting: Waiting, error: str, now: int) -> RuleOutcome:
        """The outcome of a request the wallet answered with ``error``: refused at its
        response, no check run (the version it was made for, as remembered: its purpose is not
        read again from the ledger for a "no")."""
        with self._lock:
            known = self._versions.get((waiting.rule, waiting.version))
        refusal = RULE_REQUEST_DECLINED(f"the wallet answered {error}")
        # As a desk's decision on a wallet's error answer (verifier.service.response_failure).
        outcomes = [Outcome("response", "Authorization response", FAILED, "OpenID4VP §8.5",
                            refusal.code, refusal.message)]  # fmt: skip
        outcomes += [Outcome(s.name, s.title, SKIPPED, s.spec) for s in STEPS]
        decision = Decision(
            eligible=False,
            policy=waiting.rule,
            purpose=known.policy.purpose if known is not None and known.policy else "",
            decided_at=now,
            outcomes=tuple(outcomes),
        )
        return RuleOutcome(waiting.rule, waiting.version, decision, declined=True)

    def _offer(self, pending: Pending, response: AuthorizationResponse, now: int) -> CreatedOffer:
        """An offer of B with the rule's fixed claims and those it copies from what was
        presented (already verified by the checks: read again here, not judged again)."""
        version = pending.version
        assert version.vct is not None and version.claims is not None
        claims = dict(version.claims)
        if version.copy:
            assert response.vp_token is not None
            presented = sdjwt.parse(next(iter(response.vp_token.values()))[0])
            disclosed = sdjwt.process_disclosures(presented).claims
            for name in version.copy:
                claims[name] = select(disclosed, claim_path(name), checked=True)[0]
        clerk = Clerk(
            id=ACTOR,
            name=f"rule {pending.rule} v{version.version}",
            scopes=(),
            key_hash="",
            created=now,
        )
        return self.issuer.create_offer(
            clerk,
            configuration=self._configuration(version.vct),
            record=f"rule:{pending.rule}",
            claims=claims,
            tx_code=False,
        )

    def _log(self, outcome: RuleOutcome, now: int) -> None:
        """One audit record per decision: rule, version, outcome, code, time; no claim."""
        verdict = "declined" if outcome.declined else "issued" if outcome.issued else "refused"
        with self._lock:
            self.counts[(outcome.rule, outcome.version, verdict)] += 1
        event = AuditEvent(
            at=now,
            actor=ACTOR,
            action="rule.decision",
            subject=outcome.rule,
            outcome=outcome.code or "ok",
            detail={"version": outcome.version, "outcome": verdict},
        )
        self.issuer.store.submit([Audit(event)]).result()

    def counted(self) -> list[dict[str, Any]]:
        """Decisions per rule and version, issued and refused (since this process began;
        the audit trail holds every one)."""
        with self._lock:
            items = sorted(self.counts.items())
        return [
            {"rule": rule, "version": version, "outcome": verdict, "count": count}
            for (rule, version, verdict), count in items
        ]


def _refused(version: RuleVersion, now: int, error: Error) -> Decision:
    """A decision refused before any check ran (the rule withdrawn, a malformed answer)."""
    assert version.policy is not None
    outcomes = [Outcome("rule", "The rule is in force", FAILED, "issuance rule", error.code,
                        error.message)]  # fmt: skip
    outcomes += [Outcome(s.name, s.title, SKIPPED, s.spec) for s in STEPS]
    return Decision(
        eligible=False,
        policy=version.name,
        purpose=version.policy.purpose,
        decided_at=now,
        outcomes=tuple(outcomes),
    )
