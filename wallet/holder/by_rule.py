"""Asking an agency for a credential it issues by rule (``issuer/by_rule.py``): the agency's
signed OpenID4VP request is checked against its rule on the ledger (in force, the agency's,
asking for exactly what the rule's policy asks: an agency cannot fish for more than its public
rule), the wallet presents what the rule needs, and either receives the credential at once
through the credential offer the agency answers with, or learns which condition failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from civicid import sdjwt
from civicid.dcql import ClaimPath, Held, claim_name_or_repr, match, select
from civicid.errors import Error
from civicid.issuance_rules import RuleVersion
from civicid.names import endorsed_names
from civicid.oid4vp import AuthorizationRequest, AuthorizationResponse, verify_request_object
from civicid.policy import today_of
from civicid.trust import ANY_AGE, Trust
from wallet.errors import WALLET_PRESENTATION_FAILED, WALLET_RULE_MISMATCH
from wallet.holder import issuance
from wallet.holder.credentials import Credential, new_id
from wallet.holder.history import ISSUED, NOT_ISSUED, Presentation
from wallet.holder.intake import display_name_in
from wallet.holder.presentation import (
    BLOCKED,
    FORMAT,
    decline,
    desk_key,
    refreshed,
    satisfied_options,
    unanswered,
)

if TYPE_CHECKING:
    from wallet.holder.holding import Holding

# A rule name as the ledger allows it (civicid.policy.NAME_PATTERN): checked by the agency.
RULES_PATH: Final = "/rules/{rule}/requests"


@dataclass(frozen=True, slots=True)
class Applied:
    """What came of asking: the credentials issued, or the failed condition in plain words
    (``condition``: which of the rule's conditions was not met, or which claim was not
    shared, as a person reads it; None where the refusal names none, e.g. a withdrawn rule)."""

    rule: str
    version: int
    issued: tuple[Credential, ...]
    code: str | None = None
    reason: str | None = None
    failed_step: str | None = None
    condition: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "version": self.version,
            "issued": [c.id for c in self.issued],
            "code": self.code,
            "reason": self.reason,
            "failed_step": self.failed_step,
            "condition": self.condition,
        }


def refused(version: RuleVersion, decision: dict[str, Any]) -> Applied:
    """The agency's refusal (its ``direct_post`` answer), with the failed condition named
    from the rule as the ledger has it: the agency's answer only points at it."""
    step, detail = decision.get("failed_step"), decision.get("detail")
    code, reason = decision.get("code"), decision.get("reason")
    return Applied(
        version.name,
        version.version,
        (),
        code if isinstance(code, str) else None,
        reason if isinstance(reason, str) else None,
        step if isinstance(step, str) else None,
        failed_condition(version, step, detail),
    )


def failed_condition(version: RuleVersion, step: Any, detail: Any) -> str | None:
    """Which of the rule's conditions the agency found not met, or which claim was not
    shared, in people words (``Policy.failure_in_words``); None if it names neither."""
    if version.policy is None or not isinstance(detail, str) or not isinstance(step, str):
        return None
    return version.policy.failure_in_words(step, detail)


def check_request(trust: Trust, request: AuthorizationRequest, rule: str, now: int) -> RuleVersion:
    """The rule ``request`` says it comes from, as the ledger has it now (proven), and the
    request asks exactly what the rule's policy asks (``wallet_rule_mismatch``)."""
    version = trust.issuance_rule(request.did, rule, now, now=now)
    assert version.policy is not None
    if request.dcql_query.to_json() != version.policy.dcql().to_json() or request.policy != rule:
        raise WALLET_RULE_MISMATCH(
            f"the request is not the one rule {rule} v{version.version} makes"
        )
    return version


