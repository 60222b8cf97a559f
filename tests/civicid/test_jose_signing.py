"""Signing with a kept key object: every signature verifies, by our checks and jwcrypto's,
R || S at the curve's width; a public key's y that is not canonical base64url is ``jwk_invalid``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto import jws

from civicid.encoding import b64url_encode
from civicid.errors import Error
from civicid.jose import JWK_INVALID, PrivateKey, PublicKey, verify_compact

KEY = PrivateKey.generate()


@pytest.mark.parametrize(("alg", "width"), [("ES256", 64), ("ES384", 96), ("Ed25519", 64)])
def test_every_signature_verifies_at_its_width(alg: str, width: int) -> None:
    key = PrivateKey.generate(alg)
    for n in range(20):  # some R or S with leading zero bytes among them
        token = key.sign_compact(f'{{"n":{n}}}'.encode(), {"typ": "t", "kid": "k\u00e9"})
        parsed = verify_compact(token, key.public, typ="t")
        assert len(parsed.signature) == width
        assert parsed.header == {"typ": "t", "kid": "k\u00e9", "alg": alg}
        theirs = jws.JWS()
        theirs.deserialize(token)
        theirs.verify(key.public.jwcrypto_key, alg=alg)  # raises if it does not verify


def test_a_public_key_whose_y_is_not_canonical_base64url_is_invalid() -> None:
    public = PrivateKey.generate().public.to_jwk()
    with pytest.raises(Error) as caught:
        PublicKey.from_jwk({**public, "y": public["y"][:-1] + "+"})
    assert JWK_INVALID.matches(caught.value)


@pytest.mark.parametrize("alg", ["ES256", "ES384", "Ed25519"])
def test_one_header_signs_many_payloads_as_each_alone(alg: str) -> None:
    """A signer made for one header: each payload's token has the header ``sign_compact``
    writes (its alg the key's, whatever the header says) and verifies, by ours and jwcrypto's."""
    key = PrivateKey.generate(alg)
    header = {"typ": "t", "kid": "k", "alg": "none"}
    sign = key.compact_signer(header)
    for n in range(10):
        payload = f'{{"n":{n},"pad":"{"x" * n}"}}'.encode()
        token = sign(payload)
        alone = key.sign_compact(payload, header)
        assert token.split(".")[:2] == alone.split(".")[:2]
        parsed = verify_compact(token, key.public, typ="t")
        assert parsed.header == {"typ": "t", "kid": "k", "alg": alg}
        assert parsed.payload == payload
        theirs = jws.JWS()
        theirs.deserialize(token)
        theirs.verify(key.public.jwcrypto_key, alg=alg)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=64))
def test_a_signed_payload_is_its_base64url(payload: bytes) -> None:
    """Every payload's part is its unpadded base64url whatever letters it ends with (an "X",
    a "-", an "A"), and the token verifies."""
    token = KEY.compact_signer({"typ": "t"})(payload)
    assert token.split(".")[1] == b64url_encode(payload)
    assert verify_compact(token, KEY.public, typ="t").payload == payload


def test_payloads_whose_base64url_ends_in_any_letter_are_whole() -> None:
    """One payload for each letter its base64url can end with."""
    endings: dict[str, bytes] = {}
    for first in range(256):
        for size in (1, 2, 3):
            data = bytes([first]) * size
            endings.setdefault(b64url_encode(data)[-1], data)
    assert len(endings) == 64
    sign = KEY.compact_signer({"typ": "t"})
    for data in endings.values():
        assert sign(data).split(".")[1] == b64url_encode(data)
