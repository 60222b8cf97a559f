"""IETF Token Status List (draft-ietf-oauth-status-list-20): the bit array, its signed JWT, and
the random index allocation issuers use so an index says nothing about when a credential was made.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import secrets
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from civicid.encoding import b64url_encode
from civicid.errors import InvalidInput, Refused, TooLarge, VerificationError, declare
from civicid.jose import (
    MAX_JWS_BYTES,
    SIGNING_ALGS,
    CompactJWS,
    PrivateKey,
    PublicKey,
    canonical_b64url,
)

STATUS_INDEX_OUT_OF_RANGE = declare(
    "status_index_out_of_range", InvalidInput, "the status index is outside the list"
)
STATUS_LIST_BITS_INVALID = declare(
    "status_list_bits_invalid", InvalidInput, "bits must be 1, 2, 4 or 8"
)
STATUS_LIST_MALFORMED = declare(
    "status_list_malformed", InvalidInput, "the status list is malformed"
)
STATUS_LIST_SIZE_INVALID = declare(
    "status_list_size_invalid", InvalidInput, "the status list size is invalid"
)
STATUS_LIST_TOKEN_MALFORMED = declare(
    "status_list_token_malformed", InvalidInput, "the status list token is malformed"
)
STATUS_REFERENCE_MALFORMED = declare(
    "status_reference_malformed", InvalidInput, "the credential's status reference is malformed"
)
STATUS_VALUE_INVALID = declare(
    "status_value_invalid", InvalidInput, "the status value does not fit the list's bits"
)
STATUS_LIST_EXPIRED = declare(
    "status_list_expired", VerificationError, "the status list token has expired"
)
STATUS_LIST_NOT_YET_VALID = declare(
    "status_list_not_yet_valid", VerificationError, "the status list token is not valid yet"
)
STATUS_LIST_STALE = declare(
    "status_list_stale", VerificationError, "the status list token is older than allowed"
)
STATUS_LIST_SUB_MISMATCH = declare(
    "status_list_sub_mismatch", VerificationError, "the status list token is for another list"
)
STATUS_LIST_TYP_INVALID = declare(
    "status_list_typ_invalid", VerificationError, "the token's typ is not statuslist+jwt"
)
STATUS_LIST_TOO_LARGE = declare("status_list_too_large", TooLarge, "the status list is too large")
STATUS_LIST_FULL = declare(
    "status_list_full", Refused, "every index of the status list is allocated"
)

# §7.1 status types. 0x03 and 0x0C-0x0F are application-specific; we define none of them.
STATUS_VALID: Final = 0x00
STATUS_INVALID: Final = 0x01
STATUS_SUSPENDED: Final = 0x02

# §4.1 step 1: a status never straddles a byte.
ALLOWED_BITS: Final = (1, 2, 4, 8)

# 16,777,216 entries: sixteen times the largest list the spec's appendix shows, enough for every
# credential an agency issues in a year, and at 8 bits still only 16 MiB once inflated.
MAX_ENTRIES: Final = 2**24

# The inflated byte array may never hold more than MAX_ENTRIES statuses (checked per `bits`; this
# is the 8-bit worst case). Inflation stops one byte past the limit, so a zip bomb costs 16 MiB.
MAX_DECOMPRESSED_BYTES: Final = MAX_ENTRIES

# `lst` travels base64url-encoded inside a JWS that jose refuses beyond MAX_JWS_BYTES, so a
# compressed list any larger could never be published or read.
MAX_COMPRESSED_BYTES: Final = MAX_JWS_BYTES * 3 // 4

# How far a Status List Token's iat/nbf may lie in the future before we call it not yet valid:
# the issuer's and verifier's clocks drift a little (RFC 7519 §4.1.5 "small leeway").
MAX_CLOCK_SKEW: Final = 60

# Rejection draws before IndexAllocator gives up sampling and uses its free list. With at most
# half the indices taken, failing this often has probability 2**-64: it only bounds a broken rng.
MAX_REJECTION_DRAWS: Final = 64

TYP: Final = "statuslist+jwt"  # §5.1

# bytes.translate table turning "unused" (0) into 1 and every "used" byte into 0.
_INVERT: Final = bytes([1] + [0] * 255)


def _is_int(value: object) -> TypeGuard[int]:
    """JSON integers only: ``True`` is an int to Python but never an index, a time or a size."""
    return type(value) is int


@functools.cache
def _count_table(bits: int, value: int) -> bytes:
    """For every byte, how many of its 8/bits statuses equal ``value``."""
    per_byte, mask = 8 // bits, (1 << bits) - 1
    return bytes(
        sum(((byte >> (slot * bits)) & mask) == value for slot in range(per_byte))
        for byte in range(256)
    )


def _inflate(data: bytes, limit: int) -> bytes:
    """zlib-inflate at most ``limit`` bytes; anything but one complete zlib stream is refused."""
    # Default wbits: the RFC 1950 zlib container only. Gzip (what W3C Bitstring Status Lists
    # use) and raw deflate fail the header check, as DESIGN.md pitfall 10 wants.
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise STATUS_LIST_MALFORMED(f"lst is not a zlib stream: {exc}") from exc
    if len(raw) > limit:
        raise STATUS_LIST_TOO_LARGE(f"status list inflates past {limit} bytes")
    if not inflater.eof:
        raise STATUS_LIST_MALFORMED("lst is a truncated zlib stream")
    if inflater.unused_data:
        raise STATUS_LIST_MALFORMED("lst has bytes after its zlib stream")
    return raw


class StatusList:
    """A mutable array of ``size`` statuses of ``bits`` bits each, packed LSB-first (§4.1).

    Index ``i`` lives in byte ``i * bits // 8`` at bit offset ``(i % (8 // bits)) * bits``.
    A list whose ``size * bits`` is not a multiple of 8 is padded with zero statuses; decoding
    cannot tell padding from entries, so a decoded list's size is rounded up to a whole byte.
    """

    __slots__ = ("_data", "aggregation_uri", "bits", "size")

    def __init__(self, size: int, bits: int = 2, *, aggregation_uri: str | None = None) -> None:
        if not _is_int(bits) or bits not in ALLOWED_BITS:
            raise STATUS_LIST_BITS_INVALID(f"bits must be one of {ALLOWED_BITS}")
        if not _is_int(size) or size < 1:
            raise STATUS_LIST_SIZE_INVALID("a status list has at least one entry")
        if size > MAX_ENTRIES:
            raise STATUS_LIST_TOO_LARGE(f"a list has at most {MAX_ENTRIES} entries")
        if aggregation_uri is not None and not isinstance(aggregation_uri, str):
            raise STATUS_LIST_MALFORMED("aggregation_uri must be a string")
        self.size = size
        self.bits = bits
        self.aggregation_uri = aggregation_uri
        self._data = bytearray(-(-size * bits // 8))

    @classmethod
    def from_bytes(cls, raw: bytes, bits: int, *, aggregation_uri: str | None = None) -> StatusList:
        """Adopt an uncompressed byte array; every status it can hold becomes an entry."""
        if not _is_int(bits) or bits not in ALLOWED_BITS:
            raise STATUS_LIST_BITS_INVALID(f"bits must be one of {ALLOWED_BITS}")
        if not raw:
            raise STATUS_LIST_MALFORMED("a status list has at least one entry")
        status_list = cls(len(raw) * 8 // bits, bits, aggregation_uri=aggregation_uri)
        status_list._data[:] = raw
        return status_list

    def to_bytes(self) -> bytes:
        return bytes(self._data)

    def _locate(self, index: int) -> tuple[int, int]:
        # §8.3 step 6 / pitfall 10: an index we hold no status for is an error, never "valid".
        if not _is_int(index) or not 0 <= index < self.size:
            raise STATUS_INDEX_OUT_OF_RANGE(f"index {index!r} is outside 0..{self.size - 1}")
        per_byte = 8 // self.bits
        return index // per_byte, (index % per_byte) * self.bits

    def _check_value(self, value: int) -> None:
        if not _is_int(value) or not 0 <= value < (1 << self.bits):
            raise STATUS_VALUE_INVALID(f"status {value!r} does not fit in {self.bits} bits")

    def get(self, index: int) -> int:
        byte, shift = self._locate(index)
        return (self._data[byte] >> shift) & ((1 << self.bits) - 1)

    def set(self, index: int, value: int) -> None:
        self._check_value(value)
        byte, shift = self._locate(index)
        mask = ((1 << self.bits) - 1) << shift
        self._data[byte] = (self._data[byte] & ~mask) | (value << shift)

    def count(self, value: int) -> int:
        """How many entries hold ``value``; C-speed even on the largest list."""
        self._check_value(value)
        if self.bits == 8:
            found = self._data.count(value)
        else:
            per_byte = self._data.translate(_count_table(self.bits, value))
            found = sum(k * per_byte.count(k) for k in range(1, 8 // self.bits + 1))
        if value == 0:  # padding slots past `size` are zero but are not entries
            found -= len(self._data) * 8 // self.bits - self.size
        return found

    def encode(self) -> dict[str, Any]:
        """The §4.2 JSON object: ``lst`` is base64url(zlib(bytes)) at the best compression."""
        compressed = zlib.compress(bytes(self._data), level=9)  # §4.1 step 4 recommends the best
        if len(compressed) > MAX_COMPRESSED_BYTES:
            # Refuse to publish what no verifier (ours included) would accept.
            raise STATUS_LIST_TOO_LARGE(f"compressed list is over {MAX_COMPRESSED_BYTES} bytes")
        encoded: dict[str, Any] = {"bits": self.bits, "lst": b64url_encode(compressed)}
        if self.aggregation_uri is not None:
            encoded["aggregation_uri"] = self.aggregation_uri
        return encoded

    @classmethod
    def decode(cls, obj: Any) -> StatusList:
        """Parse a §4.2 JSON object strictly; unknown members are ignored (§4.2 may grow)."""
        if not isinstance(obj, dict):
            raise STATUS_LIST_MALFORMED("status_list must be a JSON object")
        bits = obj.get("bits")
        if not _is_int(bits) or bits not in ALLOWED_BITS:
            raise STATUS_LIST_BITS_INVALID(f"bits must be one of {ALLOWED_BITS}")
        lst = obj.get("lst")
        if not isinstance(lst, str) or not lst:
            raise STATUS_LIST_MALFORMED("lst must be a non-empty string")
        if len(lst) > -(-MAX_COMPRESSED_BYTES * 4 // 3):
            raise STATUS_LIST_TOO_LARGE(f"lst is over {MAX_COMPRESSED_BYTES} bytes")
        compressed = canonical_b64url(lst, STATUS_LIST_MALFORMED)
        raw = _inflate(compressed, min(MAX_DECOMPRESSED_BYTES, MAX_ENTRIES * bits // 8))
        return cls.from_bytes(raw, bits, aggregation_uri=obj.get("aggregation_uri"))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, StatusList)
            and (self.size, self.bits, self.aggregation_uri)
            == (other.size, other.bits, other.aggregation_uri)
            and self._data == other._data
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like list

    def __repr__(self) -> str:
        return f"StatusList(size={self.size}, bits={self.bits})"


def build_token(
    *,
    key: PrivateKey,
    kid: str,
    sub: str,
    status_list: StatusList,
    iat: int,
    exp: int | None,
    ttl: int | None,
) -> str:
    """Sign ``status_list`` as a §5.1 Status List Token; ``alg`` is always the key's."""
    if not isinstance(sub, str) or not sub:
        raise STATUS_LIST_TOKEN_MALFORMED("sub must be the list's URI")
    if not _is_int(iat) or (exp is not None and not _is_int(exp)):
        raise STATUS_LIST_TOKEN_MALFORMED("iat and exp must be integers")
    if ttl is not None and (not _is_int(ttl) or ttl <= 0):
        raise STATUS_LIST_TOKEN_MALFORMED("ttl must be a positive integer")
    claims: dict[str, Any] = {"sub": sub, "iat": iat}
    if exp is not None:
        claims["exp"] = exp
    if ttl is not None:
        claims["ttl"] = ttl
    claims["status_list"] = status_list.encode()
    payload = json.dumps(claims, separators=(",", ":")).encode("utf-8")
    return key.sign_compact(payload, {"typ": TYP, "kid": kid})


