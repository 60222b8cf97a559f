"""Attack on a batch of SD-JWT copies built from one walk of the claims: copies handed to one
holder must not be linkable (RFC 9901 §10.1, unlinkability across presentations). No salt,
Disclosure, digest or decoy appears in two copies, and every copy, each disclosure shown,
is accepted by the reference ``sd-jwt`` implementation with the claims as issued."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

import pytest
from sd_jwt.verifier import SDJWTVerifier

from civicid.jose import PrivateKey
from civicid.sdjwt import ClaimPath, present
from civicid.sdjwt_builder import Copy, disclosable_paths, issue_batch
from issuer.entropy import ENTROPY

ISS = "did:civicid:agency-batch"
KID = f"{ISS}#key-1"
VCT = "urn:civicid:national-id:1"
NOW = 1_790_000_000
CLAIMS: dict[str, Any] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1963-08-12",
    "address": {"street_address": "Heidestraße 17", "locality": "Köln", "country": "DE"},
    "nationalities": ["DE", "FR", "DE"],
    "age_equal_or_over": {"18": True, "65": False},
    "resident": True,
}
DISCLOSABLE: list[ClaimPath] = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("address",),
    ("address", "street_address"),
    ("nationalities", None),
    ("age_equal_or_over", "18"),
    ("age_equal_or_over", "65"),
    ("resident",),
]
COPIES = 8


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digests_in(value: Any) -> list[str]:
    """Every digest of a payload: objects' ``_sd`` (decoys included), arrays' ``...``."""
    found: list[str] = []
    if isinstance(value, dict):
        found += value.get("_sd", [])
        if "..." in value:
            found.append(value["..."])
        for member in value.values():
            found += digests_in(member)
    elif isinstance(value, list):
        for member in value:
            found += digests_in(member)
    return found


@pytest.mark.parametrize("rng", ["issuer", "default"])
def test_copies_of_a_batch_share_no_salt_digest_or_decoy(rng: str) -> None:
    issuer = PrivateKey.generate()
    holders = [PrivateKey.generate() for _ in range(COPIES)]
    chosen = {"rng": ENTROPY} if rng == "issuer" else {}
    copies = issue_batch(
        issuer_key=issuer,
        kid=KID,
        iss=ISS,
        claims=CLAIMS,
        disclosable=DISCLOSABLE,
        iat=NOW,
        exp=NOW + 86_400,
        vct=VCT,
        copies=[
            Copy(cnf_jwk=h.public.to_jwk(), status={"status_list": {"idx": i, "uri": "u"}})
            for i, h in enumerate(holders)
        ],
        **chosen,  # type: ignore[arg-type]
    )
    assert len(copies) == COPIES
    salts: Counter[str] = Counter()
    disclosures: Counter[str] = Counter()
    digests: Counter[str] = Counter()
    for sd_jwt in copies:
        jwt, *parts, last = sd_jwt.split("~")
        assert last == ""
        payload = json.loads(unb64(jwt.split(".")[1]))
        opened = [json.loads(unb64(part)) for part in parts]
        disclosures.update(parts)
        salts.update(disclosure[0] for disclosure in opened)
        # The payload's digests and those inside a disclosed object (the address's).
        found = digests_in(payload) + digests_in([d[-1] for d in opened])
        assert len(found) == len(parts) + 2 * 3  # decoys: 2 in each of 3 objects with _sd
        digests.update(found)
    assert len(disclosures) == len(salts) == COPIES * 11 == sum(salts.values())
    assert max(salts.values()) == max(disclosures.values()) == max(digests.values()) == 1


def test_every_copy_is_accepted_by_the_reference_implementation() -> None:
    issuer = PrivateKey.generate()
    holders = [PrivateKey.generate() for _ in range(4)]
    copies = issue_batch(
        issuer_key=issuer,
        kid=KID,
        iss=ISS,
        claims=CLAIMS,
        disclosable=DISCLOSABLE,
        iat=NOW,
        exp=NOW + 86_400,
        vct=VCT,
        copies=[Copy(cnf_jwk=h.public.to_jwk()) for h in holders],
        rng=ENTROPY,
    )
    issuer_jwk = issuer.public.jwcrypto_key
    for i, (sd_jwt, holder) in enumerate(zip(copies, holders, strict=True)):
        nonce, aud = f"nonce-{i}-0123456789", "decentralized_identifier:did:civicid:desk"
        shown = present(
            sd_jwt,
            disclose=disclosable_paths(sd_jwt),
            holder_key=holder,
            nonce=nonce,
            aud=aud,
            iat=NOW,
        )
        checked = SDJWTVerifier(
            shown, lambda iss, header: issuer_jwk, expected_aud=aud, expected_nonce=nonce
        ).get_verified_payload()
        assert {k: checked[k] for k in CLAIMS} == CLAIMS
        assert checked["cnf"]["jwk"] == holder.public.to_jwk()
        assert (checked["iss"], checked["vct"]) == (ISS, VCT)
