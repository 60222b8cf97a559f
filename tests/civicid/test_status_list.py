"""Token Status List: the spec's vectors, the §8.2 token, W3C look-alikes, attacks, properties."""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import hmac
import json
import random
import tracemalloc
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.encoding import b64url_encode
from civicid.errors import Error
from civicid.jose import PrivateKey, PublicKey
from civicid.status_list import (
    ALLOWED_BITS,
    MAX_CLOCK_SKEW,
    MAX_COMPRESSED_BYTES,
    MAX_ENTRIES,
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    TYP,
    IndexAllocator,
    StatusList,
    build_token,
    parse_token,
    status_of,
    verify_token,
)
from tests.conftest import load_vector

TSL = load_vector("status-list/tsl-vectors.json")["vectors"]
EXAMPLE = load_vector("status-list/statuslist-jwt-example.json")
BSL = load_vector("bitstring-status-list/bsl-vectors.json")["vectors"]

SUB = "https://ledger.example/status/agency-1/0"
IAT = 1_800_000_000
ZLIB_B9A3 = bytes.fromhex("78dadbb918000217015d")  # §4.1's compressed array


@functools.cache
def signing_key(alg: str = "ES256") -> PrivateKey:
    return PrivateKey.generate(alg)


def seeded(seed: int | str) -> random.Random:
    """Reproducible randomness for tests; nothing here is a secret."""
    return random.Random(seed)  # noqa: S311  # a seeded PRNG is the point: failures replay


def raises_code(code: str) -> Any:
    """pytest.raises for our errors, matching the stable code rather than the message."""
    return pytest.raises(Error, check=lambda exc: exc.code == code)