@dataclass(frozen=True, slots=True)
class RulePlan:
    """An agency's request by its rule, checked on the ledger, and what would answer it, before
    anything is sent: what the citizen is asked to agree to (``send``)."""

    request: AuthorizationRequest
    version: RuleVersion
    agency_name: str | None  # as governance endorsed it
    card: Credential
    query_id: str
    paths: tuple[ClaimPath, ...]
    # The rule's condition the card does not meet, in people words ("Not met: Age 65 or
    # over"), read from the rule on the ledger: nothing is sent to learn it. None: met.
    unmet: str | None

    @property
    def asked(self) -> tuple[str, ...]:
        """The claims that would be shared, by name ("given_name", "age_equal_or_over.65")."""
        return tuple(claim_name_or_repr(p) for p in self.paths)

    def to_json(self) -> dict[str, Any]:
        """What the text form shows before asking, for scripts: who asks, by which rule and
        why, which card's claims would go, and a condition the card does not meet."""
        return {
            "agency": self.agency_name,
            "agency_did": self.request.did,
            "rule": self.version.name,
            "version": self.version.version,
            "purpose": self.request.purpose,
            "card": {"id": self.card.id, "title": self.card.title, "vct": self.card.vct},
            "claims": list(self.asked),
            "unmet": self.unmet,
        }


def apply(wallet: Holding, issuer_url: str, rule: str) -> Applied:
    """Ask ``issuer_url``'s agency for the credential its rule ``rule`` issues."""
    return send(wallet, prepare(wallet, issuer_url, rule))


def prepare(wallet: Holding, issuer_url: str, rule: str) -> RulePlan:
    """Fetch and check ``issuer_url``'s request by its rule ``rule``, and choose the card and
    claims that answer it; nothing is sent yet."""
    now = wallet.clock()
    # 1. The agency's OpenID4VP request, signed by a key its DID holds on the ledger now.
    with wallet.http() as http:
        answer = http.post(issuer_url.rstrip("/") + RULES_PATH.format(rule=rule))
        answer.raise_for_error()
        asked = answer.json_object()
    request = verify_request_object(str(asked.get("request")), desk_key(wallet.trust, now), now=now)
    # 2. Its rule on the ledger, proven: in force now, and asking exactly what it asks.
    version = check_request(wallet.trust, request, rule, now)
    # The agency's name as governance endorsed it, for the history (its DID alone there).
    names = endorsed_names(wallet.trust.history(request.did, now=now, max_age=ANY_AGE))
    # 3. A held credential that answers, with the claims the rule needs (no more).
    #    A card that would answer but is revoked, suspended or expired is named, not "none".
    everything = refreshed(wallet)
    held = [c for c in everything if c.status(now) not in BLOCKED]
    found = match(request.dcql_query, [Held(c.id, FORMAT, c.vct, c.claims) for c in held])
    if not found.satisfied:
        # The agency's request waits for an answer: tell it none will come, as a desk's is.
        decline(wallet, request)
        raise unanswered(request.dcql_query, everything, now, "the agency", f"rule {rule}")
    [query_id] = list(found.selection)
    query = request.dcql_query.credential(query_id)
    answering = [c for c in held if c.id in {m.credential_id for m in found.candidates[query_id]}]
    card = best_card(answering, version, now)
    paths = satisfied_options(query, card.claims)[0]
    name = display_name_in(names, wallet.languages)
    return RulePlan(request, version, name, card, query_id, tuple(paths), unmet(card, version, now))


