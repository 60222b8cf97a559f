"""Attack: un-revoking credentials by putting an older status list back. A list published
before a revocation is genuine (its owner signed it), so only its age gives it away: a token
older than the latest one published is refused, whatever came before; and a publish
transaction sent again, within the clock-skew window or after, is a replay."""

from __future__ import annotations

from civicid import transaction as tx
from civicid.identity import Identity
from ledger.rules import MAX_CLOCK_SKEW
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import LIST_URI, refused

REVOKED = 7


def publish(world: World, agency: Identity, token: str) -> str:
    text = world.sign(agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": token})
    world.ledger.submit(text)
    return text


def test_republishing_the_list_from_before_a_revocation(world: World, agency: Identity) -> None:
    before = trust.token(agency, now=world.clock.now, revoked=(), suspended=())
    publish(world, agency, before)
    world.clock.now += 20
    publish(
        world, agency, trust.token(agency, now=world.clock.now, revoked=(REVOKED,), suspended=())
    )
    world.clock.now += 5
    text = world.sign(agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": before})
    refused(world, text, "status_list_regression")


def test_a_list_signed_between_the_first_and_the_latest(world: World, agency: Identity) -> None:
    """Older than the latest but newer than the first: still a regression (the comparison is
    with the list it would replace, not with the first ever published)."""
    start = world.clock.now
    publish(world, agency, trust.token(agency, now=start, revoked=(), suspended=()))
    middle = trust.token(agency, now=start + 10, revoked=(), suspended=())  # signed, held back
    world.clock.now = start + 20
    publish(world, agency, trust.token(agency, now=start + 20, revoked=(REVOKED,), suspended=()))
    world.clock.now = start + 25
    text = world.sign(agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": middle})
    refused(world, text, "status_list_regression")
    # A list of the same age as the latest (re-sent, or re-signed in the same second) is not
    # older: the owner may publish it.
    same_age = trust.token(agency, now=start + 20, revoked=(REVOKED, 8), suspended=())
    publish(world, agency, same_age)
    assert len(world.ledger.state.status_lists[LIST_URI]) == 3


def test_a_publish_replayed_within_the_skew_window(world: World, agency: Identity) -> None:
    first = publish(
        world, agency, trust.token(agency, now=world.clock.now, revoked=(), suspended=())
    )
    world.clock.now += 20
    publish(
        world, agency, trust.token(agency, now=world.clock.now, revoked=(REVOKED,), suspended=())
    )
    world.clock.now += 30  # still well inside MAX_CLOCK_SKEW of the first one's iat
    refused(world, first, "tx_replayed")


def test_a_publish_replayed_after_the_skew_window(world: World, agency: Identity) -> None:
    first = publish(world, agency, trust.token(agency, now=world.clock.now))
    world.clock.now += MAX_CLOCK_SKEW + 1
    refused(world, first, "tx_replayed")  # the replay index never forgets an id


def test_the_clock_skew_window_is_exact(world: World) -> None:
    """A transaction signed exactly MAX_CLOCK_SKEW seconds off the ledger's clock is
    accepted; one second more, either way, is not (how long a signed one stays usable)."""
    now = world.clock.now
    for iat, accepted in (
        (now - MAX_CLOCK_SKEW - 1, False),
        (now + MAX_CLOCK_SKEW + 1, False),
        (now - MAX_CLOCK_SKEW, True),
        (now + MAX_CLOCK_SKEW, True),
    ):
        who = Identity.create()
        endorsement = world.governance.endorse(who.did, "agency", ledger=world.origin, now=now)
        text = who.create_tx(role="agency", endorsement=endorsement, ledger=world.origin, now=iat)
        if accepted:
            world.ledger.submit(text)
        else:
            refused(world, text, "tx_stale")
