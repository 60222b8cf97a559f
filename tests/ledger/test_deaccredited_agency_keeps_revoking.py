"""A de-accredited agency can still revoke what it issued. Once its accreditation ends
(revoked, or expired) it may update the status lists it already owns, only by adding
statuses: revoke or suspend an entry, or revoke a suspended one. It may not clear a status
(no un-suspension), change one, resize a list, or publish a new list; each refusal has its
code and leaves the state as it was, and the rule holds after a restart (replayed)."""

from __future__ import annotations

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.identity import Identity
from ledger.governance import HELD_STATUSES
from ledger.setup import open_ledger
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import DAY, LIST_URI

OTHER_URI = "https://agency.example/status/2"


def update(world: World, agency: Identity, uri: str = LIST_URI, **statuses: tuple[int, ...]) -> str:
    world.clock.now += 60
    token = trust.token(agency, uri, now=world.clock.now, **statuses)  # type: ignore[arg-type]
    return world.sign(agency, tx.STATUS_LIST, {"uri": uri, "token": token})


def refused(world: World, text: str, code: str) -> None:
    """The shared check (nothing logged, nothing changed), and the statuses held too."""
    state = world.ledger.state
    held = {k: list(v) for k, v in state.extensions.get(HELD_STATUSES, {}).items()}
    revoked = dict(state.status_revoked)
    trust.refused(world, text, code)
    assert state.extensions.get(HELD_STATUSES, {}) == held
    assert state.status_revoked == revoked


def end_accreditation(world: World, agency: Identity, how: str) -> str:
    """Revoke the agency's accreditation, or let it expire; the refusal code that follows."""
    if how == "revoked":
        grants = world.ledger.state.accreditations_of[agency.did]
        body = revocation_body(grants[0], "withdrawn")
        world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, body)
        return "accreditation_revoked"
    world.clock.now += 366 * DAY  # the agency fixture's grant runs for 365 days
    return "accreditation_expired"


@pytest.fixture(params=["revoked", "expired"])
def ended(request: pytest.FixtureRequest, world: World, agency: Identity) -> str:
    # Published while accredited: 3 revoked, 5 and 6 suspended.
    world.clock.now += 60
    trust.publish(world, agency, text=trust.token(agency, now=world.clock.now, suspended=(5, 6)))
    return end_accreditation(world, agency, request.param)


def test_it_may_revoke_and_suspend_more(world: World, agency: Identity, ended: str) -> None:
    world.ledger.submit(update(world, agency, revoked=(3, 9), suspended=(5, 6, 11)))
    # A suspended entry may be revoked: that takes trust away too.
    world.ledger.submit(update(world, agency, revoked=(3, 9, 5), suspended=(6, 11)))
    state = world.ledger.state
    assert sorted(state.status_revoked[LIST_URI]) == [3, 5, 9]
    assert state.extensions[HELD_STATUSES][LIST_URI] == [[6, 2], [11, 2]]
    assert len(state.status_lists[LIST_URI]) == 3


def test_it_may_not_lift_a_suspension(world: World, agency: Identity, ended: str) -> None:
    refused(world, update(world, agency, suspended=(5,)), "status_list_accreditation_ended")
    refused(
        world,
        update(world, agency, revoked=(3, 9), suspended=(5,)),
        "status_list_accreditation_ended",
    )


def test_it_may_not_unrevoke(world: World, agency: Identity, ended: str) -> None:
    refused(world, update(world, agency, revoked=(), suspended=(5, 6)), "status_list_unrevoked")


def test_it_may_not_resize(world: World, agency: Identity, ended: str) -> None:
    world.clock.now += 60
    text = trust.token(agency, now=world.clock.now, size=2000, suspended=(5, 6))
    refused(world, world.sign(agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": text}),
            "status_list_resized")  # fmt: skip


def test_it_may_not_publish_a_new_list(world: World, agency: Identity, ended: str) -> None:
    refused(world, update(world, agency, OTHER_URI), ended)


def test_the_rule_holds_after_a_restart(world: World, agency: Identity, ended: str) -> None:
    world.ledger.submit(update(world, agency, revoked=(3,), suspended=(5, 6, 11)))
    held = world.ledger.state.extensions[HELD_STATUSES]
    world.ledger.close()
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.state.extensions[HELD_STATUSES] == held
    refused(world, update(world, agency, suspended=(5, 6)), "status_list_accreditation_ended")
    world.ledger.submit(update(world, agency, revoked=(3, 11), suspended=(5, 6)))
    world.ledger.close()


def test_while_accredited_a_suspension_may_be_lifted(world: World, agency: Identity) -> None:
    # The other half: the restriction is for an accreditation that ended, not for everyone.
    trust.publish(world, agency, text=trust.token(agency, now=world.clock.now, suspended=(5,)))
    world.ledger.submit(update(world, agency, suspended=()))
    assert LIST_URI not in world.ledger.state.extensions.get(HELD_STATUSES, {})
