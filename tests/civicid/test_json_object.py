"""``parse_json_object`` reads I-JSON (RFC 7493) only: each thing RFC 8259 or I-JSON forbids
that Python's json reads is refused with the caller's code, and what they allow is read."""

from __future__ import annotations

from typing import Any

import pytest

from civicid.encoding import JSON_INVALID, b64url_encode, parse_json_object
from civicid.errors import Error
from civicid.jose import JWS_MALFORMED, CompactJWS

# Each of these Python's json.loads reads; each is refused.
FORBIDDEN: dict[str, bytes | str] = {
    "nan": b'{"a": NaN}',
    "infinity": b'{"a": Infinity}',
    "minus-infinity": b'{"a": [-Infinity]}',
    "number-beyond-a-double": b'{"a": 1e400}',
    "negative-number-beyond-a-double": b'{"a": -1.5e309}',
    "lone-high-surrogate-escaped": b'{"a": "\\ud800"}',
    "lone-low-surrogate-escaped": b'{"a": "x\\udc00y"}',
    "lone-surrogate-in-a-name": b'{"\\udfff": 1}',
    "surrogates-reversed": b'{"a": "\\ude00\\ud83d"}',
    "lone-surrogate-as-utf-8-bytes": '{"a": "\udcff"}'.encode("utf-8", "surrogatepass"),
    "lone-surrogate-in-text": '{"a": "\ud800"}',
    "utf-8-byte-order-mark": b'\xef\xbb\xbf{"a": 1}',
    "byte-order-mark-in-text": '\ufeff{"a": 1}',
    "utf-16": '{"a": 1}'.encode("utf-16"),
    "utf-16-without-a-mark": '{"a": 1}'.encode("utf-16-le"),
    "utf-32": '{"a": 1}'.encode("utf-32"),
    "latin-1": '{"a": "é"}'.encode("latin-1"),
    "duplicate-names": b'{"a": 1, "a": 2}',
    "not-an-object": b"[1]",
    "trailing-garbage": b'{"a": 1}x',
}


def refusal(data: bytes | str, **kwargs: Any) -> Error:
    with pytest.raises(Error) as info:
        parse_json_object(data, **kwargs)
    return info.value


@pytest.mark.parametrize("data", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_what_i_json_forbids_is_refused_with_the_callers_code(data: bytes | str) -> None:
    assert JSON_INVALID.matches(refusal(data))
    assert JWS_MALFORMED.matches(refusal(data, code=JWS_MALFORMED))


@pytest.mark.parametrize(
    "data, message",
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1e400}', "a number beyond the range of a double"),
        (b'{"a": "\\ud800"}', "a lone surrogate, or bytes that are not UTF-8"),
        (b'\xef\xbb\xbf{"a": 1}', "a byte order mark before JSON text"),
        (b'{"a": 1, "a": 2}', "duplicate member name 'a'"),
        (b"[]", "JSON value is not an object"),
    ],
)
def test_each_refusal_says_what_was_wrong(data: bytes, message: str) -> None:
    assert refusal(data).message == message


ALLOWED: dict[str, tuple[bytes | str, dict[str, Any]]] = {
    "surrogate-pair-escaped": (b'{"a": "\\ud83d\\ude00"}', {"a": "\U0001f600"}),
    "surrogate-pair-as-utf-8": ('{"a": "😀"}'.encode(), {"a": "\U0001f600"}),
    "escaped-backslash-before-u": (b'{"a": "\\\\ud800"}', {"a": "\\ud800"}),
    "byte-order-mark-inside-a-string": ('{"a": "\ufeff"}'.encode(), {"a": "\ufeff"}),
    "largest-double": (b'{"a": 1.7976931348623157e308}', {"a": 1.7976931348623157e308}),
    "tiny-number": (b'{"a": 1e-400}', {"a": 0.0}),
    "non-ascii-text": ('{"é": "ü"}', {"é": "ü"}),
    "whitespace-around": (b' \n{"a": [1, 2.5, true, null]}\t', {"a": [1, 2.5, True, None]}),
}


@pytest.mark.parametrize("data, value", ALLOWED.values(), ids=ALLOWED.keys())
def test_what_i_json_allows_is_read(data: bytes | str, value: dict[str, Any]) -> None:
    assert parse_json_object(data) == value


@pytest.mark.parametrize(
    "header", [b'{"alg":"ES256","x":NaN}', b'\xef\xbb\xbf{"alg":"ES256"}', b'{"alg":"\\udc00"}']
)
def test_a_jws_header_that_is_not_i_json_is_malformed(header: bytes) -> None:
    with pytest.raises(Error) as info:
        CompactJWS.parse(b64url_encode(header) + ".e30.c2ln")
    assert JWS_MALFORMED.matches(info.value)
