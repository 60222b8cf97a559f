"""Every "bad input" of the issuer, in-process: each refused with its code, nothing issued,
nothing changed (the audit log records refused staff calls, and only that)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid.jose import PrivateKey
from civicid.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    CredentialRequest,
    TokenRequest,
    build_proof_jwt,
)
from issuer.offers import MAX_TX_CODE_ATTEMPTS, CreatedOffer
from issuer.records import LOCKED
from tests.issuer.conftest import CONFIG, Env, refused, sample_claims, state


def offer(env: Env, **kw: Any) -> CreatedOffer:
    args: dict[str, Any] = {"configuration": CONFIG, "record": "REG-1", "claims": sample_claims()}
    args.update(kw)
    return env.issuer.create_offer(env.clerk(), **args)


def token_request(created: CreatedOffer, tx_code: str | None) -> TokenRequest:
    grant = created.credential_offer.pre_authorized
    assert grant is not None
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": grant.pre_authorized_code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return TokenRequest.from_form(form)


def redeem(env: Env, created: CreatedOffer) -> str:
    return env.issuer.token(token_request(created, created.tx_code)).access_token


def credential_request(proofs: list[str], config: str = CONFIG) -> CredentialRequest:
    return CredentialRequest.from_json(
        {"credential_configuration_id": config, "proofs": {"jwt": proofs}}
    )


def good_proof(env: Env, key: PrivateKey | None = None, **kw: Any) -> str:
    args: dict[str, Any] = {
        "aud": env.settings.public_url,
        "nonce": env.issuer.nonce().c_nonce,
        "iat": env.clock(),
    }
    args.update(kw)
    return build_proof_jwt(key or PrivateKey.generate(), **args)


def last_audit(env: Env) -> tuple[str, str]:
    event = env.issuer.audit(limit=500)[-1]
    return event.action, event.outcome


# -- offers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"birthdate": "10/12/1990"},  # format: date
        {"nationalities": ["France"]},  # pattern
        {"age_equal_or_over": {"18": "yes", "65": False}},  # type
        {"favourite_colour": "blue"},  # additionalProperties: false
        {"address": {"locality": "Lyon"}},  # required country
    ],
)
def test_claims_failing_the_schema(env: Env, change: dict[str, Any]) -> None:
    claims = {**sample_claims(), **change}
    error = refused(env, lambda: offer(env, claims=claims), "issuer_claims_invalid")
    assert "Lyon" not in error.message and "France" not in error.message  # no claim values
    assert last_audit(env) == ("offer.create", "issuer_claims_invalid")


def test_claims_missing_required(env: Env) -> None:
    claims = sample_claims()
    del claims["birthdate"]
    refused(env, lambda: offer(env, claims=claims), "issuer_claims_invalid")


@pytest.mark.parametrize("name", ["iss", "vct", "cnf", "status", "exp", "_sd"])
def test_claims_setting_what_the_issuer_sets(env: Env, name: str) -> None:
    claims = {**sample_claims(), name: "x"}
    refused(env, lambda: offer(env, claims=claims), "issuer_claims_reserved")


@pytest.mark.parametrize("claims", [None, [], "x", {}])
def test_claims_not_an_object(env: Env, claims: Any) -> None:
    refused(env, lambda: offer(env, claims=claims), "issuer_claims_invalid")


def test_claims_nested_too_deep(env: Env) -> None:
    deep: Any = "x"
    for _ in range(20):
        deep = {"a": deep}
    refused(
        env,
        lambda: offer(env, claims={**sample_claims(), "address": deep}),
        ("issuer_claims_invalid"),
    )


@pytest.mark.parametrize("record", ["", " starts with space", "x" * 129, "tab\there", None])
def test_bad_record_reference(env: Env, record: Any) -> None:
    refused(env, lambda: offer(env, record=record), "issuer_record_invalid")


def test_unknown_configuration(env: Env) -> None:
    refused(
        env, lambda: offer(env, configuration="driving_licence"), ("issuer_configuration_unknown")
    )


def test_offer_refused_once_accreditation_revoked(env: Env) -> None:
    env.world.revoke_accreditation(env.accreditation)
    env.issuer.ledger.forget()
    refused(env, lambda: offer(env), "accreditation_revoked")


# -- token endpoint -------------------------------------------------------------------------


def test_unknown_pre_authorized_code(env: Env) -> None:
    request = TokenRequest.from_form(
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "no-such-code"}
    )
    refused(env, lambda: env.issuer.token(request), "grant_code_unknown")


def test_reused_pre_authorized_code(env: Env) -> None:
    created = offer(env)
    redeem(env, created)
    refused(env, lambda: redeem(env, created), "grant_code_used")


def test_reused_code_after_issuance(env: Env) -> None:
    created = offer(env)
    token = redeem(env, created)
    env.issuer.credential_request(token, credential_request([good_proof(env)]))
    refused(env, lambda: redeem(env, created), "grant_code_used")


def test_expired_pre_authorized_code(env: Env) -> None:
    created = offer(env)
    env.clock.offset = env.settings.offer_ttl + 1
    refused(env, lambda: redeem(env, created), "grant_code_expired")
    env.issuer.expire_offers()  # the claims go; the code still reads as expired
    refused(env, lambda: redeem(env, created), "grant_code_expired")


def test_missing_and_unexpected_tx_code(env: Env) -> None:
    created = offer(env)
    refused(env, lambda: env.issuer.token(token_request(created, None)), "tx_code_missing")
    plain = offer(env, tx_code=False)
    refused(env, lambda: env.issuer.token(token_request(plain, "123456")), "tx_code_unexpected")


def test_wrong_tx_code_then_lock_after_five(env: Env) -> None:
    created = offer(env)
    assert created.tx_code is not None
    wrong = "000000" if created.tx_code != "000000" else "111111"
    for attempt in range(1, MAX_TX_CODE_ATTEMPTS):
        with pytest.raises(Exception) as caught:
            env.issuer.token(token_request(created, wrong))
        assert getattr(caught.value, "code", None) == "tx_code_wrong"
        assert env.store.offer(created.offer.id).attempts == attempt  # type: ignore[union-attr]
    with pytest.raises(Exception) as caught:
        env.issuer.token(token_request(created, wrong))
    assert getattr(caught.value, "code", None) == "offer_locked"
    stored = env.store.offer(created.offer.id)
    assert stored is not None and stored.state == LOCKED
    # The right code no longer helps, and nothing more changes.
    refused(env, lambda: redeem(env, created), "offer_locked")


# -- credential endpoint --------------------------------------------------------------------


@pytest.fixture
def token(env: Env) -> str:
    return redeem(env, offer(env))


def test_wrong_access_token(env: Env, token: str) -> None:
    request = credential_request([good_proof(env)])
    refused(env, lambda: env.issuer.credential_request("nope", request), "access_token_invalid")
    refused(env, lambda: env.issuer.credential_request(None, request), "access_token_invalid")


def test_expired_access_token(env: Env, token: str) -> None:
    env.clock.offset = env.settings.token_ttl + 1
    request = credential_request([good_proof(env)])
    refused(env, lambda: env.issuer.credential_request(token, request), "access_token_invalid")


def test_access_token_is_single_use(env: Env, token: str) -> None:
    env.issuer.credential_request(token, credential_request([good_proof(env)]))
    request = credential_request([good_proof(env)])
    refused(env, lambda: env.issuer.credential_request(token, request), "access_token_invalid")


def test_configuration_not_covered_by_the_token(env: Env, token: str) -> None:
    request = credential_request([good_proof(env)], config="other")
    refused(
        env,
        lambda: env.issuer.credential_request(token, request),
        ("credential_configuration_unknown"),
    )
    by_id = CredentialRequest.from_json(
        {"credential_identifier": "x", "proofs": {"jwt": [good_proof(env)]}}
    )
    refused(
        env, lambda: env.issuer.credential_request(token, by_id), ("credential_identifier_unknown")
    )


def test_batch_larger_than_allowed(env: Env, token: str) -> None:
    request = credential_request([good_proof(env) for _ in range(4)])  # batch_size is 3
    refused(env, lambda: env.issuer.credential_request(token, request), "batch_too_large")


def test_no_proof(env: Env, token: str) -> None:
    request = CredentialRequest.from_json({"credential_configuration_id": CONFIG})
    refused(env, lambda: env.issuer.credential_request(token, request), "proof_missing")


def test_accreditation_revoked_after_the_offer(env: Env, token: str) -> None:
    env.world.revoke_accreditation(env.accreditation)
    env.issuer.ledger.forget()  # as if accreditation_ttl had passed
    request = credential_request([good_proof(env)])
    refused(env, lambda: env.issuer.credential_request(token, request), "accreditation_revoked")


def test_the_token_survives_a_refused_request(env: Env, token: str) -> None:
    bad = credential_request([good_proof(env, nonce="forged")])
    refused(env, lambda: env.issuer.credential_request(token, bad), "proof_nonce_mismatch")
    response = env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert response.credentials is not None and len(response.credentials) == 1


def test_nonce_is_single_use(env: Env) -> None:
    nonce = env.issuer.nonce().c_nonce
    first = redeem(env, offer(env))
    env.issuer.credential_request(first, credential_request([good_proof(env, nonce=nonce)]))
    second = redeem(env, offer(env, record="REG-2"))
    request = credential_request([good_proof(env, nonce=nonce)])
    refused(env, lambda: env.issuer.credential_request(second, request), "proof_nonce_mismatch")


def test_expired_nonce(env: Env, token: str) -> None:
    proof = good_proof(env)
    env.clock.offset = env.settings.nonce_ttl + 1
    request = credential_request([proof])
    # The proof's iat is now stale too; the nonce is checked last, so move the iat along.
    fresh = good_proof(env, nonce=json.loads(_claims(proof))["nonce"])
    refused(env, lambda: env.issuer.credential_request(token, request), "proof_iat_stale")
    request = credential_request([fresh])
    refused(env, lambda: env.issuer.credential_request(token, request), "proof_nonce_mismatch")


def _claims(jwt: str) -> str:
    import base64

    return base64.urlsafe_b64decode(jwt.split(".")[1] + "==").decode()


def test_state_helper_sees_an_issuance(env: Env, token: str) -> None:
    """The helper the refusal tests rely on notices a change (it cannot pass vacuously)."""
    before = state(env)
    env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert state(env) != before


def test_token_outliving_its_offer(env: Env) -> None:
    """An access token given just before the offer expires still gets the credential; once
    both have expired the claims are gone and the token is refused."""
    created = offer(env)
    env.clock.offset = env.settings.offer_ttl - 10
    token = redeem(env, created)
    env.clock.offset = env.settings.offer_ttl + 10
    assert env.issuer.expire_offers() == 0  # the token is still good: the claims stay
    env.clock.offset += env.settings.token_ttl
    assert env.issuer.expire_offers() == 1
    request = credential_request([good_proof(env)])
    refused(env, lambda: env.issuer.credential_request(token, request), "access_token_invalid")
    stored = env.store.offer(created.offer.id)
    assert stored is not None and stored.claims is None and stored.code is None
    env.reopen()  # cleared offers are not brought back into play
    assert created.offer.id not in env.issuer.offers.by_id


def test_claims_sd_jwt_cannot_carry(env: Env) -> None:
    """A lone surrogate passes the schema but not SD-JWT issuance: refused when the offer is
    made, so the wallet never redeems an offer that cannot be issued."""
    claims = {**sample_claims(), "given_name": "Ada\ud800"}
    refused(env, lambda: offer(env, claims=claims), "issuer_claims_invalid")
    assert not env.issuer.offers.by_id
    assert last_audit(env) == ("offer.create", "issuer_claims_invalid")


def test_claims_with_nul_are_issued(env: Env) -> None:
    """A NUL is JSON an SD-JWT carries (escaped): the offer is made and redeemed in full."""
    created = offer(env, claims={**sample_claims(), "given_name": "Ada\x00"})
    token = redeem(env, created)
    answer = env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert answer.credentials is not None and len(answer.credentials) == 1
