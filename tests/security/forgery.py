"""Helpers for attack tests: sign a transaction with someone else's ``kid`` but the
attacker's key, and submit it expecting one refusal and no change at all."""

from __future__ import annotations

from typing import Any

from civicid import transaction as tx
from civicid.jose import PrivateKey
from tests.ledger.conftest import World


def forged(world: World, kid: str, tx_type: str, body: dict[str, Any]) -> str:
    """``body`` as ``tx_type``, naming ``kid`` as its signer, signed by a stranger's key."""
    return tx.build_tx(
        PrivateKey.generate(), kid, tx_type, body, ledger=world.origin, now=world.clock.now
    )


def signed(world: World, key: PrivateKey, kid: str, tx_type: str, body: dict[str, Any]) -> str:
    return tx.build_tx(key, kid, tx_type, body, ledger=world.origin, now=world.clock.now)
