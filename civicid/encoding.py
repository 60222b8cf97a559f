"""Byte encodings used across the kernel: base64url, canonical JSON (RFC 8785), digests."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
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


class _Duplicate(Exception):
    """A member name seen twice in one object (turned into the caller's code)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:  # the first name seen twice, for the message
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return obj


# One decoder for every parse: ``json.loads`` with a hook builds a new one on each call.
_DECODER: Final = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def parse_json_object(data: bytes | str, *, code: Code = JSON_INVALID) -> dict[str, Any]:
    """Parse JSON that must be an object; duplicate member names are refused (RFC 7515 §5.2)."""
    try:
        if isinstance(data, str):
            if data.startswith("\ufeff"):  # as json.loads: a BOM is not JSON text
                raise ValueError("a byte order mark before JSON text")
            text = data
        else:  # as json.loads: UTF-8, -16 or -32, told apart by the first bytes
            text = data.decode(json.detect_encoding(data), "surrogatepass")
        value = _DECODER.decode(text)
    except _Duplicate as exc:
        raise code(f"duplicate member name {exc.name!r}") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise code("not valid JSON") from exc
    if not isinstance(value, dict):
        raise code("JSON value is not an object")
    return value
