"""The waits of a desk whose redemption number is taken again and again: 10 ms, doubling at
each conflict, each spread by a random share of itself, and at most ~2.5 s in all before the
ledger's refusal is the answer; each reread of the list is asked at the time given."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from tests.verifier.test_redemption_backoff import URI, VCT, Count, Desk, LaggingLedger, Trust
from verifier import redemption

# The docstring's promise: a desk refused every time gives up within this.
MOST_WAITED_SECONDS = 2.6


def waits_until_refused(monkeypatch: pytest.MonkeyPatch, share: float) -> list[float]:
    """The waits of a desk whose number is taken every time, the random share fixed."""
    waits: list[float] = []
    monkeypatch.setattr(redemption.time, "sleep", waits.append)
    monkeypatch.setattr(redemption.random, "random", lambda: share)
    ledger = LaggingLedger()
    ledger.logged_at = float("inf")  # the other desk's redemption is never shown
    with pytest.raises(Error) as caught:
        redemption.record(Desk(), Trust(ledger), URI, 7, VCT, 0)  # type: ignore[arg-type]
    assert caught.value.code == "entitlement_number_conflict"
    assert ledger.submitted == [1] * 8
    return waits


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_each_wait_doubles_spread_by_its_random_share(
    monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    waits = waits_until_refused(monkeypatch, share)
    # One wait between two attempts: seven for eight.
    assert waits == pytest.approx([0.01 * 2**attempt * (1 + share) for attempt in range(7)])


def test_a_desk_refused_every_time_waits_at_most_two_and_a_half_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits = waits_until_refused(monkeypatch, 0.999_999)
    assert sum(waits) <= MOST_WAITED_SECONDS


class Asked(Trust):
    """Records the time each reread of the list is asked at."""

    def __init__(self, ledger: LaggingLedger) -> None:
        super().__init__(ledger)
        self.at: list[int] = []

    def redemptions(self, uri: str, *, now: int) -> Count:
        self.at.append(now)
        return super().redemptions(uri, now=now)


def test_the_list_is_read_at_the_time_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redemption.time, "sleep", lambda _: None)
    ledger = LaggingLedger()
    ledger.logged_at = float("-inf")  # shown at once: the second number is right
    trust = Asked(ledger)
    assert redemption.record(Desk(), trust, URI, 7, VCT, 1_700_000_000) == 42  # type: ignore[arg-type]
    assert trust.at == [1_700_000_000]
