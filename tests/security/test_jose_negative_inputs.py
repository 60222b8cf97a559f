"""Attack: one key or one signature in several encodings, or an encoding that is not one at
all. Signatures come from Wycheproof (ECDSA P-256 and P-384 in IEEE P1363 form, as JWS
carries them, and Ed25519): every valid one verifies, every invalid one is refused with
``jws_signature_invalid`` (wrong length, r or s out of range or zero, altered encodings).
Keys: off-curve points, padded or shortened coordinates and private members are refused
with their codes, so one key has one JWK and one thumbprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from civicid.encoding import b64url_decode, b64url_encode
from civicid.errors import Error
from civicid.jose import SIGNING_ALGS, CompactJWS, PrivateKey, PublicKey, verify_compact

VECTORS = Path(__file__).parents[1] / "vectors" / "data" / "wycheproof"
ECDSA = {
    "ecdsa_secp256r1_sha256_p1363_test.json": ("ES256", "P-256", 32),
    "ecdsa_secp384r1_sha384_p1363_test.json": ("ES384", "P-384", 48),
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return data


def ecdsa_cases() -> list[Any]:
    cases = []
    for name, (alg, crv, size) in ECDSA.items():
        for group in load(name)["testGroups"]:
            point = group["publicKey"]
            # Wycheproof writes coordinates as DER integers (a sign byte when the top bit is
            # set); a JWK carries them fixed-width (RFC 7518 §6.2.1.2).
            jwk = {
                "kty": "EC",
                "crv": crv,
                "x": b64url_encode(int(point["wx"], 16).to_bytes(size, "big")),
                "y": b64url_encode(int(point["wy"], 16).to_bytes(size, "big")),
            }
            for test in group["tests"]:
                cases.append(pytest.param(alg, jwk, test, id=f"{alg}-tc{test['tcId']}"))
    return cases


def ed25519_cases() -> list[Any]:
    cases = []
    for group in load("ed25519_test.json")["testGroups"]:
        jwk = {k: v for k, v in group["publicKeyJwk"].items() if k != "kid"}
        for test in group["tests"]:
            cases.append(pytest.param("Ed25519", jwk, test, id=f"Ed25519-tc{test['tcId']}"))
    return cases


@pytest.mark.parametrize("alg, jwk, test", ecdsa_cases() + ed25519_cases())
def test_wycheproof_signature(alg: str, jwk: dict[str, str], test: dict[str, Any]) -> None:
    key = PublicKey.from_jwk(jwk)
    message, signature = bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
    if test["result"] == "valid":
        key.verify_signature(alg, message, signature)
        return
    with pytest.raises(Error) as info:
        key.verify_signature(alg, message, signature)
    assert info.value.code == "jws_signature_invalid", test["comment"]


def test_the_vectors_cover_each_kind_of_case() -> None:
    flags = {
        flag
        for name in [*ECDSA, "ed25519_test.json"]
        for group in load(name)["testGroups"]
        for test in group["tests"]
        for flag in test["flags"]
    }
    assert {"RangeCheck", "IntegerOverflow", "InvalidSignature", "TruncatedSignature"} <= flags
    assert {"SignatureWithGarbage", "SignatureMalleability", "InvalidEncoding"} <= flags


# -- one token, several signature encodings: only the JWS one (R || S, fixed width) --------


def token(alg: str = "ES256") -> tuple[str, PublicKey]:
    key = PrivateKey.generate(alg)
    return key.sign_compact(b'{"sub":"x"}', {"typ": "JWT", "kid": "k"}), key.public


def with_signature(text: str, signature: bytes) -> str:
    return text.rsplit(".", 1)[0] + "." + b64url_encode(signature)


def reencodings(signature: bytes) -> dict[str, bytes]:
    size = len(signature) // 2
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    return {
        "DER": encode_dss_signature(r, s),
        "a zero byte in front": b"\x00" + signature,
        "a zero byte behind": signature + b"\x00",
        "r and s each padded": b"\x00" + signature[:size] + b"\x00" + signature[size:],
        "the last byte cut": signature[:-1],
        "only r": signature[:size],
        "twice": signature + signature,
    }


@pytest.mark.parametrize("alg", ["ES256", "ES384", "Ed25519"])
def test_a_signature_has_one_encoding(alg: str) -> None:
    text, key = token(alg)
    verify_compact(text, key, typ="JWT")
    genuine = b64url_decode(text.rsplit(".", 1)[1])
    for what, signature in reencodings(genuine).items():
        with pytest.raises(Error) as info:
            verify_compact(with_signature(text, signature), key, typ="JWT")
        assert info.value.code == "jws_signature_invalid", what


def test_the_header_alg_must_fit_the_key() -> None:
    """An ES256 signature presented as ES384 (or the key of one curve for another)."""
    text, key = token("ES256")
    _, payload, signature = text.split(".")
    forged_header = b64url_encode(json.dumps({"alg": "ES384", "typ": "JWT", "kid": "k"}).encode())
    parsed = CompactJWS.parse(f"{forged_header}.{payload}.{signature}")
    with pytest.raises(Error) as info:
        parsed.verify_with(key)
    assert info.value.code == "jws_alg_key_mismatch"
    with pytest.raises(Error) as info:
        key.verify_signature("Ed25519", b"x", b"\x00" * 64)
    assert info.value.code == "jws_alg_key_mismatch"


@pytest.mark.parametrize("alg", ["EdDSA", "none", "HS256", "RS256", "ES512", "ES256K"])
def test_algorithms_off_the_allow_list(alg: str) -> None:
    header = b64url_encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    parsed = CompactJWS.parse(f"{header}.e30.c2ln")
    with pytest.raises(Error) as info:
        parsed.check_header(allowed_algs=SIGNING_ALGS, typ="JWT")
    assert info.value.code == "jws_alg_forbidden"


@pytest.mark.parametrize(
    "member, code",
    [
        ("jwk", "jws_embedded_key"),
        ("jku", "jws_embedded_key"),
        ("x5c", "jws_embedded_key"),
        ("x5u", "jws_embedded_key"),
        ("crit", "jws_header_forbidden"),
        ("b64", "jws_header_forbidden"),
    ],
)
def test_header_members_that_change_the_key_or_the_reading(member: str, code: str) -> None:
    header = b64url_encode(json.dumps({"alg": "ES256", "typ": "JWT", member: ["x"]}).encode())
    parsed = CompactJWS.parse(f"{header}.e30.c2ln")
    with pytest.raises(Error) as info:
        parsed.check_header(allowed_algs=SIGNING_ALGS, typ="JWT")
    assert info.value.code == code


# -- one key, one JWK ----------------------------------------------------------------------


def p256() -> dict[str, Any]:
    return PrivateKey.generate("ES256").public.to_jwk()


def coordinate(jwk: dict[str, Any], name: str) -> int:
    return int.from_bytes(b64url_decode(jwk[name]), "big")


def encoded(value: int, size: int) -> str:
    return b64url_encode(value.to_bytes(size, "big"))


def bad_keys() -> list[Any]:
    ec, ed = p256(), PrivateKey.generate("Ed25519").public.to_jwk()
    x, y = coordinate(ec, "x"), coordinate(ec, "y")
    wycheproof = load("ecdsa_secp256r1_sha256_p1363_test.json")["testGroups"][0]["publicKey"]
    return [
        pytest.param({**ec, "y": encoded((y + 1) % 2**256, 32)}, "jwk_invalid", id="off the curve"),
        pytest.param({**ec, "x": encoded(0, 32), "y": encoded(0, 32)}, "jwk_invalid", id="(0, 0)"),
        pytest.param({**ec, "x": encoded(x, 33)}, "jwk_invalid", id="x padded to 33 bytes"),
        pytest.param(
            {
                **ec,
                "x": encoded(int(wycheproof["wx"], 16), 32),
                "y": b64url_encode(bytes.fromhex(wycheproof["wy"])),
            },
            "jwk_invalid",
            id="y with its DER sign byte",
        ),
        pytest.param(
            {**ec, "x": b64url_encode(b64url_decode(ec["x"])[1:])},
            "jwk_invalid",
            id="x cut to 31 bytes",
        ),
        pytest.param({**ec, "x": ec["x"] + "="}, "jwk_invalid", id="base64 padding"),
        pytest.param(
            {**ec, "x": ec["x"].replace("-", "+").replace("_", "/") + "+/"},
            "jwk_invalid",
            id="base64, not base64url",
        ),
        pytest.param({k: v for k, v in ec.items() if k != "y"}, "jwk_invalid", id="no y"),
        pytest.param({**ec, "x": 7}, "jwk_invalid", id="x a number"),
        pytest.param({**ec, "y": 7}, "jwk_invalid", id="y a number"),
        pytest.param({**ec, "y": ["y"]}, "jwk_invalid", id="y a list"),
        pytest.param({**ed, "y": ed["x"]}, "jwk_invalid", id="Ed25519 with a y"),
        pytest.param(
            {**ed, "x": encoded(coordinate(ed, "x"), 33)}, "jwk_invalid", id="Ed25519 x padded"
        ),
        pytest.param({**ec, "crv": "Ed25519"}, "jwk_unsupported", id="EC with Ed25519"),
        pytest.param({**ec, "crv": "secp256k1"}, "jwk_unsupported", id="secp256k1"),
        pytest.param({**ec, "kty": "RSA"}, "jwk_unsupported", id="RSA"),
        pytest.param({**ec, "d": ec["x"]}, "jwk_private_material", id="a private member"),
        pytest.param({"kty": "oct", "k": "c2VjcmV0"}, "jwk_private_material", id="a symmetric key"),
        pytest.param(["EC"], "jwk_invalid", id="not an object"),
    ]


@pytest.mark.parametrize("jwk, code", bad_keys())
def test_bad_keys_are_refused_with_their_code(jwk: Any, code: str) -> None:
    with pytest.raises(Error) as info:
        PublicKey.from_jwk(jwk)
    assert info.value.code == code


def test_stray_members_do_not_make_another_key() -> None:
    """Members outside the public key's own are dropped: the same key, the same thumbprint."""
    jwk = p256()
    stray = PublicKey.from_jwk({**jwk, "ext": True, "x5c": ["MIIB"], "note": "hi"})
    assert stray.to_jwk() == PublicKey.from_jwk(jwk).to_jwk()
    assert stray.thumbprint() == PublicKey.from_jwk(jwk).thumbprint()
    assert stray == PublicKey.from_jwk(jwk)


