"""Signing with a kept key object: every signature verifies, by our checks and jwcrypto's,
R || S at the curve's width; a public key's y that is not canonical base64url is ``jwk_invalid``."""

from __future__ import annotations

import pytest
from jwcrypto import jws

from civicid.errors import Error
from civicid.jose import JWK_INVALID, PrivateKey, PublicKey, verify_compact


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
