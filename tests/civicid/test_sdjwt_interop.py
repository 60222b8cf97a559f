"""Interop with the reference implementation (the ``sd-jwt`` package, RFC 9901's own): what we
issue and present verifies there, and what it issues and presents verifies here."""

from __future__ import annotations

import functools
import time
from typing import Any

from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from civicid.jose import PrivateKey
from civicid.sdjwt import SD_JWT_VC_TYP, issue, present, verify

NONCE = "n-0S6_WzA2Mj"
AUD = "x509_san_dns:desk.example.gov"
CLAIMS: dict[str, Any] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1963-08-12",
    "address": {"street_address": "Heidestraße 17", "locality": "Köln", "country": "DE"},
    "nationalities": ["DE", "FR"],
    "age_equal_or_over": {"18": True, "65": False},
}
DISCLOSABLE = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("address",),
    ("address", "street_address"),
    ("address", "locality"),
    ("nationalities", None),
    ("age_equal_or_over", "18"),
    ("age_equal_or_over", "65"),
]


@functools.cache
def keys() -> tuple[PrivateKey, PrivateKey]:
    return PrivateKey.generate(), PrivateKey.generate()


def reference_credential(issuer: PrivateKey, holder: PrivateKey) -> str:
    user_claims = {
        "iss": "did:civicid:agency",
        "iat": int(time.time()),
        "vct": "urn:civicid:national-id:1",
        SDObj("given_name"): "Erika",
        SDObj("family_name"): "Mustermann",
        SDObj("address"): {SDObj("street_address"): "Heidestraße 17", "country": "DE"},
        "nationalities": [SDObj("DE"), SDObj("FR")],
    }
    made = SDJWTIssuer(
        user_claims,
        issuer.jwcrypto_key,
        holder.jwcrypto_key,
        add_decoy_claims=True,
        extra_header_parameters={"typ": SD_JWT_VC_TYP, "kid": "did:civicid:agency#key-1"},
    )
    return str(made.sd_jwt_issuance)


def test_ours_verifies_in_the_reference_implementation() -> None:
    issuer, holder = keys()
    now = int(time.time())
    credential = issue(
        issuer_key=issuer,
        kid="did:civicid:agency#key-1",
        iss="did:civicid:agency",
        claims=CLAIMS,
        disclosable=DISCLOSABLE,
        iat=now,
        exp=now + 3600,
        vct="urn:civicid:national-id:1",
        cnf_jwk=holder.public.to_jwk(),
    )
    presentation = present(
        credential,
        disclose=[("address", "street_address"), ("nationalities", 1), ("age_equal_or_over", "18")],
        holder_key=holder,
        nonce=NONCE,
        aud=AUD,
        iat=now,
    )
    checked = SDJWTVerifier(
        presentation,
        lambda iss, header: issuer.public.jwcrypto_key,
        expected_aud=AUD,
        expected_nonce=NONCE,
    )
    payload = checked.get_verified_payload()
    assert payload["address"] == {"street_address": "Heidestraße 17", "country": "DE"}
    assert payload["nationalities"] == ["FR"]
    assert payload["age_equal_or_over"] == {"18": True}
    assert "given_name" not in payload and "birthdate" not in payload
    # The full credential, everything disclosed, reads the same in both.
    everything = SDJWTVerifier(credential, lambda iss, header: issuer.public.jwcrypto_key)
    ours = verify(credential, issuer_key=issuer.public, now=now, require_key_binding=False)
    assert everything.get_verified_payload() == ours.payload


def test_reference_credential_verifies_in_ours() -> None:
    issuer, holder = keys()
    credential = reference_credential(issuer, holder)
    now = int(time.time())
    full = verify(credential, issuer_key=issuer.public, now=now, require_key_binding=False)
    assert full.payload["address"] == {"street_address": "Heidestraße 17", "country": "DE"}
    assert full.payload["nationalities"] == ["DE", "FR"]
    assert full.holder_key == holder.public

    wallet = SDJWTHolder(credential)
    wallet.create_presentation(
        {"given_name": True, "address": {"street_address": True}, "nationalities": [False, True]},
        nonce=NONCE,
        aud=AUD,
        holder_key=holder.jwcrypto_key,
    )
    verified = verify(
        wallet.sd_jwt_presentation, issuer_key=issuer.public, now=now, nonce=NONCE, aud=AUD
    )
    assert verified.payload["given_name"] == "Erika"
    assert verified.payload["address"] == {"street_address": "Heidestraße 17", "country": "DE"}
    assert verified.payload["nationalities"] == ["FR"]
    assert "family_name" not in verified.payload
    assert verified.kb_payload is not None and verified.kb_payload["aud"] == AUD


def test_our_holder_presents_a_reference_credential() -> None:
    issuer, holder = keys()
    credential = reference_credential(issuer, holder)
    now = int(time.time())
    presentation = present(
        credential,
        disclose=[("family_name",), ("nationalities", 0)],
        holder_key=holder,
        nonce=NONCE,
        aud=AUD,
        iat=now,
    )
    theirs = SDJWTVerifier(
        presentation,
        lambda iss, header: issuer.public.jwcrypto_key,
        expected_aud=AUD,
        expected_nonce=NONCE,
    ).get_verified_payload()
    ours = verify(presentation, issuer_key=issuer.public, now=now, nonce=NONCE, aud=AUD)
    assert theirs == ours.payload
    assert ours.payload["family_name"] == "Mustermann"
    assert ours.payload["nationalities"] == ["DE"]
