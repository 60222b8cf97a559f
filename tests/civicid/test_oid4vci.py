"""OpenID4VCI 1.0 wire models on the official examples, offer links, and every key proof rule."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from civicid.encoding import b64url_encode
from civicid.errors import Error
from civicid.jose import PrivateKey
from civicid.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    PROOF_MAX_AGE,
    PROOF_NONCE_MISMATCH,
    PROOF_TYP,
    AuthorizationServerMetadata,
    CredentialConfiguration,
    CredentialIssuerMetadata,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    ErrorResponse,
    JwtVcIssuerMetadata,
    NonceResponse,
    TokenRequest,
    TokenResponse,
    build_proof_jwt,
    offer_link_by_reference,
    parse_offer_link,
    verify_proof_jwt,
)
from tests.conftest import VECTORS

EXAMPLES = VECTORS / "openid4vci-1.0" / "examples"
ISSUER = "https://credential-issuer.example.com"
NOW = 1_800_000_000


def example(name: str) -> Any:
    """An example file as JSON. ``.txt`` files are HTTP answers: the body is after the blank
    line. The spec wraps long values for display, so line breaks are joined back first."""
    text = (EXAMPLES / name).read_text("utf-8")
    if text.startswith("HTTP/"):
        text = text.split("\n\n", 1)[1]
    return json.loads(re.sub(r"\n\s*", "", text))


def codes(fn: Any) -> str:
    with pytest.raises(Error) as caught:
        fn()
    return caught.value.code


# -- official examples --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "credential_offer_by_reference.json",
        "credential_offer_multiple_credentials.json",
        "credential_offer_pre-authz_code.json",
        "credential_offer_authz_code.txt",
    ],
)
def test_official_offers_parse_and_round_trip(name: str) -> None:
    data = example(name)
    offer = CredentialOffer.from_json(data)
    assert offer.credential_issuer == ISSUER
    assert offer.to_json() == data
    assert CredentialOffer.from_json(json.dumps(data)) == offer


def test_official_pre_authorized_offer_fields() -> None:
    offer = CredentialOffer.from_json(example("credential_offer_multiple_credentials.json"))
    grant = offer.pre_authorized
    assert grant is not None and grant.pre_authorized_code == "oaKazRN8I0IbtZ0C7JuMn5"
    assert grant.tx_code is not None
    assert (grant.tx_code.length, grant.tx_code.input_mode) == (4, "numeric")
    empty = CredentialOffer.from_json(example("credential_offer_by_reference.json"))
    assert empty.pre_authorized is not None
    assert empty.pre_authorized.tx_code is not None  # {} still means "a code is expected"
    authz = CredentialOffer.from_json(example("credential_offer_authz_code.txt"))
    assert authz.pre_authorized is None
    assert authz.grants is not None and authz.grants.authorization_code is not None


def test_official_issuer_metadata() -> None:
    data = example("credential_issuer_metadata_sd_jwt_long.json")
    metadata = CredentialIssuerMetadata.from_json(data)
    config = metadata.credential_configurations_supported["SD_JWT_VC_example_in_OpenID4VCI"]
    assert config.format == "dc+sd-jwt" and config.vct == "SD_JWT_VC_example_in_OpenID4VCI"
    assert config.proof_types_supported is not None
    assert config.proof_types_supported["jwt"].proof_signing_alg_values_supported == ["ES256"]
    assert config.credential_metadata is not None and config.credential_metadata.claims
    assert config.credential_metadata.claims[5].path == ["address", "street_address"]
    assert metadata.batch_size == 10
    assert metadata.nonce_endpoint == f"{ISSUER}/nonce"
    assert metadata.to_json() == data  # encryption members we do not use are kept as sent


def test_official_signed_metadata_payload() -> None:
    token = re.sub(r"\s", "", (EXAMPLES / "credential_issuer_metadata_sd_jwt_jwt.txt").read_text())
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    metadata = CredentialIssuerMetadata.from_json(payload)
    assert metadata.credential_issuer == payload["sub"] == ISSUER


def test_official_configuration_fragment() -> None:
    data = example("credential_metadata_sd_jwt_vc.json")["credential_configurations_supported"]
    for config in data.values():
        assert CredentialConfiguration.from_json(config).to_json() == config


def test_official_credential_response() -> None:
    data = example("credential_response_sd_jwt_vc.txt")
    response = CredentialResponse.from_json(data)
    assert response.credentials is not None
    credential = response.credentials[0].credential
    assert isinstance(credential, str) and credential.endswith("~")
    assert response.to_json() == data


def test_official_credential_request_shape() -> None:
    # The mdoc example names a format instead of a configuration id, as drafts did: refused.
    data = example("credential_request_iso_mdl.json")
    assert codes(lambda: CredentialRequest.from_json(data)) == "oid4vci_credential_request_invalid"
    request = CredentialRequest.from_json(
        {"credential_configuration_id": "org.iso.18013.5.1.mDL", "proofs": data["proofs"]}
    )
    assert request.proofs is not None and len(request.proofs.jwt) == 1


def test_official_issuer_jwks_as_jwt_vc_issuer_metadata() -> None:
    jwks = example("issuer_jwks.json")
    metadata = JwtVcIssuerMetadata.from_json({"issuer": ISSUER, "jwks": {"keys": jwks["jwks"]}})
    assert metadata.jwks is not None and metadata.jwks["keys"][0]["crv"] == "P-256"


def test_spec_proof_example_verifies() -> None:
    """The F.1 example proof from the spec text, checked at its own iat."""
    token = (
        "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2"
        "IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJI"
        "c2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRwczovL2NyZWRl"
        "bnRpYWwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6IkxhclJHU2JtVVBZdFJZ"
        "TzZCUTR5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CWayLEpqkAomlkLb9zioZo"
        "ipdP-jvh1WlA"
    )
    proof = verify_proof_jwt(token, aud=ISSUER, now=1701960444, nonce="LarRGSbmUPYtRYO6BQ4yn8")
    assert proof.key.to_jwk()["x"] == "nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4"


# -- offers and links -----------------------------------------------------------------------


def make_offer(**grant: Any) -> CredentialOffer:
    return CredentialOffer.from_json(
        {
            "credential_issuer": "http://127.0.0.1:8701",
            "credential_configuration_ids": ["national_id"],
            "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "abc", **grant}},
        }
    )


def test_offer_link_by_value_round_trips() -> None:
    offer = make_offer(tx_code={"length": 6, "description": 'sent by SMS: "ü" & more'})
    link = offer.to_link()
    assert link.startswith("openid-credential-offer://?credential_offer=%7B")
    parsed = parse_offer_link(link)
    assert parsed.offer == offer and parsed.offer_uri is None


def test_offer_link_by_reference_round_trips() -> None:
    uri = "https://issuer.example/offers/abc?x=1"
    link = offer_link_by_reference(uri)
    assert parse_offer_link(link).offer_uri == uri
    assert parse_offer_link(link).offer is None


@pytest.mark.parametrize(
    "link",
    [
        "openid-credential-offer://?nothing=1",
        "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa",
        "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fevil.example%2Fo",
        "openid-credential-offer://?credential_offer_uri=a&credential_offer_uri=b",
        "openid-credential-offer://?credential_offer=not-json",
        "openid-credential-offer://?credential_offer=%5B%5D",
        "openid-credential-offer://?credential_offer=" + "x" * 20000,
    ],
)
def test_bad_offer_links(link: str) -> None:
    assert codes(lambda: parse_offer_link(link)) == "oid4vci_offer_invalid"


@pytest.mark.parametrize(
    "change",
    [
        {"credential_issuer": "http://issuer.example"},  # plain http off loopback
        {"credential_issuer": "https://issuer.example?tenant=1"},
        {"credential_configuration_ids": []},
        {"credential_configuration_ids": ["a", "a"]},
        {"grants": {PRE_AUTHORIZED_GRANT: {}}},
        {"grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "c", "tx_code": {"length": 0}}}},
        {
            "grants": {
                PRE_AUTHORIZED_GRANT: {
                    "pre-authorized_code": "c",
                    "tx_code": {"description": "x" * 301},
                }
            }
        },
    ],
)
def test_bad_offers(change: dict[str, Any]) -> None:
    data = {**make_offer().to_json(), **change}
    assert codes(lambda: CredentialOffer.from_json(data)) == "oid4vci_offer_invalid"


def test_offer_link_by_reference_needs_https() -> None:
    assert codes(lambda: offer_link_by_reference("http://evil.example/o")) == (
        "oid4vci_offer_invalid"
    )


# -- token, nonce, credential, errors ------------------------------------------------------


def test_token_request_form_round_trip() -> None:
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "abc", "tx_code": "1234"}
    request = TokenRequest.from_form(form)
    assert request.tx_code == "1234" and request.to_form() == form


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "authorization_code", "pre-authorized_code": "abc"},
        {"grant_type": PRE_AUTHORIZED_GRANT},
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": ""},
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "a", "tx_code": "1" * 65},
    ],
)
def test_bad_token_requests(form: dict[str, str]) -> None:
    assert codes(lambda: TokenRequest.from_form(form)) == "oid4vci_token_request_invalid"


def test_responses_parse() -> None:
    token = TokenResponse.from_json({"access_token": "t", "token_type": "Bearer", "expires_in": 60})
    assert token.access_token == "t"
    assert NonceResponse.from_json(b'{"c_nonce": "n"}').c_nonce == "n"
    assert codes(lambda: NonceResponse.from_json(b"{}")) == "oid4vci_response_invalid"
    assert codes(lambda: CredentialResponse.from_json({"credentials": []})) == (
        "oid4vci_response_invalid"
    )
    assert AuthorizationServerMetadata.from_json(
        {
            "issuer": ISSUER,
            "token_endpoint": f"{ISSUER}/token",
            "pre-authorized_grant_anonymous_access_supported": True,
        }
    ).pre_authorized_grant_anonymous_access_supported


@pytest.mark.parametrize(
    "body",
    [
        {"proofs": {"jwt": ["a"]}},  # no id
        {"credential_configuration_id": "a", "credential_identifier": "b"},
        {"credential_configuration_id": "a", "proofs": {"jwt": []}},
        {"credential_configuration_id": "a", "proofs": {"jwt": ["a"], "di_vp": [{}]}},
        {"credential_configuration_id": "a", "proofs": {"attestation": ["a"]}},
        {"credential_configuration_id": "a", "proof": {"proof_type": "jwt", "jwt": "a"}},
        {"credential_configuration_id": "a", "proofs": {"jwt": ["a"] * 101}},
    ],
)
def test_bad_credential_requests(body: dict[str, Any]) -> None:
    assert codes(lambda: CredentialRequest.from_json(body)) == (
        "oid4vci_credential_request_invalid"
    )


def test_error_response_carries_both_codes() -> None:
    body = ErrorResponse.from_error(PROOF_NONCE_MISMATCH('nonce "x" \\ unknown\n'))
    assert body.error == "invalid_nonce" and body.civicid_error == "proof_nonce_mismatch"
    assert body.error_description is not None
    assert not set(body.error_description) & {'"', "\\", "\n"}
    again = body.to_error(400)
    assert again.code == "proof_nonce_mismatch" and again.http_status == 400
    foreign = ErrorResponse.from_json({"error": "invalid_grant"}).to_error(400)
    assert foreign.code == "invalid_grant"


# -- key proofs -----------------------------------------------------------------------------

HOLDER = PrivateKey.generate()


def proof(**kw: Any) -> str:
    args: dict[str, Any] = {"aud": ISSUER, "nonce": "n-1", "iat": NOW}
    args.update(kw)
    return build_proof_jwt(HOLDER, **args)


def forge(header: dict[str, Any], claims: dict[str, Any], key: PrivateKey = HOLDER) -> str:
    """Sign ``claims`` with ``key`` under ``header`` exactly as given (alg included)."""
    from jwcrypto.jwa import JWA

    signing_input = (
        f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(claims).encode())}"
    )
    alg = header.get("alg", key.alg)
    if alg in ("ES256", "ES384", "Ed25519"):
        signature = JWA.signing_alg(alg).sign(key.jwcrypto_key, signing_input.encode())
    else:
        signature = b"\x00" * 32
    return f"{signing_input}.{b64url_encode(signature)}"


def check(token: str, **kw: Any) -> str:
    args: dict[str, Any] = {"aud": ISSUER, "now": NOW, "nonce": "n-1"}
    args.update(kw)
    return codes(lambda: verify_proof_jwt(token, **args))


def test_proof_round_trip() -> None:
    verified = verify_proof_jwt(proof(), aud=ISSUER, now=NOW, nonce="n-1")
    assert verified.key == HOLDER.public and verified.nonce == "n-1" and verified.iat == NOW
    assert verified.header["typ"] == PROOF_TYP and "iss" not in verified.payload


@pytest.mark.parametrize("alg", ["ES384", "Ed25519"])
def test_proof_other_algorithms(alg: str) -> None:
    key = PrivateKey.generate(alg)
    token = build_proof_jwt(key, aud=ISSUER, nonce=None, iat=NOW)
    assert verify_proof_jwt(token, aud=ISSUER, now=NOW, nonce=None).key == key.public


def test_proof_nonce_check_callable() -> None:
    seen: list[str] = []
    verify_proof_jwt(proof(), aud=ISSUER, now=NOW, nonce=seen.append)
    assert seen == ["n-1"]


def test_proof_wrong_nonce() -> None:
    assert check(proof(nonce="other")) == "proof_nonce_mismatch"


def test_proof_missing_nonce() -> None:
    assert check(proof(nonce=None)) == "proof_nonce_missing"


def test_proof_wrong_aud() -> None:
    assert check(proof(aud="https://other.example")) == "proof_aud_mismatch"
    assert check(proof(aud=[ISSUER])) == "proof_aud_mismatch"


def test_proof_stale_iat() -> None:
    assert check(proof(iat=NOW - PROOF_MAX_AGE - 1)) == "proof_iat_stale"
    verify_proof_jwt(proof(iat=NOW - PROOF_MAX_AGE), aud=ISSUER, now=NOW, nonce="n-1")


def test_proof_future_iat() -> None:
    assert check(proof(iat=NOW + 3600)) == "proof_iat_future"


def test_proof_alg_none() -> None:
    header = {"typ": PROOF_TYP, "alg": "none", "jwk": HOLDER.public.to_jwk()}
    token = forge(header, {"aud": ISSUER, "iat": NOW, "nonce": "n-1"})
    assert check(token.rsplit(".", 1)[0] + ".") == "proof_malformed"  # empty signature part
    assert check(token) == "proof_alg_not_allowed"


def test_proof_hmac_alg() -> None:
    header = {"typ": PROOF_TYP, "alg": "HS256", "jwk": HOLDER.public.to_jwk()}
    assert check(forge(header, {"aud": ISSUER, "iat": NOW, "nonce": "n-1"})) == (
        "proof_alg_not_allowed"
    )


def test_proof_jwk_that_did_not_sign() -> None:
    other = PrivateKey.generate()
    header = {"typ": PROOF_TYP, "alg": "ES256", "jwk": HOLDER.public.to_jwk()}
    token = forge(header, {"aud": ISSUER, "iat": NOW, "nonce": "n-1"}, key=other)
    assert check(token) == "proof_signature_invalid"


def test_proof_alg_not_fitting_the_jwk() -> None:
    ed = PrivateKey.generate("Ed25519")
    header = {"typ": PROOF_TYP, "alg": "ES256", "jwk": ed.public.to_jwk()}
    token = forge(header, {"aud": ISSUER, "iat": NOW, "nonce": "n-1"})
    assert check(token) == "proof_signature_invalid"


def test_proof_alg_outside_callers_list() -> None:
    assert check(proof(), allowed_algs=("Ed25519",)) == "proof_alg_not_allowed"


def test_proof_wrong_typ() -> None:
    header = {"typ": "JWT", "alg": "ES256", "jwk": HOLDER.public.to_jwk()}
    assert check(forge(header, {"aud": ISSUER, "iat": NOW, "nonce": "n-1"})) == (
        "proof_typ_invalid"
    )


def test_proof_private_key_in_header() -> None:
    private = HOLDER.to_json()["jwk"]
    header = {"typ": PROOF_TYP, "alg": "ES256", "jwk": private}
    assert check(forge(header, {"aud": ISSUER, "iat": NOW, "nonce": "n-1"})) == (
        "proof_key_invalid"
    )


@pytest.mark.parametrize("extra", [{"kid": "did:example:1#k"}, {"x5c": ["MIIB"]}, {}])
def test_proof_key_by_reference_or_absent(extra: dict[str, Any]) -> None:
    header: dict[str, Any] = {"typ": PROOF_TYP, "alg": "ES256", **extra}
    if extra:
        header["jwk"] = HOLDER.public.to_jwk()
    assert check(forge(header, {"aud": ISSUER, "iat": NOW, "nonce": "n-1"})) == (
        "proof_key_unsupported"
    )


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": ISSUER, "iat": str(NOW), "nonce": "n-1"},
        {"aud": ISSUER, "iat": True, "nonce": "n-1"},
        {"aud": ISSUER, "nonce": "n-1"},
        {"aud": ISSUER, "iat": NOW, "nonce": 7},
    ],
)
def test_proof_bad_claims(claims: dict[str, Any]) -> None:
    header = {"typ": PROOF_TYP, "alg": "ES256", "jwk": HOLDER.public.to_jwk()}
    assert check(forge(header, claims)) == "proof_malformed"


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "x" * 9000, 5])
def test_proof_not_a_jws(token: Any) -> None:
    assert check(token) == "proof_malformed"


def test_issuer_url_bound_and_the_memory_of_verdicts_holds_no_longer_url() -> None:
    from civicid import oid4vci

    base = "https://issuer.example/"
    at_bound = base + "a" * (oid4vci.MAX_ISSUER_URL_CHARS - len(base))
    assert oid4vci.check_issuer_url(at_bound) == at_bound
    over = at_bound + "a"
    oid4vci._issuer_url.cache_clear()
    for _ in range(2):
        with pytest.raises(ValueError, match="https URL"):
            oid4vci.check_issuer_url(over)
    # A hostile offer's long URL is refused before the memory of verdicts sees it.
    assert oid4vci._issuer_url.cache_info().currsize == 0
