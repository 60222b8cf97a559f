"""JOSE: allow-lists, key/alg binding, RFC 7520 cookbook interop."""

from __future__ import annotations

import json

import pytest

from civicid.encoding import b64url_encode
from civicid.errors import Error
from civicid.jose import JWK_INVALID, CompactJWS, PrivateKey, PublicKey, verify_compact
from tests.conftest import load_vector


@pytest.mark.parametrize("alg", ["ES256", "ES384", "Ed25519"])
def test_sign_and_verify_round_trip(alg: str) -> None:
    key = PrivateKey.generate(alg)
    token = key.sign_compact(b'{"x":1}', {"typ": "t", "alg": "none"})
    parsed = verify_compact(token, key.public, typ="t")
    assert parsed.header["alg"] == alg and parsed.payload == b'{"x":1}'


def test_rfc8037_ed25519_example_verifies_only_when_legacy_eddsa_is_allowed() -> None:
    """RFC 8037 A.4 (cookbook): an independent Ed25519 signature under the legacy "EdDSA"
    name. Refused by default (RFC 9864 names only), accepted when the caller opts in."""
    vector = load_vector("jose-cookbook/curve25519/jws.json")
    token = vector["output"]["compact"]
    public = PublicKey.from_jwk({k: v for k, v in vector["input"]["key"].items() if k != "d"})
    with pytest.raises(Error) as info:
        verify_compact(token, public, typ=None)
    assert info.value.code == "jws_alg_forbidden"
    parsed = verify_compact(token, public, typ=None, allowed_algs=("EdDSA",))
    assert parsed.payload == vector["input"]["payload"].encode()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(Error) as info:
        verify_compact(forged, public, typ=None, allowed_algs=("EdDSA",))
    assert info.value.code == "jws_signature_invalid"


def test_rfc7520_es512_example_is_outside_the_allow_list() -> None:
    vector = load_vector("jose-cookbook/jws/4_3.ecdsa_signature.json")
    with pytest.raises(Error) as info:
        PublicKey.from_jwk({k: v for k, v in vector["input"]["key"].items() if k != "d"})
    assert info.value.code == "jwk_unsupported"


def test_alg_must_fit_the_key() -> None:
    es = PrivateKey.generate("ES256")
    ed = PrivateKey.generate("Ed25519")
    token = ed.sign_compact(b"{}", {"typ": "t"})
    with pytest.raises(Error) as info:
        verify_compact(token, es.public, typ="t")
    assert info.value.code == "jws_alg_key_mismatch"


def test_eddsa_legacy_name_is_not_allowed_by_default() -> None:
    key = PrivateKey.generate("Ed25519")
    token = key.sign_compact(b"{}", {"typ": "t"})
    _, payload, sig = token.split(".")
    legacy = b64url_encode(json.dumps({"alg": "EdDSA", "typ": "t"}).encode())
    with pytest.raises(Error) as info:
        verify_compact(f"{legacy}.{payload}.{sig}", key.public, typ="t")
    assert info.value.code == "jws_alg_forbidden"


@pytest.mark.parametrize(
    "header, code",
    [
        ({"alg": "none"}, "jws_alg_forbidden"),
        ({"alg": "HS256"}, "jws_alg_forbidden"),
        ({"alg": "RS256"}, "jws_alg_forbidden"),
        ({"alg": "ES256", "jku": "https://evil.example/jwks"}, "jws_embedded_key"),
        ({"alg": "ES256", "x5c": ["AAAA"]}, "jws_embedded_key"),
        ({"alg": "ES256", "crit": ["exp"]}, "jws_header_forbidden"),
    ],
)
def test_header_allow_list(header: dict[str, object], code: str) -> None:
    token = ".".join((b64url_encode(json.dumps(header).encode()), b64url_encode(b"{}"), "c2ln"))
    with pytest.raises(Error) as info:
        CompactJWS.parse(token).check_header(allowed_algs=("ES256",), typ=None)
    assert info.value.code == code


def test_duplicate_header_members_are_refused() -> None:
    token = b64url_encode(b'{"alg":"ES256","alg":"none"}') + ".e30.c2ln"
    with pytest.raises(Error) as info:
        CompactJWS.parse(token)
    assert info.value.code == "jws_malformed"


def test_public_key_refuses_private_members() -> None:
    key = PrivateKey.generate()
    with pytest.raises(Error) as info:
        PublicKey.from_jwk(key.to_json()["jwk"])
    assert info.value.code == "jwk_private_material"


def test_a_public_key_with_a_private_prime_is_refused() -> None:
    public = PrivateKey.generate().public.to_jwk()
    with pytest.raises(Error) as info:
        PublicKey.from_jwk({**public, "p": public["x"]})
    assert info.value.code == "jwk_private_material"


