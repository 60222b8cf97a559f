"""Accreditations: grant bodies are checked strictly; "accredited at T" at its boundaries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from civicid.accreditation import (
    ISSUER,
    MAX_CREDENTIAL_TYPES,
    VERIFIER,
    Grant,
    grant_body,
    judge,
    parse_revocation,
)
from civicid.errors import Error

DID = "did:civicid:" + "a" * 32
VCT = "https://civicid.example/vct/national-id"
T0, T1 = 1_800_000_000, 1_800_086_400


def issuer(**overrides: Any) -> dict[str, Any]:
    body = grant_body(
        DID,
        credential_types=[VCT],
        valid_from=T0,
        valid_until=T1,
        purpose="Issue national identity credentials",
        legal_basis="Identity Act 2026, s. 4",
        accreditation="acc-test-0001",
    )
    body.update(overrides)
    return body


def verifier(**overrides: Any) -> dict[str, Any]:
    body = grant_body(
        DID,
        claims={VCT: ["given_name", "family_name"]},
        valid_from=T0,
        valid_until=T1,
        purpose="Check identity at the town hall desk",
        legal_basis="Local Services Act, s. 2",
        accreditation="acc-test-0002",
    )
    body.update(overrides)
    return body


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(Error) as info:
        call()
    return info.value.code


def test_bodies_round_trip() -> None:
    for body in (issuer(), verifier()):
        assert Grant.from_body(body).to_body() == body


@pytest.mark.parametrize(
    "body, code",
    [
        (issuer(accreditation="short"), "accreditation_invalid"),
        (issuer(accreditation="has spaces in it"), "accreditation_invalid"),
        (issuer(subject="did:web:example.com"), "did_invalid"),
        (issuer(kind="auditor"), "accreditation_invalid"),
        (issuer(credentialTypes=[]), "accreditation_invalid"),
        (issuer(credentialTypes=[VCT, VCT]), "accreditation_invalid"),
        (issuer(credentialTypes=["not a uri"]), "vct_invalid"),
        (issuer(credentialTypes=["https://x.example/" + "a" * 300]), "vct_invalid"),
        (
            issuer(credentialTypes=[f"urn:t:{i}" for i in range(MAX_CREDENTIAL_TYPES + 1)]),
            "accreditation_invalid",
        ),
        (issuer(claims={VCT: ["a"]}), "accreditation_invalid"),
        (issuer(validUntil=T0), "accreditation_invalid"),
        (issuer(validFrom="2026-01-01"), "accreditation_invalid"),
        (issuer(validFrom=True), "accreditation_invalid"),
        (issuer(validUntil=T0 + 6 * 366 * 86400), "accreditation_invalid"),
        (issuer(purpose=""), "accreditation_invalid"),
        (issuer(purpose="x" * 1001), "accreditation_invalid"),
        (issuer(legalBasis=None), "accreditation_invalid"),
        (verifier(claims={}), "accreditation_invalid"),
        (verifier(claims={VCT: []}), "accreditation_invalid"),
        (verifier(claims={VCT: ["given name"]}), "accreditation_invalid"),
        (verifier(claims={VCT: ["a", "a"]}), "accreditation_invalid"),
        (verifier(claims={"nope": ["a"]}), "vct_invalid"),
        (verifier(credentialTypes=[VCT]), "accreditation_invalid"),
    ],
)
def test_malformed_grants(body: dict[str, Any], code: str) -> None:
    assert code_of(lambda: Grant.from_body(body)) == code


def test_validity_is_from_inclusive_until_exclusive() -> None:
    grant = Grant.from_body(issuer())
    assert judge(DID, ISSUER, [(grant, None)], T0 - 1, vct=VCT).reason == (
        "accreditation_not_yet_valid"
    )
    assert judge(DID, ISSUER, [(grant, None)], T0, vct=VCT).accreditation == grant.id
    assert judge(DID, ISSUER, [(grant, None)], T1 - 1, vct=VCT).accredited
    assert judge(DID, ISSUER, [(grant, None)], T1, vct=VCT).reason == "accreditation_expired"


def test_revocation_counts_from_its_time() -> None:
    grant = Grant.from_body(issuer())
    revoked = T0 + 100
    assert judge(DID, ISSUER, [(grant, revoked)], revoked - 1, vct=VCT).accredited
    assert judge(DID, ISSUER, [(grant, revoked)], revoked, vct=VCT).reason == (
        "accreditation_revoked"
    )


def test_other_types_subjects_and_kinds_do_not_count() -> None:
    grant = Grant.from_body(issuer())
    assert judge(DID, ISSUER, [(grant, None)], T0, vct="urn:other").reason == (
        "issuer_not_accredited"
    )
    other = "did:civicid:" + "b" * 32
    assert judge(other, ISSUER, [(grant, None)], T0, vct=VCT).reason == "issuer_not_accredited"
    assert judge(DID, VERIFIER, [(grant, None)], T0, vct=VCT).reason == "verifier_not_accredited"
    assert judge(DID, ISSUER, [(grant, None)], T0).accredited  # any type


def test_verifier_claims_must_all_be_granted() -> None:
    grant = Grant.from_body(verifier())
    ok = judge(DID, VERIFIER, [(grant, None)], T0, vct=VCT, claims=["given_name"])
    assert ok.accredited
    too_much = judge(DID, VERIFIER, [(grant, None)], T0, vct=VCT, claims=["given_name", "ssn"])
    assert too_much.reason == "verifier_claims_not_allowed"
    with pytest.raises(Error) as info:
        too_much.require()
    assert info.value.code == "verifier_claims_not_allowed"


def test_a_live_grant_wins_over_an_expired_one() -> None:
    old = Grant.from_body(issuer(validUntil=T0 + 10))
    new = Grant.from_body(issuer(accreditation="acc-test-0003", validFrom=T0 + 5))
    standing = judge(DID, ISSUER, [(old, None), (new, None)], T0 + 20, vct=VCT)
    assert standing.accreditation == "acc-test-0003"


def test_revocation_bodies() -> None:
    assert parse_revocation({"accreditation": "acc-test-0001", "reason": "audit"}) == (
        "acc-test-0001",
        "audit",
    )
    assert code_of(lambda: parse_revocation({"accreditation": "acc-test-0001"})) == (
        "accreditation_invalid"
    )