@dataclass(frozen=True)
class StatusListToken:
    """The claims of a Status List Token. Only ``verify_token`` vouches for them."""

    sub: str
    iat: int
    exp: int | None
    ttl: int | None
    status_list: StatusList
    header: dict[str, Any]
    text: str


def _check_typ(parsed: CompactJWS) -> None:
    # Pitfall 7: without this a credential (dc+sd-jwt) signed by the same key could pose as a list.
    if parsed.header.get("typ") != TYP:
        raise STATUS_LIST_TYP_INVALID(f"typ must be {TYP!r}, got {parsed.header.get('typ')!r}")


def _read_claims(parsed: CompactJWS) -> tuple[StatusListToken, int | None]:
    """§8.3 step 3b: the required claims, typed; returns the token and its ``nbf``, if any."""
    claims = parsed.payload_json(code=STATUS_LIST_TOKEN_MALFORMED)
    sub, iat = claims.get("sub"), claims.get("iat")
    exp, ttl, nbf = claims.get("exp"), claims.get("ttl"), claims.get("nbf")
    if not isinstance(sub, str) or not sub:
        raise STATUS_LIST_TOKEN_MALFORMED("sub must be a non-empty string")
    if not _is_int(iat):
        raise STATUS_LIST_TOKEN_MALFORMED("iat must be an integer")
    if any(v is not None and not _is_int(v) for v in (exp, nbf)):
        raise STATUS_LIST_TOKEN_MALFORMED("exp and nbf must be integers")
    if ttl is not None and (not _is_int(ttl) or ttl <= 0):
        raise STATUS_LIST_TOKEN_MALFORMED("ttl must be a positive integer")  # §5.1
    if "status_list" not in claims:
        raise STATUS_LIST_TOKEN_MALFORMED("status_list claim is missing")
    token = StatusListToken(
        sub=sub,
        iat=iat,
        exp=exp,
        ttl=ttl,
        status_list=StatusList.decode(claims["status_list"]),
        header=dict(parsed.header),
        text=parsed.text,
    )
    return token, nbf