def send(wallet: Holding, plan: RulePlan) -> Applied:
    """Present what ``plan`` shows to its agency (OpenID4VP ``direct_post``), and receive
    what it issues at once, or learn which condition failed."""
    now = wallet.clock()
    request, version, card, paths = plan.request, plan.version, plan.card, plan.paths
    rule, query_id = version.name, plan.query_id
    copy, fresh = card.choose_copy(request.did, wallet.shown())
    presented = sdjwt.present(
        copy.sd_jwt,
        disclose=list(paths),
        holder_key=copy.holder_key(),
        nonce=request.nonce,
        aud=request.client_id,
        iat=now,
    )
    # 4. direct_post (OpenID4VP §8.2); the agency answers with its decision.
    form = AuthorizationResponse(state=request.state, vp_token={query_id: [presented]}).to_form()
    failure: Error | None = None
    decision: dict[str, Any] = {}
    try:
        with wallet.http() as http:
            posted = http.post(request.response_uri, data=form)
            posted.raise_for_error()
            decision = posted.json_object()
    except Error as exc:
        failure = exc
    wallet.record(
        Presentation(
            id=new_id(),
            at=now,
            verifier=request.did,
            client_id=request.client_id,
            verifier_name=plan.agency_name,
            credential_id=card.id,
            copy_id=copy.id,
            vct=card.vct,
            disclosed=tuple(claim_name_or_repr(p) for p in paths),
            purpose=request.purpose,
            decision=ISSUED if decision.get("issued") else NOT_ISSUED,
            fresh_copy=fresh,
            error=failure.code if failure is not None else None,
        )
    )
    if failure is not None:
        raise failure
    redirect = decision.get("redirect_uri")
    if not decision.get("issued") or not isinstance(redirect, str):
        return refused(version, decision)
    # 5. The credential offer the agency answered with: checked as any offer is, then held
    #    to the rule (the agency's own, of the type it issues) before its code is spent.
    kept_before = issuance.kept_uri(wallet, redirect)
    try:
        reviewed = issuance.review(wallet, redirect)
    except Error as exc:
        raise not_received(exc) from exc
    try:
        check_offer(reviewed, version)
    except Error:
        # Not the rule's offer: nothing the citizen asked for, so it is not kept (an offer by
        # reference is kept from its review on, to be redeemed later); one kept before, from
        # a link the citizen was given, stays.
        if reviewed.offer_uri is not None and kept_before is None:
            wallet.forget_offer(reviewed.offer_uri)
        raise
    try:
        issued = issuance.accept(wallet, reviewed, None)
    except Error as exc:
        raise not_received(exc) from exc
    return Applied(rule, version.version, tuple(issued))


def best_card(cards: list[Credential], version: RuleVersion, now: int) -> Credential:
    """Of the cards that answer the rule's request, one that meets its conditions (read here,
    from the rule on the ledger: nothing is sent to learn it), the newest first: a citizen
    holding two national IDs is issued the pass by the one that qualifies, whichever came
    first."""
    return sorted(cards, key=lambda c: (unmet(c, version, now) is not None, -c.received_at))[0]


def unmet(card: Credential, version: RuleVersion, now: int) -> str | None:
    """The first of the rule's conditions ``card`` does not meet, in people words (as the
    agency's refusal would be named); None if it meets them all."""
    assert version.policy is not None  # in force: a publish
    policy, today = version.policy, today_of(now)
    for predicate in policy.predicates:
        try:
            predicate.check(select(card.claims, predicate.path, checked=True), today)
        except Error as exc:
            return policy.failure_in_words("predicates", exc.message) or exc.message
    return None


def not_received(exc: Error) -> Error:
    return WALLET_PRESENTATION_FAILED(
        f"the rule held, but the credential could not be received: {exc.message}",
        reason=exc.code,
    )


def check_offer(reviewed: issuance.OfferReview, version: RuleVersion) -> None:
    """The offer an agency answers its rule with is for what the rule issues, from the rule's
    agency: the citizen asked for that and consented to nothing else (an offer of another
    agency's, or of another type, would be received without a word otherwise)."""
    other = sorted({o.vct for o in reviewed.offered} - {version.vct or ""})
    if reviewed.issuer_did != version.issuer or other or not reviewed.offered:
        raise WALLET_RULE_MISMATCH(
            f"rule {version.name} v{version.version} issues {version.vct} from "
            f"{version.issuer}; the agency answered with an offer of "
            f"{', '.join(other) or 'it'} from {reviewed.issuer_did}: nothing was received"
        )
