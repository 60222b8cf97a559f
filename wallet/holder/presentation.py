"""The OpenID4VP 1.0 client: fetch and check a desk's signed request, match it against what
the wallet holds, say per claim whether the ledger lets this desk ask for it, and — once the
citizen has reviewed the plan — present with key binding and keep the desk's receipt.

``prepare`` returns a ``Plan`` and sends nothing; ``present`` sends exactly what the plan
shows minus what the citizen left out. A claim the desk is not accredited for is never sent
unless named in ``unsafe_send_unaccredited``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

from civicid import sdjwt
from civicid.dcql import (
    ClaimPath,
    CredentialQuery,
    DcqlQuery,
    Held,
    claim_name_or_repr,
    match,
    select,
)
from civicid.did import split_key_id
from civicid.eligibility.decision import DEFAULT_PLAIN, plain
from civicid.errors import CODE_PATTERN, Error
from civicid.jose import PublicKey
from civicid.names import endorsed_names
from civicid.oid4vp import (
    NOT_ELIGIBLE,
    SD_JWT_VC_FORMATS,
    AuthorizationRequest,
    AuthorizationResponse,
    KeyResolver,
    Receipt,
    RequestLink,
    parse_link,
    verify_receipt,
    verify_request_object,
)
from civicid.trust import ANY_AGE, DeskStanding, Trust
from civicid.wire.desk import Answered
from wallet.errors import (
    WALLET_CLAIM_IN_CLEAR,
    WALLET_CLAIM_NOT_ALLOWED,
    WALLET_CLAIM_REQUIRED,
    WALLET_CLIENT_ID_MISMATCH,
    WALLET_CREDENTIAL_EXPIRED,
    WALLET_CREDENTIAL_REVOKED,
    WALLET_CREDENTIAL_SUSPENDED,
    WALLET_NO_MATCH,
    WALLET_OMIT_UNKNOWN,
    WALLET_PRESENTATION_FAILED,
)
from wallet.holder import status
from wallet.holder.credentials import EXPIRED, REVOKED, SUSPENDED, Credential, new_id
from wallet.holder.history import Presentation
from wallet.holder.intake import display_name_in
from wallet.holder.links import REQUEST, wrong_link

if TYPE_CHECKING:
    from wallet.holder.holding import Holding

REQUIRED: Final = "required"
OPTIONAL: Final = "optional"
REQUEST_MEDIA: Final = "application/oauth-authz-req+jwt"  # RFC 9101 §10.2
# DID documents list every key under authentication; a desk signs its requests with one.
DESK_KEY_RELATIONSHIP: Final = "authentication"
FORMAT: Final = next(iter(SD_JWT_VC_FORMATS))
# The longest failing step's code a receipt's words name (codes are short snake_case).
MAX_STEP_CHARS: Final = 64
# OpenID4VP §8.5: the error a wallet answers with when it sends nothing, whether the citizen
# declined or no card answers: the same to the desk, which learns no more than "no answer".
ACCESS_DENIED: Final = "access_denied"
# A card in one of these states is never shown to a desk: the desk would refuse it, and the
# citizen should hear why from the wallet, not "no credential answers".
BLOCKED: Final = {
    REVOKED: (WALLET_CREDENTIAL_REVOKED, "was revoked by its issuer"),
    SUSPENDED: (WALLET_CREDENTIAL_SUSPENDED, "is suspended by its issuer"),
    EXPIRED: (WALLET_CREDENTIAL_EXPIRED, "has expired"),
}


@dataclass(frozen=True, slots=True)
class ClaimChoice:
    """One requested claim of one candidate credential, as the citizen sees it."""

    path: ClaimPath
    name: str  # the claim name accreditations use, e.g. "address.locality"
    label: str
    value: Any
    requirement: str  # REQUIRED or OPTIONAL
    allowed: bool  # the ledger lets this desk ask for it
    disclosable: bool  # False: in clear in the credential, the desk sees it whatever is chosen


@dataclass(frozen=True, slots=True)
class Option:
    """A held credential that answers a credential query."""

    credential: Credential
    claims: tuple[ClaimChoice, ...]
    always_shared: tuple[str, ...]  # claims in clear the desk sees although not asked for
    accreditation: str | None  # the desk's accreditation for this credential type
    accreditation_purpose: str | None
    legal_basis: str | None
    refusal: str | None  # why the ledger says no (e.g. verifier_claims_not_allowed)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    query: CredentialQuery
    options: tuple[Option, ...]  # best first


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked request and what answering it would send: for the citizen to review."""

    link: str
    request: AuthorizationRequest
    queries: tuple[QueryPlan, ...]
    prepared_at: int
    # The desk's names as it registered them on the ledger (language tag -> name), and the
    # one shown in the wallet's languages (None: it registered none, show its DID).
    verifier_names: dict[str, str] = field(default_factory=dict)
    verifier_name: str | None = None

    @property
    def verifier(self) -> str:
        return self.request.did

    @property
    def purpose(self) -> str:
        return self.request.purpose

    def not_allowed(self) -> list[str]:
        return [c.name for q in self.queries for c in q.options[0].claims if not c.allowed]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened: the history entry kept, and the desk's verified receipt."""

    entry: Presentation
    receipt: Receipt | None
    sent: dict[str, list[str]] = field(default_factory=dict)  # query id -> claim names


