"""A batch's claims written as text fixed once per batch (``issue_batch``): claims with nothing
to write beside the registered ones, a value JSON cannot write told once (the first), a random
source that gives less than asked refused, and each copy's JSON as the encoder writes it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid.encoding import b64url_decode
from civicid.errors import Error
from civicid.jose import PrivateKey
from civicid.sdjwt_builder import SDJWT_DECOYS_INVALID, Copy, decode_unverified, issue_batch
from civicid.sdjwt_format import SDJWT_CLAIMS_INVALID, dumps_compact

ISSUER = "did:civicid:x"
COMMON: dict[str, Any] = {
    "kid": f"{ISSUER}#key-1",
    "iss": ISSUER,
    "iat": 1_700_000_000,
    "exp": 1_800_000_000,
    "vct": "https://civicid.example/vct/t",
}
STATUS = {"status_list": {"idx": 7, "uri": "https://i.example/status/1"}}


def payload_bytes(token: str) -> bytes:
    return b64url_decode(token.split("~")[0].split(".")[1])


def test_claims_with_nothing_to_write_are_the_registered_claims_alone() -> None:
    holder = PrivateKey.generate().public.to_jwk()
    (token,) = issue_batch(
        issuer_key=PrivateKey.generate(),
        claims={},
        disclosable=[],
        copies=[Copy(holder, STATUS)],
        **COMMON,
    )
    written = payload_bytes(token)
    expected = {
        "iss": ISSUER,
        "iat": COMMON["iat"],
        "exp": COMMON["exp"],
        "vct": COMMON["vct"],
        "status": STATUS,
        "cnf": {"jwk": holder},
        "_sd_alg": "sha-256",
    }
    assert written == dumps_compact(expected)
    assert token.endswith("~") and token.count("~") == 1


def test_a_copy_is_written_as_the_encoder_writes_its_payload() -> None:
    """Clear values of every kind, a nested object in the clear, disclosed members beside them:
    the payload's bytes are ``dumps_compact`` of the payload read back."""
    claims = {
        "text": 'Caf\u00e9 "quoted" \\ \n',
        "number": 1.5,
        "big": 10**20,
        "none": None,
        "flag": False,
        "list": [1, "two", {"three": 3}],
        "nested": {"clear": "x", "shown": "y", "deeper": {"z": [True]}},
        "given_name": "Ada",
    }
    disclosable = [("given_name",), ("nested", "shown"), ("list", 1)]
    (token,) = issue_batch(
        issuer_key=PrivateKey.generate(),
        claims=claims,
        disclosable=disclosable,
        copies=[Copy(status=STATUS)],
        **COMMON,
    )
    written = payload_bytes(token)
    assert written == dumps_compact(json.loads(written))
    decoded = decode_unverified(token).claims
    registered = {"iss", "iat", "exp", "vct", "status"}
    assert {k: v for k, v in decoded.items() if k not in registered} == claims


def test_the_first_value_json_cannot_write_is_the_one_told() -> None:
    claims = {"a": float("nan"), "b": {1, 2}}
    with pytest.raises(Error) as refused:
        issue_batch(
            issuer_key=PrivateKey.generate(),
            claims=claims,
            disclosable=[],
            copies=[Copy()],
            **COMMON,
        )
    assert SDJWT_CLAIMS_INVALID.matches(refused.value)
    assert "Out of range float" in refused.value.message


def test_a_random_source_that_gives_less_than_asked_is_refused() -> None:
    def short(size: int) -> bytes:
        return bytes(8)  # a draw of salts asked for: half a salt given

    with pytest.raises(RuntimeError, match="fewer bytes"):
        issue_batch(
            issuer_key=PrivateKey.generate(),
            claims={"a": 1},
            disclosable=[("a",)],
            copies=[Copy()],
            rng=short,
            **COMMON,
        )


