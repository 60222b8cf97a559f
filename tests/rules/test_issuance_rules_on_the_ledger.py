"""Issuance rules on the ledger: only an agency accredited for the type it issues may publish
one, its policy may name only registered types, every version stays in the log, and the
trust package reads the version in force at a time, proven, a withdrawal included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.errors import Error
from civicid.issuance_rules import publish_body
from ledger.setup import open_ledger
from tests.rules.world import (
    POLICY,
    RULE,
    SENIOR,
    add_types,
    publish_rule,
    trusting,
    withdraw_rule,
)
from tests.verifier.world import World, ledger_http

HOUR = 3600


def refused(code: str, submit: Any, world: World) -> None:
    size = world.ledger.size
    with pytest.raises(Error) as info:
        submit()
    assert info.value.code == code, info.value
    assert world.ledger.size == size, "a refused entry left the log unchanged"


def test_a_rule_by_an_agency_not_accredited_for_the_type_it_issues(world: World) -> None:
    add_types(world)
    other = world.register("agency")  # on the ledger, accredited for nothing
    refused("issuer_not_accredited", lambda: publish_rule(world, who=other), world)


def test_a_rule_whose_policy_names_an_unknown_type(world: World) -> None:
    add_types(world)
    policy = {**POLICY, "credential_types": ["https://civicid.example/vct/nothing-like-it"]}
    refused("issuance_rule_type_unknown", lambda: publish_rule(world, policy=policy), world)


def test_a_rule_issuing_an_unregistered_type(world: World) -> None:
    add_types(world)
    world.accredit(world.agency, vcts=["https://civicid.example/vct/unregistered"])
    unregistered = "https://civicid.example/vct/unregistered"
    refused("issuance_rule_type_unknown", lambda: publish_rule(world, vct=unregistered), world)


def test_a_rule_whose_policy_is_not_in_the_policy_language(world: World) -> None:
    add_types(world)
    policy = {**POLICY, "predicates": [{"claim": "resident", "roughly": True}]}
    body = {"rule": RULE, "version": 1, "vct": SENIOR, "policy": {**policy, "name": RULE}}
    refused("policy_invalid", lambda: world.submit(world.agency, tx.ISSUANCE_RULE, body), world)


def test_a_rule_copying_a_claim_the_holder_need_not_show(world: World) -> None:
    with pytest.raises(Error) as info:
        publish_body(name=RULE, version=1, vct=SENIOR, policy=POLICY, copy=["birthdate"])
    assert info.value.code == "issuance_rule_invalid"


@pytest.mark.parametrize("claim", ["vct", "iss", "cnf", "status", "_sd"])
def test_a_rule_fixing_a_claim_the_issuer_sets_itself(world: World, claim: str) -> None:
    """Accepted, such a rule could never issue: each citizen who applied would show a card
    and then be refused (issuer_claims_reserved) for a fault of the rule, not the card."""
    add_types(world)
    body = {"rule": RULE, "version": 1, "vct": SENIOR, "policy": {**POLICY, "name": RULE},
            "claims": {"concession": "senior", claim: "x"}, "copy": []}  # fmt: skip
    refused(
        "issuance_rule_invalid", lambda: world.submit(world.agency, tx.ISSUANCE_RULE, body), world
    )
    with pytest.raises(Error) as info:
        publish_body(name=RULE, version=1, vct=SENIOR, policy=POLICY, claims={claim: "x"})
    assert info.value.code == "issuance_rule_invalid" and claim in info.value.message


def test_a_rule_copying_a_claim_the_issuer_sets_itself() -> None:
    policy = {**POLICY, "required_claims": [*POLICY["required_claims"], "status"]}
    with pytest.raises(Error) as info:
        publish_body(name=RULE, version=1, vct=SENIOR, policy=policy, copy=["status"])
    assert info.value.code == "issuance_rule_invalid"
    assert "set by the issuer itself" in info.value.message


def test_versions_are_taken_in_turn(world: World) -> None:
    add_types(world)
    publish_rule(world)
    refused("issuance_rule_version_conflict", lambda: publish_rule(world, version=1), world)
    refused("issuance_rule_version_conflict", lambda: publish_rule(world, version=3), world)


def test_only_the_rules_agency_withdraws_it(world: World) -> None:
    add_types(world)
    publish_rule(world)
    other = world.register("agency")
    refused("issuance_rule_not_found", lambda: withdraw_rule(world, 2, who=other), world)
    withdraw_rule(world, 2)
    refused("issuance_rule_withdrawn", lambda: withdraw_rule(world, 3), world)


def test_the_version_in_force_at_a_time_is_read_proven(
    world: World, http: httpx.BaseTransport
) -> None:
    add_types(world)
    start = world.clock.now
    publish_rule(world)
    world.clock.now += HOUR
    stricter = {
        **POLICY,
        "predicates": [*POLICY["predicates"], {"claim": "birthdate", "age_at_least": 66}],
    }
    publish_rule(world, 2, policy=stricter)
    world.clock.now += HOUR
    withdraw_rule(world, 3)
    with trusting(world, http) as trust:
        first = trust.issuance_rule(world.agency.did, RULE, start + 10)
        assert (first.version, first.vct, len(first.policy.predicates)) == (1, SENIOR, 2)
        second = trust.issuance_rule(world.agency.did, RULE, start + HOUR + 10)
        assert (second.version, len(second.policy.predicates)) == (2, 3)
        with pytest.raises(Error) as info:
            trust.issuance_rule(world.agency.did, RULE, world.clock.now)
        assert info.value.code == "issuance_rule_withdrawn"
        with pytest.raises(Error) as info:
            trust.issuance_rule(world.agency.did, RULE, start - 10)
        assert info.value.code == "issuance_rule_not_in_force"
        with pytest.raises(Error) as info:
            trust.issuance_rule(world.agency.did, "no-such-rule", world.clock.now)
        assert info.value.code == "issuance_rule_not_found"


def test_rules_survive_the_ledger_reopening(world: World) -> None:
    add_types(world)
    publish_rule(world)
    withdraw_rule(world, 2)
    world.ledger.close()
    world.ledger = open_ledger(world.root, clock=world.clock)
    with ledger_http(world) as http, trusting(world, http) as trust:
        with pytest.raises(Error) as info:
            trust.issuance_rule(world.agency.did, RULE, world.clock.now)
        assert info.value.code == "issuance_rule_withdrawn"
        refused("issuance_rule_version_conflict", lambda: publish_rule(world, version=2), world)
