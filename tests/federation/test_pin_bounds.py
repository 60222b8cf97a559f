"""A pin's own bounds, at their edges: the checkpoint age it allows and how many types and
issuers it may name."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.trust.pins import FEDERATION_INVALID, MAX_ACCEPTED, MAX_PINNED_AGE
from ledger.setup import initialize
from tests.federation.test_pins import made
from tests.verifier.world import Clock


@pytest.fixture(scope="module")
def vkey(tmp_path_factory: pytest.TempPathFactory) -> str:
    return initialize(Path(tmp_path_factory.mktemp("ledger")), clock=Clock()).vkey


def refused(vkey: str, **changes: object) -> None:
    with pytest.raises(Error) as raised:
        made(vkey, **changes)
    assert FEDERATION_INVALID.matches(raised.value)


@pytest.mark.parametrize("age", [600, MAX_PINNED_AGE])
def test_an_age_within_the_bounds_is_kept(vkey: str, age: int) -> None:
    assert made(vkey, max_age=age).max_age == age


@pytest.mark.parametrize("age", [0, -1, MAX_PINNED_AGE + 1, True])
def test_an_age_beyond_the_bounds_is_refused(vkey: str, age: int) -> None:
    refused(vkey, max_age=age)


def test_as_many_types_and_issuers_as_allowed_and_one_more(vkey: str) -> None:
    types = tuple(f"https://civicid.example/vct/t{i}" for i in range(MAX_ACCEPTED + 1))
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    issuers = tuple(
        "did:civicid:" + alphabet[i // 32] + alphabet[i % 32] + "a" * 30
        for i in range(MAX_ACCEPTED + 1)
    )
    assert len(made(vkey, types=types[:MAX_ACCEPTED]).types) == MAX_ACCEPTED
    refused(vkey, types=types)
    assert made(vkey, issuers=issuers[:MAX_ACCEPTED]).issuers is not None
    refused(vkey, issuers=issuers)
