"""DCQL (OpenID4VP 1.0 §6-7): the official query examples parse and round-trip, the matcher
picks what the rules say, and claim paths map to accreditation claim names one way only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from civicid.dcql import (
    DcqlQuery,
    Held,
    claim_name,
    claim_path,
    match,
    parse_path,
    select,
)
from civicid.errors import Error

EXAMPLES = Path(__file__).parents[1] / "vectors" / "data" / "openid4vp-1.0" / "examples"
QUERIES = sorted((EXAMPLES / "query_lang").glob("*.json")) + sorted(
    (EXAMPLES / "request").glob("dcql_*.json")
)
PID = "https://credentials.example.com/identity_credential"


def load(name: str) -> DcqlQuery:
    return DcqlQuery.from_json(json.loads((EXAMPLES / "query_lang" / name).read_text()))


def code_of(call: Any, *args: Any) -> str:
    with pytest.raises(Error) as caught:
        call(*args)
    return caught.value.code


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_official_examples_parse_and_round_trip(path: Path) -> None:
    raw = json.loads(path.read_text())
    query = DcqlQuery.from_json(raw)
    assert DcqlQuery.from_json(query.to_json()) == query
    assert [c.id for c in query.credentials] == [c["id"] for c in raw["credentials"]]


def test_claims_path_pointer_example_of_the_spec() -> None:
    # §7.4, verbatim.
    credential = {
        "name": "Arthur Dent",
        "address": {"street_address": "42 Market Street", "locality": "Milliways"},
        "degrees": [
            {"type": "Bachelor of Science", "university": "University of Betelgeuse"},
            {"type": "Master of Science", "university": "University of Betelgeuse"},
        ],
        "nationalities": ["British", "Betelgeusian"],
    }
    assert select(credential, ("name",)) == ["Arthur Dent"]
    assert select(credential, ("address", "street_address")) == ["42 Market Street"]
    assert select(credential, ("degrees", None, "type")) == [
        "Bachelor of Science",
        "Master of Science",
    ]
    assert select(credential, ("nationalities", 1)) == ["Betelgeusian"]
    assert code_of(select, credential, ("nationalities", 2)) == "dcql_path_not_found"
    assert code_of(select, credential, ("name", "first")) == "dcql_path_not_found"
    assert code_of(select, credential, ("address", 0)) == "dcql_path_not_found"


@pytest.mark.parametrize(
    "path", [[], ["a", -1], ["a", 1.5], ["a", True], ["a", ""], ["a", {}], "a", ["x"] * 17]
)
def test_bad_paths_are_refused(path: Any) -> None:
    assert code_of(parse_path, path) == "dcql_path_invalid"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (("given_name",), "given_name"),
        (("address", "street"), "address.street"),
        (("age_equal_or_over", "18"), "age_equal_or_over.18"),
        (("degrees", None, "type"), "degrees[].type"),
        (("nationalities", 1), "nationalities[1]"),
        (("nationalities", None), "nationalities[]"),
    ],
)
def test_claim_names_map_both_ways(path: tuple[Any, ...], name: str) -> None:
    assert claim_name(path) == name
    assert claim_path(name) == path


@pytest.mark.parametrize("path", [("a.b",), ("a", "b c"), (0,), (None, "a"), ("a[0]",)])
def test_paths_without_a_claim_name_are_refused(path: tuple[Any, ...]) -> None:
    assert code_of(claim_name, path) == "dcql_claim_unnameable"


@pytest.mark.parametrize("name", ["", ".a", "a.", "a..b", "[0]", "a[x]", "a[01]", "a]", "a b"])
def test_malformed_claim_names_are_refused(name: str) -> None:
    assert code_of(claim_path, name) == "dcql_claim_unnameable"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda q: q.update(credentials=[]), "no credentials"),
        (lambda q: q["credentials"][0].update(id="a b"), "id charset"),
        (lambda q: q["credentials"][0].pop("meta"), "meta is required"),
        (lambda q: q["credentials"][0]["meta"].update(vct_values=[]), "vct_values empty"),
        (lambda q: q["credentials"][0].update(multiple="yes"), "multiple not bool"),
        (lambda q: q["credentials"].append(dict(q["credentials"][0])), "duplicate id"),
        (lambda q: q["credentials"][0]["claims"].append({"path": ["last_name"]}), "same path"),
        (lambda q: q["credentials"][0].update(claim_sets=[["zz"]]), "claim set without ids"),
        (lambda q: q.update(credential_sets=[{"options": [["nope"]]}]), "unknown option"),
        (lambda q: q.update(credential_sets=[{"options": []}]), "empty options"),
        (lambda q: q["credentials"][0]["claims"][0].update(values=[{"a": 1}]), "object value"),
    ],
)
def test_malformed_queries_are_refused(change: Any, why: str) -> None:
    raw = json.loads((EXAMPLES / "query_lang" / "simple.json").read_text())
    change(raw)
    assert code_of(DcqlQuery.from_json, raw) == "dcql_invalid", why


def held(cid: str, vct: str, claims: dict[str, Any], binding: bool = True) -> Held:
    return Held(cid, "dc+sd-jwt", vct, claims, binding)


FULL = {
    "last_name": "Doe",
    "first_name": "Jane",
    "given_name": "Jane",
    "family_name": "Doe",
    "address": {"street_address": "1 Main St"},
    "postal_code": "90210",
    "locality": "Springfield",
    "region": "Here",
    "date_of_birth": "1990-01-01",
}


def test_match_simple_discloses_exactly_the_asked_paths() -> None:
    result = match(load("simple.json"), [held("c1", PID, FULL), held("c2", "urn:other", FULL)])
    assert result.satisfied and result.selection == ("my_credential",)
    (found,) = result.candidates["my_credential"]
    assert found.credential_id == "c1"
    assert found.disclose == (("last_name",), ("first_name",), ("address", "street_address"))


def test_match_missing_claim_leaves_the_query_unsatisfied() -> None:
    partial = {k: v for k, v in FULL.items() if k != "address"}
    result = match(load("simple.json"), [held("c1", PID, partial)])
    assert not result.satisfied and result.missing == ("my_credential",)
    assert result.selection == ()
    assert code_of(result.require) == "dcql_unsatisfied"


def test_match_value_matching_keeps_types_apart() -> None:
    query = load("value_matching_simple.json")
    assert match(query, [held("c1", PID, FULL)]).satisfied
    assert not match(query, [held("c1", PID, {**FULL, "last_name": "Roe"})]).satisfied
    assert not match(query, [held("c1", PID, {**FULL, "postal_code": 90210})]).satisfied


def test_match_claim_sets_picks_the_first_option_satisfied() -> None:
    query = load("claims_alternatives.json")
    first = match(query, [held("c1", PID, FULL)]).candidates["pid"][0]
    assert first.disclose == (("last_name",), ("locality",), ("region",), ("date_of_birth",))
    no_region = {k: v for k, v in FULL.items() if k != "region"}
    second = match(query, [held("c1", PID, no_region)]).candidates["pid"][0]
    assert second.disclose == (("last_name",), ("postal_code",), ("date_of_birth",))


def test_match_credential_sets_required_and_optional() -> None:
    query = load("credentials_alternatives.json")
    reduced = held("r1", "https://credentials.example.com/reduced_identity_credential", FULL)
    residence = held("r2", "https://cred.example/residence_credential", FULL)
    result = match(query, [reduced, residence])
    assert result.satisfied
    assert result.selection == ("pid_reduced_cred_1", "pid_reduced_cred_2")
    rewards = held("x", "https://company.example/company_rewards", {"rewards_number": 7})
    with_rewards = match(query, [held("p", PID, FULL), rewards])
    assert with_rewards.selection == ("pid", "nice_to_have")
    only_rewards = match(query, [rewards])
    assert not only_rewards.satisfied and only_rewards.missing == ("pid",)


def test_match_refuses_unbound_credential_when_binding_required() -> None:
    assert not match(load("simple.json"), [held("c1", PID, FULL, binding=False)]).satisfied


def test_check_vp_token_shape() -> None:
    query = load("credentials_alternatives.json")
    assert query.check_vp_token({"pid": ["x~"]}) == {"pid": ["x~"]}
    for bad in ({}, [], {"pid": []}, {"pid": ["a", "b"]}, {"nope": ["x"]}, {"nice_to_have": ["x"]}):
        assert code_of(query.check_vp_token, bad) == "dcql_response_invalid", bad
