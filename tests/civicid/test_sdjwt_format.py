"""The wire format's pieces on their own: canonical base64url, Disclosures, limits at their
exact boundaries, nesting through objects and arrays, and claims inside array elements."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid import sdjwt_format
from civicid.errors import Error
from civicid.sdjwt import (
    MAX_DEPTH,
    MAX_DISCLOSURES,
    MAX_PRESENTATION_BYTES,
    Disclosure,
    decode_unverified,
    issue,
    parse,
    present,
    verify_key_binding,
)
from civicid.sdjwt_format import (
    SDJWT_MALFORMED,
    b64url_decode_strict,
    base64url,
    loads_strict,
    parse_jws,
)
from tests.civicid.sdjwt_fixtures import (
    AUD,
    CLAIMS,
    KID,
    NONCE,
    NOW,
    bind,
    check,
    credential,
    holder_key,
    issuer_key,
    presentation,
    refused,
    resign,
    with_disclosures,
)


def code_of(work: Any) -> str:
    with pytest.raises(Error) as exc:
        work()
    return exc.value.code


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"A", "QQ"),
        (b"AB", "QUI"),
        (b"ABC", "QUJD"),
        (b"\x00\x00\x17", "AAAX"),
        (b"\xfb\xff", "-_8"),
    ],
)
def test_base64url_round_trips(data: bytes, text: str) -> None:
    assert base64url(data) == text
    assert b64url_decode_strict(text) == data


@pytest.mark.parametrize(
    "text",
    [
        *("QR", "QE", "QI", "QV", "QUJ", "QUK", "A", "QUJDR", "QQ==", "Q Q", "QQ\n"),
        # The standard alphabet's "+" and "/", padding within or after, anything not ASCII:
        # refused wherever they are, also where dropping them would leave valid base64url.
        *("+QUJD", "/QUJD", "QUJD+QUJD", "QUJ+", "QUJ/", "QUJD====", "Q=QUJD", "QUé", "QU\ud800"),
    ],
)
def test_non_canonical_base64url_is_refused(text: str) -> None:
    # "QR": two characters carry 12 bits for 8, and R sets one of the 4 spare ones (E and I
    # set the two upper spare bits, which a check of only the last two would miss).
    assert code_of(lambda: b64url_decode_strict(text)) == "sdjwt_malformed"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a":[1,{"b":null}]}', {"a": [1, {"b": None}]}),
        (' \t{"a": 1}\r\n ', {"a": 1}),  # RFC 8259 §2: whitespace around the value
        ("12", 12),
        ('"é"', "é"),
        ("[]", []),
    ],
)
def test_strict_json_reads_what_rfc_8259_allows(text: str, value: Any) -> None:
    assert loads_strict(text, SDJWT_MALFORMED) == value
    assert loads_strict(text.encode(), SDJWT_MALFORMED) == value


@pytest.mark.parametrize(
    "text",
    ["", " ", '{"a":1}x', '{"a":1} {"b":2}', "1 2", "[1]]", '{"a":1,"a":2}', "NaN", "[-Infinity]"],
)
def test_strict_json_refuses_the_rest(text: str) -> None:
    assert code_of(lambda: loads_strict(text, SDJWT_MALFORMED)) == "sdjwt_malformed"


@pytest.mark.parametrize("name", ["given_name", None])
def test_disclosure_parses_back_to_what_was_made(name: str | None) -> None:
    made = Disclosure.make("c2FsdA", name, {"x": [1, "é"]})
    parsed = Disclosure.parse(made.text)
    assert parsed == made
    assert (parsed.salt, parsed.name, parsed.value) == ("c2FsdA", name, {"x": [1, "é"]})
    raw = json.loads(b64url_decode_strict(made.text))
    assert raw == (
        ["c2FsdA", {"x": [1, "é"]}] if name is None else ["c2FsdA", name, {"x": [1, "é"]}]
    )


def test_default_decoys_are_two_per_object() -> None:
    payload = parse(credential()).payload
    assert len(payload["_sd"]) == 4 + 2
    assert len(payload["age_equal_or_over"]["_sd"]) == 2 + 2


def test_clear_array_elements_and_claims_inside_them() -> None:
    claims = {
        "degrees": [{"type": "BSc", "year": 2001}, {"type": "MSc", "year": 2003}],
        "tags": ["a", "b"],
    }
    token = credential(claims=claims, disclosable=[("degrees", None, "type")])
    assert parse(token).payload["tags"] == ["a", "b"]
    everything = check(token, require_key_binding=False)
    assert everything.payload["degrees"] == claims["degrees"]
    assert set(everything.disclosed) == {("degrees", 0, "type"), ("degrees", 1, "type")}
    shown = check(presentation(token, disclose=[("degrees", 1, "type")]))
    assert shown.payload["degrees"] == [{"year": 2001}, {"type": "MSc", "year": 2003}]
    assert shown.disclosed == (("degrees", 1, "type"),)


def test_wildcard_on_an_object_discloses_nothing() -> None:
    # None means "every element of an array"; on an object it names no claim.
    token = credential(disclosable=[("address", None)])
    assert decode_unverified(token).disclosures == ()


def test_path_one_past_the_last_element() -> None:
    assert code_of(lambda: presentation(disclose=[("nationalities", 2)])) == "sdjwt_path_not_found"


def test_missing_sd_alg_means_sha_256() -> None:
    def edit(payload: dict[str, Any]) -> None:
        del payload["_sd_alg"]

    verified = check(bind(with_disclosures(resign(credential(), edit), [])))
    assert "_sd_alg" not in verified.payload


def test_step_requires_key_binding_by_default() -> None:
    parsed = parse(present(credential(), disclose=[], holder_key=None))
    with pytest.raises(Error) as exc:
        verify_key_binding(parsed, holder_key().public, now=NOW, nonce=NONCE, aud=AUD)
    assert exc.value.code == "kb_missing"


def test_verify_passes_its_skew_to_every_time_check() -> None:
    check(presentation(credential(exp=NOW)), skew=1)
    refused("sdjwt_expired", presentation(credential(exp=NOW)), skew=0)
    check(presentation(iat=NOW + 1), skew=1)
    refused("kb_iat_future", presentation(iat=NOW + 1), skew=0)


def test_verified_carries_what_was_sent() -> None:
    token = presentation(disclose=[("given_name",), ("birthdate",)])
    parsed = parse(token)
    verified = check(token)
    assert verified.issuer_jwt == parsed.issuer_jwt
    assert verified.disclosures == parsed.disclosures
    assert verified.header == parsed.jws.header


def test_decode_unverified_keeps_the_kb_jwt() -> None:
    token = presentation()
    assert decode_unverified(token).kb_jwt == parse(token).kb_jwt is not None


def test_holder_may_bind_an_unbound_credential_but_no_verifier_accepts_it() -> None:
    token = presentation(credential(cnf_jwk=None))
    refused("kb_cnf_missing", token)


@pytest.mark.parametrize(
    "kb",
    ["!!!.e30.AA", "e30.!!!.AA", "e30.e30.!!!", "bm90anNvbg.e30.AA", "W10.e30.AA", ".e30.AA"],
)
def test_kb_jwt_with_a_bad_part(kb: str) -> None:
    refused("kb_malformed", present(credential(), disclose=[], holder_key=None) + kb)


def nested_lists(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def test_arrays_nest_to_the_limit_and_no_further() -> None:
    def at(depth: int) -> str:
        def edit(payload: dict[str, Any]) -> None:
            payload["deep"] = nested_lists(depth)

        return bind(with_disclosures(resign(credential(), edit), []))

    check(at(MAX_DEPTH - 1))
    refused("sdjwt_too_deep", at(MAX_DEPTH))


def nested_objects(depth: int) -> Any:
    return json.loads('{"d":' * depth + '"x"' + "}" * depth)


def test_objects_in_an_array_nest_to_the_limit_and_no_further() -> None:
    # The payload, the array, then the objects inside it: each level counts once.
    def at(objects: int) -> str:
        def edit(payload: dict[str, Any]) -> None:
            payload["deep"] = [nested_objects(objects)]

        return bind(with_disclosures(resign(credential(), edit), []))

    check(at(MAX_DEPTH - 2))
    refused("sdjwt_too_deep", at(MAX_DEPTH - 1))


@pytest.mark.parametrize("make", [nested_lists, nested_objects])
def test_issuer_nests_to_the_verifiers_limit_and_no_further(make: Any) -> None:
    deepest = {"deep": make(MAX_DEPTH - 1)}
    token = credential(claims=deepest, disclosable=[])
    assert check(token, require_key_binding=False).payload["deep"] == deepest["deep"]
    too_deep = {"deep": make(MAX_DEPTH)}
    assert code_of(lambda: credential(claims=too_deep, disclosable=[])) == "sdjwt_too_deep"


def test_size_limit_is_exact() -> None:
    sd = present(credential(), disclose=[], holder_key=None)
    filler = "A" * (MAX_PRESENTATION_BYTES - len(sd) - 1)
    exact = sd + filler + "~"
    assert len(exact) == MAX_PRESENTATION_BYTES
    refused("sdjwt_disclosure_malformed", exact, require_key_binding=False)
    refused("sdjwt_too_large", sd + filler + "A~", require_key_binding=False)


def test_disclosure_count_limit_is_exact() -> None:
    sd = present(credential(), disclose=[], holder_key=None)
    junk = "WyJzIiwgIm4iLCAxXQ"
    refused("sdjwt_disclosure_duplicate", with_disclosures(sd, [junk] * MAX_DISCLOSURES))
    refused("sdjwt_too_large", with_disclosures(sd, [junk] * (MAX_DISCLOSURES + 1)))


def test_issue_leaves_the_callers_claims_alone() -> None:
    before = json.dumps(CLAIMS, sort_keys=True)
    issue(
        issuer_key=issuer_key(),
        kid="k",
        iss="i",
        claims=CLAIMS,
        disclosable=[("address", "locality"), ("nationalities", None)],
        iat=NOW,
    )
    assert json.dumps(CLAIMS, sort_keys=True) == before


def test_a_header_read_twice_is_the_callers_own_each_time() -> None:
    token = presentation()
    first = parse(token).jws.header
    first["typ"] = "changed by its reader"
    first["jwk"] = {"kty": "oct"}
    again = parse(token).jws.header
    assert again == {"typ": "dc+sd-jwt", "kid": KID, "alg": "ES256"}
    check(token)  # the kept header was not the one its first reader changed


def test_a_header_with_members_not_strings_is_read_afresh() -> None:
    head = base64url(json.dumps({"alg": "ES256", "x-list": ["a"]}).encode())
    read = parse_jws(f"{head}.e30.AA", SDJWT_MALFORMED).header
    read["x-list"].append("b")  # a member's own value, changed by its reader
    assert parse_jws(f"{head}.e30.AA", SDJWT_MALFORMED).header["x-list"] == ["a"]
    assert head not in sdjwt_format._HEADERS


def test_kept_headers_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdjwt_format, "MAX_KEPT_HEADERS", 2)
    kept: dict[str, Any] = {}
    monkeypatch.setattr(sdjwt_format, "_HEADERS", kept)
    for n in range(5):
        head = base64url(json.dumps({"alg": "ES256", "kid": f"k{n}"}).encode())
        assert parse_jws(f"{head}.e30.AA", SDJWT_MALFORMED).header["kid"] == f"k{n}"
        assert 1 <= len(kept) <= 2
    long_head = base64url(json.dumps({"alg": "ES256", "kid": "k" * 2000}).encode())
    parse_jws(f"{long_head}.e30.AA", SDJWT_MALFORMED)
    assert long_head not in kept


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_a_numeric_date_beyond_a_double_is_malformed(claim: str) -> None:
    token = presentation(resign(credential(), lambda p: p.update({claim: 10**400})))
    refused("sdjwt_malformed", token)


def test_a_key_binding_time_beyond_a_double_is_malformed() -> None:
    sd_jwt = presentation(disclose=[])
    sd_jwt = sd_jwt[: sd_jwt.rindex("~") + 1]
    refused("kb_malformed", bind(sd_jwt, iat=10**400))


def unbound(sd_jwt: str) -> str:
    """An SD-JWT presentation without KB, ready for ``bind``."""
    return present(sd_jwt, disclose=[("given_name",)], holder_key=None)


@pytest.mark.parametrize("typ", ["sd-jwt", "jwt", "dc", "+", ""])
def test_a_typ_inside_the_expected_one_is_not_it(typ: str) -> None:
    token = bind(unbound(resign(credential(), header={"alg": "ES256", "typ": typ})))
    error = refused("sdjwt_typ_invalid", token)
    assert error.message == f"typ must be one of ['dc+sd-jwt'], got {typ!r}"


def test_a_typ_among_the_expected_ones_says_them_all() -> None:
    token = bind(unbound(resign(credential(), header={"alg": "ES256", "typ": "sd-jwt"})))
    error = refused("sdjwt_typ_invalid", token, typ=("vc+sd-jwt", "dc+sd-jwt"))
    assert error.message == "typ must be one of ['dc+sd-jwt', 'vc+sd-jwt'], got 'sd-jwt'"
    check(bind(unbound(resign(credential(), header={"alg": "ES256", "typ": "vc+sd-jwt"}))),
          typ=("vc+sd-jwt", "dc+sd-jwt"))  # fmt: skip


def expiring(exp: float) -> str:
    return presentation(resign(credential(), lambda payload: payload.update({"exp": exp})))


def test_numeric_dates_may_be_fractional() -> None:
    check(expiring(NOW + 0.5), skew=0)
    refused("sdjwt_expired", expiring(NOW - 0.5), skew=0)
    refused("sdjwt_expired", expiring(NOW + 0.0), skew=0)
    sd_jwt = unbound(credential())
    check(bind(sd_jwt, iat=NOW - 0.5))
    refused("kb_iat_future", bind(sd_jwt, iat=NOW + 60.5))


def test_a_header_is_read_from_memory_the_second_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdjwt_format, "_HEADERS", {})
    token = presentation()
    head = token.split(".")[0]
    first = parse(token).jws.header
    assert sdjwt_format._HEADERS[head] == first

    def not_again(data: Any, code: Any) -> Any:
        raise AssertionError("the header was decoded again")

    monkeypatch.setattr(sdjwt_format, "loads_strict", not_again)
    monkeypatch.setattr(sdjwt_format, "_SCAN", not_again)
    assert parse_jws(token.split("~")[0], SDJWT_MALFORMED).header == first


def test_a_header_at_the_length_bound_is_kept_and_one_past_it_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept: dict[str, Any] = {}
    monkeypatch.setattr(sdjwt_format, "_HEADERS", kept)
    at = base64url(json.dumps({"alg": "ES256", "kid": "k1"}).encode())
    past = base64url(json.dumps({"alg": "ES256", "kid": "k12"}).encode())
    assert len(past) > len(at)
    monkeypatch.setattr(sdjwt_format, "MAX_KEPT_HEADER_CHARS", len(at))
    parse_jws(f"{at}.e30.AA", SDJWT_MALFORMED)
    parse_jws(f"{past}.e30.AA", SDJWT_MALFORMED)
    assert list(kept) == [at]


def nested(kind: type, levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = {"a": value} if kind is dict else [value]
    return value


def disclosed(value: Any) -> str:
    """A presentation with one more Disclosure, named "deep", holding ``value``."""
    extra = Disclosure.make("c2FsdC1zYWx0LXNhbHQ", "deep", value)

    def edit(payload: dict[str, Any]) -> None:
        payload.setdefault("_sd", []).append(extra.digest)

    sd_jwt = unbound(credential())
    resigned = resign(sd_jwt, edit)
    return bind(with_disclosures(resigned, [*parse(sd_jwt).disclosures, extra.text]))


@pytest.mark.parametrize("kind", [dict, list])
def test_a_disclosed_value_nests_to_the_limit_and_no_further(kind: type) -> None:
    # The payload is level 1; a disclosed top-level claim's value starts at level 2.
    check(disclosed(nested(kind, MAX_DEPTH - 1)))
    refused("sdjwt_too_deep", disclosed(nested(kind, MAX_DEPTH)))


def test_an_array_element_disclosed_inside_a_clear_claim_is_refused() -> None:
    element = Disclosure.make("c2FsdC1zYWx0LXNhbHQ", None, "urn:example:other-type")

    def edit(payload: dict[str, Any]) -> None:
        payload["aka_vcts"] = [{"...": element.digest}]

    sd_jwt = unbound(credential())
    token = bind(with_disclosures(resign(sd_jwt, edit), [*parse(sd_jwt).disclosures, element.text]))
    refused("sdjwt_claim_not_disclosable", token)
