"""SD-JWT VC Type Metadata: the spec's examples pass; each malformed member is refused by code."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from civicid.errors import Error
from civicid.type_metadata import (
    check_extension,
    check_metadata,
    check_schema,
    effective_claims,
)
from tests.conftest import load_vector

EXAMPLES = {
    v["id"]: v["metadata"]
    for v in load_vector("sd-jwt/sd-jwt-vc-type-metadata-examples.json")["vectors"]
}
FIGURE_30 = EXAMPLES["type-metadata-A.2-figure-30"]


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(Error) as info:
        call()
    return info.value.code


@pytest.mark.parametrize("vector_id", sorted(EXAMPLES))
def test_the_specs_examples_pass(vector_id: str) -> None:
    document = EXAMPLES[vector_id]
    checked = check_metadata(document, document["vct"])
    assert checked.vct == document["vct"]
    assert checked.extends == document.get("extends")


def test_figure_30_claim_metadata_is_read() -> None:
    checked = check_metadata(FIGURE_30, FIGURE_30["vct"])
    degrees = checked.claim(("degrees", None))
    assert degrees is not None and degrees.disclosure == "always"
    name = checked.claim(("name",))
    assert name is not None and name.mandatory is True


def test_extension_merges_claims_as_in_5_6_5_2() -> None:
    """Figure 22: the child's address.city display wins; name is inherited."""
    base = check_metadata(
        EXAMPLES["type-metadata-5.6.5.2-base"], "https://example.com/base-type-metadata"
    )
    child = check_metadata(
        EXAMPLES["type-metadata-5.6.5.2-child"], "https://example.com/custom-type-metadata"
    )
    check_extension(child, effective_claims([base]))
    merged = effective_claims([base, child])
    assert set(merged) == {("name",), ("address", "city"), ("nationalities",)}


def test_a_child_may_not_loosen_sd_or_mandatory() -> None:
    """§5.6.5.1: "always"/"never" and mandatory are promises the child keeps."""
    base = check_metadata(
        {"vct": "urn:base", "claims": [{"path": ["a"], "sd": "never", "mandatory": True}]},
        "urn:base",
    )
    narrowed = check_metadata(
        {"vct": "urn:child", "extends": "urn:base", "claims": [{"path": ["a"], "sd": "never"}]},
        "urn:child",
    )
    check_extension(narrowed, effective_claims([base]))
    for claim in ({"path": ["a"], "sd": "always"}, {"path": ["a"], "mandatory": False}):
        child = check_metadata(
            {"vct": "urn:child", "extends": "urn:base", "claims": [claim]}, "urn:child"
        )
        assert code_of(lambda c=child: check_extension(c, effective_claims([base]))) == (
            "type_metadata_invalid"
        )


def mutate_example(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = copy.deepcopy(FIGURE_30)
    change(document)
    return document


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.update(vct="https://other.example/vct"), id="vct-differs"),
        pytest.param(lambda d: d.update(extends=d["vct"]), id="extends-itself"),
        pytest.param(lambda d: d.update(name=""), id="empty-name"),
        pytest.param(lambda d: d.update(display={"locale": "en"}), id="display-not-array"),
        pytest.param(lambda d: d["display"][0].pop("name"), id="display-without-name"),
        pytest.param(lambda d: d["display"][0].update(locale="en US"), id="bad-locale"),
        pytest.param(lambda d: d["display"][1].update(locale="en-US"), id="duplicate-locale"),
        pytest.param(
            lambda d: d["display"][0]["rendering"]["simple"].update(background_color="blue!"),
            id="bad-colour",
        ),
        pytest.param(
            lambda d: d["display"][0]["rendering"]["simple"]["logo"].update(
                uri="http://insecure.example/logo.png"
            ),
            id="logo-not-https",
        ),
        pytest.param(
            lambda d: d["display"][0]["rendering"]["simple"]["logo"].update(
                {"uri#integrity": "md5-abc"}
            ),
            id="bad-integrity",
        ),
        pytest.param(
            lambda d: d["display"][0]["rendering"]["svg_templates"].append(
                {"uri": "https://x.example/b.svg"}
            ),
            id="several-templates-without-properties",
        ),
        pytest.param(
            lambda d: d["display"][0]["rendering"]["svg_templates"][0]["properties"].update(
                orientation="diagonal"
            ),
            id="bad-svg-orientation",
        ),
        pytest.param(lambda d: d["claims"][0].update(path=[]), id="empty-path"),
        pytest.param(lambda d: d["claims"][0].update(path=["a", -1]), id="negative-index"),
        pytest.param(lambda d: d["claims"][0].update(sd="sometimes"), id="bad-sd"),
        pytest.param(lambda d: d["claims"][0].update(mandatory="yes"), id="bad-mandatory"),
        pytest.param(lambda d: d["claims"][1].update(path=["name"]), id="duplicate-path"),
        pytest.param(lambda d: d["claims"][0].update(svg_id="1st"), id="bad-svg-id"),
        pytest.param(
            lambda d: d["claims"][0].update(svg_id="address_street_address"), id="dup-svg-id"
        ),
        pytest.param(lambda d: d["claims"][0]["display"][0].pop("label"), id="claim-no-label"),
        pytest.param(lambda d: d.update(padding="x" * 70_000), id="too-large"),
    ],
)
def test_malformed_metadata(change: Callable[[dict[str, Any]], object]) -> None:
    document = mutate_example(change)
    assert code_of(lambda: check_metadata(document, FIGURE_30["vct"])) == "type_metadata_invalid"


@pytest.mark.parametrize("claim", ["iss", "cnf", "status", "vct", "exp", "nbf"])
@pytest.mark.parametrize("sd", ["always", "allowed", None])
def test_never_disclosable_claims_must_say_never(claim: str, sd: str | None) -> None:
    """SD-JWT VC §2.2.2.3 / DESIGN pitfall 9; an omitted sd means "allowed" (§5.6.4)."""
    entry: dict[str, Any] = {"path": [claim, "sub"] if claim == "cnf" else [claim]}
    if sd is not None:
        entry["sd"] = sd
    document = {"vct": "urn:t", "claims": [entry]}
    assert code_of(lambda: check_metadata(document, "urn:t")) == "type_metadata_invalid"
    entry["sd"] = "never"
    check_metadata(document, "urn:t")


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "objekt"}, id="unknown-type"),
        pytest.param({"properties": {"a": {"minLength": -1}}}, id="negative-minLength"),
        pytest.param({"required": "a"}, id="required-not-array"),
        pytest.param([], id="not-an-object"),
        pytest.param({"$schema": "https://evil.example/schema"}, id="unknown-dialect"),
        pytest.param({"$ref": "https://evil.example/schema.json"}, id="remote-ref"),
        pytest.param({"properties": {"a": {"$ref": "other.json#/x"}}}, id="relative-ref"),
        pytest.param({"$dynamicRef": "https://evil.example/x"}, id="remote-dynamic-ref"),
        pytest.param({"description": "x" * 70_000}, id="too-large"),
    ],
)
def test_bad_schemas(schema: Any) -> None:
    assert code_of(lambda: check_schema(schema)) == "type_schema_invalid"


def test_deeply_nested_schema_is_refused_before_validation() -> None:
    schema: dict[str, Any] = {"type": "object"}
    for _ in range(40):
        schema = {"properties": {"a": schema}}
    assert code_of(lambda: check_schema(schema)) == "type_schema_invalid"


def test_local_refs_and_known_dialects_pass() -> None:
    check_schema(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"name": {"type": "string"}},
            "properties": {"given_name": {"$ref": "#/$defs/name"}},
        }
    )
    check_schema({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"})
