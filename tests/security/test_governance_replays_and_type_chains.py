"""Attacks on governance records. A grant, a revocation, a type or a list sent again is a
replay (``tx_replayed``), whatever the rule of its type would say about it. A credential type
that extends a chain of types must keep the promises of the chain as its nearest ancestor
last made them (SD-JWT VC §5.6.5), and the chain is bounded."""

from __future__ import annotations

from typing import Any

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.identity import Identity
from ledger.governance import MAX_EXTENDS_DEPTH
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID, refused


def sent(world: World, who: Identity, tx_type: str, body: dict[str, Any]) -> str:
    text = world.sign(who, tx_type, body)
    world.ledger.submit(text)
    return text


def test_every_governance_transaction_replayed(world: World) -> None:
    agency = world.register()
    grant = sent(world, world.governance, tx.ACCREDITATION_GRANT, trust.grant(world, agency))
    type_ = sent(world, agency, tx.CREDENTIAL_TYPE, trust.type_body())
    token = trust.token(agency, now=world.clock.now)
    publish = sent(world, agency, tx.STATUS_LIST, {"uri": trust.LIST_URI, "token": token})
    accreditation = world.ledger.state.accreditations_of[agency.did][0]
    revoke = sent(
        world, world.governance, tx.ACCREDITATION_REVOKE, revocation_body(accreditation, "ended")
    )
    for text in (grant, type_, publish, revoke):
        refused(world, text, "tx_replayed")


def vct(n: int) -> str:
    return f"https://civicid.example/vct/level-{n}"


def level(n: int, claims: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {"claims": claims or [{"path": ["given_name"], "sd": "allowed"}]}
    if n > 0:
        extra["extends"] = vct(n - 1)
    return trust.type_body(vct(n), metadata=trust.metadata(vct(n), **extra))


def test_a_chain_of_types_is_bounded(world: World) -> None:
    agency = world.register()
    world.accredit(agency, vcts=[vct(n) for n in range(MAX_EXTENDS_DEPTH + 2)])
    for n in range(MAX_EXTENDS_DEPTH + 1):  # the root and MAX_EXTENDS_DEPTH types below it
        world.submit_as(agency, tx.CREDENTIAL_TYPE, level(n))
    too_deep = world.sign(agency, tx.CREDENTIAL_TYPE, level(MAX_EXTENDS_DEPTH + 1))
    refused(world, too_deep, "type_extends_cycle")


@pytest.mark.parametrize("sd, accepted", [("never", False), ("always", True)])
def test_the_nearest_ancestor_speaks_last(world: World, sd: str, accepted: bool) -> None:
    """Root: given_name "allowed"; its child narrows it to "always"; a grandchild may not
    turn it into "never", though the root alone would have let it."""
    agency = world.register()
    world.accredit(agency, vcts=[vct(0), vct(1), vct(2), NATIONAL_ID])
    world.submit_as(agency, tx.CREDENTIAL_TYPE, level(0))
    world.submit_as(
        agency, tx.CREDENTIAL_TYPE, level(1, [{"path": ["given_name"], "sd": "always"}])
    )
    text = world.sign(agency, tx.CREDENTIAL_TYPE, level(2, [{"path": ["given_name"], "sd": sd}]))
    if accepted:
        world.ledger.submit(text)
    else:
        refused(world, text, "type_metadata_invalid")