def sign(payload: dict[str, Any] | bytes, *, header: dict[str, Any] | None = None) -> str:
    """A token signed by the test key with whatever header and claims an attacker chooses."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return signing_key().sign_compact(body, {"typ": TYP, "kid": "k1"} if header is None else header)


def claims(**overrides: Any) -> dict[str, Any]:
    lst = StatusList(16, 2)
    lst.set(3, STATUS_INVALID)
    base: dict[str, Any] = {
        "sub": SUB,
        "iat": IAT,
        "exp": IAT + 86_400,
        "ttl": 3_600,
        "status_list": lst.encode(),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def verify(token: str, *, now: int = IAT, **kwargs: Any) -> Any:
    return verify_token(token, signing_key().public, expected_sub=SUB, now=now, **kwargs)


def zlib_lst(raw: bytes) -> str:
    return b64url_encode(zlib.compress(raw))


# --- Official vectors: §4.1/§4.2 and Appendix C ----------------------------------------------


@pytest.mark.parametrize("vector", TSL, ids=[v["id"] for v in TSL])
def test_tsl_vector_decodes(vector: dict[str, Any]) -> None:
    decoded = StatusList.decode({"bits": vector["bits"], "lst": vector["lst"]})
    expected = {int(i): status for i, status in vector["expected_nonzero"].items()}
    assert decoded.bits == vector["bits"]
    assert decoded.size == vector["size_decoded"]
    for index, status in expected.items():
        assert decoded.get(index) == status, index
    others = seeded(vector["id"]).sample(range(decoded.size), min(2000, decoded.size))
    for index in (i for i in [1, 2, decoded.size - 1, *others] if i not in expected):
        assert decoded.get(index) == vector["all_other_indices"], index
    # count() over every value accounts for every entry, so no other index is non-zero.
    assert decoded.count(0) == decoded.size - len(expected)
    assert sum(decoded.count(v) for v in range(1, 1 << decoded.bits)) == len(expected)


@pytest.mark.parametrize("vector", TSL, ids=[v["id"] for v in TSL])
def test_tsl_vector_reencodes(vector: dict[str, Any]) -> None:
    decoded = StatusList.decode({"bits": vector["bits"], "lst": vector["lst"]})
    again = StatusList.decode(decoded.encode())
    assert again == decoded
    for index in map(int, vector["expected_nonzero"]):
        assert again.get(index) == decoded.get(index)


def test_section_4_1_byte_arrays_are_lsb_first() -> None:
    """§4.1 draws the bytes: statuses fill each byte from bit 0 upwards."""
    one = StatusList(16, 1)
    for index in (0, 3, 4, 5, 7, 8, 9, 13, 15):
        one.set(index, 1)
    assert one.to_bytes() == bytes([0xB9, 0xA3])
    two = StatusList(12, 2)
    for index, status in enumerate([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]):
        two.set(index, status)
    assert two.to_bytes() == bytes([0xC9, 0x44, 0xF9])
    assert zlib.decompress(zlib.compress(two.to_bytes())) == bytes.fromhex("c944f9")


# --- The §8.2 Status List Token ----------------------------------------------------------------


def example_key() -> PublicKey:
    return PublicKey.from_jwk(EXAMPLE["public_jwk"])


def test_example_token_verifies() -> None:
    expected = EXAMPLE["expected_payload"]
    # The example's ttl ran out in 2023, so verify as of its iat.
    token = verify_token(
        EXAMPLE["token"], example_key(), expected_sub=expected["sub"], now=expected["iat"]
    )
    assert token.header == EXAMPLE["expected_header"]
    assert (token.sub, token.iat, token.exp, token.ttl) == (
        expected["sub"],
        expected["iat"],
        expected["exp"],
        expected["ttl"],
    )
    assert token.status_list == StatusList.decode(expected["status_list"])
    statuses = [token.status_list.get(i) for i in range(16)]
    assert statuses == EXAMPLE["expected_statuses_0_to_15"]
    reference = {"status_list": {"idx": 0, "uri": expected["sub"]}}
    assert status_of(reference, token) == STATUS_INVALID
    assert parse_token(EXAMPLE["token"]).sub == expected["sub"]


def test_example_token_is_stale_after_its_ttl() -> None:
    payload = EXAMPLE["expected_payload"]
    limit = payload["iat"] + payload["ttl"]
    verify_token(EXAMPLE["token"], example_key(), expected_sub=payload["sub"], now=limit)
    with raises_code("status_list_stale"):
        verify_token(EXAMPLE["token"], example_key(), expected_sub=payload["sub"], now=limit + 1)


def test_example_token_rejects_index_past_its_16_entries() -> None:
    token = parse_token(EXAMPLE["token"])
    with raises_code("status_index_out_of_range"):
        status_of({"status_list": {"idx": 16, "uri": token.sub}}, token)


# --- Pitfall 10: a W3C Bitstring Status List is not an IETF one --------------------------------


@pytest.mark.parametrize("vector", BSL, ids=[v["id"] for v in BSL])
def test_w3c_gzip_list_is_refused(vector: dict[str, Any]) -> None:
    encoded = vector["encodedList"]
    assert encoded.startswith("u")  # multibase base64url
    for lst in (encoded, encoded[1:]):
        with raises_code("status_list_malformed"):
            StatusList.decode({"bits": vector["statusSize"], "lst": lst})


def test_w3c_bit_order_differs_from_ietf() -> None:
    """Even re-wrapped in zlib, MSB-first bits read LSB-first name other credentials."""
    vector = next(v for v in BSL if v["set_indices"])
    raw = gzip.decompress(b64decode_url(vector["encodedList"][1:]))
    assert len(raw) == vector["decoded_bytes"]
    as_ietf = StatusList.decode({"bits": 1, "lst": zlib_lst(raw)})
    ietf_set = {i for i in range(as_ietf.size) if as_ietf.get(i)}
    assert ietf_set != set(vector["set_indices"])
    assert as_ietf.get(8) == STATUS_VALID  # revoked in the W3C list ...
    assert as_ietf.get(15) == STATUS_INVALID  # ... and this one is not


def b64decode_url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- The bit array -----------------------------------------------------------------------------


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_set_leaves_neighbours_alone(bits: int) -> None:
    lst = StatusList(3 * 8 // bits, bits)
    top = (1 << bits) - 1
    for index in range(lst.size):
        lst.set(index, index % (top + 1))
    lst.set(lst.size // 2, top)
    lst.set(lst.size // 2, 0)
    for index in range(lst.size):
        expected = 0 if index == lst.size // 2 else index % (top + 1)
        assert lst.get(index) == expected


@pytest.mark.parametrize(
    ("size", "bits", "code"),
    [
        (8, 3, "status_list_bits_invalid"),
        (8, 0, "status_list_bits_invalid"),
        (8, True, "status_list_bits_invalid"),
        (0, 1, "status_list_size_invalid"),
        (-1, 1, "status_list_size_invalid"),
        (MAX_ENTRIES + 1, 1, "status_list_too_large"),
    ],
)
def test_bad_list_shapes_are_refused(size: int, bits: int, code: str) -> None:
    with raises_code(code):
        StatusList(size, bits)


def test_largest_list_is_allowed() -> None:
    assert StatusList(MAX_ENTRIES, 1).size == MAX_ENTRIES
    assert StatusList(1_000_000, 2).count(STATUS_VALID) == 1_000_000


@pytest.mark.parametrize("index", [-1, 10, 11, 12, 1 << 40, True, "1", 1.0])
def test_index_out_of_range_is_an_error_not_valid(index: Any) -> None:
    lst = StatusList(10, 2)  # 3 bytes: indices 10 and 11 are padding, not entries
    with raises_code("status_index_out_of_range"):
        lst.get(index)
    with raises_code("status_index_out_of_range"):
        lst.set(index, STATUS_VALID)


@pytest.mark.parametrize(("bits", "value"), [(1, 2), (2, 4), (4, 16), (8, 256), (2, -1), (2, True)])
def test_status_that_does_not_fit_is_refused(bits: int, value: Any) -> None:
    with raises_code("status_value_invalid"):
        StatusList(8, bits).set(0, value)


def test_encode_uses_the_best_compression() -> None:
    """§4.1 step 4 recommends the highest level; compare with zlib's own best, not its bytes."""
    lst = StatusList(100_000, 2)
    for index in seeded(5).sample(range(lst.size), 1000):
        lst.set(index, STATUS_INVALID)
    compressed = b64decode_url(lst.encode()["lst"])
    assert zlib.decompress(compressed) == lst.to_bytes()
    assert len(compressed) <= len(zlib.compress(lst.to_bytes(), 9))


