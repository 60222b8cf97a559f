"""The one base of every wire model, an alias policy per protocol, the error body, and the
value types the wire convention shares (times, hashes).

- ``Camel``: the ledger API (``treeSize``, ``leafHash``), camelCase on the wire.
- ``Snake``: the OAuth family (OpenID4VCI, OpenID4VP, the error body) and the issuer's
  staff and verifier's desk APIs, whose members are spelled as the specs spell them.

Python code always reads snake_case attributes; only the wire spelling differs.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from civicid.encoding import parse_json
from civicid.errors import Code, Error, Unavailable, declare
from civicid.merkle import HASH_SIZE
from civicid.times import parse_time, rfc3339

WIRE_MALFORMED = declare(
    "wire_malformed", Unavailable, "an answer does not have the shape the protocol gives it"
)
# A validation failure names the members that failed; this much of it is plenty.
MAX_WHERE_CHARS = 500


def _time_in(value: Any) -> int:
    try:
        return parse_time(value)
    except Error as exc:  # pydantic reports a ValueError as a validation failure
        raise ValueError(exc.message) from exc


def _hex_in(value: Any) -> bytes:
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            raw = bytes.fromhex(str(value))
        except ValueError as exc:
            raise ValueError("not hexadecimal") from exc
    if len(raw) != HASH_SIZE:
        raise ValueError(f"a hash is {HASH_SIZE} bytes")
    return raw


def _b64_in(value: Any) -> bytes:
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            raw = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not standard base64") from exc
    if len(raw) != HASH_SIZE:
        raise ValueError(f"a hash is {HASH_SIZE} bytes")
    return raw


Time = Annotated[
    int,
    BeforeValidator(_time_in),
    PlainSerializer(rfc3339, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-11-25T10:00:00Z"}),
]
"""Seconds since the epoch in Python; an RFC 3339 UTC string on the wire."""

HexHash = Annotated[
    bytes,
    BeforeValidator(_hex_in),
    PlainSerializer(bytes.hex, return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
]
"""A SHA-256 that names an entry: 64 lowercase hex characters."""

B64Hash = Annotated[
    bytes,
    BeforeValidator(_b64_in),
    PlainSerializer(lambda raw: base64.b64encode(raw).decode("ascii"), return_type=str),
    WithJsonSchema({"type": "string", "format": "byte"}),
]
"""A SHA-256 inside a proof, or a root: standard base64, as in a C2SP checkpoint."""

ProofPath = list[B64Hash]


def _is_none(value: Any) -> bool:
    return value is None


def optional() -> Any:
    """A member sent only when it has a value (else absent, not ``null``)."""
    return Field(default=None, exclude_if=_is_none)


class WireModel(BaseModel):
    """Frozen and valid once built; unknown members are ignored, so that a newer peer can add
    to a message without breaking an older one. ``from_json`` turns a wrong shape into our
    error (``malformed``: the code of the protocol the model belongs to)."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )
    malformed: ClassVar[Code] = WIRE_MALFORMED

    @classmethod
    def from_json(cls, data: Any, *, error: Code | None = None) -> Self:
        """Parse what the other side sent (a decoded JSON value, or its text); a wrong shape
        is ``error``, by default the protocol's ``malformed`` code."""
        code = error or cls.malformed
        if isinstance(data, str | bytes):
            # I-JSON first, as every JSON this project reads: the model's own parser keeps the
            # last of a member named twice (a peer's message read otherwise by another
            # reader), and takes a byte order mark, NaN and 1e400.
            try:
                data = parse_json(data, code=code)
            except Error as exc:
                raise code(f"{cls.__name__}: {exc.message}") from exc
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            where = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise code(f"{cls.__name__}: {where}"[:MAX_WHERE_CHARS]) from exc
        except (ValueError, RecursionError) as exc:
            raise code(f"{cls.__name__}: not JSON") from exc

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        return data

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class Camel(WireModel):
    """camelCase on the wire, snake_case in Python: the ledger API's policy."""

    model_config = ConfigDict(alias_generator=AliasGenerator(alias=to_camel))


class Snake(WireModel):
    """Members spelled on the wire as in Python: the OAuth family's policy (OpenID4VCI,
    OpenID4VP, RFC 6749 error bodies) and the staff and desk APIs'."""


class ErrorBody(Snake):
    """Every refusal: our stable code and a message for people (OAuth 2.0 §5.2's names)."""

    error: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    error_description: str
    details: dict[str, Any] | None = optional()
