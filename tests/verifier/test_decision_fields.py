"""Every field of a decision as the checks' pipeline fills it: each step's outcome (name,
title, rule, status, code, detail) in the order of ``STEPS``, the steps after a failure
skipped as they are, and what the decision says beside its verdict (policy, purpose, time,
type, issuer, claims received, checkpoint, offline, redemption), for a pass, a refusal by a
step's own code and a step that breaks."""

from __future__ import annotations

import pytest

from tests.verifier.attacks import fresh
from tests.verifier.world import NATIONAL_ID, REVOKED, World
from verifier import checks
from verifier.checks import STEPS, Run
from verifier.decision import FAILED, PASSED, SKIPPED, Decision
from verifier.service import Verifier

POLICY = "housing-benefit"


def check(verifier: Verifier, presentation: str, nonce: str) -> Decision:
    return verifier.check(presentation, policy=verifier.policy(POLICY), nonce=nonce)


def assert_shape(decision: Decision, failed_at: int | None) -> None:
    """The outcomes name every step of ``STEPS`` in order, with its title and rule: passed
    before ``failed_at``, failed there, skipped after (no code, no detail)."""
    assert [o.step for o in decision.outcomes] == [s.name for s in STEPS]
    assert [o.title for o in decision.outcomes] == [s.title for s in STEPS]
    assert [o.spec for o in decision.outcomes] == [s.spec for s in STEPS]
    end = len(STEPS) if failed_at is None else failed_at
    assert all(o.status == PASSED and o.code is None for o in decision.outcomes[:end])
    if failed_at is not None:
        assert decision.outcomes[failed_at].status == FAILED
        for skipped in decision.outcomes[failed_at + 1 :]:
            assert (skipped.status, skipped.code, skipped.detail) == (SKIPPED, None, "")


def test_a_pass_fills_every_field(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential())
    decision = check(verifier, presentation, nonce)
    assert_shape(decision, None)
    policy = verifier.policy(POLICY)
    assert decision.eligible and decision.failed is None
    assert (decision.policy, decision.purpose) == (policy.name, policy.purpose)
    assert decision.decided_at == verifier.clock()
    assert (decision.vct, decision.issuer) == (NATIONAL_ID, world.agency.did)
    assert (decision.received, decision.over_disclosed) == (("age_equal_or_over.18", "resident"), 0)
    assert decision.checkpoint_size == world.ledger.size
    assert decision.offline is False
    assert decision.redeem is None  # not a single-use type


def test_a_refusal_names_its_step_code_and_message_and_skips_the_rest(
    world: World, verifier: Verifier
) -> None:
    presentation, nonce = fresh(world, verifier, world.credential(index=REVOKED))
    decision = check(verifier, presentation, nonce)
    at = [s.name for s in STEPS].index("status")
    assert_shape(decision, at)
    failed = decision.outcomes[at]
    assert (failed.code, failed.detail) == ("status_revoked", "the issuer revoked this credential")
    assert not decision.eligible and decision.redeem is None
    assert (decision.vct, decision.issuer) == (NATIONAL_ID, world.agency.did)
    assert decision.purpose == verifier.policy(POLICY).purpose
    assert decision.checkpoint_size == world.ledger.size and decision.offline is False


def test_a_step_that_breaks_is_refused_in_its_place(
    world: World, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(run: Run) -> str:
        raise KeyError("a bug")

    monkeypatch.setitem(checks.RUNNERS, "issuer", broken)
    presentation, nonce = fresh(world, verifier, world.credential())
    decision = check(verifier, presentation, nonce)
    at = [s.name for s in STEPS].index("issuer")
    assert_shape(decision, at)
    failed = decision.outcomes[at]
    assert (failed.code, failed.detail) == ("internal_error", "KeyError in step issuer")
    assert not decision.eligible
    assert (decision.vct, decision.issuer, decision.received) == (None, None, ())
