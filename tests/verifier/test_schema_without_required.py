"""A type's schema is held without ``required`` wherever a schema stands in it (a holder
discloses only what the desk asks: absence is the policy's business), also inside lists of
subschemas (``anyOf``, ``allOf``, ``prefixItems``) and single ones (``items``, ``not``);
every other keyword stays, and so does every value (an ``enum``'s, a ``const``'s) and every
name (a claim, or a definition, called "required"): each still refuses what does not fit."""

from __future__ import annotations

from typing import Any

from civicid.eligibility.checks import SchemaValidator

ANY_OF: dict[str, Any] = {
    "type": "object",
    "anyOf": [
        {"required": ["given_name"], "properties": {"given_name": {"type": "string"}}},
        {"required": ["birthdate"], "properties": {"birthdate": {"type": "string"}}},
    ],
}
ENUM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["resident", "required", "visitor"]},
        "flags": {"enum": [{"required": True}, {"required": False}]},
        "rule": {"const": {"limits": {"required": 2}}},
    },
    "required": ["kind"],
}
ALL_OF_ITEMS: dict[str, Any] = {
    "type": "object",
    "allOf": [{"required": ["nationalities"]}],
    "properties": {
        "nationalities": {
            "type": "array",
            "prefixItems": [
                {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}},
                }
            ],
            "items": {
                "type": "object",
                "required": ["code"],
                "properties": {"code": {"type": "string"}},
            },
        }
    },
}


def test_required_inside_a_list_of_subschemas_is_dropped() -> None:
    validator = SchemaValidator(ANY_OF)
    assert validator.first_error({}) is None
    assert validator.first_error({"resident": True}) is None
    assert validator.first_error({"given_name": 7}) is None  # the other branch holds
    error = validator.first_error({"given_name": 7, "birthdate": 8})
    assert error is not None and error.startswith("the credential: ")


def test_a_list_of_values_stays_as_it_is() -> None:
    validator = SchemaValidator(ENUM)
    assert validator.first_error({}) is None
    assert validator.first_error({"kind": "required"}) is None  # a value, not the keyword
    assert validator.first_error({"kind": "visitor"}) is None
    error = validator.first_error({"kind": "tourist"})
    assert error is not None and error.startswith("kind: ")


def test_values_that_look_like_the_keyword_stay() -> None:
    validator = SchemaValidator(ENUM)
    assert validator.first_error({"flags": {"required": False}}) is None
    error = validator.first_error({"flags": {}})
    assert error is not None and error.startswith("flags: ")
    assert validator.first_error({"rule": {"limits": {"required": 2}}}) is None
    error = validator.first_error({"rule": {"limits": {}}})
    assert error is not None and error.startswith("rule: ")


NAMED_REQUIRED: dict[str, Any] = {
    "required": ["required"],
    "type": "object",
    "properties": {
        "required": {"type": "boolean"},
        "guardian": {"$ref": "#/$defs/required"},
        "nickname": {"items": {"required": ["x"], "type": "string"}},
        "alias": {"type": "object", "not": {"required": ["x"]}},
        "address": {
            "type": "object",
            "if": {"required": ["country"]},
            "then": {"required": ["street"], "properties": {"street": {"type": "string"}}},
        },
        "anything": True,
        "nothing": False,
    },
    "$defs": {"required": {"type": "object", "properties": {"name": {"type": "string"}}}},
}


def test_a_claim_or_a_definition_named_required_keeps_its_schema() -> None:
    validator = SchemaValidator(NAMED_REQUIRED)
    assert validator.first_error({}) is None
    assert validator.first_error({"required": True, "anything": [1]}) is None
    error = validator.first_error({"required": "yes"})
    assert error is not None and error.startswith("required: ")
    assert validator.first_error({"guardian": {"name": "Ann"}}) is None
    error = validator.first_error({"guardian": {"name": 7}})
    assert error is not None and error.startswith("guardian.name: ")


def test_single_subschemas_lose_required_and_keep_the_rest() -> None:
    validator = SchemaValidator(NAMED_REQUIRED)
    assert validator.first_error({"nickname": ["Ace"]}) is None
    error = validator.first_error({"nickname": [7]})
    assert error is not None and error.startswith("nickname.0: ")
    error = validator.first_error({"nothing": None})
    assert error is not None and "False schema" in error


def test_under_not_and_if_required_is_a_condition_and_stays() -> None:
    validator = SchemaValidator(NAMED_REQUIRED)
    assert validator.first_error({"alias": {}}) is None
    error = validator.first_error({"alias": {"x": 1}})  # the issuer's schema forbids x
    assert error is not None and error.startswith("alias: ")
    assert validator.first_error({"address": {}}) is None  # no country: no rule
    assert validator.first_error({"address": {"country": "FR"}}) is None  # street undisclosed
    error = validator.first_error({"address": {"country": "FR", "street": 5}})
    assert error is not None and error.startswith("address.street: ")


def test_required_is_dropped_at_every_depth_of_lists() -> None:
    validator = SchemaValidator(ALL_OF_ITEMS)
    assert validator.first_error({}) is None
    assert validator.first_error({"nationalities": [{}, {}]}) is None
    error = validator.first_error({"nationalities": [{"code": 276}]})
    assert error is not None and error.startswith("nationalities.0.code: ")
    error = validator.first_error({"nationalities": [{}, {"code": 250}]})
    assert error is not None and error.startswith("nationalities.1.code: ")


def test_the_schema_given_is_not_changed() -> None:
    before = repr(ANY_OF), repr(ENUM), repr(ALL_OF_ITEMS)
    SchemaValidator(ANY_OF), SchemaValidator(ENUM), SchemaValidator(ALL_OF_ITEMS)
    assert (repr(ANY_OF), repr(ENUM), repr(ALL_OF_ITEMS)) == before
