"""Issuance rules and redemptions are asked of the ledger's servers in turn, as every other
question is: a server listed first that refuses them without proof (a mirror that does not
serve them, or one that says "no") is passed over and named, and the next server's proven
answer is the one believed."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from tests.rules.test_rogue_ledger_rules import redeem
from tests.rules.world import RULE, add_types, publish_rule, withdraw_rule
from tests.trust.test_lying_mirror_failover import Servers, said_to_lie
from tests.trust.test_lying_mirror_failover import servers as servers  # a fixture, by name
from tests.verifier.world import LIST_URI, World


def test_redemptions_refused_without_proof_are_asked_of_the_next_server(
    world: World, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    add_types(world)
    redeem(world, 11, 12)
    liar_url, liar = servers.refusing("/redemptions", 403, "no")
    told = servers.trust(liar_url, servers.ledger).redemptions(LIST_URI)
    assert liar.refused and told.count == 2
    assert told == servers.trust(servers.ledger).redemptions(LIST_URI)
    assert said_to_lie(caplog, liar_url, "no")


def test_an_issuance_rule_refused_without_proof_is_asked_of_the_next_server(
    world: World, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    add_types(world)
    publish_rule(world)
    withdraw_rule(world, 2)
    liar_url, liar = servers.refusing("/issuance-rules", 404, "issuance_rule_not_found")
    with pytest.raises(Error) as caught:  # the ledger's proven answer: withdrawn
        servers.trust(liar_url, servers.ledger).issuance_rule(
            world.agency.did, RULE, world.clock.now
        )
    assert caught.value.code == "issuance_rule_withdrawn"
    assert liar.refused and said_to_lie(caplog, liar_url, "ledger_answer_unproven")
