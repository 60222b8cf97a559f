"""A voucher whose entitlement step passed is still refused when a later step fails (the
claim the policy needs was not disclosed): the decision names nothing to redeem, so no
desk redeems a voucher it refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from civicid.eligibility.checks import check_presentation
from tests.rules.desks import desk_root, open_at
from tests.rules.world import VOUCHER_POLICY, add_types, voucher
from tests.verifier.world import Clock, World
from verifier.service import Verifier


@pytest.fixture
def desk(world: World, http: httpx.BaseTransport, desk_clock: Clock) -> Iterator[Verifier]:
    add_types(world)
    opened = open_at(desk_root(world, world.desk, "desk"), http, desk_clock)
    yield opened
    opened.close()


@pytest.mark.parametrize("disclose, eligible", [([("programme",)], True), ([], False)])
def test_only_an_eligible_decision_names_the_voucher_to_redeem(
    world: World, desk: Verifier, disclose: list[tuple[str, ...]], eligible: bool
) -> None:
    nonce = "r" * 24
    presentation = world.present(
        voucher(world), nonce=nonce, aud=desk.client_id, disclose=disclose, iat=desk.clock()
    )
    decision = check_presentation(
        presentation,
        policy=desk.policy(VOUCHER_POLICY),
        nonce=nonce,
        client_id=desk.client_id,
        trust=desk.trust,
        now=desk.clock(),
    )
    steps = {o.step: o.status for o in decision.outcomes}
    assert steps["entitlement"] == "passed", decision.to_text()
    assert decision.eligible is eligible, decision.to_text()
    if eligible:
        assert decision.redeem is not None
    else:
        assert (decision.failed and decision.failed.step, decision.code) == (
            "claims",
            "claim_missing",
        )
        assert decision.redeem is None
