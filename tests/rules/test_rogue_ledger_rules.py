"""A rogue ledger (or a lying mirror) withholding a rule's withdrawal or update, or a
redemption, told with genuine entries, proofs and checkpoint: every client of the trust
package refuses it, so a withdrawn rule is never applied and a redeemed voucher never
accepted again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.entitlements import redeem_body
from civicid.errors import Error
from civicid.trust import Trust
from tests.rules.world import RULE, VOUCHER, add_types, publish_rule, trusting, withdraw_rule
from tests.trust.rogue import Rogue
from tests.verifier.world import LIST_URI, World


def newest_withheld(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
    """The newest entry about the name left out, the count told to match."""
    if len(body["entries"]) < 2:
        return None
    kept = body["entries"][:-1]
    told = {**body, "entries": kept}
    for field in ("versions", "count"):
        if field in body:
            told[field] = len(kept)
    return told


def middle_withheld(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
    """An entry from the middle left out: the latest still the genuine latest."""
    if len(body["entries"]) < 3:
        return None
    kept = [body["entries"][0], *body["entries"][2:]]
    told = {**body, "entries": kept}
    for field in ("versions", "count"):
        if field in body:
            told[field] = len(kept)
    return told


@pytest.fixture
def rogue_trust(world: World, http: httpx.BaseTransport) -> Iterator[Any]:
    opened: list[Any] = []

    def make(path: str, lie: Any) -> tuple[Trust, Rogue]:
        rogue = Rogue(http, path, lie)
        context = trusting(world, rogue)
        opened.append(context)
        return context.__enter__(), rogue

    yield make
    for context in opened:
        context.__exit__(None, None, None)


def refused(code: str, ask: Any, rogue: Rogue) -> None:
    with pytest.raises(Error) as info:
        ask()
    assert info.value.code == code, info.value
    assert rogue.lied, "the lie was never told: the test asks the wrong question"


def test_a_withheld_withdrawal_is_refused(world: World, rogue_trust: Any) -> None:
    add_types(world)
    publish_rule(world)
    withdraw_rule(world, 2)
    trust, rogue = rogue_trust("/issuance-rules", newest_withheld)
    refused(
        "map_proof_invalid",
        lambda: trust.issuance_rule(world.agency.did, RULE, world.clock.now),
        rogue,
    )


def test_a_withheld_earlier_version_is_refused(world: World, rogue_trust: Any) -> None:
    add_types(world)
    publish_rule(world)
    publish_rule(world, 2)
    withdraw_rule(world, 3)
    trust, rogue = rogue_trust("/issuance-rules", middle_withheld)
    refused(
        "ledger_answer_mismatch",
        lambda: trust.issuance_rule(world.agency.did, RULE, world.clock.now),
        rogue,
    )


def every_redemption_withheld(
    request: httpx.Request, body: dict[str, Any]
) -> dict[str, Any] | None:
    """No redemption at all, told with the genuine checkpoint."""
    if not body["entries"]:
        return None
    return {**body, "entries": [], "count": 0}


def redeem(world: World, *indexes: int) -> None:
    for number, index in enumerate(indexes, 1):
        body = redeem_body(uri=LIST_URI, idx=index, vct=VOUCHER, number=number)
        world.submit(world.desk, tx.ENTITLEMENT_REDEEM, body)


@pytest.mark.parametrize(
    ("lie", "redemptions", "code"),
    [
        (every_redemption_withheld, 1, "map_proof_invalid"),
        (newest_withheld, 2, "map_proof_invalid"),
        (middle_withheld, 3, "ledger_answer_mismatch"),
    ],
)
def test_a_withheld_redemption_is_refused(
    world: World, rogue_trust: Any, lie: Any, redemptions: int, code: str
) -> None:
    add_types(world)
    indexes = (11, 12, 13)[:redemptions]
    redeem(world, *indexes)
    trust, rogue = rogue_trust("/redemptions", lie)
    refused(code, lambda: trust.redemptions(LIST_URI), rogue)
