"""A compact JWS's parts are strict, canonical base64url: the one spelling of each value.
The strict decoding is held to its definition (decode as base64url, then the same text must
encode back), over any text."""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.errors import Error
from civicid.jose import JWS_MALFORMED, CompactJWS, canonical_b64url

# base64url, its padding, standard base64's two letters, whitespace and a non-ASCII letter.
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n.é"


def by_definition(text: str) -> bytes | None:
    """RFC 7515 §2 and RFC 4648 §3.5: unpadded base64url whose bytes encode back to the text;
    None where there is no such value."""
    if not text.isascii() or set(text) & set("=+/ \n."):
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    encoded = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return data if encoded == text else None


def strict(text: str) -> bytes | None:
    try:
        return canonical_b64url(text, JWS_MALFORMED)
    except Error as exc:
        assert exc.code == "jws_malformed"
        return None


@settings(max_examples=3000, deadline=None)
@given(
    st.text(alphabet=LETTERS, max_size=24)
    | st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode())
)
def test_the_strict_decoding_is_the_definitions(text: str) -> None:
    assert strict(text) == by_definition(text)


@settings(max_examples=1000, deadline=None)
@given(st.binary(min_size=1, max_size=40), st.integers(min_value=1, max_value=3))
def test_every_pad_bit_set_is_refused(data: bytes, bits: int) -> None:
    """The same bytes with non-zero bits after the last byte: another spelling, refused."""
    text = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    pad = {2: 4, 3: 2}.get(len(text) % 4)
    if pad is None:
        return  # a whole number of 3-byte groups has no pad bits
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    value = letters.index(text[-1]) | (bits & ((1 << pad) - 1) or 1)
    spelled = text[:-1] + letters[value]
    assert strict(text) == data
    assert strict(spelled) is None


@pytest.mark.parametrize(
    "part",
    ["e30=", "e30 ", "e3\n0", "e+0", "e/0", "e", "ée30", "e3\udc80", "e31"],
    ids=[
        "padded",
        "a space",
        "a newline",
        "plus",
        "slash",
        "one letter",
        "non-ASCII",
        "a lone surrogate",
        "pad bits",
    ],
)
def test_a_header_spelled_otherwise_is_malformed(part: str) -> None:
    """``e30`` is ``{}``; each other spelling of a header is jws_malformed."""
    with pytest.raises(Error) as info:
        CompactJWS.parse(f"{part}.e30.AAAA")
    assert info.value.code == "jws_malformed"
