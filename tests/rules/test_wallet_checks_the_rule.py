"""Before anything leaves it, the wallet checks an agency's request against the agency's rule
on the ledger: in force, and asking exactly what the rule's policy asks. An agency asking for
more than its public rule (or naming another rule, or a withdrawn one) gets nothing."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from civicid.errors import Error
from civicid.oid4vp import AuthorizationRequest, client_id_for
from civicid.policy import Policy
from tests.rules.world import POLICY, RULE, add_types, publish_rule, trusting, withdraw_rule
from tests.verifier.world import World
from wallet.holder.by_rule import check_request


def request_for(world: World, policy: Policy, rule: str = RULE) -> AuthorizationRequest:
    now = world.clock.now
    return AuthorizationRequest(
        client_id=client_id_for(world.agency.did), response_uri="https://agency.example/r",
        nonce="n" * 24, state="s" * 24, dcql_query=policy.dcql(), iat=now, exp=now + 300,
        policy=rule, purpose=policy.purpose,
    )  # fmt: skip


def test_a_request_as_the_rule_makes_it_is_answered(
    world: World, http: httpx.BaseTransport
) -> None:
    add_types(world)
    publish_rule(world)
    policy = Policy.from_toml({**POLICY, "name": RULE}, "rule", name=RULE)
    with trusting(world, http) as trust:
        version = check_request(trust, request_for(world, policy), RULE, world.clock.now)
    assert version.version == 1


@pytest.mark.parametrize("lie", ["more-claims", "another-rule"])
def test_a_request_beyond_the_rule_is_refused(
    world: World, http: httpx.BaseTransport, lie: str
) -> None:
    add_types(world)
    publish_rule(world)
    policy = Policy.from_toml({**POLICY, "name": RULE}, "rule", name=RULE)
    request = request_for(world, policy)
    if lie == "more-claims":
        greedy = {**POLICY, "name": RULE, "required_claims": ["given_name", "family_name",
                                                              "birthdate"]}  # fmt: skip
        request = replace(request, dcql_query=Policy.from_toml(greedy, "x", name=RULE).dcql())
    else:
        request = replace(request, policy="housing-benefit")
    with trusting(world, http) as trust, pytest.raises(Error) as info:
        check_request(trust, request, RULE, world.clock.now)
    assert info.value.code == "wallet_rule_mismatch"


def test_a_request_under_a_withdrawn_rule_is_refused(
    world: World, http: httpx.BaseTransport
) -> None:
    add_types(world)
    publish_rule(world)
    withdraw_rule(world, 2)
    policy = Policy.from_toml({**POLICY, "name": RULE}, "rule", name=RULE)
    with trusting(world, http) as trust, pytest.raises(Error) as info:
        check_request(trust, request_for(world, policy), RULE, world.clock.now)
    assert info.value.code == "issuance_rule_withdrawn"
