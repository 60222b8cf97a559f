"""Attack: an issuance rule, its withdrawal or a redemption that names the rightful signer's
``kid`` but carries another key's signature is refused with ``jws_signature_invalid`` and
leaves the log as it was; the same body signed by the rightful key is then accepted.
The other transaction types are attacked in
tests/security/test_forged_signature_under_the_right_kid.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from civicid import transaction as tx
from civicid.entitlements import redeem_body
from civicid.errors import Error
from civicid.identity import Identity
from civicid.issuance_rules import publish_body, withdraw_body
from tests.rules.world import POLICY, RULE, SENIOR, VOUCHER, add_types, publish_rule
from tests.verifier.world import LIST_URI, World

Case = tuple[Identity, str, dict[str, Any]]


def rule_publish(world: World) -> Case:
    add_types(world)
    publish_rule(world)  # version 1 in force; the attack is on version 2
    body = publish_body(
        name=RULE,
        version=2,
        vct=SENIOR,
        policy=POLICY,
        claims={"concession": "senior"},
        copy=["given_name", "family_name"],
    )
    return world.agency, tx.ISSUANCE_RULE, body


def rule_withdraw(world: World) -> Case:
    add_types(world)
    publish_rule(world)
    return (
        world.agency,
        tx.ISSUANCE_RULE_WITHDRAW,
        withdraw_body(name=RULE, version=2, reason="The scheme has ended"),
    )


def redeem(world: World) -> Case:
    add_types(world)
    return (
        world.desk,
        tx.ENTITLEMENT_REDEEM,
        redeem_body(uri=LIST_URI, idx=40, vct=VOUCHER, number=1),
    )


CASES: dict[str, Callable[[World], Case]] = {
    tx.ISSUANCE_RULE: rule_publish,
    tx.ISSUANCE_RULE_WITHDRAW: rule_withdraw,
    tx.ENTITLEMENT_REDEEM: redeem,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forged_signature_under_the_right_kid(world: World, name: str) -> None:
    who, tx_type, body = CASES[name](world)
    attacker = Identity.create()
    forged = tx.build_tx(
        attacker.key, who.kid, tx_type, body, ledger=world.origin, now=world.clock.now
    )
    size = world.ledger.size
    with pytest.raises(Error) as info:
        world.ledger.submit(forged)
    assert info.value.code == "jws_signature_invalid", info.value
    assert world.ledger.size == size
    assert world.submit(who, tx_type, body) == size
