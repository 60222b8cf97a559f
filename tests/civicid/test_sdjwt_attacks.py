"""Attacks on SD-JWT verification, each named after the attack, each asserting the rule's code.

Tampered issuer JWTs are re-signed with the issuer's key (as a careless or malicious issuer, or a
bug, would produce them), so the signature passes and only the rule under test can fail.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid.encoding import b64url_encode
from civicid.errors import Error
from civicid.jose import PrivateKey
from civicid.sdjwt import (
    CLOCK_SKEW,
    KB_MAX_AGE,
    MAX_DEPTH,
    MAX_DISCLOSURES,
    MAX_PRESENTATION_BYTES,
    Disclosure,
    parse,
    present,
)
from civicid.sdjwt_format import digest_of
from tests.civicid.sdjwt_fixtures import (
    AUD,
    NONCE,
    NOW,
    bind,
    check,
    credential,
    disclosure_for,
    holder_key,
    issuer_key,
    presentation,
    raw_jwt,
    refused,
    resign,
    with_disclosures,
)


def bare(sd_jwt: str | None = None, disclose: Any = (("given_name",),)) -> str:
    """An SD-JWT presentation without KB, ready for `bind`."""
    return present(credential() if sd_jwt is None else sd_jwt, disclose=disclose, holder_key=None)


def inject(sd_jwt: str, disclosure: Disclosure, into: tuple[str, ...] = ()) -> str:
    """Have the issuer sign a digest of ``disclosure`` into the object at ``into`` and send it."""

    def edit(payload: dict[str, Any]) -> None:
        target = payload
        for name in into:
            target = target[name]
        target.setdefault("_sd", []).append(disclosure.digest)

    return with_disclosures(resign(sd_jwt, edit), [*parse(sd_jwt).disclosures, disclosure.text])


def with_disclosures_kept(sd_jwt: str, extra: list[str]) -> str:
    return with_disclosures(sd_jwt, [*parse(sd_jwt).disclosures, *extra])


# -- pitfall 1: KB-JWT aud --------------------------------------------------------------------


def test_kb_for_another_verifier() -> None:
    refused("kb_aud_mismatch", presentation(aud="x509_san_dns:other-desk.example"))


def test_kb_aud_without_the_client_id_prefix() -> None:
    # OpenID4VP: aud is the full client identifier, prefix included.
    refused("kb_aud_mismatch", presentation(aud="did:civicid:desk-42"))


def test_kb_aud_as_an_array_naming_us_among_others() -> None:
    refused("kb_aud_mismatch", bind(bare(), aud=[AUD, "https://other.example"]))


def test_kb_aud_missing() -> None:
    token = bare()
    refused("kb_aud_mismatch", bind(token, aud=None))


def test_verifier_that_forgets_to_say_its_aud() -> None:
    refused("kb_aud_mismatch", presentation(), aud=None)


# -- pitfall 2: KB-JWT freshness ---------------------------------------------------------------


def test_kb_replayed_after_max_age() -> None:
    token = presentation(iat=NOW - KB_MAX_AGE - CLOCK_SKEW - 1)
    refused("kb_iat_stale", token)


def test_kb_at_the_edge_of_max_age_is_accepted() -> None:
    check(presentation(iat=NOW - KB_MAX_AGE - CLOCK_SKEW))
    check(presentation(iat=NOW + CLOCK_SKEW))


def test_kb_from_the_future() -> None:
    refused("kb_iat_future", presentation(iat=NOW + CLOCK_SKEW + 1))


def test_max_kb_age_is_the_callers() -> None:
    refused("kb_iat_stale", presentation(iat=NOW - 100), max_kb_age=10, skew=0)


@pytest.mark.parametrize("iat", [None, "1800000000", True, 1.5e400])
def test_kb_without_a_numeric_iat(iat: Any) -> None:
    refused("kb_malformed", bind(bare(), iat=iat))


# -- pitfall 3: sd_hash over the wrong bytes ---------------------------------------------------


def test_sd_hash_over_the_issuer_jwt_only() -> None:
    token = bare()
    refused("kb_sd_hash_mismatch", bind(token, sd_hash=digest_of(parse(token).issuer_jwt)))


def test_sd_hash_without_the_last_tilde() -> None:
    token = bare()
    refused("kb_sd_hash_mismatch", bind(token, sd_hash=digest_of(token[:-1])))


def test_disclosure_added_after_key_binding() -> None:
    # The holder consented to given_name; someone on the way adds birthdate from the same
    # credential. Every Disclosure is genuine: only sd_hash can tell.
    sd = credential()
    parsed = parse(bind(bare(sd)))
    assert parsed.kb_jwt
    birthdate = disclosure_for(sd, ("birthdate",)).text
    added = "~".join([parsed.issuer_jwt, *parsed.disclosures, birthdate, parsed.kb_jwt])
    refused("kb_sd_hash_mismatch", added)


def test_disclosure_removed_after_key_binding() -> None:
    token = presentation(disclose=[("given_name",), ("family_name",)])
    parsed = parse(token)
    assert parsed.kb_jwt and len(parsed.disclosures) == 2
    fewer = "~".join([parsed.issuer_jwt, parsed.disclosures[0], parsed.kb_jwt])
    refused("kb_sd_hash_mismatch", fewer)


def test_kb_jwt_moved_to_another_presentation() -> None:
    first = parse(presentation())
    assert first.kb_jwt
    other = bare(disclose=[("family_name",)])
    refused("kb_sd_hash_mismatch", other + first.kb_jwt)


def test_sd_hash_missing() -> None:
    refused("kb_sd_hash_mismatch", bind(bare(), sd_hash=None))


# -- pitfall 4: key binding optional because none was sent -------------------------------------


def test_kb_stripped_from_the_presentation() -> None:
    refused("kb_missing", parse(presentation()).sd_jwt)


def test_kb_missing_is_refused_even_without_nonce_and_aud() -> None:
    refused("kb_missing", bare(), nonce=None, aud=None)


def test_holder_receipt_check_still_verifies_a_kb_that_is_there() -> None:
    refused("kb_nonce_mismatch", presentation(nonce="wrong"), require_key_binding=False)


# -- pitfall 5: duplicate digests, duplicate or unreferenced disclosures -----------------------


def test_same_digest_twice_in_sd() -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload["_sd"].append(payload["_sd"][0])

    refused("sdjwt_digest_duplicate", resign(credential(), edit), require_key_binding=False)


def test_same_digest_in_sd_and_in_an_array() -> None:
    sd = credential()
    real = {Disclosure.parse(d).digest for d in parse(sd).disclosures}
    decoy = next(d for d in parse(sd).payload["_sd"] if d not in real)

    def edit(payload: dict[str, Any]) -> None:
        payload["nationalities"].append({"...": decoy})

    refused("sdjwt_digest_duplicate", resign(sd, edit), require_key_binding=False)


def test_same_digest_twice_via_a_disclosure() -> None:
    # The digest of given_name also appears inside a Disclosure's value.
    sd = credential()
    given = disclosure_for(sd, ("given_name",))
    wrapper = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", "wrapper", {"_sd": [given.digest]})
    refused("sdjwt_digest_duplicate", inject(sd, wrapper), require_key_binding=False)


def test_disclosure_sent_twice() -> None:
    sd = bare()
    token = with_disclosures_kept(sd, [parse(sd).disclosures[0]])
    refused("sdjwt_disclosure_duplicate", bind(token))


def test_disclosure_from_another_credential() -> None:
    other = credential(claims={"given_name": "Mallory"}, disclosable=[("given_name",)])
    stolen = disclosure_for(other, ("given_name",)).text
    refused("sdjwt_disclosure_unreferenced", bind(with_disclosures_kept(bare(), [stolen])))


def test_nested_disclosure_without_its_parent() -> None:
    sd = credential()
    street = disclosure_for(sd, ("address", "street_address")).text
    refused("sdjwt_disclosure_unreferenced", bind(with_disclosures(sd, [street])))


# -- pitfall 6: overwriting a clear claim, reserved names ------------------------------------


def test_disclosure_overwrites_a_clear_claim() -> None:
    sd = credential(disclosable=[("given_name",)])
    fake = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", "family_name", "Mallory")
    refused("sdjwt_claim_overwrite", inject(sd, fake), require_key_binding=False)


def test_disclosure_overwrites_a_nested_clear_claim() -> None:
    sd = credential(disclosable=[("address", "street_address")])
    fake = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", "country", "XX")
    refused("sdjwt_claim_overwrite", inject(sd, fake, ("address",)), require_key_binding=False)


def test_two_disclosures_with_one_name() -> None:
    sd = credential()
    twin = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", "given_name", "Mallory")
    refused("sdjwt_claim_overwrite", inject(sd, twin), require_key_binding=False)


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
def test_disclosure_named_as_sd_jwt_syntax(name: str) -> None:
    sd = credential()
    fake = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", name, ["x"])
    refused("sdjwt_claim_name_reserved", inject(sd, fake), require_key_binding=False)


def test_sd_alg_hidden_in_a_nested_object() -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload["age_equal_or_over"]["_sd_alg"] = "sha-256"

    refused("sdjwt_claim_name_reserved", resign(credential(), edit), require_key_binding=False)


# -- pitfall 7: typ ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typ", [None, "JWT", "kb+jwt", "statuslist+jwt", "vc+sd-jwt", "example+sd-jwt"]
)
def test_issuer_jwt_with_the_wrong_typ(typ: str | None) -> None:
    header = {"alg": "ES256", "kid": "k"} | ({} if typ is None else {"typ": typ})
    refused("sdjwt_typ_invalid", bind(bare(resign(credential(), header=header))))


def test_legacy_typ_only_when_the_caller_allows_it() -> None:
    token = bind(bare(resign(credential(), header={"alg": "ES256", "typ": "vc+sd-jwt"})))
    check(token, typ=("dc+sd-jwt", "vc+sd-jwt"))


@pytest.mark.parametrize("typ", [None, "JWT", "dc+sd-jwt", "KB+JWT"])
def test_kb_jwt_with_the_wrong_typ(typ: str | None) -> None:
    header = {} if typ is None else {"typ": typ}
    refused("kb_typ_invalid", bind(bare(), header=header))


# -- pitfall 8: alg from the token, key from anywhere but cnf -----------------------------------


def test_issuer_jwt_alg_none() -> None:
    payload = json.loads(parse(credential()).jws.payload)
    token = raw_jwt({"alg": "none", "typ": "dc+sd-jwt"}, payload)
    refused("sdjwt_alg_not_allowed", bind(token + "~"))


def test_issuer_jwt_hs256_keyed_with_the_public_key() -> None:
    import hashlib
    import hmac

    payload = json.loads(parse(credential()).jws.payload)
    header = {"alg": "HS256", "typ": "dc+sd-jwt"}
    unsigned = raw_jwt(header, payload).rsplit(".", 1)[0]
    secret = json.dumps(issuer_key().public.to_jwk()).encode()
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    refused("sdjwt_alg_not_allowed", bind(f"{unsigned}.{b64url_encode(mac)}~"))


def test_issuer_jwt_alg_that_does_not_fit_the_key() -> None:
    # An ES384 signature presented against the issuer's P-256 key.
    other = PrivateKey.generate("ES384")
    refused("sdjwt_alg_not_allowed", bind(bare(resign(credential(), key=other))))


@pytest.mark.parametrize("name", ["jwk", "jku", "x5u", "x5c", "crit"])
def test_issuer_jwt_that_brings_its_own_key(name: str) -> None:
    attacker = PrivateKey.generate()
    header = {"typ": "dc+sd-jwt", name: attacker.public.to_jwk() if name == "jwk" else ["x"]}
    token = resign(credential(), header=header, key=issuer_key())
    refused("sdjwt_header_forbidden", bind(bare(token)))


def test_issuer_jwt_signed_by_another_key() -> None:
    refused("sdjwt_signature_invalid", bind(bare(resign(credential(), key=PrivateKey.generate()))))


def test_issuer_payload_changed_after_signing() -> None:
    parsed = parse(credential())
    payload = json.loads(parsed.jws.payload)
    payload["exp"] = payload["exp"] + 10 * 365 * 86_400
    head, _, signature = parsed.issuer_jwt.split(".")
    forged = f"{head}.{b64url_encode(json.dumps(payload).encode())}.{signature}"
    refused("sdjwt_signature_invalid", bind(forged + "~"))


def test_kb_jwt_alg_none() -> None:
    sd = bare()
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest_of(sd)}
    refused("kb_alg_not_allowed", sd + raw_jwt({"alg": "none", "typ": "kb+jwt"}, payload))


def test_kb_jwt_that_names_its_own_key() -> None:
    # Even signed by the holder, a KB-JWT header carrying a key is refused: the key is cnf's.
    attacker = PrivateKey.generate()
    header = {"typ": "kb+jwt", "jwk": attacker.public.to_jwk()}
    refused("kb_header_forbidden", bind(bare(), header=header))


def test_kb_jwt_by_a_stolen_credential_and_another_key() -> None:
    thief = PrivateKey.generate()
    sd = bare()
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest_of(sd)}
    refused(
        "kb_signature_invalid",
        sd + thief.sign_compact(json.dumps(payload).encode(), {"typ": "kb+jwt"}),
    )


def test_kb_jwt_alg_that_does_not_fit_the_cnf_key() -> None:
    other = PrivateKey.generate("Ed25519")
    sd = bare()
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest_of(sd)}
    refused(
        "kb_alg_not_allowed",
        sd + other.sign_compact(json.dumps(payload).encode(), {"typ": "kb+jwt"}),
    )


def test_kb_jwt_on_a_credential_without_cnf() -> None:
    sd = credential(cnf_jwk=None)
    refused("kb_cnf_missing", bind(bare(sd)))


@pytest.mark.parametrize(
    "cnf",
    [
        {"kid": "did:civicid:holder#k1"},
        {"jwk": "not an object"},
        "a string",
        {"jwk": {"kty": "oct", "k": "c2VjcmV0"}},
    ],
)
def test_cnf_that_is_no_usable_public_key(cnf: Any) -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload["cnf"] = cnf

    refused("kb_cnf_invalid", bind(bare(resign(credential(), edit))))


def test_cnf_with_the_private_key_in_it() -> None:
    leaked = holder_key().to_json()["jwk"]

    def edit(payload: dict[str, Any]) -> None:
        payload["cnf"] = {"jwk": leaked}

    refused("kb_cnf_invalid", bind(bare(resign(credential(), edit))))


# -- pitfall 9: validity read before processing; registered claims disclosed -----------------


@pytest.mark.parametrize(
    "name", ["iss", "iat", "exp", "nbf", "vct", "cnf", "status", "vct#integrity"]
)
def test_registered_claim_smuggled_in_a_disclosure(name: str) -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload.pop(name, None)

    sd = resign(credential(), edit)
    fake = Disclosure.make(
        "c2FsdHNhbHRzYWx0c2FsdA", name, NOW + 10**6 if name in {"iat", "exp", "nbf"} else "x"
    )
    refused("sdjwt_claim_not_disclosable", inject(sd, fake), require_key_binding=False)


def test_status_sub_claim_disclosed() -> None:
    fake = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", "status_list", {"idx": 1, "uri": "x"})

    def edit(payload: dict[str, Any]) -> None:
        payload["status"] = {}

    sd = resign(credential(), edit)
    refused("sdjwt_claim_not_disclosable", inject(sd, fake, ("status",)), require_key_binding=False)


@pytest.mark.parametrize("name", ["iss", "iat", "exp", "nbf", "vct", "cnf", "status", "aka_vcts"])
def test_issuer_refuses_to_make_a_registered_claim_disclosable(name: str) -> None:
    with pytest.raises(Error) as exc:
        credential(disclosable=[(name,)])
    assert exc.value.code == "sdjwt_claim_not_disclosable"


def test_expired_credential() -> None:
    refused("sdjwt_expired", presentation(credential(exp=NOW - CLOCK_SKEW)))
    check(presentation(credential(exp=NOW - CLOCK_SKEW + 1)))


def test_credential_not_valid_yet() -> None:
    refused("sdjwt_not_yet_valid", presentation(credential(nbf=NOW + CLOCK_SKEW + 1)))
    check(presentation(credential(nbf=NOW + CLOCK_SKEW)))


def test_credential_issued_in_the_future() -> None:
    refused("sdjwt_iat_future", presentation(credential(iat=NOW + CLOCK_SKEW + 1)))
    check(presentation(credential(iat=NOW + CLOCK_SKEW)))


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1800000000", True, None, [1]])
def test_validity_claim_that_is_not_a_number(name: str, value: Any) -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload[name] = value

    token = bind(bare(resign(credential(), edit)))
    if value is None:
        check(token)  # absent (JSON null is treated as absent)
    else:
        refused("sdjwt_malformed", token)


def test_sd_jwt_vc_without_vct() -> None:
    refused("sdjwt_vct_missing", presentation(credential(vct=None)))


# -- other RFC 9901 §7.1 rules -----------------------------------------------------------------


@pytest.mark.parametrize("alg", ["sha-512", "SHA-256", "md5", 256])
def test_sd_alg_other_than_sha_256(alg: Any) -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload["_sd_alg"] = alg

    refused("sdjwt_sd_alg_unsupported", bind(with_disclosures(resign(credential(), edit), [])))


def test_array_element_disclosure_referenced_from_sd() -> None:
    element = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", None, "XX")
    refused("sdjwt_disclosure_malformed", inject(credential(), element), require_key_binding=False)


def test_property_disclosure_referenced_from_an_array() -> None:
    prop = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", "n", "XX")

    def edit(payload: dict[str, Any]) -> None:
        payload["nationalities"].append({"...": prop.digest})

    token = with_disclosures_kept(resign(credential(), edit), [prop.text])
    refused("sdjwt_disclosure_malformed", token, require_key_binding=False)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"salt": "s"}',
        b'["only one"]',
        b'["s", "a", "b", "c"]',
        b'[1, "name", "value"]',
        b'["s", 7, "value"]',
        b'["s", "name", {"a": 1, "a": 2}]',
        b'["s", "name", NaN]',
        '["s", "n", "\udcff"]'.encode("utf-8", "surrogatepass"),
    ],
)
def test_malformed_disclosure(raw: bytes) -> None:
    token = with_disclosures_kept(bare(), [b64url_encode(raw)])
    refused("sdjwt_disclosure_malformed", bind(token))


def test_disclosure_in_non_canonical_base64url() -> None:
    sd = bare()
    text = parse(sd).disclosures[0]
    # Flip unused trailing bits: decodes to the same bytes, but is another spelling.
    assert len(text) % 4 in (2, 3)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variant = text[:-1] + alphabet[alphabet.index(text[-1]) | 1]
    assert variant != text
    refused("sdjwt_disclosure_malformed", bind(with_disclosures(sd, [variant])))


@pytest.mark.parametrize("bad", ["a=b", "a+b", "a/b", "ab c", "ab\n", "abcde"])
def test_disclosure_that_is_not_base64url(bad: str) -> None:
    refused("sdjwt_disclosure_malformed", bind(with_disclosures_kept(bare(), [bad])))


def test_issuer_jwt_in_non_canonical_base64url() -> None:
    sd = bare()
    head, body, signature = parse(sd).issuer_jwt.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variant = signature[:-1] + alphabet[alphabet.index(signature[-1]) | 1]
    assert variant != signature  # 64-byte signature: 86 characters, 4 unused bits
    refused("sdjwt_malformed", bind(f"{head}.{body}.{variant}~"))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-tilde-at-all",
        "a.b~",
        "a.b.c.d~",
        "~",
        "eyJhbGciOiJFUzI1NiJ9..sig~",
    ],
)
def test_not_an_sd_jwt(token: str) -> None:
    refused("sdjwt_malformed", token, require_key_binding=False)


def test_empty_disclosure_between_tildes() -> None:
    sd = bare()
    refused("sdjwt_malformed", bind(sd + "~"))


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p.__setitem__("_sd", "not-an-array"),
        lambda p: p.__setitem__("_sd", [1, 2]),
        lambda p: p["nationalities"].append({"...": 5}) or p.__setitem__("_sd", [None]),
    ],
)
def test_sd_that_is_not_an_array_of_digests(edit: Any) -> None:
    refused("sdjwt_malformed", resign(credential(), edit), require_key_binding=False)


def test_payload_that_is_not_an_object() -> None:
    token = issuer_key().sign_compact(b"[1, 2]", {"typ": "dc+sd-jwt"}) + "~"
    refused("sdjwt_malformed", token, require_key_binding=False)


def test_payload_with_duplicate_claim_names() -> None:
    body = b'{"iss": "a", "iss": "b", "vct": "v", "iat": 1}'
    token = issuer_key().sign_compact(body, {"typ": "dc+sd-jwt"}) + "~"
    refused("sdjwt_malformed", token, require_key_binding=False)


def test_kb_jwt_that_is_not_a_jwt() -> None:
    refused("kb_malformed", bare() + "garbage")
    refused("kb_malformed", bare() + "a.b")


def test_kb_payload_that_is_not_an_object() -> None:
    sd = bare()
    token = sd + holder_key().sign_compact(b'"hello"', {"typ": "kb+jwt"})
    refused("kb_malformed", token)


@pytest.mark.parametrize("nonce", [None, "", "rQ2b7mX0_nonc", NONCE + " ", 12345])
def test_kb_with_another_nonce(nonce: Any) -> None:
    refused("kb_nonce_mismatch", bind(bare(), nonce=nonce))


def test_verifier_that_forgets_to_say_its_nonce() -> None:
    refused("kb_nonce_mismatch", presentation(), nonce=None)


# -- limits ---------------------------------------------------------------------------------------


def test_presentation_over_the_size_limit() -> None:
    sd = bare()
    padding = "A" * (MAX_PRESENTATION_BYTES - len(sd) + 1)
    refused("sdjwt_too_large", bind(sd[:-1] + "~" + padding + "~"))


def test_too_many_disclosures() -> None:
    sd = bare()
    many = ["WyJzIiwgIm4iLCAxXQ"] * (MAX_DISCLOSURES + 1)
    refused("sdjwt_too_large", with_disclosures(sd, many))


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"d": value}
    return value


def test_issuer_payload_nested_too_deep() -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload["deep"] = nested(MAX_DEPTH)

    refused("sdjwt_too_deep", resign(credential(), edit), require_key_binding=False)


def test_issuer_payload_nested_to_the_limit_is_accepted() -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload["deep"] = nested(MAX_DEPTH - 1)

    check(resign(credential(), edit), require_key_binding=False)


def test_disclosure_value_nested_too_deep() -> None:
    deep = Disclosure.make("c2FsdHNhbHRzYWx0c2FsdA", "deep", nested(MAX_DEPTH))
    refused("sdjwt_too_deep", inject(credential(), deep), require_key_binding=False)


def test_json_nested_past_the_parsers_stack() -> None:
    # json's own recursion guard trips before our depth count: still our code, not RecursionError.
    bomb = b64url_encode(b'["s", "n", ' + b"[" * 100_000 + b"]" * 100_000 + b"]")
    refused("sdjwt_too_deep", bind(with_disclosures_kept(bare(), [bomb])))


def test_issuer_refuses_claims_nested_too_deep() -> None:
    with pytest.raises(Error) as exc:
        credential(claims={"deep": nested(MAX_DEPTH)}, disclosable=[])
    assert exc.value.code == "sdjwt_too_deep"


# -- issuing bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        {"_sd": ["x"]},
        {"address": {"...": "x"}},
        {"a": [{"_sd_alg": "sha-256"}]},
        {"iss": "did:other"},
        {"vct": "urn:other"},
        {"cnf": {}},
    ],
)
def test_issuer_refuses_reserved_claim_names(claims: dict[str, Any]) -> None:
    with pytest.raises(Error) as exc:
        credential(claims=claims, disclosable=[])
    assert exc.value.code == "sdjwt_claim_name_reserved"


def test_issuer_refuses_negative_decoys() -> None:
    with pytest.raises(Error) as exc:
        credential(decoys=-1)
    assert exc.value.code == "sdjwt_decoys_invalid"


def test_issuer_refuses_a_private_cnf_key() -> None:
    with pytest.raises(Error) as exc:
        credential(cnf_jwk=holder_key().to_json()["jwk"])
    assert exc.value.code == "jwk_private_material"


@pytest.mark.parametrize("typ", [["dc+sd-jwt"], {"t": 1}, 7])
def test_issuer_jwt_typ_of_another_json_type(typ: Any) -> None:
    refused("sdjwt_typ_invalid", bind(bare(resign(credential(), header={"typ": typ}))))


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": ["EC"], "crv": "P-256"},
        {"kty": "EC", "crv": {}},
        {"kty": "EC", "crv": "P-256", "x": 5},
    ],
)
def test_cnf_jwk_members_of_another_json_type(jwk: dict[str, Any]) -> None:
    def edit(payload: dict[str, Any]) -> None:
        payload["cnf"] = {"jwk": jwk}

    refused("kb_cnf_invalid", bind(with_disclosures(resign(credential(), edit), [])))


@pytest.mark.parametrize(
    "overrides",
    [
        {"claims": {"photo": b"\x89PNG"}},
        {"claims": {"tags": {"a", "b"}}},
        {"claims": {"score": float("nan")}},
        {"claims": {"name": "\udcff"}},
        {"claims": {1: "one"}},
        {"claims": ["not", "an", "object"]},
        {"exp": 1.5},
        {"iat": "2026-11-25T10:00:00Z"},
        {"nbf": True},
    ],
)
def test_issuer_refuses_what_is_not_json(overrides: dict[str, Any]) -> None:
    with pytest.raises(Error) as exc:
        credential(**{"disclosable": [("photo",), ("name",)], **overrides})
    assert exc.value.code == "sdjwt_claims_invalid"
