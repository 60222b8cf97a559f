"""An offline desk judges a voucher's redemptions by the policy's maximum age of ledger data,
like every other answer of its snapshot: a minute after it synced (the policy allows five)
the snapshot's redemptions still stand; past the policy's age the snapshot is refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from civicid.eligibility.decision import Decision
from tests.rules.desks import desk_root, open_at, open_offline, take_snapshot
from tests.rules.world import VOUCHER_POLICY, add_types, present_voucher, voucher
from tests.verifier.world import Clock, World
from verifier.service import Verifier

POLICY_MAX_AGE = 300  # tests/rules/world.py voucher_policy_text's default


@pytest.fixture
def desk(world: World, http: httpx.BaseTransport, desk_clock: Clock) -> Iterator[Verifier]:
    add_types(world)
    opened = open_at(desk_root(world, world.desk, "desk"), http, desk_clock)
    yield opened
    opened.close()


def check(desk: Verifier, credential: str, world: World, nonce: str) -> Decision:
    presentation = present_voucher(
        world, credential, nonce=nonce, aud=desk.client_id, iat=desk.clock()
    )
    return desk.check(presentation, policy=desk.policy(VOUCHER_POLICY), nonce=nonce)


@pytest.mark.parametrize(
    "after, step, code",
    [
        (60, "entitlement", "entitlement_already_redeemed"),
        (POLICY_MAX_AGE, "entitlement", "entitlement_already_redeemed"),
        (POLICY_MAX_AGE + 1, "issuer_key", "snapshot_stale"),
    ],
)
def test_redemptions_offline_stand_for_the_policys_age(
    world: World,
    desk: Verifier,
    http: httpx.BaseTransport,
    desk_clock: Clock,
    after: int,
    step: str,
    code: str,
) -> None:
    credential = voucher(world)
    assert check(desk, credential, world, "a" * 24).eligible  # redeemed online
    take_snapshot(world.root, desk, http)
    desk_clock.now += after
    offline = open_offline(world.root, desk_clock)
    try:
        decision = check(offline, credential, world, "b" * 24)
        failed = decision.failed
        assert decision.offline and failed is not None, decision.to_text()
        assert (failed.step, decision.code) == (step, code), decision.to_text()
    finally:
        offline.close()
