"""A refusal's receipt tells the citizen which condition was not met, in the policy's own
words ("Not met: Resident must be yes"), not only the failing step's code: the desk's
policies are public, and the sentence holds no value that was shared. Other refusals carry
no such sentence."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid.oid4vp import Receipt, verify_receipt
from tests.verifier.loopback import Desk, wallet_answer
from tests.verifier.world import CLAIMS, REVOKED, World
from wallet.holder.presentation import refusal


def receipt_of(world: World, desk: Desk, credential: str) -> Receipt:
    created = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"}).json()
    answer, (request, ledger, now) = wallet_answer(world, desk, created["link"], credential)
    assert answer.status_code == 200, answer.text
    return verify_receipt(
        answer.json()["receipt"],
        lambda kid: ledger.key_in_force(kid, now, "assertionMethod"),
        nonce=request.nonce,
        client_id=request.client_id,
    )


@pytest.mark.parametrize(
    ("claims", "said"),
    [
        ({"resident": False}, "Not met: Resident must be yes"),
        ({"age_equal_or_over": {"18": False}}, "Not met: Age 18 or over"),
    ],
)
def test_the_condition_not_met_is_in_the_receipt(
    world: World, desk: Desk, claims: dict[str, Any], said: str
) -> None:
    receipt = receipt_of(world, desk, world.credential(claims={**CLAIMS, **claims}))
    assert (receipt.decision, receipt.failed_step) == ("not_eligible", "predicate_failed")
    assert receipt.failed_condition == said
    why = refusal(receipt)  # as the wallet shows it, after the step in words
    assert why.endswith(f"[predicate_failed] {said}."), why
    assert "False" not in why and "false" not in why


def test_another_refusal_names_no_condition(world: World, desk: Desk) -> None:
    receipt = receipt_of(world, desk, world.credential(index=REVOKED))
    assert receipt.failed_step == "status_revoked" and receipt.failed_condition is None


def test_an_eligible_receipt_names_none(world: World, desk: Desk) -> None:
    receipt = receipt_of(world, desk, world.credential(iat=world.clock.now))
    assert receipt.decision == "eligible" and receipt.failed_condition is None
