"""SD-JWT VC issue → present → verify: what is issued, what a presentation keeps, what a verifier
gets back, and the holder's unverified views."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid.errors import Error
from civicid.jose import PrivateKey
from civicid.sdjwt import (
    KB_JWT_TYP,
    SD_JWT_VC_TYP,
    decode_unverified,
    disclosable_paths,
    parse,
    present,
    verify,
)
from tests.civicid.sdjwt_fixtures import (
    AUD,
    CLAIMS,
    ISS,
    KID,
    NONCE,
    NOW,
    VCT,
    check,
    counter_rng,
    credential,
    holder_key,
    issuer_key,
    presentation,
)


def raises(code: str) -> Any:
    class _Code:
        def __enter__(self) -> None:
            return None

        def __exit__(self, kind: Any, value: Any, tb: Any) -> bool:
            assert isinstance(value, Error), f"expected {code}, got {value!r}"
            assert value.code == code, value
            return True

    return _Code()


def test_issued_credential_has_registered_claims_in_clear() -> None:
    parsed = parse(credential())
    assert parsed.kb_jwt is None and parsed.text.endswith("~")
    assert parsed.jws.header == {"typ": SD_JWT_VC_TYP, "kid": KID, "alg": "ES256"}
    payload = parsed.payload
    for name in ("iss", "iat", "exp", "vct", "cnf", "status"):
        assert name in payload
    assert payload["iss"] == ISS and payload["vct"] == VCT
    assert payload["_sd_alg"] == "sha-256"
    for name in ("given_name", "family_name", "birthdate", "address"):
        assert name not in payload
    # country is not disclosable: it stays in clear inside address's Disclosure.
    assert len(parsed.disclosures) == 10  # 9 paths, nationalities None = 2 elements


def test_digests_are_sorted_and_padded_with_decoys() -> None:
    payload = parse(credential(decoys=3)).payload
    top = payload["_sd"]
    assert top == sorted(top)
    # given_name, family_name, birthdate, address: 4 real + 3 decoys.
    assert len(top) == 4 + 3
    assert len(payload["age_equal_or_over"]["_sd"]) == 2 + 3
    assert len(parse(credential(decoys=0)).payload["_sd"]) == 4


def test_same_salts_give_the_same_credential_and_fresh_salts_do_not() -> None:
    def unsigned(token: str) -> tuple[bytes, tuple[str, ...]]:
        parsed = parse(token)  # ECDSA signatures are randomized: compare what is signed
        return parsed.jws.signing_input, parsed.disclosures

    assert unsigned(credential(rng=counter_rng())) == unsigned(credential(rng=counter_rng()))
    assert unsigned(credential()) != unsigned(credential())


def test_full_credential_verifies_to_the_claims() -> None:
    verified = check(credential(), require_key_binding=False)
    assert {k: verified.payload[k] for k in CLAIMS} == CLAIMS
    assert verified.kb_payload is None
    assert verified.holder_key == holder_key().public
    assert set(verified.disclosed) == {
        ("given_name",),
        ("family_name",),
        ("birthdate",),
        ("address",),
        ("address", "street_address"),
        ("address", "locality"),
        ("nationalities", 0),
        ("nationalities", 1),
        ("age_equal_or_over", "18"),
        ("age_equal_or_over", "65"),
    }


def test_presentation_keeps_only_what_is_chosen() -> None:
    token = presentation(disclose=[("age_equal_or_over", "18")])
    verified = check(token)
    assert verified.payload["age_equal_or_over"] == {"18": True}
    for name in ("given_name", "family_name", "birthdate", "address"):
        assert name not in verified.payload
    assert verified.payload["nationalities"] == []
    assert verified.disclosed == (("age_equal_or_over", "18"),)
    assert len(verified.disclosures) == 1
    assert verified.kb_payload is not None
    assert verified.kb_payload["nonce"] == NONCE and verified.kb_payload["aud"] == AUD


def test_nested_claim_brings_its_parent() -> None:
    verified = check(presentation(disclose=[("address", "locality")]))
    assert verified.payload["address"] == {"locality": "Köln", "country": "DE"}
    assert set(verified.disclosed) == {("address",), ("address", "locality")}


def test_object_path_brings_everything_beneath() -> None:
    verified = check(presentation(disclose=[("address",)]))
    assert verified.payload["address"] == CLAIMS["address"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("nationalities", None), ["DE", "FR"]),
        (("nationalities", 1), ["FR"]),
        (("nationalities",), ["DE", "FR"]),
    ],
)
def test_array_elements_are_chosen_by_index_or_all(path: Any, expected: list[str]) -> None:
    assert check(presentation(disclose=[path])).payload["nationalities"] == expected


def test_clear_claim_path_needs_no_disclosure() -> None:
    token = presentation(disclose=[("address", "country")])
    verified = check(token)
    assert verified.payload["address"] == {"country": "DE"}


def test_unknown_path_is_refused_by_present() -> None:
    with raises("sdjwt_path_not_found"):
        presentation(disclose=[("passport_number",)])
    with raises("sdjwt_path_not_found"):
        presentation(disclose=[("nationalities", 5)])


@pytest.mark.parametrize("path", [(), "given_name", ("a", -1), ("a", 1.5), ("a", True)])
def test_bad_path_is_refused(path: Any) -> None:
    with raises("sdjwt_path_invalid"):
        presentation(disclose=[path])


def test_presentation_without_holder_key_has_no_kb_jwt() -> None:
    token = present(credential(), disclose=[("given_name",)], holder_key=None)
    assert token.endswith("~")
    assert check(token, require_key_binding=False).payload["given_name"] == "Erika"


def test_kb_jwt_has_the_rfc_shape() -> None:
    token = presentation()
    parsed = parse(token)
    assert parsed.kb_jwt is not None
    header = json.loads(decode_segment(parsed.kb_jwt.split(".")[0]))
    payload = json.loads(decode_segment(parsed.kb_jwt.split(".")[1]))
    assert header == {"typ": KB_JWT_TYP, "alg": "ES256"}
    assert set(payload) == {"iat", "aud", "nonce", "sd_hash"}


def decode_segment(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_kb_needs_nonce_aud_and_iat() -> None:
    for missing in ("nonce", "aud", "iat"):
        with raises("kb_claims_missing"):
            presentation(**{missing: None})


def test_present_refuses_a_holder_key_that_is_not_cnf() -> None:
    with raises("kb_key_mismatch"):
        presentation(holder_key=PrivateKey.generate())


def test_present_refuses_a_presentation() -> None:
    with raises("sdjwt_malformed"):
        present(presentation(), disclose=[], holder_key=None)


@pytest.mark.parametrize("alg", ["ES256", "ES384", "Ed25519"])
def test_every_algorithm_round_trips(alg: str) -> None:
    holder = holder_key(alg)
    token = credential(issuer_key=issuer_key(alg), cnf_jwk=holder.public.to_jwk())
    shown = presentation(token, holder_key=holder)
    verified = check(shown, issuer_key=issuer_key(alg).public)
    assert verified.header["alg"] == alg and verified.payload["given_name"] == "Erika"


def test_issuer_key_from_a_resolver() -> None:
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def resolve(header: dict[str, Any], payload: dict[str, Any]) -> Any:
        seen.append((header, payload))
        return issuer_key().public

    check(presentation(), issuer_key=resolve)
    assert seen[0][0]["kid"] == KID and seen[0][1]["iss"] == ISS


def test_disclosable_paths_lists_every_disclosure() -> None:
    paths = disclosable_paths(credential())
    assert set(paths) == {
        ("given_name",),
        ("family_name",),
        ("birthdate",),
        ("address",),
        ("address", "street_address"),
        ("address", "locality"),
        ("nationalities", 0),
        ("nationalities", 1),
        ("age_equal_or_over", "18"),
        ("age_equal_or_over", "65"),
    }


def test_decode_unverified_shows_every_claim() -> None:
    decoded = decode_unverified(credential())
    assert {k: decoded.claims[k] for k in CLAIMS} == CLAIMS
    assert decoded.header["kid"] == KID and "_sd" in decoded.payload
    assert decoded.kb_jwt is None
    by_path = {p.path: p.disclosure for p in decoded.disclosures}
    assert by_path[("given_name",)].value == "Erika"
    assert by_path[("nationalities", 1)].name is None


def test_verify_defaults_to_requiring_key_binding() -> None:
    token = present(credential(), disclose=[], holder_key=None)
    with raises("kb_missing"):
        verify(token, issuer_key=issuer_key().public, now=NOW, nonce=NONCE, aud=AUD)
