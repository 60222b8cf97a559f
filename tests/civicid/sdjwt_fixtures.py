"""Keys, a credential and a presentation shared by the SD-JWT tests, plus helpers to re-sign a
tampered token so that only the rule under test can fail."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from civicid.encoding import b64url_encode
from civicid.errors import Error
from civicid.jose import PrivateKey
from civicid.sdjwt import (
    ClaimPath,
    Disclosure,
    Verified,
    decode_unverified,
    issue,
    parse,
    present,
    verify,
)
from civicid.sdjwt_format import digest_of

NOW = 1_800_000_000
ISS = "did:civicid:agency-7f3a"
KID = f"{ISS}#key-1"
VCT = "urn:civicid:national-id:1"
NONCE = "rQ2b7mX0_nonce"
AUD = "decentralized_identifier:did:civicid:desk-42"
CLAIMS: dict[str, Any] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1963-08-12",
    "address": {"street_address": "Heidestraße 17", "locality": "Köln", "country": "DE"},
    "nationalities": ["DE", "FR"],
    "age_equal_or_over": {"18": True, "65": False},
}
DISCLOSABLE: list[ClaimPath] = [
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
def issuer_key(alg: str = "ES256") -> PrivateKey:
    return PrivateKey.generate(alg)


@functools.cache
def holder_key(alg: str = "ES256") -> PrivateKey:
    return PrivateKey.generate(alg)


def counter_rng() -> Callable[[int], bytes]:
    """Deterministic salts, so a test can rebuild the same credential."""
    counter = itertools.count()
    return lambda n: next(counter).to_bytes(n, "big")


def credential(**overrides: Any) -> str:
    kwargs: dict[str, Any] = {
        "issuer_key": issuer_key(),
        "kid": KID,
        "iss": ISS,
        "claims": CLAIMS,
        "disclosable": DISCLOSABLE,
        "iat": NOW - 100,
        "exp": NOW + 86_400,
        "vct": VCT,
        "cnf_jwk": holder_key().public.to_jwk(),
        "status": {"status_list": {"idx": 7, "uri": "https://ledger.example/status/1"}},
    }
    kwargs.update(overrides)
    return issue(**kwargs)


def presentation(
    sd_jwt: str | None = None, disclose: Iterable[ClaimPath] = (("given_name",),), **kb: Any
) -> str:
    args: dict[str, Any] = {"holder_key": holder_key(), "nonce": NONCE, "aud": AUD, "iat": NOW}
    args.update(kb)
    return present(credential() if sd_jwt is None else sd_jwt, disclose=disclose, **args)


def check(token: str, **overrides: Any) -> Verified:
    kwargs: dict[str, Any] = {
        "issuer_key": issuer_key().public,
        "now": NOW,
        "nonce": NONCE,
        "aud": AUD,
    }
    kwargs.update(overrides)
    return verify(token, **kwargs)


def refused(code: str, token: str, **overrides: Any) -> Error:
    """Verification raises ``code`` (not just any error)."""
    with pytest.raises(Error) as exc:
        check(token, **overrides)
    assert exc.value.code == code, exc.value
    return exc.value


def raw_jwt(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A JWT with exactly this header and whatever signature bytes (for alg none, HS256...)."""
    parts = (json.dumps(header).encode(), json.dumps(payload).encode(), signature)
    return ".".join(b64url_encode(part) for part in parts)


def resign(
    sd_jwt: str,
    edit: Callable[[dict[str, Any]], Any] | None = None,
    *,
    header: dict[str, Any] | None = None,
    key: PrivateKey | None = None,
) -> str:
    """Re-sign the issuer JWT of ``sd_jwt`` after ``edit`` changed its payload (and/or with a new
    header), keeping its Disclosures and dropping any KB-JWT."""
    parsed = parse(sd_jwt)
    payload = json.loads(parsed.jws.payload)
    if edit is not None:
        edit(payload)
    signer = key or issuer_key()
    new_header = dict(parsed.jws.header) if header is None else header
    token = signer.sign_compact(json.dumps(payload).encode(), new_header)
    return "~".join([token, *parsed.disclosures, ""])


def with_disclosures(sd_jwt: str, disclosures: Iterable[str]) -> str:
    return "~".join([parse(sd_jwt).issuer_jwt, *disclosures, ""])


def bind(sd_jwt: str, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
    """Append a KB-JWT to an SD-JWT ending in '~' (claims override the correct ones)."""
    payload: dict[str, Any] = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest_of(sd_jwt)}
    payload.update(claims)
    kb_header = {"typ": "kb+jwt"} if header is None else header
    return sd_jwt + holder_key().sign_compact(json.dumps(payload).encode(), kb_header)


def disclosure_for(sd_jwt: str, path: ClaimPath) -> Disclosure:
    for placed in decode_unverified(sd_jwt).disclosures:
        if placed.path == path:
            return placed.disclosure
    raise AssertionError(f"no Disclosure at {path}")
