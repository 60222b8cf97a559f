"""Status list URI squatting and spelling: before, URIs were first come, first served across
agencies, and ``HTTPS://HEALTH.example``, ``:443`` and the plain form were three lists. Now a
URI must be in its RFC 3986 normal form and lie under a base URL that its publisher's first
(governance-endorsed) DID document names, so no agency can take another's URIs, and the
client checks the same binding on what it is served."""

from __future__ import annotations

import pytest

from civicid import transaction as tx
from civicid.errors import Error
from civicid.identity import Identity
from ledger import governance
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.trust import NATIONAL_ID, refused

HEALTH = "https://health.example/status/1"


def accredited(world: World, base: str) -> Identity:
    who = world.register("agency", base=base)
    world.accredit(who, vcts=[NATIONAL_ID])
    return who


def test_an_agency_cannot_publish_under_another_agencys_base_url(world: World) -> None:
    accredited(world, "https://health.example")
    squatter = accredited(world, "https://squatter.example")
    token = trust.token(squatter, HEALTH, now=world.clock.now)
    refused(world, world.sign(squatter, tx.STATUS_LIST, {"uri": HEALTH, "token": token}),
            "status_list_uri_unbound")  # fmt: skip


def test_a_later_update_cannot_add_someone_elses_host(world: World) -> None:
    """Only the first document counts: governance endorsed it (the DID is its hash)."""
    squatter = accredited(world, "https://squatter.example")
    successor, _ = squatter.rotate(world.head(squatter), ledger=world.origin,
                                        now=world.clock.now)  # fmt: skip
    successor.document["service"] = [{"id": f"{squatter.did}#s", "type": "X",
                                      "serviceEndpoint": "https://health.example"}]  # fmt: skip
    body = {"did": squatter.did, "prev": world.head(squatter), "document": successor.document,
            "nextKeyHashes": []}  # fmt: skip
    world.ledger.submit(squatter.sign(tx.DID_UPDATE, body, ledger=world.origin,
                                      now=world.clock.now))  # fmt: skip
    token = trust.token(successor, HEALTH, now=world.clock.now)
    refused(world, world.sign(successor, tx.STATUS_LIST, {"uri": HEALTH, "token": token}),
            "status_list_uri_unbound")  # fmt: skip


@pytest.mark.parametrize(
    "spelling",
    [
        "HTTPS://HEALTH.example/status/1",
        "https://health.example:443/status/1",
        "https://health.example/status/./1",
        "https://health.example/x/../status/1",
    ],
)
def test_one_list_one_spelling(world: World, spelling: str) -> None:
    agency = accredited(world, "https://health.example")
    token = trust.token(agency, spelling, now=world.clock.now)
    error = refused(world, world.sign(agency, tx.STATUS_LIST, {"uri": spelling, "token": token}),
                    "status_list_uri_not_normal")  # fmt: skip
    assert HEALTH in error.message
    trust.publish(world, agency, HEALTH)
    with mirrored(world) as mirror:  # asked in any spelling, the one list answers
        client = mirror.client(world)
        assert client.status_list(spelling, now=world.clock.now).uri == HEALTH


def test_the_client_refuses_a_squatted_list_a_rogue_operator_logged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    accredited(world, "https://health.example")
    squatter = accredited(world, "https://squatter.example")
    with monkeypatch.context() as patch:
        patch.setattr(governance, "check_bound", lambda *_: None)
        trust.publish(world, squatter, HEALTH)
    with mirrored(world) as mirror, pytest.raises(Error) as info:
        mirror.client(world).status_list(HEALTH, now=world.clock.now)
    assert info.value.code == "status_list_uri_unbound"