def test_count_ignores_padding() -> None:
    lst = StatusList(10, 2)
    lst.set(9, STATUS_SUSPENDED)
    assert (lst.count(STATUS_VALID), lst.count(STATUS_SUSPENDED), lst.count(3)) == (9, 1, 0)
    decoded = StatusList.decode(lst.encode())
    assert decoded.size == 12  # the byte's last two slots become entries; the format can't tell
    assert [decoded.get(i) for i in range(10)] == [lst.get(i) for i in range(10)]
    assert decoded.get(11) == STATUS_VALID


def test_aggregation_uri_round_trips() -> None:
    lst = StatusList(8, 1, aggregation_uri="https://ledger.example/status/agency-1")
    assert StatusList.decode(lst.encode()).aggregation_uri == lst.aggregation_uri
    with raises_code("status_list_malformed"):
        StatusList.decode({**lst.encode(), "aggregation_uri": 7})


# --- Malformed and hostile `status_list` objects ----------------------------------------------


@pytest.mark.parametrize(
    ("obj", "code"),
    [
        ({"bits": 3, "lst": zlib_lst(b"\x00")}, "status_list_bits_invalid"),
        ({"bits": "1", "lst": zlib_lst(b"\x00")}, "status_list_bits_invalid"),
        ({"bits": True, "lst": zlib_lst(b"\x00")}, "status_list_bits_invalid"),
        ({"lst": zlib_lst(b"\x00")}, "status_list_bits_invalid"),
        ({"bits": 1}, "status_list_malformed"),
        ({"bits": 1, "lst": ""}, "status_list_malformed"),
        ({"bits": 1, "lst": ["eNo"]}, "status_list_malformed"),
        ({"bits": 1, "lst": "eNrbuRgAAhcBXQ=="}, "status_list_malformed"),  # padded
        ({"bits": 1, "lst": "eNrbuRgAAhc+XQ"}, "status_list_malformed"),  # not base64url
        ({"bits": 1, "lst": b64url_encode(b"\xb9\xa3")}, "status_list_malformed"),  # not zlib
        (
            {"bits": 1, "lst": b64url_encode(zlib.compress(b"\xb9\xa3")[:-2])},
            "status_list_malformed",
        ),
        (
            {"bits": 1, "lst": b64url_encode(zlib.compress(b"\xb9") + b"\x00")},
            "status_list_malformed",
        ),
        ({"bits": 1, "lst": b64url_encode(zlib.compress(b"\xb9")[2:-4])}, "status_list_malformed"),
        ({"bits": 1, "lst": zlib_lst(b"")}, "status_list_malformed"),  # no entries at all
        ("eNrbuRgAAhcBXQ", "status_list_malformed"),
    ],
    ids=[
        "bits-3",
        "bits-string",
        "bits-bool",
        "bits-missing",
        "lst-missing",
        "lst-empty",
        "lst-not-string",
        "lst-padded",
        "lst-not-base64url",
        "lst-not-compressed",
        "zlib-truncated",
        "zlib-trailing-bytes",
        "raw-deflate",
        "zlib-empty",
        "not-an-object",
    ],
)
def test_malformed_status_list_is_refused(obj: Any, code: str) -> None:
    with raises_code(code):
        StatusList.decode(obj)