def refusal(receipt: Receipt | None) -> str:
    """Why a desk's signed receipt says not eligible, as the desk's own page words its
    failing step, with the step's code, then which condition was not met (or which claim
    not shared) as the receipt says it: empty for an eligible one, or one that names no
    step. The step is the desk's text: worded only from a code this wallet declares, and
    shown as a code only when it is one; the condition is the desk's words, bounded by the
    receipt's model and shown inert by every front end."""
    if receipt is None or receipt.decision != NOT_ELIGIBLE or not receipt.failed_step:
        return ""
    step = receipt.failed_step
    if len(step) > MAX_STEP_CHARS or not CODE_PATTERN.fullmatch(step):
        return DEFAULT_PLAIN
    which = receipt.failed_condition
    return f"{plain(step)} [{step}]" + (f" {which.rstrip('.')}." if which else "")


def desk_key(trust: Trust, now: int) -> KeyResolver:
    """The desk's key for a request or receipt: ``kid`` resolved on the ledger, with proof."""

    def resolve(kid: str) -> PublicKey:
        return trust.key_in_force(kid, now, DESK_KEY_RELATIONSHIP, now=now)

    return resolve


def desks_key(wallet: Holding, now: int) -> KeyResolver:
    """As ``desk_key``, on the desk's own ledger: the wallet's, or a foreign one it pins
    (``wallet federate``), where the desk's key and accreditation are proven alike."""

    def resolve(kid: str) -> PublicKey:
        did, _ = split_key_id(kid)
        return desk_key(wallet.trust_for(did), now)(kid)

    return resolve


def blocked(credentials: Iterable[Credential], now: int, note: str) -> Error:
    """Why ``credentials`` (which would answer) cannot be shown: the code of the first, and
    every card named with its reason."""
    reasons = [(c, BLOCKED[c.status(now)]) for c in credentials if c.status(now) in BLOCKED]
    assert reasons
    named = "; ".join(f"your {c.title} ({c.id}) {why}" for c, (_, why) in reasons)
    which = "it cannot be shown" if len(reasons) == 1 else "none of them can be shown"
    return reasons[0][1][0](f"{named}: {which}; {note}")


def unanswered(
    query: DcqlQuery, everything: Iterable[Credential], now: int, asker: str, wanted: str
) -> Error:
    """Why no usable card answers ``query``: the held cards that would, were they not
    revoked, suspended or expired, each named with its reason (as a desk's or an agency's
    refusal would name it, only later); else ``wallet_no_match``."""
    unusable = [c for c in everything if c.status(now) in BLOCKED]
    would = match(query, [Held(c.id, FORMAT, c.vct, c.claims) for c in unusable])
    answering = {m.credential_id for q in would.candidates.values() for m in q}
    if answering:
        return blocked(
            [c for c in unusable if c.id in answering], now, f"nothing was sent to {asker}"
        )
    return WALLET_NO_MATCH(f"no credential in this wallet answers {wanted}")


