"""A desk whose redemption number was taken reads the list again after a growing wait: the
proven read follows the ledger's checkpoint, which may lag the other desk's redemption for a
while, and rereading at once, eight times, could all see it missing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

from civicid.entitlements import ENTITLEMENT_NUMBER_CONFLICT
from civicid.errors import Error
from verifier import redemption

URI = "https://agency.example/status/1"
VCT = "https://agency.example/voucher"
# The other desk's redemption shows in proven reads this long after it was logged.
CHECKPOINT_LAG_SECONDS = 0.15


@dataclass
class Count:
    count: int


class LaggingLedger:
    """One redemption logged by another desk, seen by reads only once a checkpoint covers it."""

    origin = "ledger.example"

    def __init__(self) -> None:
        self.logged_at = time.monotonic()
        self.submitted: list[int] = []

    def proven_count(self) -> int:
        return 1 if time.monotonic() - self.logged_at >= CHECKPOINT_LAG_SECONDS else 0

    def submit(self, text: Any) -> dict[str, Any]:
        number = text["number"]
        self.submitted.append(number)
        if number != 2:  # the sequencer holds the other desk's redemption already
            raise ENTITLEMENT_NUMBER_CONFLICT(f"{URI} has 1 redemptions; this states {number}")
        return {"seq": 42}


class Desk:
    def sign(self, kind: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        return body


class Trust:
    offline = False

    def __init__(self, ledger: LaggingLedger) -> None:
        self.client = ledger

    def redemptions(self, uri: str, *, now: int) -> Count:
        return Count(self.client.proven_count())


def test_a_number_taken_is_asked_again_after_a_wait_until_the_read_shows_it() -> None:
    ledger = LaggingLedger()
    seq = redemption.record(Desk(), Trust(ledger), URI, 7, VCT, 0)  # type: ignore[arg-type]
    assert seq == 42
    assert ledger.submitted[-1] == 2 and set(ledger.submitted[:-1]) == {1}
    assert len(ledger.submitted) <= redemption.MAX_ATTEMPTS


def test_a_number_taken_every_time_is_the_ledgers_refusal_in_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redemption, "CONFLICT_BACKOFF_SECONDS", 0.0)
    ledger = LaggingLedger()
    ledger.logged_at = float("inf")  # never shown
    with pytest.raises(Error) as caught:
        redemption.record(Desk(), Trust(ledger), URI, 7, VCT, 0)  # type: ignore[arg-type]
    assert caught.value.code == "entitlement_number_conflict"
    assert ledger.submitted == [1] * redemption.MAX_ATTEMPTS
