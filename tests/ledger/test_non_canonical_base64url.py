"""Non-canonical base64url in a JWS: a segment whose last character carries non-zero pad
bits decodes to the same bytes as the canonical one, so one signed transaction had several
spellings, each a different leaf (and a replay under a fresh leaf hash). Every segment must
now be canonical: refused with its code, the log unchanged."""

from __future__ import annotations

import pytest

from civicid import transaction as tx
from civicid.jose import CompactJWS
from tests.ledger.conftest import World
from tests.ledger.trust import refused

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def respelled(segment: str) -> str:
    """The same bytes, spelled with non-zero pad bits in the last character."""
    assert len(segment) % 4 in (2, 3), "a segment with pad bits"
    last = ALPHABET.index(segment[-1])
    return segment[:-1] + ALPHABET[last | 1]


@pytest.mark.parametrize("part", [0, 1, 2])
def test_a_respelled_segment_is_refused(world: World, part: int) -> None:
    text = world.sign(world.governance, tx.DID_UPDATE, {"did": world.governance.did})
    segments = text.split(".")
    while len(segments[part]) % 4 not in (2, 3):  # a fresh id changes the payload's length
        text = world.sign(world.governance, tx.DID_UPDATE, {"did": world.governance.did})
        segments = text.split(".")
    segments[part] = respelled(segments[part])
    forged = ".".join(segments)
    assert forged != text
    refused(world, forged, "jws_malformed")
    with pytest.raises(Exception) as info:
        CompactJWS.parse(forged)
    assert getattr(info.value, "code", None) == "jws_malformed"