def refreshed(wallet: Holding, only: Iterable[str] | None = None) -> list[Credential]:
    """The held credentials (or ``only`` these ids) with their status just read from the
    ledger; when the ledger cannot be asked, as last read (``checked_at`` says when)."""
    ids = None if only is None else set(only)
    try:
        return list(status.refresh(wallet, ids, keep_unchanged=False).credentials)
    except Error:
        return [c for c in wallet.credentials() if ids is None or c.id in ids]


def request_link(link: str) -> RequestLink:
    """The link's client_id and request_uri (§5.7), read without asking anyone: requests by
    value are refused."""
    if not link.strip().lower().startswith(f"{REQUEST}:"):
        raise wrong_link(link, REQUEST)
    return parse_link(link)


def prepare(wallet: Holding, link: str) -> Plan:
    """Steps before consent; nothing is sent to the desk but the request fetch."""
    now = wallet.clock()
    # 1. The link (§5.7).
    parsed = request_link(link)
    # 2a. Every card's status from the ledger first: a desk serves its request once, so
    #     when no card can be shown at all the request is left unfetched, for another wallet.
    everything = refreshed(wallet)
    if everything and all(c.status(now) in BLOCKED for c in everything):
        raise blocked(everything, now, "nothing was asked of the desk")
    # 2. The request object (§5.7), fetched from the desk.
    with wallet.http() as http:
        answer = http.get(parsed.request_uri, headers={"accept": REQUEST_MEDIA})
        answer.raise_for_error()
    # 3. Signed by a key of client_id's DID as the ledger has it now (§5.9.3).
    request = verify_request_object(answer.text, desks_key(wallet, now), now=now)
    if request.client_id != parsed.client_id:
        raise WALLET_CLIENT_ID_MISMATCH("the link and the signed request name different desks")
    # 4. DCQL (§6) against usable held credentials; if only unusable ones answer, say why.
    held = [c for c in everything if c.status(now) not in BLOCKED]
    by_id = {c.id: c for c in held}
    found = match(
        request.dcql_query,
        [Held(c.id, FORMAT, c.vct, c.claims) for c in held],
    )
    if not found.satisfied:
        wanted = ", ".join(found.missing) or "the request"
        # The desk's page waits for an answer: tell it none will come, as a decline does.
        decline(wallet, request)
        raise unanswered(request.dcql_query, everything, now, "the desk", wanted)
    # 5. Per claim: required or optional, and may this desk ask for it (from the ledger).
    queries = []
    trust_cache: dict[tuple[str, tuple[str, ...]], DeskStanding] = {}
    desk_trust = wallet.trust_for(request.did)  # the desk's ledger: home, or one pinned
    for query_id in found.selection:
        query = request.dcql_query.credential(query_id)
        options = tuple(
            plan_option(desk_trust, query, by_id[c.credential_id], request.did, now, trust_cache)
            for c in found.candidates[query_id]
        )
        # Fewest refused claims first, then the newest credential.
        ranked = sorted(
            options,
            key=lambda o: (sum(not c.allowed for c in o.claims), -o.credential.received_at),
        )
        queries.append(QueryPlan(query, tuple(ranked)))
    # Its first version never changes: the history just proven for its key will do.
    names = endorsed_names(desk_trust.history(request.did, now=now, max_age=ANY_AGE))
    return Plan(
        link,
        request,
        tuple(queries),
        now,
        verifier_names=names,
        verifier_name=display_name_in(names, wallet.languages),
    )


def decline(wallet: Holding, request: AuthorizationRequest) -> bool:
    """Tell the desk (or an agency asking by its rule, ``by_rule``) that nothing will be
    sent (OpenID4VP §8.5, ``access_denied`` to its response_uri), so that its page or its
    rule's desk stops waiting for the wallet. Whether the citizen said no or holds no card
    that answers, it is told the same. False when it could not be told (unreachable, or the
    request is over): nothing was sent all the same."""
    form = AuthorizationResponse(state=request.state, error=ACCESS_DENIED).to_form()
    try:
        with wallet.http() as http:
            answer = http.post(request.response_uri, data=form)
        answer.raise_for_error()
    except Error:
        return False
    return True


