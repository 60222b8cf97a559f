"""``c_nonce`` bookkeeping (OpenID4VCI §7): a nonce is good until its expiry, once, and the
number outstanding is capped with the oldest going first."""

from __future__ import annotations

import pytest

from civicid.encoding import b64url_decode
from civicid.errors import Error
from issuer import nonces
from issuer.nonces import Nonces

TTL = 300


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000

    def __call__(self) -> int:
        return self.now


def refused(book: Nonces, nonce: str) -> None:
    with pytest.raises(Error) as info:
        book.check(nonce)
    assert info.value.code == "proof_nonce_mismatch"


def test_a_nonce_is_good_until_its_expiry_and_not_at_it() -> None:
    clock = Clock()
    book = Nonces(clock, TTL)
    nonce = book.issue()
    clock.now += TTL - 1
    book.check(nonce)
    clock.now += 1
    refused(book, nonce)


def test_only_a_nonce_given_out_is_accepted() -> None:
    book = Nonces(Clock(), TTL)
    book.issue()
    refused(book, "a-nonce-never-given-out")


def test_a_nonce_carries_192_random_bits_and_each_is_new() -> None:
    book = Nonces(Clock(), TTL)
    issued = [book.issue() for _ in range(50)]
    assert all(len(b64url_decode(n)) == 24 for n in issued)
    assert len(set(issued)) == len(issued)
    for nonce in issued:
        book.check(nonce)


def test_a_consumed_nonce_is_refused_and_others_stay_good() -> None:
    book = Nonces(Clock(), TTL)
    first, second = book.issue(), book.issue()
    book.consume({first})
    refused(book, first)
    book.check(second)
    book.consume({first, "never given out"})  # consuming twice, or an unknown one, is no error
    book.check(second)


def test_outstanding_nonces_are_capped_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nonces, "MAX_NONCES", 3)
    clock = Clock()
    book = Nonces(clock, TTL)
    issued = []
    for _ in range(5):
        issued.append(book.issue())
        clock.now += 1
    for nonce in issued[:2]:
        refused(book, nonce)
    for nonce in issued[2:]:
        book.check(nonce)
    assert len(book._expires) == 3


def test_expired_nonces_are_dropped_when_the_next_is_issued() -> None:
    clock = Clock()
    book = Nonces(clock, TTL)
    old = [book.issue() for _ in range(4)]
    clock.now += TTL
    fresh = book.issue()
    assert list(book._expires) == [fresh]
    for nonce in old:
        refused(book, nonce)
