"""Attack on the presentation checks' schema verdict memory (keyed by the disclosed claims'
repr): claims that differ never share a verdict, whatever was judged before them (numbers,
booleans and strings alike spelled, nesting, order), so a hostile presentation cannot leave
a verdict a good one then reads; and a flood of distinct disclosures only starts the memory
over, each verdict then still right."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from civicid.eligibility import checks
from civicid.eligibility.checks import SchemaValidator

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "age": {"type": "integer", "minimum": 0},
        "resident": {"type": "boolean"},
        "name": {"type": "string", "maxLength": 5},
        "address": {
            "type": "object",
            "properties": {"zip": {"type": "string", "pattern": "^[0-9]{4}$"}},
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["age"],
}

# Pairs of claims alike to the eye (and to ==, for some) that the schema judges apart.
LOOKALIKES: list[dict[str, Any]] = [
    {"age": 1},
    {"age": 1.5},
    {"age": True},
    {"age": "1"},
    {"age": -1},
    {"resident": True},
    {"resident": 1},
    {"resident": "True"},
    {"resident": None},
    {"name": "abcde"},
    {"name": "abcdef"},
    {"name": "abcd\u00e9"},
    {"name": "ab'c"},
    {"name": 'ab"c'},
    {"name": "ab\\'c"},
    {"address": {"zip": "1234"}},
    {"address": {"zip": 1234}},
    {"address": {"zip": "1234 "}},
    {"address": ["zip", "1234"]},
    {"tags": ["a", "b"]},
    {"tags": ["a", 1]},
    {"tags": [["a"], "b"]},
    {"tags": "['a', 'b']"},
    {},
]


def truth(claims: dict[str, Any]) -> str | None:
    """The verdict of a validator that has remembered nothing."""
    return SchemaValidator(SCHEMA)._validate(claims)


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_lookalike_claims_never_share_a_verdict(order: str) -> None:
    validator = SchemaValidator(SCHEMA)
    asked = LOOKALIKES if order == "forward" else LOOKALIKES[::-1]
    expected = {repr(c): truth(c) for c in LOOKALIKES}
    assert len({v is None for v in expected.values()}) == 2  # both kinds of verdict met
    for _ in range(2):  # the second round from the memory
        for claims in asked:
            assert validator.first_error(claims) == expected[repr(claims)], claims


def test_a_bad_disclosure_judged_first_leaves_no_verdict_for_a_good_one() -> None:
    validator = SchemaValidator(SCHEMA)
    for bad, good in itertools.product(
        [{"age": True}, {"age": "18"}, {"age": 18.5}], [{"age": 18}, {"age": 18.0}]
    ):
        assert validator.first_error(bad) is not None
        assert validator.first_error(good) is None
        assert validator.first_error(bad) is not None


def test_a_flood_of_distinct_disclosures_starts_the_memory_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(checks, "MAX_VERDICTS", 8)
    validator = SchemaValidator(SCHEMA)
    for i in range(50):
        assert validator.first_error({"age": i, "name": str(i)}) is None
        assert validator.first_error({"age": -i - 1}) is not None
        assert len(validator._verdicts) <= 8
    assert validator.first_error({"age": "hostile"}) is not None
    assert validator.first_error({"age": 7}) is None
