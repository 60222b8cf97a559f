"""Salts and decoys of SD-JWT building, drawn from the random source in blocks and sliced: each
salt is 128 bits (RFC 9901 §4.2.1) taken from what the source gave, no slice is handed out
twice (within a credential, across credentials, across threads sharing the issuer's source),
and a decoy is the digest of a random value of its own, never of a salt."""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
from collections.abc import Callable
from typing import Any

import pytest

from civicid.encoding import b64url_decode, b64url_encode
from civicid.sdjwt_builder import SALTS_PER_DRAW, issue
from civicid.sdjwt_format import SALT_BYTES
from issuer import entropy
from tests.civicid.sdjwt_fixtures import credential

# Enough disclosable claims that the salts and decoys of one credential take several draws.
CLAIMS: dict[str, Any] = {f"claim{i}": i for i in range(3 * SALTS_PER_DRAW)}
DISCLOSABLE = [(name,) for name in CLAIMS]
DECOYS = 5


class Counted:
    """A random source whose every byte is distinct across all its draws (a counter), so any
    byte handed out twice shows; it keeps every draw."""

    def __init__(self) -> None:
        self._next = itertools.count()
        self._lock = threading.Lock()
        self.draws: list[bytes] = []

    def __call__(self, size: int) -> bytes:
        with self._lock:
            # 4 bytes per counter value, and sizes are multiples of 16: every 16 are unique.
            assert size % 4 == 0
            out = b"".join(next(self._next).to_bytes(4, "big") for _ in range(size // 4))
            self.draws.append(out)
            return out


def built(
    rng: Callable[[int], bytes], claims: dict[str, Any] = CLAIMS
) -> tuple[list[bytes], list[str]]:
    """The salts (as bytes) of a credential's Disclosures, and its payload's digests."""
    token = credential(claims=claims, disclosable=[(n,) for n in claims], decoys=DECOYS, rng=rng)
    jwt, *disclosures, last = token.split("~")
    assert last == ""
    payload = json.loads(b64url_decode(jwt.split(".")[1]))
    salts = [b64url_decode(json.loads(b64url_decode(d))[0]) for d in disclosures]
    return salts, payload["_sd"]


def test_each_salt_is_128_bits_and_none_is_handed_out_twice() -> None:
    rng = Counted()
    salts, digests = built(rng)
    assert len(salts) == len(CLAIMS)
    assert all(len(salt) == SALT_BYTES == 16 for salt in salts)
    assert len(set(salts)) == len(salts)
    drawn = b"".join(rng.draws)
    assert all(drawn.count(salt) == 1 for salt in salts)  # from the source, as given
    assert all(len(draw) == SALT_BYTES * SALTS_PER_DRAW for draw in rng.draws)
    assert len(digests) == len(CLAIMS) + DECOYS


def test_a_decoy_is_the_digest_of_a_random_value_not_of_a_salt() -> None:
    rng = Counted()
    salts, digests = built(rng)
    drawn = b"".join(rng.draws)
    slices = [drawn[i : i + SALT_BYTES] for i in range(0, len(drawn), SALT_BYTES)]
    of_slice = {b64url_encode(hashlib.sha256(part).digest()): part for part in slices}
    decoys = [of_slice[d] for d in digests if d in of_slice]
    assert len(decoys) == DECOYS
    assert not set(decoys) & set(salts)


def test_two_credentials_from_one_source_share_no_salt() -> None:
    rng = Counted()
    first, _ = built(rng)
    second, _ = built(rng)
    assert not set(first) & set(second)


def test_the_issuers_source_shared_by_threads_hands_out_no_byte_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issuer's block source (os.urandom read 4 KiB at a time) under several threads
    each building credentials: every salt of every credential is distinct."""
    counted = Counted()
    monkeypatch.setattr(entropy.os, "urandom", counted)
    shared = entropy.Entropy()
    found: list[list[bytes]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                found.append(built(shared)[0])
        except BaseException as exc:  # reported by the assertion after the join
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    salts = [salt for one in found for salt in one]
    assert len(found) == 20 and len(salts) == 20 * len(CLAIMS)
    assert len(set(salts)) == len(salts)
    assert all(len(draw) >= entropy.BLOCK for draw in counted.draws)


def test_the_default_source_is_the_operating_systems() -> None:
    assert issue.__kwdefaults__ is not None
    assert issue.__kwdefaults__["rng"] is secrets.token_bytes
    salts, _ = built(secrets.token_bytes)
    assert len(set(salts)) == len(salts) and all(len(salt) == SALT_BYTES for salt in salts)
