"""Attack: many distinct, long strings where a DID or key id is expected (an issuer's ``iss``
or a JWS ``kid`` in a presentation of up to 512 KiB, a transaction's signer). Each is refused
with its code, and none of them is kept: the syntax checks remember well-formed names only,
so what they hold stays a few hundred bytes per name, however large the strings sent."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from civicid.did import DID_INVALID, KID_INVALID, MAX_REMEMBERED_IDS, parse_did, split_key_id
from civicid.errors import Error

LONG = 64 * 1024  # each string sent; a presentation may carry one of 512 KiB
SENT = 64  # distinct strings: fewer than the names remembered, so none is pushed out
# What may stay allocated after they are all refused: far below SENT * LONG (4 MiB).
KEPT_AT_MOST = 256 * 1024


def retained(check: Callable[[str], object], make: Callable[[int], str]) -> int:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(SENT):
            value = make(n)
            with pytest.raises(Error) as refused:
                check(value)
            assert refused.value.code in (DID_INVALID.name, KID_INVALID.name)
            del value, refused
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_long_strings_refused_as_dids_are_not_kept() -> None:
    assert SENT < MAX_REMEMBERED_IDS
    kept = retained(parse_did, lambda n: f"did:civicid:{n:08d}" + "a" * LONG)
    assert kept < KEPT_AT_MOST, kept


def test_long_strings_refused_as_key_ids_are_not_kept() -> None:
    kept = retained(split_key_id, lambda n: f"did:civicid:{n:08d}" + "b" * LONG + "#key-1")
    assert kept < KEPT_AT_MOST, kept


def test_a_well_formed_did_is_still_taken() -> None:
    did = "did:civicid:" + "a" * 32
    assert parse_did(did) == did
    assert split_key_id(did + "#key-1") == (did, "key-1")