def parse_token(token: str) -> StatusListToken:
    """Read a Status List Token WITHOUT checking its signature or times.

    For a ledger that needs ``sub`` to find the signer's key; it must then call ``verify_token``.
    Header allow-lists and typ are checked here too so junk is turned away early.
    """
    parsed = CompactJWS.parse(token)
    parsed.check_header(allowed_algs=SIGNING_ALGS, typ=None)
    _check_typ(parsed)
    return _read_claims(parsed)[0]


def verify_token(
    token: str,
    key: PublicKey,
    *,
    expected_sub: str,
    now: int,
    allowed_algs: tuple[str, ...] = SIGNING_ALGS,
    max_age: int | None = None,
) -> StatusListToken:
    """Validate a Status List Token by §8.3 step 3-4; raises on the first failed step."""
    # 1. Header: alg on the allow-list (no `none`, no HMAC), no embedded keys, typ (pitfall 7).
    parsed = CompactJWS.parse(token)
    parsed.check_header(allowed_algs=allowed_algs, typ=None)
    _check_typ(parsed)
    # 2. Signature with the key the caller resolved, before we inflate anything (§8.3 3a).
    parsed.verify_with(key)
    # 3. Required claims and the list itself (§8.3 3b, step 5).
    result, nbf = _read_claims(parsed)
    # 4a. The list must be the one the credential points at (pitfall 10).
    if result.sub != expected_sub:
        raise STATUS_LIST_SUB_MISMATCH(f"token is for {result.sub!r}, not {expected_sub!r}")
    # 4c. Expired lists MUST NOT be relied upon (§13.7); RFC 7519: now must be before exp.
    if result.exp is not None and result.exp <= now:
        raise STATUS_LIST_EXPIRED("the status list token has expired")
    # RFC 7519 §7.2 via §5.1 rule 3: a token from the future is not valid yet.
    if result.iat > now + MAX_CLOCK_SKEW or (nbf is not None and nbf > now + MAX_CLOCK_SKEW):
        raise STATUS_LIST_NOT_YET_VALID("the token is not valid yet")
    # 4b/4d. Freshness: the issuer's ttl, counted from iat (§13.7's strict reading), and ours.
    if result.ttl is not None and result.iat + result.ttl < now:
        raise STATUS_LIST_STALE("the token is older than its ttl")
    if max_age is not None and result.iat + max_age < now:
        raise STATUS_LIST_STALE(f"the token is older than {max_age}s")
    return result


