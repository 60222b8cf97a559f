"""A single-use credential's redemptions are asked of the ledger as of the check's own time,
never the trust package's clock, like every other step."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from civicid.eligibility.checks import check_presentation
from civicid.trust import Trust
from tests.rules.desks import desk_root, open_at
from tests.rules.world import VOUCHER_POLICY, add_types, present_voucher, voucher
from tests.verifier.world import Clock, World
from verifier.service import Verifier


def never() -> int:
    raise AssertionError("a check asked the ledger as of the clock, not of its own time")


@pytest.fixture
def desk(world: World, http: httpx.BaseTransport, desk_clock: Clock) -> Iterator[Verifier]:
    add_types(world)
    opened = open_at(desk_root(world, world.desk, "desk"), http, desk_clock)
    yield opened
    opened.close()


def test_a_vouchers_redemptions_are_asked_at_the_time_given(world: World, desk: Verifier) -> None:
    nonce = "t" * 24
    presentation = present_voucher(
        world, voucher(world), nonce=nonce, aud=desk.client_id, iat=desk.clock()
    )
    decision = check_presentation(
        presentation,
        policy=desk.policy(VOUCHER_POLICY),
        nonce=nonce,
        client_id=desk.client_id,
        trust=Trust(desk.trust.client, clock=never),
        now=desk.clock(),
    )
    assert decision.eligible, decision.to_text()
    [entitlement] = [o for o in decision.outcomes if o.step == "entitlement"]
    assert entitlement.status == "passed" and "not redeemed" in (entitlement.detail or "")
