"""Attack: JOSE members of the wrong JSON type (``{"kty": []}``, ``"crv": 1``, ``"x": null``,
nested objects) in a JWK, a JWS header or a transaction. Whatever JSON value sits in a
member, only our errors escape, each with the code that names what is wrong (never a raw
``TypeError`` from hashing or comparing a list, never ``internal_error``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicid.encoding import b64url_encode, canonical_json
from civicid.errors import Error
from civicid.jose import PUBLIC_MEMBERS, SIGNING_ALGS, CompactJWS, PrivateKey, PublicKey
from civicid.transaction import TX_TYP, Transaction

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)  # JSON has neither (RFC 8259 §6)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
KEYS = {alg: PrivateKey.generate(alg).public.to_jwk() for alg in SIGNING_ALGS}
JWK_CODES = {"jwk_invalid", "jwk_unsupported", "jwk_private_material"}
STRING_MEMBERS = ("kty", "crv", "x", "y", "kid", "alg", "use")


def code_of(call: Any) -> str | None:
    """The code ``call`` raised, or None when it returned."""
    try:
        call()
    except Error as exc:
        return exc.code
    return None


@pytest.mark.parametrize(
    "member, value",
    [
        ("kty", []),
        ("kty", {"EC": "P-256"}),
        ("crv", 1),
        ("crv", ["P-256"]),
        ("x", None),
        ("x", {"b64": "AAAA"}),
        ("y", 12),
        ("kid", ["did:civicid:x#key-1"]),
        ("use", True),
        ("key_ops", "verify"),
        ("key_ops", [["verify"]]),
        ("key_ops", ["verify", "verify"]),
        ("use", "enc"),
    ],
)
def test_a_member_of_the_wrong_type_is_jwk_invalid(member: str, value: Any) -> None:
    jwk = {**KEYS["ES256"], member: value}
    assert code_of(lambda: PublicKey.from_jwk(jwk)) == "jwk_invalid"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    alg=st.sampled_from(SIGNING_ALGS),
    member=st.sampled_from((*PUBLIC_MEMBERS, "d", "extra")),
    value=JSON,
)
def test_any_json_in_any_jwk_member_is_one_of_our_codes(alg: str, member: str, value: Any) -> None:
    jwk = {**KEYS[alg], member: value}
    try:
        key = PublicKey.from_jwk(jwk)
    except Error as exc:
        assert exc.code in JWK_CODES, exc
        if member in STRING_MEMBERS and not isinstance(value, str):
            assert exc.code == "jwk_invalid"
        return
    # Accepted: the key is whole (its thumbprint and jwcrypto form build, nothing foreign).
    assert member not in STRING_MEMBERS or isinstance(value, str)
    assert key.thumbprint() == PublicKey.from_jwk(KEYS[alg]).thumbprint()
    assert key.jwcrypto_key["kty"] == KEYS[alg]["kty"]


def token(header: Any, payload: Any, signature: bytes = b"\x01" * 64) -> str:
    def part(value: Any) -> str:
        return b64url_encode(json.dumps(value).encode())

    return f"{part(header)}.{part(payload)}.{b64url_encode(signature)}"


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60) | st.builds(token, JSON, JSON))
def test_any_text_as_a_compact_jws_is_jws_malformed_or_parses(text: str) -> None:
    assert code_of(lambda: CompactJWS.parse(text)) in (None, "jws_malformed")


@settings(max_examples=300, deadline=None)
@given(member=st.sampled_from(("alg", "typ", "kid", "jwk", "crit")), value=JSON)
def test_any_json_in_a_jws_header_member_is_its_code(member: str, value: Any) -> None:
    header = {"alg": "ES256", "typ": "x+jwt", member: value}
    jws = CompactJWS.parse(token(header, {}))
    found = code_of(lambda: jws.check_header(allowed_algs=SIGNING_ALGS, typ="x+jwt"))
    if member == "alg" and not isinstance(value, str):
        assert found == "jws_malformed"
    elif member == "alg":
        assert found == (None if value in SIGNING_ALGS else "jws_alg_forbidden")
    elif member == "typ":
        assert found == (None if value == "x+jwt" else "jws_typ_mismatch")
    else:
        assert (
            found
            == {"kid": None, "jwk": "jws_embedded_key", "crit": "jws_header_forbidden"}[member]
        )


TX_PAYLOAD = {
    "type": "did.create",
    "id": "0123456789abcdef0123",
    "iat": 1_700_000_000,
    "ledger": "civicid.example/ledger",
    "body": {},
}
TX_HEADER = {
    "alg": "ES256",
    "typ": TX_TYP,
    "kid": "did:civicid:abcdefghijklmnopqrstuvwxyz234567#key-1",
}
TX_CODES = {
    "jws_malformed",
    "jws_alg_forbidden",
    "jws_typ_mismatch",
    "jws_embedded_key",
    "jws_header_forbidden",
    "tx_header_forbidden",
    "kid_invalid",
    "did_invalid",
    "tx_malformed",
    "tx_type_unknown",
}


@settings(max_examples=300, deadline=None)
@given(
    where=st.sampled_from(("header", "payload")),
    member=st.sampled_from((*TX_HEADER, *TX_PAYLOAD)),
    value=JSON,
)
def test_any_json_in_a_transaction_member_is_one_of_our_codes(
    where: str, member: str, value: Any
) -> None:
    header, payload = dict(TX_HEADER), dict(TX_PAYLOAD)
    (header if where == "header" else payload)[member] = value
    text = token(header, payload)
    found = code_of(lambda: Transaction.parse(text))
    assert found in TX_CODES | {None}
    if found is None:
        parsed = Transaction.parse(text)
        assert isinstance(parsed.type, str) and isinstance(parsed.kid, str)


def test_the_transaction_type_as_a_list_is_tx_type_unknown() -> None:
    text = token(TX_HEADER, {**TX_PAYLOAD, "type": ["did.create"]})
    assert code_of(lambda: Transaction.parse(text)) == "tx_type_unknown"


def test_a_kid_that_is_not_text_is_kid_invalid() -> None:
    text = token({**TX_HEADER, "kid": [TX_HEADER["kid"]]}, TX_PAYLOAD)
    assert code_of(lambda: Transaction.parse(text)) == "kid_invalid"


def test_the_canonical_payload_still_parses() -> None:
    # The base case of the properties above is itself a transaction (no vacuous pass).
    header = b64url_encode(json.dumps(TX_HEADER).encode())
    text = f"{header}.{b64url_encode(canonical_json(TX_PAYLOAD))}.{b64url_encode(b'x' * 64)}"
    assert Transaction.parse(text).type == "did.create"