def test_corrupted_zlib_checksum_is_refused() -> None:
    stream = bytearray(zlib.compress(b"\xb9\xa3"))
    stream[-1] ^= 1
    with raises_code("status_list_malformed"):
        StatusList.decode({"bits": 1, "lst": b64url_encode(bytes(stream))})


@functools.cache
def zip_bomb() -> str:
    """64 MiB of zeros in 64 KiB of zlib: four times the largest list we would ever inflate."""
    deflater = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    bomb = b"".join(deflater.compress(chunk) for _ in range(64)) + deflater.flush()
    assert len(bomb) < 100_000
    return b64url_encode(bomb)


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_zip_bomb_is_refused(bits: int) -> None:
    with raises_code("status_list_too_large"):
        StatusList.decode({"bits": bits, "lst": zip_bomb()})


def test_zip_bomb_is_never_inflated_in_full() -> None:
    """Inflation must stop at the limit (2 MiB at 1 bit), not at the end of the 64 MiB."""
    lst = zip_bomb()
    tracemalloc.start()
    try:
        with raises_code("status_list_too_large"):
            StatusList.decode({"bits": 1, "lst": lst})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_decompressed_limit_is_exact() -> None:
    """At 1 bit a list of MAX_ENTRIES is MAX_ENTRIES / 8 bytes: that decodes, one more byte not."""
    at_limit = StatusList.decode({"bits": 1, "lst": zlib_lst(bytes(MAX_ENTRIES // 8))})
    assert at_limit.size == MAX_ENTRIES
    with raises_code("status_list_too_large"):
        StatusList.decode({"bits": 1, "lst": zlib_lst(bytes(MAX_ENTRIES // 8 + 1))})


def test_oversized_lst_text_is_refused_before_decoding() -> None:
    with raises_code("status_list_too_large"):
        StatusList.decode({"bits": 1, "lst": "A" * (MAX_COMPRESSED_BYTES * 4 // 3 + 8)})


def test_list_too_big_to_publish_is_refused_by_encode() -> None:
    noise = seeded(7).randbytes(MAX_COMPRESSED_BYTES + 4096)  # incompressible
    with raises_code("status_list_too_large"):
        StatusList.from_bytes(noise, 8).encode()


# --- Status List Token: building and §8.3 validation ------------------------------------------


def test_built_token_verifies_and_says_the_status() -> None:
    lst = StatusList(1024, 2)
    lst.set(700, STATUS_SUSPENDED)
    text = build_token(
        key=signing_key(), kid="k1", sub=SUB, status_list=lst, iat=IAT, exp=IAT + 60, ttl=30
    )
    token = verify(text)
    assert token.header == {"alg": "ES256", "kid": "k1", "typ": TYP}
    assert (token.sub, token.iat, token.exp, token.ttl, token.text) == (
        SUB,
        IAT,
        IAT + 60,
        30,
        text,
    )
    assert token.status_list == lst
    ref = {"status_list": {"idx": 700, "uri": SUB}}
    assert status_of(ref, token) == STATUS_SUSPENDED
    assert status_of({"status_list": {"idx": 699, "uri": SUB}}, token) == STATUS_VALID


def test_optional_claims_may_be_left_out() -> None:
    text = build_token(
        key=signing_key(), kid="k1", sub=SUB, status_list=StatusList(8), iat=IAT, exp=None, ttl=None
    )
    payload = json.loads(b64decode_url(text.split(".")[1]))
    assert set(payload) == {"sub", "iat", "status_list"}
    token = verify(text, now=IAT + 10**9)  # nothing says it goes stale
    assert (token.exp, token.ttl) == (None, None)


@pytest.mark.parametrize(
    "kwargs",
    [{"sub": ""}, {"iat": "1"}, {"exp": 1.5}, {"ttl": 0}, {"ttl": -5}, {"iat": True}],
)
def test_build_token_refuses_bad_claims(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"sub": SUB, "iat": IAT, "exp": None, "ttl": None, **kwargs}
    with raises_code("status_list_token_malformed"):
        build_token(key=signing_key(), kid="k1", status_list=StatusList(8), **args)


def test_boundaries_of_exp_ttl_and_iat() -> None:
    text = sign(claims(exp=IAT + 100, ttl=50))
    verify(text, now=IAT + 50)
    with raises_code("status_list_stale"):
        verify(text, now=IAT + 51)
    verify(sign(claims(exp=IAT + 100, ttl=None)), now=IAT + 99)
    with raises_code("status_list_expired"):
        verify(sign(claims(exp=IAT + 100, ttl=None)), now=IAT + 100)
    verify(text, now=IAT - MAX_CLOCK_SKEW)
    with raises_code("status_list_not_yet_valid"):
        verify(text, now=IAT - MAX_CLOCK_SKEW - 1)
    with raises_code("status_list_not_yet_valid"):
        verify(sign(claims(nbf=IAT + MAX_CLOCK_SKEW + 1)), now=IAT)


def test_max_age_is_the_verifiers_own_freshness_rule() -> None:
    text = sign(claims(ttl=None))
    verify(text, now=IAT + 600, max_age=600)
    with raises_code("status_list_stale"):
        verify(text, now=IAT + 601, max_age=600)


def test_expired_is_checked_even_when_ttl_is_fresh() -> None:
    with raises_code("status_list_expired"):
        verify(sign(claims(exp=IAT - 1, ttl=3600)), now=IAT)


@pytest.mark.parametrize("typ", ["JWT", "dc+sd-jwt", "application/statuslist+jwt", None])
def test_wrong_typ_is_refused(typ: str | None) -> None:
    header = {"kid": "k1"} if typ is None else {"typ": typ, "kid": "k1"}
    text = sign(claims(), header=header)
    with raises_code("status_list_typ_invalid"):
        verify(text)
    with raises_code("status_list_typ_invalid"):
        parse_token(text)


def test_token_signed_by_another_key_is_refused() -> None:
    forged = signing_key("ES384").sign_compact(json.dumps(claims()).encode(), {"typ": TYP})
    other_es256 = PrivateKey.generate("ES256").sign_compact(
        json.dumps(claims()).encode(), {"typ": TYP}
    )
    with raises_code("jws_signature_invalid"):
        verify(other_es256)
    with raises_code("jws_alg_key_mismatch"):
        verify(forged)


def test_tampered_list_is_refused() -> None:
    head, _, signature = sign(claims()).split(".")
    revoked_nothing = claims(status_list=StatusList(16, 2).encode())
    forged = f"{head}.{b64url_encode(json.dumps(revoked_nothing).encode())}.{signature}"
    with raises_code("jws_signature_invalid"):
        verify(forged)


def test_sub_must_be_the_credentials_uri() -> None:
    text = sign(claims(sub="https://ledger.example/status/agency-2/0"))
    with raises_code("status_list_sub_mismatch"):
        verify(text)
    token = parse_token(text)
    with raises_code("status_list_sub_mismatch"):
        status_of({"status_list": {"idx": 0, "uri": SUB}}, token)


def test_alg_none_is_refused() -> None:
    header = b64url_encode(json.dumps({"alg": "none", "typ": TYP}).encode())
    body = b64url_encode(json.dumps(claims()).encode())
    with raises_code("jws_alg_forbidden"):
        verify(f"{header}.{body}.AAAA")
    with raises_code("jws_alg_forbidden"):
        parse_token(f"{header}.{body}.AAAA")
    with raises_code("jws_malformed"):  # the RFC 7519 unsecured form has no signature at all
        verify(f"{header}.{body}.")


def test_hs256_keyed_with_the_public_key_is_refused() -> None:
    """The classic confusion: HMAC keyed with the verifier's public key bytes."""
    header = b64url_encode(json.dumps({"alg": "HS256", "typ": TYP}).encode())
    body = b64url_encode(json.dumps(claims()).encode())
    secret = json.dumps(signing_key().public.to_jwk()).encode()
    mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    with raises_code("jws_alg_forbidden"):
        verify(f"{header}.{body}.{b64url_encode(mac)}")


def test_alg_outside_the_callers_allow_list_is_refused() -> None:
    with raises_code("jws_alg_forbidden"):
        verify(sign(claims()), allowed_algs=("Ed25519",))


def test_embedded_key_is_refused() -> None:
    header = {"typ": TYP, "jwk": signing_key().public.to_jwk()}
    with raises_code("jws_embedded_key"):
        verify(sign(claims(), header=header))


@pytest.mark.parametrize(
    "payload",
    [
        claims(sub=None),
        claims(sub=""),
        claims(sub=["x"]),
        claims(iat=None),
        claims(iat="1800000000"),
        claims(iat=1.8e9),
        claims(exp="never"),
        claims(nbf=True),
        claims(ttl=0),
        claims(ttl=-1),
        claims(ttl=1.5),
        claims(status_list=None),
    ],
    ids=[
        "no-sub",
        "empty-sub",
        "sub-list",
        "no-iat",
        "iat-string",
        "iat-float",
        "exp-string",
        "nbf-bool",
        "ttl-zero",
        "ttl-negative",
        "ttl-float",
        "no-status-list",
    ],
)
def test_missing_or_mistyped_claims_are_refused(payload: dict[str, Any]) -> None:
    with raises_code("status_list_token_malformed"):
        verify(sign(payload))
    with raises_code("status_list_token_malformed"):
        parse_token(sign(payload))


def test_duplicate_claims_are_refused() -> None:
    body = b'{"sub":"https://evil.example","sub":' + json.dumps(SUB).encode() + b',"iat":1}'
    with raises_code("status_list_token_malformed"):
        verify(sign(body))


def test_bits_3_in_a_signed_token_is_refused() -> None:
    with raises_code("status_list_bits_invalid"):
        verify(sign(claims(status_list={"bits": 3, "lst": zlib_lst(b"\x00\x00\x00")})))


def test_zip_bomb_in_a_signed_token_is_refused() -> None:
    bomb = zlib.compress(bytes(MAX_ENTRIES + 1), 9)
    with raises_code("status_list_too_large"):
        verify(sign(claims(status_list={"bits": 8, "lst": b64url_encode(bomb)})))


@pytest.mark.parametrize(
    "reference",
    [
        None,
        [],
        {},
        {"status_list": "https://x"},
        {"status_list": {"uri": SUB}},
        {"status_list": {"idx": "3", "uri": SUB}},
        {"status_list": {"idx": -1, "uri": SUB}},
        {"status_list": {"idx": True, "uri": SUB}},
        {"status_list": {"idx": 3.0, "uri": SUB}},
        {"status_list": {"idx": 3}},
        {"status_list": {"idx": 3, "uri": 7}},
    ],
)
def test_malformed_status_reference_is_refused(reference: Any) -> None:
    with raises_code("status_reference_malformed"):
        status_of(reference, verify(sign(claims())))


def test_reference_past_the_end_is_refused() -> None:
    token = verify(sign(claims()))  # 16 two-bit entries
    assert status_of({"status_list": {"idx": 15, "uri": SUB}}, token) == STATUS_VALID
    with raises_code("status_index_out_of_range"):
        status_of({"status_list": {"idx": 16, "uri": SUB}}, token)


# --- Properties -------------------------------------------------------------------------------


@st.composite
def status_lists(draw: st.DrawFn) -> tuple[StatusList, dict[int, int]]:
    bits = draw(st.sampled_from(ALLOWED_BITS))
    size = draw(st.integers(min_value=1, max_value=3000))
    updates = draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, (1 << bits) - 1)), max_size=200)
    )
    lst = StatusList(size, bits)
    model: dict[int, int] = {}
    for index, value in updates:
        lst.set(index, value)
        model[index] = value
    return lst, model


@given(status_lists())
def test_encode_decode_round_trip(case: tuple[StatusList, dict[int, int]]) -> None:
    lst, model = case
    decoded = StatusList.decode(lst.encode())
    per_byte = 8 // lst.bits
    assert decoded.size == -(-lst.size // per_byte) * per_byte
    assert all(decoded.get(i) == model.get(i, 0) for i in range(lst.size))
    assert all(decoded.get(i) == 0 for i in range(lst.size, decoded.size))
    for value in range(1, 1 << lst.bits):
        assert lst.count(value) == sum(1 for v in model.values() if v == value)
    assert lst.count(0) == lst.size - sum(1 for v in model.values() if v)


@settings(max_examples=30, deadline=None)
@given(status_lists(), st.integers(0, 2**32), st.none() | st.integers(1, 10**6))
def test_token_round_trip(
    case: tuple[StatusList, dict[int, int]], iat: int, ttl: int | None
) -> None:
    lst, model = case
    text = build_token(
        key=signing_key(), kid="k1", sub=SUB, status_list=lst, iat=iat, exp=iat + 1, ttl=ttl
    )
    token = verify_token(text, signing_key().public, expected_sub=SUB, now=iat)
    for index, value in model.items():
        assert status_of({"status_list": {"idx": index, "uri": SUB}}, token) == value
    assert parse_token(text).status_list == token.status_list


# --- IndexAllocator ---------------------------------------------------------------------------


def test_allocator_hands_out_each_index_once_then_refuses() -> None:
    allocator = IndexAllocator(50, rng=seeded(1))
    handed = [allocator.allocate() for _ in range(50)]
    assert sorted(handed) == list(range(50))
    assert handed != sorted(handed)
    with raises_code("status_list_full"):
        allocator.allocate()


def test_allocator_is_not_sequential() -> None:
    allocator = IndexAllocator(10**6)  # the real SystemRandom
    first = [allocator.allocate() for _ in range(100)]
    assert len(set(first)) == 100
    assert sorted(first) != list(range(100))
    assert max(first) > 10**5  # 100 uniform draws all below 10% has probability 1e-100


def test_allocator_respects_used_indices() -> None:
    allocator = IndexAllocator(10, used=[0, 1, 2, 3, 4, 5, 6, 8, 8], rng=seeded(3))
    assert allocator.allocated == 8
    assert sorted([allocator.allocate(), allocator.allocate()]) == [7, 9]
    with raises_code("status_list_full"):
        allocator.allocate()


def test_allocator_stays_fast_when_nearly_full() -> None:
    size = 10**6
    left = {17, 250_000, 999_999}
    allocator = IndexAllocator(size, used=(i for i in range(size) if i not in left))
    assert {allocator.allocate() for _ in left} == left
    with raises_code("status_list_full"):
        allocator.allocate()


@pytest.mark.parametrize("used", [[0], [0, 1, 2, 3, 4, 5, 6]], ids=["sampling", "free-list"])
def test_allocator_is_uniform_over_free_indices(used: list[int]) -> None:
    size, trials = 10, 6000
    free = [i for i in range(size) if i not in used]
    counts = dict.fromkeys(free, 0)
    for seed in range(trials):
        counts[IndexAllocator(size, used=used, rng=seeded(seed)).allocate()] += 1
    expected = trials / len(free)
    assert all(abs(c - expected) < 0.15 * expected for c in counts.values()), counts


def test_allocator_terminates_with_a_stuck_rng() -> None:
    class Stuck(random.Random):
        def randrange(self, *args: Any, **kwargs: Any) -> int:
            return 0

    allocator = IndexAllocator(4, used=[0], rng=Stuck())
    assert sorted(allocator.allocate() for _ in range(3)) == [1, 2, 3]


@pytest.mark.parametrize(
    ("size", "used", "code"),
    [
        (0, [], "status_list_size_invalid"),
        (MAX_ENTRIES + 1, [], "status_list_size_invalid"),
        (10, [10], "status_index_out_of_range"),
        (10, [-1], "status_index_out_of_range"),
    ],
)
def test_allocator_refuses_bad_input(size: int, used: list[int], code: str) -> None:
    with raises_code(code):
        IndexAllocator(size, used=used)
