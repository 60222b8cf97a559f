"""A distribution point redeems a single-use entitlement (a voucher) it has found eligible:
one ledger entry, keyed by the credential's status reference, which the ledger accepts once
(``civicid/entitlements.py``). Of two desks redeeming the same voucher at once, the ledger's
one sequencer lets exactly one in; the other is refused ``entitlement_already_redeemed``.
Offline, a desk cannot redeem (only the ledger can say it was first): it refuses with
``entitlement_needs_ledger``.
"""

from __future__ import annotations

import random
import time
from typing import Final

from civicid import transaction as tx_types
from civicid.eligibility.decision import Decision
from civicid.entitlements import (
    ENTITLEMENT_NEEDS_LEDGER,
    ENTITLEMENT_NUMBER_CONFLICT,
    redeem_body,
)
from civicid.errors import Error
from civicid.identity import Identity
from civicid.trust import Trust

# Redemptions of one list are numbered; a desk whose number was taken by another's reads the
# list again and signs anew. Busy lists see a few races at once, not dozens.
MAX_ATTEMPTS: Final = 8
# Before reading the list again, a wait that doubles at each conflict (with a random share, so
# two desks that met do not meet again): the proven read follows the ledger's checkpoint,
# which may not yet hold the other desk's redemption; eight read at once could all see it
# missing. 10 ms doubling waits at most ~2.5 s in all.
CONFLICT_BACKOFF_SECONDS: Final = 0.01
STEP: Final = "entitlement"


def record(desk: Identity, trust: Trust, uri: str, idx: int, vct: str, now: int) -> int:
    """Log the redemption of entry ``idx`` of the list at ``uri``, signed by ``desk``; its
    ledger position. Refused with the ledger's code (``entitlement_already_redeemed``)."""
    if trust.offline:
        raise ENTITLEMENT_NEEDS_LEDGER("this desk is offline: the voucher cannot be redeemed")
    client = trust.client
    for attempt in range(MAX_ATTEMPTS):
        number = trust.redemptions(uri, now=now).count + 1  # asked anew: max_age 0
        body = redeem_body(uri=uri, idx=idx, vct=vct, number=number)
        text = desk.sign(tx_types.ENTITLEMENT_REDEEM, body, ledger=client.origin, now=now)
        try:
            receipt = client.submit(text)
        except Error as exc:
            if ENTITLEMENT_NUMBER_CONFLICT.matches(exc) and attempt + 1 < MAX_ATTEMPTS:
                spread = 1 + random.random()  # noqa: S311 - spacing retries, not a secret
                time.sleep(CONFLICT_BACKOFF_SECONDS * 2**attempt * spread)
                continue
            raise
        return int(receipt["seq"])
    raise AssertionError("unreachable: the last attempt returns or raises")


def redeem(decision: Decision, desk: Identity, trust: Trust, now: int) -> Decision:
    """``decision`` once its single-use credential is redeemed on the ledger; refused at the
    entitlement step if the ledger refuses (another desk was first) or cannot be written."""
    if not decision.eligible or decision.redeem is None or decision.vct is None:
        return decision
    uri, idx = decision.redeem
    try:
        record(desk, trust, uri, idx, decision.vct, now)
    except Error as exc:
        return decision.refused_at(STEP, exc)
    return decision
