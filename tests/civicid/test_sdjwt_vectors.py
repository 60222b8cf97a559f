"""The official SD-JWT examples (RFC 9901, SD-JWT VC, OpenID4VP 1.0) process to the payloads the
specs print; tampering with any of them is caught by the rule it breaks."""

from __future__ import annotations

from typing import Any

import pytest

from civicid.errors import Error
from civicid.jose import PublicKey
from civicid.sdjwt import (
    SD_JWT_VC_TYP,
    decode_unverified,
    disclosable_paths,
    parse,
    present,
    verify,
)
from tests.conftest import load_vector

FILES = (
    "sd-jwt/rfc9901-examples.json",
    "sd-jwt/sd-jwt-vc-draft-examples.json",
    "sd-jwt/openid4vp-1.0-sd-jwt-vcld-example.json",
)
VECTORS = [v for name in FILES for v in load_vector(name)["vectors"]]
SD_JWTS = [v for v in VECTORS if v["kind"] == "sd-jwt"]
# RFC 9901's examples use an example typ; A.3 and the SD-JWT VC ones the real one.
TYPS = (SD_JWT_VC_TYP, "example+sd-jwt")


def token_of(vector: dict[str, Any]) -> str:
    # The OpenID4VP example is wrapped at 70 columns as in the spec; the line breaks are layout.
    return "".join(vector["token"].split())


def check(vector: dict[str, Any], token: str | None = None, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = {
        "issuer_key": PublicKey.from_jwk(vector["issuer_public_jwk"]),
        "now": vector["verify_at"],
        "nonce": vector.get("expected_nonce"),
        "aud": vector.get("expected_aud"),
        "require_key_binding": vector["kind"] == "sd-jwt+kb",
        "typ": TYPS,
    }
    kwargs.update(overrides)
    return verify(token_of(vector) if token is None else token, **kwargs)


def kb_vectors() -> list[dict[str, Any]]:
    return [v for v in VECTORS if v["kind"] == "sd-jwt+kb"]


def test_every_vector_file_is_used() -> None:
    assert len(VECTORS) == 14
    assert {v["kind"] for v in VECTORS} == {"sd-jwt", "sd-jwt+kb"}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["id"])
def test_vector_is_accepted(vector: dict[str, Any]) -> None:
    verified = check(vector)
    expected = vector["expected_processed_payload"]
    if expected is not None:
        assert verified.payload == expected
    assert "_sd" not in str(verified.payload.keys()) and "_sd_alg" not in verified.payload
    if vector["kind"] == "sd-jwt+kb":
        assert verified.kb_payload is not None
        assert verified.holder_key is not None
        if vector["kb_jwt_payload_in_spec"]:
            assert verified.kb_payload == vector["kb_jwt_payload_in_spec"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["id"])
def test_vector_decodes_as_the_holder_sees_it(vector: dict[str, Any]) -> None:
    token = token_of(vector)
    decoded = decode_unverified(token)
    assert decoded.header == vector["issuer_jwt_header"]
    assert len(decoded.disclosures) == len(parse(token).disclosures)
    assert disclosable_paths(token) == [p.path for p in decoded.disclosures]


@pytest.mark.parametrize("vector", kb_vectors(), ids=lambda v: v["id"])
def test_vector_without_its_kb_jwt_is_refused_when_binding_is_required(
    vector: dict[str, Any],
) -> None:
    sd_jwt = parse(token_of(vector)).sd_jwt
    with pytest.raises(Error) as exc:
        check(vector, sd_jwt)
    assert exc.value.code == "kb_missing"


@pytest.mark.parametrize("vector", kb_vectors(), ids=lambda v: v["id"])
@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"nonce": "0987654321"}, "kb_nonce_mismatch"),
        ({"aud": "https://attacker.example"}, "kb_aud_mismatch"),
        ({"now_delta": 3600}, "kb_iat_stale"),
        ({"now_delta": -3600}, "kb_iat_future"),
    ],
)
def test_vector_kb_checks(vector: dict[str, Any], override: dict[str, Any], code: str) -> None:
    overrides = dict(override)
    if "now_delta" in overrides:
        overrides["now"] = vector["verify_at"] + overrides.pop("now_delta")
    with pytest.raises(Error) as exc:
        check(vector, **overrides)
    assert exc.value.code == code


@pytest.mark.parametrize("vector", kb_vectors(), ids=lambda v: v["id"])
def test_vector_with_a_disclosure_dropped_breaks_sd_hash(vector: dict[str, Any]) -> None:
    parsed = parse(token_of(vector))
    assert parsed.kb_jwt
    # A leaf: a Disclosure no other one is nested in, so dropping it leaves none unreferenced.
    placed = decode_unverified(token_of(vector)).disclosures
    paths = [p.path for p in placed]
    leaf = next(p for p in placed if not any(q[: len(p.path)] == p.path != q for q in paths))
    kept = [d for d in parsed.disclosures if d != leaf.disclosure.text]
    fewer = "~".join([parsed.issuer_jwt, *kept, parsed.kb_jwt])
    with pytest.raises(Error) as exc:
        check(vector, fewer)
    assert exc.value.code == "kb_sd_hash_mismatch"


@pytest.mark.parametrize("vector", SD_JWTS, ids=lambda v: v["id"])
def test_vector_presented_with_no_disclosures_still_verifies(vector: dict[str, Any]) -> None:
    bare = present(token_of(vector), disclose=[], holder_key=None)
    verified = check(vector, bare, require_key_binding=False)
    assert verified.disclosed == ()
    assert verified.disclosures == ()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["id"])
def test_vector_is_refused_with_the_wrong_typ(vector: dict[str, Any]) -> None:
    with pytest.raises(Error) as exc:
        check(vector, typ="statuslist+jwt")
    assert exc.value.code == "sdjwt_typ_invalid"
