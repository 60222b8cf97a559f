"""Key proof attacks at the credential endpoint (OpenID4VCI Appendix F.4): each refused with
its code, nothing issued, and the access token still good for an honest retry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid.encoding import b64url_encode
from civicid.jose import PrivateKey
from civicid.oid4vci import PROOF_MAX_AGE, PROOF_TYP
from tests.issuer.conftest import Env, refused
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem


@pytest.fixture
def token(env: Env) -> str:
    return redeem(env, offer(env))


def forged(header: dict[str, Any], claims: dict[str, Any], signer: PrivateKey) -> str:
    """A JWS with exactly this header (alg included), signed by ``signer`` if the alg is one
    of ours, else carrying a junk signature."""
    from jwcrypto.jwa import JWA

    head = b64url_encode(json.dumps(header).encode())
    body = b64url_encode(json.dumps(claims).encode())
    alg = header.get("alg")
    if alg in ("ES256", "ES384", "Ed25519"):
        signature = JWA.signing_alg(alg).sign(signer.jwcrypto_key, f"{head}.{body}".encode())
    elif alg == "HS256":
        import hashlib
        import hmac

        # HS256 keyed with the public key's JSON: the classic algorithm-confusion forgery.
        secret = json.dumps(signer.public.to_jwk()).encode()
        signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    else:
        signature = b"\x00" * 64  # "none" signs nothing; junk gets past the parser
    return f"{head}.{body}.{b64url_encode(signature)}"


def claims(env: Env, **kw: Any) -> dict[str, Any]:
    return {
        "aud": env.settings.public_url,
        "iat": env.clock(),
        "nonce": env.issuer.nonce().c_nonce,
        **kw,
    }


def attempt(env: Env, token: str, proofs: list[str], code: str) -> None:
    request = credential_request(proofs)
    refused(env, lambda: env.issuer.credential_request(token, request), code)
    # The honest wallet can still get its credential with the same token.
    honest = env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert honest.credentials is not None


def test_wrong_nonce(env: Env, token: str) -> None:
    attempt(env, token, [good_proof(env, nonce="not-from-this-issuer")], "proof_nonce_mismatch")


def test_no_nonce(env: Env, token: str) -> None:
    attempt(env, token, [good_proof(env, nonce=None)], "proof_nonce_missing")


def test_wrong_aud(env: Env, token: str) -> None:
    attempt(env, token, [good_proof(env, aud="https://other-issuer.example")], "proof_aud_mismatch")


def test_stale_iat(env: Env, token: str) -> None:
    stale = env.clock() - PROOF_MAX_AGE - 1
    attempt(env, token, [good_proof(env, iat=stale)], "proof_iat_stale")


def test_iat_from_the_future(env: Env, token: str) -> None:
    attempt(env, token, [good_proof(env, iat=env.clock() + 3600)], "proof_iat_future")


def test_alg_none(env: Env, token: str) -> None:
    key = PrivateKey.generate()
    header = {"typ": PROOF_TYP, "alg": "none", "jwk": key.public.to_jwk()}
    token_none = forged(header, claims(env), key)
    attempt(env, token, [token_none], "proof_alg_not_allowed")
    # As sent in the wild, with an empty signature: not even a JWS.
    second = redeem(env, offer(env, record="REG-2"))
    attempt(env, second, [token_none.rsplit(".", 1)[0] + "."], "proof_malformed")


def test_hmac_alg_keyed_with_the_public_key(env: Env, token: str) -> None:
    key = PrivateKey.generate()
    header = {"typ": PROOF_TYP, "alg": "HS256", "jwk": key.public.to_jwk()}
    attempt(env, token, [forged(header, claims(env), key)], "proof_alg_not_allowed")


def test_jwk_that_did_not_sign(env: Env, token: str) -> None:
    victim, attacker = PrivateKey.generate(), PrivateKey.generate()
    header = {"typ": PROOF_TYP, "alg": "ES256", "jwk": victim.public.to_jwk()}
    attempt(env, token, [forged(header, claims(env), attacker)], "proof_signature_invalid")


def test_same_key_twice_in_a_batch(env: Env, token: str) -> None:
    key = PrivateKey.generate()
    nonce = env.issuer.nonce().c_nonce
    proofs = [good_proof(env, key=key, nonce=nonce), good_proof(env, key=key, nonce=nonce)]
    attempt(env, token, proofs, "proof_key_duplicate")


def test_one_bad_proof_spoils_the_batch(env: Env, token: str) -> None:
    attempt(
        env,
        token,
        [good_proof(env), good_proof(env, aud="https://x.example")],
        ("proof_aud_mismatch"),
    )


def test_wrong_typ(env: Env, token: str) -> None:
    key = PrivateKey.generate()
    header = {"typ": "JWT", "alg": "ES256", "jwk": key.public.to_jwk()}
    attempt(env, token, [forged(header, claims(env), key)], "proof_typ_invalid")


def test_private_key_in_the_header(env: Env, token: str) -> None:
    key = PrivateKey.generate()
    header = {"typ": PROOF_TYP, "alg": "ES256", "jwk": key.to_json()["jwk"]}
    attempt(env, token, [forged(header, claims(env), key)], "proof_key_invalid")


def test_key_by_reference(env: Env, token: str) -> None:
    key = PrivateKey.generate()
    header = {"typ": PROOF_TYP, "alg": "ES256", "kid": "did:example:123#key-1"}
    attempt(env, token, [forged(header, claims(env), key)], "proof_key_unsupported")


def test_proof_replayed_from_an_earlier_request(env: Env, token: str) -> None:
    proof = good_proof(env)
    env.issuer.credential_request(token, credential_request([proof]))
    second = redeem(env, offer(env, record="REG-2"))
    request = credential_request([proof])
    refused(env, lambda: env.issuer.credential_request(second, request), "proof_nonce_mismatch")
