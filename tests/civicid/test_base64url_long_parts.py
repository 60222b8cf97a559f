"""Unpadded base64url of a long part (an issuer JWT's payload) is decoded by the vector
decoder, a short one by binascii: both refuse and accept exactly the same texts. Given the
URL-safe alphabet, the vector decoder would also take "+" and "/" (and padding): those are
refused before it is asked, at every length."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid import sdjwt_format
from civicid.errors import Error
from civicid.sdjwt_format import SIMD_FROM_CHARS, b64url_decode_strict

LONG = SIMD_FROM_CHARS + 1


def unpadded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def outcome(text: str) -> bytes | str:
    try:
        return b64url_decode_strict(text)
    except Error as exc:
        return exc.code


def by_binascii(text: str, monkeypatch: pytest.MonkeyPatch) -> bytes | str:
    with monkeypatch.context() as patched:
        patched.setattr(sdjwt_format, "SIMD_FROM_CHARS", 10**9)
        return outcome(text)


@pytest.mark.parametrize("extra", [b"", b"x", b"xy"])  # each remainder: 0, 2 and 3 characters
def test_a_long_part_decodes_as_encoded(extra: bytes) -> None:
    data = bytes(range(256)) * 2 + extra
    text = unpadded(data)
    assert len(text) > SIMD_FROM_CHARS
    assert b64url_decode_strict(text) == data


@pytest.mark.parametrize(
    "foreign", ["+", "/", "=", "==", " ", "\n", "*", ".", "é", "\x00", "\ud800"]
)
@pytest.mark.parametrize("where", [0, 100, -1])
def test_a_long_part_with_a_foreign_character_is_refused(foreign: str, where: int) -> None:
    text = list(unpadded(bytes(300)))
    text[where] = foreign
    with pytest.raises(Error) as info:
        b64url_decode_strict("".join(text))
    assert info.value.code == "sdjwt_malformed"


@pytest.mark.parametrize("last", ["B", "C", "D"])  # non-zero bits after the last byte
def test_a_long_part_in_a_non_canonical_spelling_is_refused(last: str) -> None:
    text = unpadded(bytes(301))  # 301 bytes: 402 characters, two bits to spare
    assert text.endswith("A")
    with pytest.raises(Error) as info:
        b64url_decode_strict(text[:-1] + last)
    assert info.value.code == "sdjwt_malformed"


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(ALPHABET) | st.sampled_from("+/= \n\t*.é\x00"),
        min_size=LONG,
        max_size=LONG + 8,
    )
)
def test_both_decoders_agree_on_any_long_text(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert outcome(text) == by_binascii(text, monkeypatch)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=200, max_size=400))
def test_both_decoders_agree_on_any_encoding(data: bytes) -> None:
    text = unpadded(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert outcome(text) == by_binascii(text, monkeypatch) == data
