"""Every check asks the ledger as of the check's own time, never the trust package's clock:
a check of an hour ago (a decision replayed, an offline desk) is judged then, throughout."""

from __future__ import annotations

from civicid.eligibility.checks import check_presentation
from civicid.trust import Trust
from tests.verifier.attacks import fresh
from tests.verifier.world import World
from verifier.service import Verifier


def never() -> int:
    raise AssertionError("a check asked the ledger as of the clock, not of its own time")


def test_every_step_asks_the_ledger_at_the_time_given(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential())
    decision = check_presentation(
        presentation,
        policy=verifier.policy("housing-benefit"),
        nonce=nonce,
        client_id=verifier.client_id,
        trust=Trust(verifier.trust.client, clock=never),
        now=verifier.clock(),
    )
    assert decision.eligible, decision.to_text()
    assert {o.status for o in decision.outcomes} == {"passed"}
