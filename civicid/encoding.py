"""Byte encodings used across the kernel: base64url, canonical JSON (RFC 8785), digests."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from typing import Any, Final

import rfc8785

from civicid.errors import Code, InvalidInput, declare

BASE64URL_INVALID = declare("base64url_invalid", InvalidInput, "not unpadded base64url")
BASE64_INVALID = declare("base64_invalid", InvalidInput, "not standard base64")
JSON_INVALID = declare("json_invalid", InvalidInput, "not a valid JSON object")
JSON_NOT_CANONICALIZABLE = declare(
    "json_not_canonicalizable", InvalidInput, "a value RFC 8785 cannot canonicalize"
)


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, code: Code = BASE64URL_INVALID) -> bytes:
    """Strict base64url: no padding, no characters outside the URL-safe alphabet."""
    if "=" in text or "+" in text or "/" in text:
        raise code("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise code("not unpadded base64url") from exc


def b64_encode(data: bytes) -> str:
    """Standard base64 with padding (used by C2SP notes and proof bodies)."""
    return base64.b64encode(data).decode("ascii")


def b64_decode(text: str, *, code: Code = BASE64_INVALID) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise code("not standard base64") from exc


def canonical_json(value: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme: the bytes every hash over JSON is taken of."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise JSON_NOT_CANONICALIZABLE(f"cannot canonicalize: {exc}") from exc


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class _Refused(Exception):
    """Something the decoder met that is not I-JSON (turned into the caller's code)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:  # the first name seen twice, for the message
            if key in seen:
                raise _Refused(f"duplicate member name {key!r}")
            seen.add(key)
    return obj


def _no_constant(name: str) -> float:
    """RFC 8259 §6: NaN, Infinity and -Infinity are not JSON (json reads them by default)."""
    raise _Refused(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """RFC 7493 §2.2: no number beyond a double's range (json reads 1e400 as infinity)."""
    value = float(text)
    if math.isinf(value):
        raise _Refused("a number beyond the range of a double")
    return value


# One decoder for every parse: ``json.loads`` with a hook builds a new one on each call.
_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite
)
# A \u escape of a surrogate (D800-DFFF): the only way a lone one gets into text that is
# valid UTF-8 (it may be half of a pair, or a backslash's escape followed by "ud8…": the
# value is then checked whole).
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
# Encodes a parsed value to see that every string in it is Unicode scalar values only.
_CHECKER: Final = json.JSONEncoder(ensure_ascii=False)


def parse_json_object(data: bytes | str, *, code: Code = JSON_INVALID) -> dict[str, Any]:
    """Parse I-JSON (RFC 7493) that must be an object (``parse_json``), or ``code``."""
    value = parse_json(data, code=code)
    if not isinstance(value, dict):
        raise code("JSON value is not an object")
    return value


def parse_json(data: bytes | str, *, code: Code = JSON_INVALID) -> Any:
    """Parse I-JSON (RFC 7493): UTF-8 without a byte order mark (RFC 8259 §8.1), no lone
    surrogate in any string (RFC 7493 §2.1), no NaN or Infinity (RFC 8259 §6), no number
    beyond a double (RFC 7493 §2.2) and no member name twice (RFC 7515 §5.2). Each is
    refused with ``code``."""
    try:
        if isinstance(data, str):
            if not data.isascii():
                data.encode("utf-8")  # a lone surrogate has no UTF-8 form: refused
            text = data
        else:
            text = data.decode("utf-8")  # strictly: a surrogate's bytes are not UTF-8
        if text.startswith("\ufeff"):  # RFC 8259 §8.1: no byte order mark before JSON text
            raise _Refused("a byte order mark before JSON text")
        value = _DECODER.decode(text)
        if "\\u" in text and _SURROGATE_ESCAPE.search(text):
            _CHECKER.encode(value).encode("utf-8")  # a lone surrogate has no UTF-8 form
    except _Refused as exc:
        raise code(str(exc)) from None
    except UnicodeError as exc:
        raise code("a lone surrogate, or bytes that are not UTF-8") from exc
    except (ValueError, RecursionError) as exc:
        raise code("not valid JSON") from exc
    return value
