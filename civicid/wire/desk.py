"""The verifier's desk API (its page's JSON, ``verifier … --json``): policies, the requests a
desk starts and the decisions it makes, snake_case on the wire like OpenID4VP. Claim names
only: a decision never carries a claim value."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import ConfigDict, Field

from civicid.wire.base import Snake, Time, optional

# A policy's name as its file names it (verifier.policy).
MAX_POLICY_CHARS: Final = 64


class PolicyView(Snake):
    name: str
    title: str
    purpose: str
    credential_types: list[str]
    issuers: list[str] | str  # the DIDs, or "any accredited issuer"
    required_claims: list[str]
    optional_claims: list[str]
    predicates: list[dict[str, Any]]
    max_credential_age_seconds: int | None
    allow_suspended: bool
    require_status: bool
    max_ledger_age_seconds: int | None


class NewRequest(Snake):
    """``POST /requests``: start a request for one of the desk's policies."""

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(min_length=1, max_length=MAX_POLICY_CHARS)


class Created(Snake):
    """A request started: the link (and its QR code) a wallet opens, where to follow it."""

    id: str
    transaction_id: str
    policy: str
    title: str
    purpose: str
    link: str
    request_uri: str
    expires_at: Time
    qr: str
    status_url: str


class Step(Snake):
    """One check of a decision: passed, failed (with its code) or skipped."""

    step: str
    title: str
    status: str
    spec: str
    code: str | None = optional()
    detail: str | None = optional()


class DecisionView(Snake):
    decision: Literal["eligible", "not_eligible"]
    eligible: bool
    policy: str
    purpose: str
    decided_at: Time
    failed_step: str | None
    code: str | None
    reason: str | None
    vct: str | None
    issuer: str | None
    received_claims: list[str]
    checkpoint_size: int | None
    offline: bool
    steps: list[Step]


class Transaction(Snake):
    """What the desk's page polls: the request's status and, once made, its decision."""

    status: Literal["waiting", "fetched", "checking", "decided", "expired"]
    policy: str
    title: str
    expires_at: Time
    decision: DecisionView | None


class Answered(Snake):
    """OpenID4VP §8.2: the desk's answer to the wallet's ``direct_post``, the decision and
    the signed receipt."""

    decision: Literal["eligible", "not_eligible"]
    receipt: str
