"""A type's schema is held without ``required`` anywhere in it (a holder discloses only what
the desk asks: absence is the policy's business), also inside lists of subschemas (``anyOf``,
``allOf``, ``prefixItems``); every other keyword, and every list of values (``enum``) stays,
and still refuses what does not fit."""

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
    "properties": {"kind": {"enum": ["resident", "required", "visitor"]}},
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
            "items": {"type": "object", "properties": {"code": {"type": "string"}}},
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
