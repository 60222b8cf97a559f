"""Asking by a rule with a card the rule would take, but revoked, suspended or expired, says
so, as a desk's request does: "your National ID … was revoked", not "no credential in this
wallet answers" (the citizen holds one, and would look for it). Nothing is sent."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED
from cli.demo_rules import RULE
from cli.harness import free_port, serving
from tests.wallet.rogue_issuer import RogueIssuer
from tests.wallet.test_rule_answered_with_another_offer import (
    RuleDesk,
    ledger_world,  # noqa: F401 (this module's own ledger, with the rule on it)
    senior,  # noqa: F401
)
from tests.wallet.world import LedgerWorld
from wallet.holder.wallet import Wallet


@pytest.mark.parametrize(
    ("status", "code", "said"),
    [
        (STATUS_INVALID, "wallet_credential_revoked", "was revoked by its issuer"),
        (STATUS_SUSPENDED, "wallet_credential_suspended", "is suspended by its issuer"),
    ],
)
def test_a_blocked_card_is_named_and_nothing_is_sent(
    senior: Wallet,  # noqa: F811
    issuer_stub: RogueIssuer,
    ledger_world: LedgerWorld,  # noqa: F811
    status: int,
    code: str,
    said: str,
) -> None:
    [card] = senior.credentials()
    index = card.copies[0].status_idx
    assert index is not None
    ledger_world.status_list.set(index, status)
    ledger_world.publish()
    desk = RuleDesk(ledger_world.agency, issuer_stub.offer(tx_code=False))
    with serving(desk.app(), free_port()) as url:
        desk.url = url
        with pytest.raises(Error) as info:
            senior.apply(url, RULE)
    assert info.value.code == code
    assert f"your {card.title} ({card.id}) {said}" in info.value.message
    assert "nothing was sent to the agency" in info.value.message
    assert senior.history() == []
