"""Which disclosures count as asked: a disclosure's path lies along an asked claim's (the
claim itself, inside it, an object holding it, an element of an array asked whole), or it
is beyond the policy and only counted (never named) in the audit trail."""

from __future__ import annotations

import pytest

from civicid.dcql import claim_path
from civicid.eligibility.checks import along, asked_and_extra
from civicid.policy import Policy


@pytest.mark.parametrize(
    "disclosed, asked, expected",
    [
        (("resident",), ("resident",), True),  # the claim itself
        (("address",), ("address", "street"), True),  # its parent object
        (("address", "street"), ("address",), True),  # inside an asked object
        (("address", "city"), ("address", "street"), False),  # a sibling
        (("resident",), ("address", "street"), False),  # another claim
        (("nationalities", 0), ("nationalities", None), True),  # an element of [] asked whole
        (("nationalities", 1), ("nationalities", 0), False),  # another element
        (("nationalities", 0), ("nationalities", 0), True),  # the element asked
        (("nationalities", None), ("nationalities", 0), False),  # [] is not one element
        (("nationalities", "x"), ("nationalities", None), False),  # a key is not an index
        (("nationalities",), ("nationalities", None), True),  # the array asked element-wise
        (("nationalities", 0, "code"), ("nationalities", None), True),  # inside an element
        (("resident",), ("nationalities", None), False),  # another claim, a shorter path
        ((), ("resident",), True),  # the root holds every claim
        ("resident", ("resident",), False),  # not a path at all
        (None, ("resident",), False),
    ],
)
def test_along(disclosed: object, asked: tuple[object, ...], expected: bool) -> None:
    assert along(disclosed, asked) is expected


def policy(*required: str, optional: tuple[str, ...] = ()) -> Policy:
    return Policy(
        name="p",
        title="P",
        purpose="test",
        credential_types=("https://civicid.example/vct/national-id",),
        issuers=None,
        required_claims=required,
        optional_claims=optional,
    )


def test_nested_and_indexed_claims_are_received_and_the_rest_counted() -> None:
    claims = {
        "address": {"street": "Main 1", "city": "Cadur"},
        "nationalities": ["DE", "FR"],
        "given_name": "Erika",
    }
    disclosed = (
        ("address",),  # the parent object: travels with the street
        ("address", "street"),
        ("address", "city"),  # beyond the policy
        ("nationalities", 0),
        ("nationalities", 1),
        ("given_name",),  # beyond the policy
    )
    received, extra = asked_and_extra(
        policy("address.street", "nationalities[]"), claims, disclosed
    )
    assert received == ("address.street", "nationalities[]")
    assert extra == 2


def test_a_claim_asked_but_not_received_is_not_named() -> None:
    received, extra = asked_and_extra(
        policy("resident", optional=("given_name", "family_name")),
        {"resident": True, "birthdate": "1990-04-12"},
        (("resident",), ("birthdate",)),
    )
    assert received == ("resident",)
    assert extra == 1


def test_names_are_sorted_whatever_the_policy_order() -> None:
    received, extra = asked_and_extra(
        policy("resident", "birthdate"),
        {"resident": True, "birthdate": "1990-04-12"},
        (("resident",), ("birthdate",)),
    )
    assert received == ("birthdate", "resident")
    assert extra == 0


def test_an_element_of_an_array_asked_by_index_only() -> None:
    assert claim_path("nationalities[0]") == ("nationalities", 0)
    received, extra = asked_and_extra(
        policy("nationalities[0]"),
        {"nationalities": ["DE", "FR"]},
        (("nationalities", 0), ("nationalities", 1)),
    )
    assert received == ("nationalities[0]",)
    assert extra == 1
