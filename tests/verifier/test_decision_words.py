"""What ``civicid verifier request`` and ``check`` print says what the desk's page says:
claims in words ("Resident, Age 18 or over", in the order the policy asks for them), the
policy's conditions as "Resident must be yes", and " — " between a step's title and its detail.
A policy this desk's files do not hold leaves the conditions as sent."""

from __future__ import annotations

from typing import Any

from tests.verifier.world import EXAMPLES
from verifier.decision_text import text_of
from verifier.policy import load_policy

POLICY = load_policy(EXAMPLES / "housing-benefit.toml")
NOT_RESIDENT: dict[str, Any] = {
    "eligible": False,
    "policy": "housing-benefit",
    "decided_at": "2026-12-07T12:00:00Z",
    "reason": "a condition of the policy is not met",
    "code": "predicate_failed",
    "vct": "https://civicid.example/vct/national-id",
    "issuer": "did:civicid:agency",
    "received_claims": ["age_equal_or_over.18", "resident"],
    "offline": False,
    "steps": [
        {"step": "structure", "title": "Size, nesting and SD-JWT structure",
         "status": "passed", "detail": "3 disclosures"},
        {"step": "claims", "title": "Required claims disclosed", "status": "passed",
         "detail": "resident, age_equal_or_over.18"},
        {"step": "predicates", "title": "Policy conditions met", "status": "failed",
         "code": "predicate_failed", "detail": "not met: resident: yes"},
        {"step": "status", "title": "Not revoked or suspended", "status": "skipped"},
    ],
}  # fmt: skip


def test_a_refusal_reads_as_the_desks_page_says_it() -> None:
    lines = text_of(NOT_RESIDENT, POLICY).splitlines()
    assert lines == [
        "NOT ELIGIBLE for housing-benefit (2026-12-07T12:00:00Z)",
        "  a condition of the policy is not met [predicate_failed]",
        "  credential https://civicid.example/vct/national-id from did:civicid:agency",
        "  claims received: Resident, Age 18 or over",
        "  ✓ Size, nesting and SD-JWT structure — 3 disclosures",
        "  ✓ Required claims disclosed — Resident, Age 18 or over",
        "  ✗ Policy conditions met [predicate_failed] — not met: Resident must be yes",
        "  · Not revoked or suspended",
    ]


def test_a_claim_not_shared_is_named_in_words() -> None:
    missing = {
        **NOT_RESIDENT,
        "received_claims": [],
        "steps": [
            {"step": "claims", "title": "Required claims disclosed", "status": "failed",
             "code": "claim_missing", "detail": "age_equal_or_over.18 was not disclosed"},
        ],
    }  # fmt: skip
    assert text_of(missing, POLICY).splitlines()[-1] == (
        "  ✗ Required claims disclosed [claim_missing] — Age 18 or over was not shared"
    )


def test_without_the_policy_conditions_are_left_as_sent() -> None:
    lines = text_of(NOT_RESIDENT).splitlines()
    assert "  claims received: Age 18 or over, Resident" in lines
    assert "  ✗ Policy conditions met [predicate_failed] — not met: resident: yes" in lines


def test_a_wallet_that_sent_nothing_is_no_decision_on_the_citizen() -> None:
    declined = {
        **NOT_RESIDENT,
        "reason": "the wallet answered access_denied",
        "code": "response_error",
        "vct": None,
        "issuer": None,
        "received_claims": [],
        "steps": [],
    }
    lines = text_of(declined, POLICY).splitlines()
    assert lines[0] == "NOTHING SHARED for housing-benefit (2026-12-07T12:00:00Z)"
    assert lines[1] == "  the wallet answered access_denied [response_error]"