def satisfied_options(
    query: CredentialQuery, claims: dict[str, Any]
) -> list[tuple[ClaimPath, ...]]:
    """Every claim option (§6.4.1) the credential satisfies, most preferred first."""
    return [
        tuple(c.path for c in option)
        for option in query.claim_options()
        if all(c.matches(claims) for c in option)
    ]


def plan_option(
    trust: Trust,
    query: CredentialQuery,
    credential: Credential,
    desk: str,
    now: int,
    cache: dict[tuple[str, tuple[str, ...]], DeskStanding],
) -> Option:
    options = satisfied_options(query, credential.claims)
    preferred = options[0]
    required = set.intersection(*(set(o) for o in options)) if options else set()
    names = [claim_name_or_repr(p) for p in preferred]
    allowed, answer = accreditation(trust, desk, credential.vct, names, now, cache)
    choices = []
    for path, name in zip(preferred, names, strict=True):
        values = select(credential.claims, path)
        choices.append(
            ClaimChoice(
                path=path,
                name=name,
                label=credential.label(path),
                value=values[0] if len(values) == 1 else values,
                requirement=REQUIRED if path in required else OPTIONAL,
                allowed=name in allowed,
                disclosable=credential.is_disclosable(path),
            )
        )
    asked = {p[0] for p in preferred}
    # A claim with no Disclosure of its own or beneath it is in clear in the issuer JWT: the
    # desk sees it whatever is chosen (a container of disclosable members shows no values).
    always = tuple(
        name
        for name in credential.claims
        if name not in asked and not any(p[:1] == (name,) for p in credential.disclosable)
    )
    # The grant that lets the desk ask (all of it, else the first covering part of the ask).
    grant = next(
        (g for g in answer.grants if g.id == answer.standing.accreditation),
        next((g for g in answer.grants if allowed & g.claims_for(credential.vct)), None),
    )
    refused = [c.name for c in choices if not c.allowed]
    return Option(
        credential=credential,
        claims=tuple(choices),
        always_shared=always,
        accreditation=grant.id if grant is not None else None,
        accreditation_purpose=grant.purpose if grant is not None else None,
        legal_basis=grant.legal_basis if grant is not None else None,
        refusal=(answer.standing.reason or "verifier_claims_not_allowed") if refused else None,
    )


def accreditation(
    trust: Trust,
    desk: str,
    vct: str,
    names: list[str],
    now: int,
    cache: dict[tuple[str, tuple[str, ...]], DeskStanding],
) -> tuple[set[str], DeskStanding]:
    """The claims among ``names`` the desk may ask for now, from its proven grants on the
    ledger (one question per type and ask in a plan)."""
    key = (vct, tuple(names))
    if key not in cache:
        cache[key] = trust.desk_standing(desk, vct, tuple(names), now, now=now)
    answer = cache[key]
    return {name for name in names if name in answer.allowed}, answer


