"""A step that breaks (a bug: any exception that is not one of our refusals) fails the
presentation closed, never open: the decision names the step and ``internal_error``, and
every later step is listed as skipped, as after any refusal."""

from __future__ import annotations

import pytest

from civicid.eligibility import checks
from civicid.eligibility.checks import STEPS, check_presentation
from tests.verifier.attacks import fresh
from tests.verifier.world import World
from verifier.service import Verifier


def broken(run: checks.Run) -> str:
    raise RuntimeError("a bug")


def decide(world: World, verifier: Verifier) -> checks.Decision:
    presentation, nonce = fresh(world, verifier, world.credential())
    return check_presentation(
        presentation,
        policy=verifier.policy("housing-benefit"),
        nonce=nonce,
        client_id=verifier.client_id,
        trust=verifier.trust,
        now=verifier.clock(),
    )


def test_a_step_that_breaks_fails_closed(
    world: World, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(checks.RUNNERS, "type", broken)
    decision = decide(world, verifier)
    assert not decision.eligible
    expected = [(s.name, s.title, s.spec) for s in STEPS]
    assert [(o.step, o.title, o.spec) for o in decision.outcomes] == expected
    statuses = [o.status for o in decision.outcomes]
    at = [s.name for s in STEPS].index("type")
    assert statuses == ["passed"] * at + ["failed"] + ["skipped"] * (len(STEPS) - at - 1)
    failed = decision.outcomes[at]
    assert (failed.code, failed.detail) == ("internal_error", "RuntimeError in step type")


def test_after_a_refusal_every_later_step_is_listed_skipped(
    world: World, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuses(run: checks.Run) -> str:
        from civicid.eligibility.errors import VCT_UNKNOWN

        raise VCT_UNKNOWN("not registered")

    monkeypatch.setitem(checks.RUNNERS, "type", refuses)
    decision = decide(world, verifier)
    assert not decision.eligible
    assert [(o.step, o.title, o.spec) for o in decision.outcomes] == [
        (s.name, s.title, s.spec) for s in STEPS
    ]
    at = [s.name for s in STEPS].index("type")
    assert [o.status for o in decision.outcomes][at:] == ["failed"] + ["skipped"] * (
        len(STEPS) - at - 1
    )
    assert decision.outcomes[at].code == "vct_unknown"
