"""Words for people: times, ages, claim names, values and decisions."""

from __future__ import annotations

import pytest

from civicid import words

NOW = 1_780_000_000  # 28 May 2026, 20:26:40 UTC


def test_times_and_dates() -> None:
    assert words.moment(NOW) == "28 May 2026, 20:26 UTC"
    assert words.day(NOW) == "28 May 2026"
    assert words.day(0) == "1 Jan 1970"


@pytest.mark.parametrize(
    "delta, said",
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 minute ago"),
        (119, "1 minute ago"),
        (7200, "2 hours ago"),
        (86400, "1 day ago"),
        (3 * 86400 + 5, "3 days ago"),
        (-4 * 86400, "in 4 days"),
        (-90, "in 1 minute"),
    ],
)
def test_ages(delta: int, said: str) -> None:
    assert words.ago(NOW - delta, NOW) == said


@pytest.mark.parametrize(
    "name, said",
    [
        ("given_name", "Given name"),
        ("age_equal_or_over.18", "Age 18 or over"),
        (("age_equal_or_over", "65"), "Age 65 or over"),
        ("address.street_address", "Address / Street"),
        ("birthdate", "Date of birth"),  # the plainer words, as the wallet app says them
        ("address.locality", "Address / Town"),
        (("nationalities", None), "Nationalities / any"),
        ("degrees[2].type", "Degrees / #3 / Type"),
        ("age_equal_or_over.eighteen", "Age equal or over / Eighteen"),
        ("place-of-birth", "Place of birth"),  # a hyphenated name reads as words too
        ("address.postal-code", "Address / Postal code"),
    ],
)
def test_claims_in_words(name: str | tuple[str | None, ...], said: str) -> None:
    assert words.claim(name) == said


def test_a_type_s_labels_come_first() -> None:
    labels = {"age_equal_or_over.18": "18 or over", "address": "Home address"}
    assert words.claim("age_equal_or_over.18", labels) == "18 or over"
    assert words.claim(("age_equal_or_over", "18"), labels) == "18 or over"
    assert words.claim("address.locality", labels) == "Home address / Town"


def test_values_and_decisions() -> None:
    assert words.value(True) == "yes" and words.value(False) == "no"
    assert words.value(None) == "—"
    assert words.value(["FR", "GB"]) == "FR, GB"
    assert words.value({"locality": "Lyon", "in_city": True}) == "Town: Lyon, In city: yes"
    assert words.decision("not_eligible") == "Not eligible"
    assert words.decision("eligible") == "Eligible"
    assert words.decision(None) == "No decision"


@pytest.mark.parametrize(
    "predicate, said",
    [
        ({"claim": "age_equal_or_over", "age_at_least": 65}, "Age 65 or over"),
        ({"claim": "birthdate", "age_at_least": 18}, "Age 18 or over"),
        ({"claim": "resident", "equals": True}, "Resident must be yes"),
        ({"claim": "nationality", "one_of": ["FR", "BE"]}, "Nationality must be one of FR, BE"),
        (
            {"claim": "expiry_date", "date_in_future": True},
            "Expiry date must be a date still to come",
        ),
    ],
)
def test_conditions_in_words(predicate: dict[str, object], said: str) -> None:
    from civicid.policy import Predicate

    assert words.condition(Predicate.from_toml(predicate, "test")) == said


def test_labels_from_a_type_s_metadata_in_the_preferred_locale() -> None:
    metadata = {
        "claims": [
            {"path": ["birthdate"], "display": [
                {"locale": "fr-FR", "label": "Date de naissance"},
                {"locale": "en-GB", "label": "Date of birth"},
            ]},
            {"path": ["address", "locality"], "display": [{"locale": "fr-FR", "label": "Commune"}]},
            {"path": ["age_equal_or_over", "18"], "display": [{"locale": "en", "label": "18+"}]},
            {"path": ["resident"]},  # no display: worded from its name
            {"path": "not a path", "display": [{"label": "Broken"}]},
            {"display": [{"label": "No path"}]},
            "not an entry",
        ]
    }  # fmt: skip
    assert words.labels(metadata) == {
        "birthdate": "Date of birth",
        "address.locality": "Commune",  # the only one given
        "age_equal_or_over.18": "18+",
    }
    assert words.labels({}) == {} and words.labels({"claims": "none"}) == {}
