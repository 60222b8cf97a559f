"""The ledger's rule table: every transaction type and the rule that judges it, listed in
one place (no rule joins by being imported). DESIGN.md, "Who may write what"."""

from __future__ import annotations

from typing import Final

from civicid.transaction import TX_TYPES, Transaction
from ledger import governance, issuance, rules
from ledger.rules import Change, Context, Rule
from ledger.state import State

RULES: Final[dict[str, Rule]] = {
    **rules.DID_RULES,
    **governance.GOVERNANCE_RULES,
    **issuance.ISSUANCE_RULES,
}
assert set(RULES) == TX_TYPES, "every transaction type has exactly one rule"


def check(state: State, tx: Transaction, ctx: Context) -> Change:
    """The common checks, then the rule for ``tx``'s type, from this table."""
    return rules.check(state, tx, ctx, RULES)
