"""The compiled check of a type's JSON Schema says yes only where jsonschema finds nothing
wrong (its no, and schemas it does not read, go to jsonschema): held to jsonschema over the
national ID's schema and one using every keyword it reads, on generated claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker, validators

from issuer.claims_schema import compile_schema

TYPES = Path(__file__).parents[2] / "examples" / "types"
NATIONAL_ID = json.loads((TYPES / "national-id.schema.json").read_text("utf-8"))
CLAIMS = json.loads((TYPES / "national-id.claims.json").read_text("utf-8"))
EVERY_KEYWORD: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": ["object", "null"],
    "properties": {
        "kind": {"enum": ["a", "b"]},
        "mail": {"type": "string", "format": "email", "minLength": 3},
        "when": {"format": "date"},
        "flag": {"type": ["boolean", "string"], "maxLength": 2},
        "tags": {"type": "array", "items": True, "uniqueItems": True, "maxItems": 3},
        "list": {"type": "array", "uniqueItems": False, "minItems": 2},
        "open": {"type": "object", "additionalProperties": True, "required": ["a"]},
        "code": {"pattern": "[0-9]$"},
    },
    "required": ["kind"],
    "additionalProperties": False,
}
NAMES = sorted(
    {*NATIONAL_ID["properties"], *EVERY_KEYWORD["properties"], "street_address", "locality"}
    | {"country", "18", "65", "a"}
)
TEXT = st.sampled_from(
    ["", "a", "b", "c", "1", "FR", "fr", "GBR", "x@y.z", "1990-12-10", "1990-13-10", "z" * 201]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.floats(-1, 1), TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(NAMES) | TEXT, inner, max_size=6)
    ),
    max_leaves=20,
)


def judges(schema: dict[str, Any]) -> tuple[Any, Any]:
    formats = FormatChecker()
    validator = validators.validator_for(schema)(schema, format_checker=formats)
    accepts = compile_schema(schema, formats.conforms)
    assert accepts is not None
    return accepts, validator


@pytest.mark.parametrize("schema", [NATIONAL_ID, EVERY_KEYWORD], ids=["national-id", "every"])
@settings(max_examples=400, deadline=None)
@given(value=VALUES)
def test_a_yes_is_a_yes_of_jsonschema(schema: dict[str, Any], value: Any) -> None:
    accepts, validator = judges(schema)
    if accepts(value):
        assert list(validator.iter_errors(value)) == [], value


BASES = {
    "national-id": (NATIONAL_ID, CLAIMS),
    "every": (EVERY_KEYWORD, {"kind": "a", "open": {"a": 1}, "tags": ["x"]}),
}


@pytest.mark.parametrize("schema, base", BASES.values(), ids=BASES.keys())
@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(NAMES), value=VALUES, inner=st.sampled_from(NAMES), deep=VALUES)
def test_valid_claims_with_a_member_changed(
    schema: dict[str, Any], base: dict[str, Any], name: str, value: Any, inner: str, deep: Any
) -> None:
    """Near valid claims, where most of what a clerk sends lies: a member set to anything,
    and a member of a nested object (the address, ``open``) too."""
    accepts, validator = judges(schema)
    for claims in (
        {**base, name: value},
        {**base, "address": {**CLAIMS["address"], inner: deep}},
        {**base, "open": {"a": 1, inner: deep}},
    ):
        if accepts(claims):
            assert list(validator.iter_errors(claims)) == [], claims


def test_valid_claims_are_accepted_without_jsonschema() -> None:
    accepts, _ = judges(NATIONAL_ID)
    assert accepts(CLAIMS)
    every, _ = judges(EVERY_KEYWORD)
    assert every({"kind": "a", "mail": "x@y.z", "tags": ["1", "2"], "list": [1, 1], "code": "a1"})
    assert every(None)


# One claim breaking one keyword each: no from the compiled check, and errors from jsonschema.
BROKEN = {
    "too-long": (NATIONAL_ID, {**CLAIMS, "given_name": "z" * 201}),
    "too-short": (NATIONAL_ID, {**CLAIMS, "family_name": ""}),
    "no-date": (NATIONAL_ID, {**CLAIMS, "birthdate": "1990-13-10"}),
    "wrong-type": (NATIONAL_ID, {**CLAIMS, "resident": "yes"}),
    "no-match": (NATIONAL_ID, {**CLAIMS, "address": {**CLAIMS["address"], "country": "fr"}}),
    "nested-extra": (NATIONAL_ID, {**CLAIMS, "address": {**CLAIMS["address"], "x": "1"}}),
    "nested-missing": (NATIONAL_ID, {**CLAIMS, "age_equal_or_over": {"18": True}}),
    "extra": (NATIONAL_ID, {**CLAIMS, "nickname": "Ada"}),
    "missing": (NATIONAL_ID, {k: v for k, v in CLAIMS.items() if k != "birthdate"}),
    "no-items": (NATIONAL_ID, {**CLAIMS, "nationalities": []}),
    "too-many-items": (NATIONAL_ID, {**CLAIMS, "nationalities": [f"A{c}" for c in "ABCDEFGHIJK"]}),
    "item-no-match": (NATIONAL_ID, {**CLAIMS, "nationalities": ["FR", "gb"]}),
    "not-unique": (NATIONAL_ID, {**CLAIMS, "nationalities": ["FR", "FR"]}),
    "not-in-enum": (EVERY_KEYWORD, {"kind": "c"}),
    "long-or-bool": (EVERY_KEYWORD, {"kind": "a", "flag": "abc"}),
    "format": (EVERY_KEYWORD, {"kind": "a", "mail": "xyz"}),
    "format-anywhere": (EVERY_KEYWORD, {"kind": "a", "when": "1990-13-10"}),
    "unique-any": (EVERY_KEYWORD, {"kind": "a", "tags": ["x", "x"]}),
    "min-items": (EVERY_KEYWORD, {"kind": "a", "list": [1]}),
    "pattern-unanchored": (EVERY_KEYWORD, {"kind": "a", "code": "1a"}),
    "not-a-type-listed": (EVERY_KEYWORD, []),
}


@pytest.mark.parametrize("schema, claims", BROKEN.values(), ids=BROKEN.keys())
def test_claims_breaking_one_keyword_are_left_to_jsonschema(
    schema: dict[str, Any], claims: Any
) -> None:
    accepts, validator = judges(schema)
    assert list(validator.iter_errors(claims)) != []
    assert not accepts(claims)


@pytest.mark.parametrize(
    "schema",
    [
        False,
        {"$ref": "#/$defs/a", "$defs": {"a": True}},
        {"type": "integer"},
        {"type": "number"},
        {"minimum": 1},
        {"items": [{"type": "string"}]},
        {"enum": [1, "1"]},
        {"additionalProperties": {"type": "string"}},
        {"patternProperties": {"^a": True}, "additionalProperties": False},
        {"properties": {"a": {"const": 1}}},
        {"maxLength": 1.5},
        {"pattern": "("},
    ],
)
def test_a_schema_outside_the_subset_is_not_compiled(schema: Any) -> None:
    assert compile_schema(schema, FormatChecker().conforms) is None