def test_a_key_may_name_both_signature_operations() -> None:
    public = PrivateKey.generate().public.to_jwk()
    key = PublicKey.from_jwk({**public, "key_ops": ["sign", "verify"]})
    assert key.to_jwk()["key_ops"] == ["sign", "verify"]


@pytest.mark.parametrize("stored", [[], "ES256", None])
def test_a_stored_private_key_is_an_object(stored: object) -> None:
    with pytest.raises(Error) as info:
        PrivateKey.from_json(stored)  # type: ignore[arg-type]  # what a corrupt file holds
    assert info.value.code == "jwk_invalid"


@pytest.mark.parametrize("token", ["e30.e30.!!!!", "!!!!.e30.c2ln", "e30.e30.c2ln+"])
def test_a_compact_jws_part_that_is_not_base64url_is_malformed(token: str) -> None:
    with pytest.raises(Error) as info:
        CompactJWS.parse(token)
    assert info.value.code == "jws_malformed"


def test_a_parsed_jws_keeps_its_text_and_reads_its_payload_with_the_callers_code() -> None:
    token = b64url_encode(b'{"alg":"ES256"}') + "." + b64url_encode(b"not json") + ".c2ln"
    parsed = CompactJWS.parse(token)
    assert parsed.text == token
    with pytest.raises(Error) as info:
        parsed.payload_json()
    assert info.value.code == "jws_malformed"
    with pytest.raises(Error) as info:
        parsed.payload_json(code=JWK_INVALID)
    assert info.value.code == "jwk_invalid"


# OpenID4VP 1.0 (errata 1 draft) B.3.4.2: a verifier's P-256 key and its RFC 7638 thumbprint,
# given there as hex bytes (its "use", "alg" and "kid" are outside what a thumbprint covers).
OID4VP_HANDOVER_KEY = {
    "kty": "EC",
    "crv": "P-256",
    "x": "DxiH5Q4Yx3UrukE2lWCErq8N8bqC9CHLLrAwLz5BmE0",
    "y": "XtLM4-3h5o3HUH0MHVJV0kyq0iBlrBwlh8qEDMZ4-Pc",
    "kid": "1",
}
OID4VP_HANDOVER_THUMBPRINT = "4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047"
# RFC 8037 A.3: the Ed25519 key of A.2 and its thumbprint.
RFC8037_KEY = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize(
    "jwk, thumbprint",
    [
        (OID4VP_HANDOVER_KEY, b64url_encode(bytes.fromhex(OID4VP_HANDOVER_THUMBPRINT))),
        (RFC8037_KEY, RFC8037_THUMBPRINT),
    ],
    ids=["openid4vp P-256", "rfc8037 Ed25519"],
)
def test_a_keys_thumbprint_is_the_specs(jwk: dict[str, str], thumbprint: str) -> None:
    """RFC 7638 thumbprints of published keys, as their specifications give them."""
    assert PublicKey.from_jwk(jwk).thumbprint() == thumbprint


def test_two_keys_are_equal_exactly_when_their_thumbprints_are() -> None:
    """Equality and hashing follow the thumbprint: a key sent with other optional members
    (kid, use, alg) is the same key; another key, or the same coordinates on another curve's
    member, is not."""
    keys = [PrivateKey.generate(alg).public for alg in ("ES256", "ES256", "ES384", "Ed25519")]
    keys += [PublicKey.from_jwk(OID4VP_HANDOVER_KEY), PublicKey.from_jwk(RFC8037_KEY)]
    for key in keys:
        again = PublicKey.from_jwk({**key.to_jwk(), "kid": "other", "use": "sig"})
        assert again is not key and again == key and hash(again) == hash(key)
        assert again.thumbprint() == key.thumbprint()
        assert len({key, again}) == 1
    for one in keys:
        for other in keys:
            assert (one == other) == (one.thumbprint() == other.thumbprint())
    assert len(set(keys)) == len(keys)
    assert keys[0] != keys[0].to_jwk()  # a dict is not a key


@pytest.mark.parametrize("alg", ["ES256", "ES384", "Ed25519"])
def test_a_keys_thumbprint_is_jwcryptos(alg: str) -> None:
    """Fresh keys of every kind we sign with: the thumbprint is the one jwcrypto computes."""
    for _ in range(20):
        public = PrivateKey.generate(alg).public
        expected = public.jwcrypto_key.thumbprint()
        assert PublicKey.from_jwk({**public.to_jwk(), "kid": "k", "use": "sig"}).thumbprint() == (
            expected
        )
