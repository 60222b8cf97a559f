"""An ECDSA signature's R || S written as DER for OpenSSL byte by byte: the same bytes as
``encode_dss_signature`` of the two integers at every edge (zero, leading zero bytes, the high
bit set, all ones), for P-256 and P-384; and signatures whose R or S starts with zero bytes
verify, and fail once changed."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from civicid.errors import Error
from civicid.jose import JWS_SIGNATURE_INVALID, PrivateKey, der_signature


def edges(size: int) -> list[bytes]:
    """Integers of ``size`` bytes at the edges of DER's minimal two's complement."""
    values = [
        b"X" * size,  # bytes other than zero are never stripped, whatever their value
        b"\x00X" + bytes(size - 2),
        bytes(size),
        bytes(size - 1) + b"\x01",
        bytes(size - 1) + b"\x7f",
        bytes(size - 1) + b"\x80",
        bytes(size - 2) + b"\x00\xff",
        b"\x00\x7f" + b"\xff" * (size - 2),
        b"\x00\x80" + bytes(size - 2),
        b"\x00\x00\x80" + b"\x01" * (size - 3),
        b"\x7f" + b"\xff" * (size - 1),
        b"\x80" + bytes(size - 1),
        b"\xff" * size,
    ]
    return values + [os.urandom(size) for _ in range(40)]


@pytest.mark.parametrize("size", [32, 48])
def test_der_is_what_encode_dss_signature_writes(size: int) -> None:
    for r in edges(size):
        for s in [*edges(size)[:12], os.urandom(size)]:
            expected = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
            assert der_signature(r + s, size) == expected, (r.hex(), s.hex())


@pytest.mark.parametrize(("alg", "size"), [("ES256", 32), ("ES384", 48)])
def test_signatures_with_leading_zero_bytes_verify_and_fail_once_changed(
    alg: str, size: int
) -> None:
    key = PrivateKey.generate(alg)
    found = {"r": False, "s": False}
    for n in range(20_000):  # about one signature in 256 has R (or S) starting with a zero byte
        data = f"message {n}".encode()
        signature = key._sign(data)
        r_zero, s_zero = signature[0] == 0, signature[size] == 0
        if not (r_zero and not found["r"]) and not (s_zero and not found["s"]):
            continue
        found["r"] = found["r"] or r_zero
        found["s"] = found["s"] or s_zero
        key.public.verify_signature(alg, data, signature)
        for at in (0, size - 1, size, 2 * size - 1):
            changed = bytearray(signature)
            changed[at] ^= 0x01
            with pytest.raises(Error) as caught:
                key.public.verify_signature(alg, data, bytes(changed))
            assert JWS_SIGNATURE_INVALID.matches(caught.value)
        if all(found.values()):
            return
    raise AssertionError(f"no signature with a leading zero byte found: {found}")