@pytest.mark.parametrize(
    ("claims", "disclosable", "position"),
    [
        # after an element whose object holds a nested Disclosure: its digest and decoys count
        ({"a": [{"b": {"c": 1}}, "\ud800"]}, [("a",), ("a", 0, "b")], 226),
        # after a nested Disclosure in the same object: the members after it are written
        ({"a": {"c": {"d": "y"}, "f": "\ud800"}}, [("a",), ("a", "c")], 36),
        (
            {"a": {"c": {"d": "y"}, "e": {"g": 1}, "f": "\ud800"}},
            [("a",), ("a", "c"), ("a", "e", "g")],
            234,
        ),
    ],
)
def test_a_value_after_nested_disclosures_is_refused_where_its_disclosure_has_it(
    claims: dict[str, Any], disclosable: list[tuple[Any, ...]], position: int
) -> None:
    """The message counts the character where the enclosing Disclosure's JSON has the value
    (the positions the builder that encoded every copy's JSON whole gave), each nested
    Disclosure before it one digest and each object's decoys as many digests."""
    with pytest.raises(Error) as refused:
        issue_batch(
            issuer_key=PrivateKey.generate(),
            claims=claims,
            disclosable=disclosable,
            copies=[Copy()],
            **{**COMMON, "decoys": 3},
        )
    assert SDJWT_CLAIMS_INVALID.matches(refused.value)
    assert refused.value.message == (
        f"not JSON: 'utf-8' codec can't encode character '\\ud800' in position {position}: "
        "surrogates not allowed"
    )


def test_every_disclosure_and_digest_is_base64url_whatever_the_salts() -> None:
    """Salts from the operating system: the heads of many Disclosures, each in base64url's
    alphabet (never '+', '/' or padding), as are the digests in the payload."""
    claims = {f"claim{i}": i for i in range(64)}
    (token,) = issue_batch(
        issuer_key=PrivateKey.generate(),
        claims=claims,
        disclosable=[(name,) for name in claims],
        copies=[Copy()],
        **COMMON,
    )
    _, *disclosures, last = token.split("~")
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert last == "" and len(disclosures) == len(claims)
    assert all(set(d) <= alphabet for d in disclosures)
    digests = json.loads(payload_bytes(token))["_sd"]
    assert all(set(d) <= alphabet and len(d) == 43 for d in digests)
    assert decode_unverified(token).claims.keys() >= claims.keys()


def test_only_objects_with_disclosures_get_decoys_and_sd() -> None:
    claims = {"kept": {"clear": 1, "deeper": {"z": [True]}}, "one": {"shown": "y", "clear": 2}}
    (token,) = issue_batch(
        issuer_key=PrivateKey.generate(),
        claims=claims,
        disclosable=[("one", "shown")],
        copies=[Copy()],
        **COMMON,
    )
    payload = json.loads(payload_bytes(token))
    assert "_sd" not in payload  # the top level discloses nothing
    assert payload["kept"] == claims["kept"]  # nor does any object beneath it
    assert payload["one"]["clear"] == 2 and len(payload["one"]["_sd"]) == 1 + 2  # 2 decoys
    assert decode_unverified(token).claims["one"] == claims["one"]


@pytest.mark.parametrize("name", ["iat", "exp", "nbf"])
def test_a_time_that_is_not_an_integer_is_refused_by_its_name(name: str) -> None:
    dates = {"iat": COMMON["iat"], "exp": COMMON["exp"], "nbf": None, name: "1700000000"}
    with pytest.raises(Error) as refused:
        issue_batch(
            issuer_key=PrivateKey.generate(),
            claims={"a": 1},
            disclosable=[("a",)],
            copies=[Copy()],
            **{**COMMON, **dates},
        )
    assert SDJWT_CLAIMS_INVALID.matches(refused.value)
    assert refused.value.message == f"{name} is a NumericDate integer"


def test_negative_decoys_are_refused_naming_the_count() -> None:
    with pytest.raises(Error) as refused:
        issue_batch(
            issuer_key=PrivateKey.generate(),
            claims={"a": 1},
            disclosable=[("a",)],
            copies=[Copy()],
            decoys=-1,
            **COMMON,
        )
    assert SDJWT_DECOYS_INVALID.matches(refused.value)
    assert refused.value.message == "decoys=-1"
