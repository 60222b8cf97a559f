"""A publish entry's body, read as the ledger reads it (``parse_publish``): each bound at its
limit taken and one past it refused (``issuance_rule_invalid``), each field of the wrong shape
refused, and the fields a rule may leave out taken as empty."""

from __future__ import annotations

from typing import Any

import pytest

from civicid.errors import Error
from civicid.issuance_rules import (
    MAX_COPIED_CLAIMS,
    MAX_FIXED_CLAIMS,
    MAX_FIXED_CLAIMS_BYTES,
    parse_publish,
)
from tests.rules.world import POLICY, RULE, SENIOR


def body(**fields: Any) -> dict[str, Any]:
    return {"rule": RULE, "version": 1, "vct": SENIOR, "policy": dict(POLICY), **fields}


def refused(entry: dict[str, Any], code: str = "issuance_rule_invalid") -> str:
    with pytest.raises(Error) as caught:
        parse_publish(entry)
    assert caught.value.code == code, caught.value
    return caught.value.message


def test_a_rule_without_claims_or_copy_fixes_and_copies_nothing() -> None:
    *_, claims, copy = parse_publish(body())
    assert claims == {} and copy == ()


def test_a_vct_that_is_no_type_is_refused_naming_the_field() -> None:
    assert refused(body(vct="not a type")).startswith("vct: ")


def test_a_policy_named_otherwise_than_its_rule_is_refused() -> None:
    policy = {**POLICY, "name": "another-rule"}
    assert "differs" in refused(body(policy=policy), "policy_invalid")


def test_fixed_claims_at_their_count_are_taken_one_more_refused() -> None:
    most = {f"c{i}": 1 for i in range(MAX_FIXED_CLAIMS)}
    assert parse_publish(body(claims=most))[4] == most
    refused(body(claims={**most, "one_more": 1}))


def test_fixed_claims_at_their_size_are_taken_one_byte_more_refused() -> None:
    # {"z": "…"} is 9 bytes of JSON around the value.
    exactly = {"z": "x" * (MAX_FIXED_CLAIMS_BYTES - 9)}
    assert parse_publish(body(claims=exactly))[4] == exactly
    refused(body(claims={"z": "x" * (MAX_FIXED_CLAIMS_BYTES - 8)}))


@pytest.mark.parametrize("claims", [["concession"], "senior", 1])
def test_fixed_claims_that_are_no_table_are_refused(claims: Any) -> None:
    refused(body(claims=claims))


def test_copied_claims_at_their_count_are_taken_one_more_refused() -> None:
    names = [f"c{i}" for i in range(MAX_COPIED_CLAIMS + 1)]
    policy = {**POLICY, "required_claims": names}
    assert parse_publish(body(policy=policy, copy=names[:-1]))[5] == tuple(names[:-1])
    refused(body(policy=policy, copy=names))


@pytest.mark.parametrize(
    "copy", ["given_name", [1], ["given_name", "given_name"], {"given_name": True}]
)
def test_copy_that_is_no_list_of_names_once_each_is_refused(copy: Any) -> None:
    assert "claim names, once" in refused(body(copy=copy))


def test_a_nested_claim_is_not_copied_even_when_required() -> None:
    policy = {**POLICY, "required_claims": ["address.locality"]}
    assert "not a top-level required claim" in refused(
        body(policy=policy, copy=["address.locality"])
    )
