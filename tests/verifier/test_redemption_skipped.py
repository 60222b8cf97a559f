"""A desk redeems only what it found eligible and single-use: a voucher found not eligible
(revoked, expired, outside the policy) is never recorded as redeemed on the ledger, nor is a
credential that is not single-use; either decision comes back as it was."""

from __future__ import annotations

from typing import Any

from civicid.eligibility.decision import Decision
from verifier import redemption

URI = "https://agency.example/status/1"
VCT = "https://agency.example/voucher"


class Ledger:
    """A ledger that records every transaction sent to it (none should be)."""

    origin = "ledger.example"

    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def submit(self, text: Any) -> dict[str, Any]:
        self.submitted.append(text)
        return {"seq": 1}


class Trust:
    offline = False

    def __init__(self, ledger: Ledger) -> None:
        self.client = ledger
        self.asked: list[str] = []

    def redemptions(self, uri: str, *, now: int) -> Any:
        self.asked.append(uri)
        raise AssertionError("a redemption was read for a decision that redeems nothing")


class Desk:
    def sign(self, kind: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        return body


def decision(*, eligible: bool, redeem: tuple[str, int] | None) -> Decision:
    return Decision(
        eligible=eligible,
        policy="voucher-desk",
        purpose="Hand out a meal voucher",
        decided_at=0,
        outcomes=(),
        vct=VCT,
        redeem=redeem,
    )


def test_a_voucher_found_not_eligible_is_not_redeemed() -> None:
    ledger = Ledger()
    trust = Trust(ledger)
    refused = decision(eligible=False, redeem=(URI, 7))
    assert redemption.redeem(refused, Desk(), trust, 0) is refused  # type: ignore[arg-type]
    assert ledger.submitted == [] and trust.asked == []


def test_an_eligible_credential_that_is_not_single_use_is_not_redeemed() -> None:
    ledger = Ledger()
    trust = Trust(ledger)
    passed = decision(eligible=True, redeem=None)
    assert redemption.redeem(passed, Desk(), trust, 0) is passed  # type: ignore[arg-type]
    assert ledger.submitted == [] and trust.asked == []
