"""A policy's conditions as `issuer rules list`, decisions and refusals say them: in words a
clerk reads ("resident: yes"), never as Python ("resident is True", "['FR', 'BE']")."""

from __future__ import annotations

from datetime import date

import pytest

from civicid.errors import Error
from civicid.policy import Predicate


@pytest.mark.parametrize(
    "claim, kind, value, said",
    [
        ("resident", "equals", True, "resident: yes"),
        ("resident", "equals", False, "resident: no"),
        ("nationality", "equals", "FR", "nationality: FR"),
        ("household_size", "equals", 3, "household_size: 3"),
        ("nationality", "one_of", ("FR", "BE"), "nationality: one of FR, BE"),
        ("birth_date", "age_at_least", 65, "age is at least 65"),
        ("expiry_date", "date_in_future", True, "expiry_date is a date in the future"),
    ],
)
def test_each_condition_in_words(claim: str, kind: str, value: object, said: str) -> None:
    assert Predicate(claim, kind, value).describe() == said


def test_a_refusal_names_the_condition_in_the_same_words() -> None:
    predicate = Predicate("resident", "equals", True)
    with pytest.raises(Error) as info:
        predicate.check([False], today=date(2026, 1, 1))
    assert info.value.code == "predicate_failed"
    assert info.value.message == "not met: resident: yes"
