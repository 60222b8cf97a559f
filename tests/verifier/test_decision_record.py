"""What a decision records beside its verdict: the checkpoint its ledger data was proven
against, and a bug in a step failing closed as internal_error, never passing."""

from __future__ import annotations

import pytest

from tests.verifier.attacks import fresh, passes
from tests.verifier.world import World
from verifier import checks
from verifier.checks import Run, asked_and_extra
from verifier.policy import Policy
from verifier.service import Verifier


def test_a_decision_names_the_checkpoint_it_relied_on(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential())
    decision = passes(verifier, presentation, nonce=nonce)
    assert decision.checkpoint_size == world.ledger.size > 0


def test_a_step_that_breaks_fails_closed(
    world: World, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(run: Run) -> str:
        raise ValueError("a bug")

    monkeypatch.setitem(checks.RUNNERS, "issuer", broken)
    presentation, nonce = fresh(world, verifier, world.credential())
    decision = verifier.check(presentation, policy=verifier.policy("housing-benefit"), nonce=nonce)
    assert not decision.eligible
    assert decision.code == "internal_error"
    assert decision.failed is not None and decision.failed.step == "issuer"


def test_a_claim_not_received_does_not_hide_those_after_it() -> None:
    policy = Policy(
        name="p",
        title="P",
        purpose="a test",
        credential_types=("t",),
        issuers=None,
        required_claims=("given_name",),
        optional_claims=("family_name", "resident"),
    )
    claims = {"given_name": "Ada", "resident": True, "nickname": "A"}
    disclosed = (("given_name",), ("resident",), ("nickname",))
    assert asked_and_extra(policy, claims, disclosed) == (("given_name", "resident"), 1)
