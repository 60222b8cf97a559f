"""A type's validator is compiled once per schema and found again without writing the schema
out when the trust package hands over the very schema object it remembers; another object
(a schema proven again, another ledger's) is looked up by its text, and a different schema
under the same type and registration gets its own validator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from civicid.eligibility import checks
from civicid.eligibility.checks import schema_validator

VCT = "https://civicid.example/vct/national-id"


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fresh memories, and every value the checks write out as JSON."""
    monkeypatch.setattr(checks, "_VALIDATORS", {})
    monkeypatch.setattr(checks, "_LAST_VALIDATOR", {})
    seen: list[Any] = []
    dumps = json.dumps

    def counting(value: Any, **kwargs: Any) -> str:
        seen.append(value)
        return dumps(value, **kwargs)

    monkeypatch.setattr(checks.json, "dumps", counting)
    yield seen


def schema(kind: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"resident": {"type": kind}}}


def test_the_same_schema_object_is_not_written_out_again(written: list[Any]) -> None:
    proven = schema("boolean")
    first = schema_validator(VCT, 3, proven)
    assert schema_validator(VCT, 3, proven) is first
    assert schema_validator(VCT, 3, proven) is first
    assert written == [proven]
    assert first.first_error({"resident": "yes"}) is not None


def test_an_equal_schema_in_another_object_finds_the_same_validator(written: list[Any]) -> None:
    first = schema_validator(VCT, 3, schema("boolean"))
    again = schema("boolean")
    assert schema_validator(VCT, 3, again) is first
    assert schema_validator(VCT, 3, again) is first  # then remembered by this object
    assert len(written) == 2


def test_another_schema_under_the_same_name_gets_its_own_validator(written: list[Any]) -> None:
    strict, loose = schema("boolean"), schema("string")
    first = schema_validator(VCT, 3, strict)
    other = schema_validator(VCT, 3, loose)
    assert other is not first
    assert other.first_error({"resident": "yes"}) is None
    assert first.first_error({"resident": "yes"}) is not None
    assert schema_validator(VCT, 3, strict) is first
