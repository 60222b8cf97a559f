"""A long base64url part (past ``SIMD_FROM_CHARS``, decoded by the vector decoder) with
characters outside the alphabet is refused, wherever they stand, never decoded without them
(four of them leave a length a lenient decoder would take once they are dropped)."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.sdjwt_format import SIMD_FROM_CHARS, b64url_decode_strict


@pytest.mark.parametrize("foreign", ["!", " ", "\n", ".", "~", "\x00", "é"])
@pytest.mark.parametrize("at", [0, SIMD_FROM_CHARS // 2, -1])
def test_a_foreign_character_in_a_long_part_is_refused(foreign: str, at: int) -> None:
    chars = ["A"] * (SIMD_FROM_CHARS + 4)
    chars[at] = foreign * 4
    text = "".join(chars)
    assert len(text) > SIMD_FROM_CHARS
    with pytest.raises(Error) as caught:
        b64url_decode_strict(text)
    assert caught.value.code == "sdjwt_malformed"