def status_of(reference: Any, token: StatusListToken) -> int:
    """The status §8.3 steps 1, 4a and 6 give a credential's ``status`` claim (§6.2).

    ``token`` must come from ``verify_token``; this does not check the signature again.
    """
    ref = reference.get("status_list") if isinstance(reference, dict) else None
    if not isinstance(ref, dict):
        raise STATUS_REFERENCE_MALFORMED("status must hold a status_list object")
    idx, uri = ref.get("idx"), ref.get("uri")
    if not _is_int(idx) or idx < 0:
        raise STATUS_REFERENCE_MALFORMED("idx must be a non-negative integer")
    if not isinstance(uri, str) or not uri:
        raise STATUS_REFERENCE_MALFORMED("uri must be a non-empty string")
    if uri != token.sub:
        raise STATUS_LIST_SUB_MISMATCH(f"credential points at {uri!r}, token is {token.sub!r}")
    return token.status_list.get(idx)


class IndexAllocator:
    """Hands out unused indices uniformly at random (§12.5, §13.2-13.3 herd privacy).

    Sequential indices would tell a verifier roughly when, and in which order, credentials were
    issued; random ones reveal nothing. No index is ever handed out twice (§13.3).
    """

    __slots__ = ("_free", "_rng", "_taken", "_used", "size")

    def __init__(
        self, size: int, used: Iterable[int] = (), rng: random.Random | None = None
    ) -> None:
        """``rng`` defaults to ``secrets.SystemRandom`` (a ``random.Random``); pass a seeded one
        in tests."""
        if not _is_int(size) or not 1 <= size <= MAX_ENTRIES:
            raise STATUS_LIST_SIZE_INVALID(f"size must be 1..{MAX_ENTRIES}")
        self.size = size
        self._rng = rng if rng is not None else secrets.SystemRandom()
        self._used = bytearray(size)  # 1 byte per index: 16 MiB at most, no Python ints
        self._taken = 0
        self._free: list[int] | None = None  # built once, when sampling would start to miss
        for index in used:
            if not _is_int(index) or not 0 <= index < size:
                raise STATUS_INDEX_OUT_OF_RANGE(f"used index {index!r} not in list")
            if not self._used[index]:
                self._used[index] = 1
                self._taken += 1

    @property
    def allocated(self) -> int:
        return self._taken

    def is_used(self, index: int) -> bool:
        return 0 <= index < self.size and bool(self._used[index])

    def allocate(self) -> int:
        if self._taken >= self.size:
            raise STATUS_LIST_FULL(f"all {self.size} indices are allocated")
        if self._free is None and self._taken * 2 <= self.size:
            # Rejection sampling: uniform over the free indices, < 2 draws expected at <= half.
            for _ in range(MAX_REJECTION_DRAWS):
                index = self._rng.randrange(self.size)
                if not self._used[index]:
                    return self._take(index)
        if self._free is None:
            self._free = list(itertools.compress(range(self.size), self._used.translate(_INVERT)))
        # Uniform pick from the free list, removed by swapping with the last element: O(1).
        pos = self._rng.randrange(len(self._free))
        index = self._free[pos]
        self._free[pos] = self._free[-1]
        self._free.pop()
        return self._take(index)

    def _take(self, index: int) -> int:
        self._used[index] = 1
        self._taken += 1
        return index


__all__ = [
    "ALLOWED_BITS",
    "MAX_CLOCK_SKEW",
    "MAX_COMPRESSED_BYTES",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_ENTRIES",
    "STATUS_INVALID",
    "STATUS_SUSPENDED",
    "STATUS_VALID",
    "TYP",
    "IndexAllocator",
    "StatusList",
    "StatusListToken",
    "build_token",
    "parse_token",
    "status_of",
    "verify_token",
]