def test_verify_compact_keeps_the_callers_limits() -> None:
    """The size limit and typ a caller passes are the ones enforced."""
    text, key = token()
    with pytest.raises(Error) as info:
        verify_compact(text, key, typ="JWT", max_bytes=len(text) - 1)
    assert info.value.code == "jws_too_large"
    verify_compact(text, key, typ="JWT", max_bytes=len(text))
    with pytest.raises(Error) as info:
        verify_compact(text, key, typ="kb+jwt")
    assert info.value.code == "jws_typ_mismatch"
    with pytest.raises(Error) as info:
        verify_compact(text, key, typ="JWT", allowed_algs=("ES384",))
    assert info.value.code == "jws_alg_forbidden"


def test_equal_keys_are_one_key_in_sets_and_maps() -> None:
    jwk = p256()
    first, second = PublicKey.from_jwk(jwk), PublicKey.from_jwk({**jwk, "kid": "another name"})
    assert first == second and hash(first) == hash(second)
    assert len({first, second, PublicKey.from_jwk(p256())}) == 2


@pytest.mark.parametrize("alg", SIGNING_ALGS)
def test_a_stored_key_keeps_its_algorithm(alg: str) -> None:
    """A key read back from its store signs with the algorithm it was made for."""
    key = PrivateKey.from_json(PrivateKey.generate(alg).to_json())
    assert key.alg == alg
    text = key.sign_compact(b"{}", {"typ": "JWT"})
    assert CompactJWS.parse(text).alg == alg


def test_a_stored_key_without_an_algorithm_is_the_default() -> None:
    stored = PrivateKey.generate("ES256").to_json()
    del stored["alg"]
    assert PrivateKey.from_json(stored).alg == "ES256"
    ed = PrivateKey.generate("Ed25519").to_json()
    del ed["alg"]
    with pytest.raises(Error) as info:  # an Ed25519 key cannot be ES256
        PrivateKey.from_json(ed)
    assert info.value.code == "jws_alg_key_mismatch"


def test_a_payload_in_another_encoding_is_malformed() -> None:
    """The payload segment must be canonical base64url like the others: no padding, no
    spare bits set, nothing outside the alphabet."""
    text, _ = token()
    header, payload, signature = text.split(".")
    for segment in [payload + "=", payload.replace("-", "+"), payload + "!"]:
        if segment == payload:
            continue
        with pytest.raises(Error) as info:
            CompactJWS.parse(f"{header}.{segment}.{signature}")
        assert info.value.code == "jws_malformed", segment