def present(
    wallet: Holding,
    plan: Plan,
    *,
    omit: Iterable[str] = (),
    choose: dict[str, str] | None = None,
    unsafe_send_unaccredited: Iterable[str] = (),
) -> Outcome:
    """Send the plan's claims minus ``omit`` (claim names), each query answered by the
    chosen credential (``choose``: query id -> credential id; default the first option)."""
    omitted, overridden = set(omit), set(unsafe_send_unaccredited)
    asked = {c.name for q in plan.queries for o in q.options for c in o.claims}
    unknown = sorted((omitted | overridden) - asked)
    if unknown:
        raise WALLET_OMIT_UNKNOWN(f"the desk does not ask for {', '.join(unknown)}")
    request, now = plan.request, wallet.clock()
    shown = wallet.shown()
    vp_token: dict[str, list[str]] = {}
    sent: dict[str, list[str]] = {}
    entries = []
    for query_plan in plan.queries:
        query = query_plan.query
        option = pick(query_plan, (choose or {}).get(query.id))
        # 1. What goes: every requested claim the citizen did not leave out.
        for choice in option.claims:
            if choice.name not in omitted:
                continue
            if choice.requirement == REQUIRED:
                raise WALLET_CLAIM_REQUIRED(f"{choice.label} is required by the desk")
            if not choice.disclosable:
                raise WALLET_CLAIM_IN_CLEAR(f"{choice.label} cannot be withheld from this card")
        keep = [c for c in option.claims if c.name not in omitted]
        paths = {c.path for c in keep}
        if not any(set(o) <= paths for o in satisfied_options(query, option.credential.claims)):
            raise WALLET_CLAIM_REQUIRED("what is left no longer answers the desk's request")
        # 2. Never a claim the ledger does not let this desk ask for, unless overridden.
        refused = [c for c in keep if not c.allowed and c.name not in overridden]
        if refused:
            raise WALLET_CLAIM_NOT_ALLOWED(
                f"{plan.verifier} is not accredited for "
                + ", ".join(c.name for c in refused)
                + " (not sent; leave it out, or override knowingly)"
            )
        # 3. The card's status again, just before it goes (consent takes time); then a copy
        #    this desk has not seen, with its own key; KB-JWT for this request.
        [card] = refreshed(wallet, [option.credential.id]) or [option.credential]
        if card.status(wallet.clock()) in BLOCKED:
            raise blocked([card], wallet.clock(), "nothing was sent to the desk")
        copy, fresh = card.choose_copy(plan.verifier, shown)
        vp_token[query.id] = [
            sdjwt.present(
                copy.sd_jwt,
                disclose=[c.path for c in keep],
                holder_key=copy.holder_key(),
                nonce=request.nonce,
                aud=request.client_id,
                iat=now,
            )
        ]
        sent[query.id] = [c.name for c in keep]
        entries.append(
            Presentation(
                id=new_id(),
                at=now,
                verifier=plan.verifier,
                client_id=request.client_id,
                verifier_name=plan.verifier_name,
                purpose=request.purpose,
                accreditation=option.accreditation,
                credential_id=option.credential.id,
                copy_id=copy.id,
                vct=option.credential.vct,
                disclosed=tuple(sent[query.id]),
                withheld=tuple(c.name for c in option.claims if c not in keep),
                unaccredited=tuple(c.name for c in keep if not c.allowed),
                fresh_copy=fresh,
            )
        )
    # 4. direct_post (§8.2) and the desk's receipt, checked against its DID on the ledger.
    form = AuthorizationResponse(state=request.state, vp_token=vp_token).to_form()
    receipt: Receipt | None = None
    token: str | None = None
    failure: Error | None = None
    try:
        with wallet.http() as http:
            answer = http.post(request.response_uri, data=form)
        answer.raise_for_error()
        # §8.2's answer as the desk's API declares it: the decision and the signed receipt.
        answered = Answered.from_json(answer.json_object(), error=WALLET_PRESENTATION_FAILED)
        token = answered.receipt
        receipt = verify_receipt(
            token,
            desks_key(wallet, wallet.clock()),
            nonce=request.nonce,
            client_id=request.client_id,
        )
        if answered.decision != receipt.decision:
            raise WALLET_PRESENTATION_FAILED(
                f"the desk answered {answered.decision} but its signed receipt says "
                f"{receipt.decision}"
            )
    except Error as exc:
        failure = exc
    # 5. History, whatever happened once the presentation left: the citizen should know.
    kept = []
    for entry in entries:
        kept_entry = replace(
            entry,
            decision=receipt.decision if receipt is not None else None,
            receipt=token if receipt is not None else None,
            receipt_claims=receipt,
            error=failure.code if failure is not None else None,
        )
        wallet.record(kept_entry)
        kept.append(kept_entry)
    if failure is not None:
        raise failure
    return Outcome(kept[0], receipt, sent)


def pick(query_plan: QueryPlan, credential_id: str | None) -> Option:
    if credential_id is None:
        return query_plan.options[0]
    for option in query_plan.options:
        if option.credential.id == credential_id or option.credential.id.startswith(credential_id):
            return option
    raise WALLET_NO_MATCH(f"credential {credential_id} does not answer {query_plan.query.id}")
