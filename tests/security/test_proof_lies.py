"""Attack: proofs that hash to the right root but say something false. A state map absence
proof whose leaf is not on the key's path (possible only under a root an operator crafted,
which the proof alone must still refuse); Merkle inputs that are not hashes."""

from __future__ import annotations

import pytest

from civicid import statemap
from civicid.errors import Error
from civicid.merkle import root_of


def key_starting_with(bit: int) -> bytes:
    """A map key whose first bit is ``bit``."""
    for n in range(1000):
        key = statemap.map_key("did", f"did:civicid:{n}")
        if key[0] >> 7 == bit:
            return key
    raise AssertionError("no such key")


def test_an_absence_proof_ending_in_a_leaf_off_the_keys_path() -> None:
    """A crafted root (a leaf whose first bit is 1 put in the 0 half) makes the hashes work
    out for a key starting with 0; that the leaf does not share the key's path gives it away."""
    stray, asked = key_starting_with(1), key_starting_with(0)
    value = statemap.map_value(b"\x01" * 32, 7)
    crafted_root = statemap.node_hash(statemap.leaf_node_hash(stray, value), statemap.EMPTY)
    proof = statemap.MapProof((statemap.EMPTY,), (stray, value))
    with pytest.raises(Error) as info:
        statemap.verify_map(crafted_root, asked, None, proof)
    assert info.value.code == "map_proof_invalid"
    # A leaf that does share the key's path (all but the last bit) proves a true absence.
    honest = statemap.StateMap().set(asked[:31] + bytes([asked[31] ^ 1]), value)
    statemap.verify_map(honest.root, asked, None, honest.prove(asked))


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, "00" * 32])
def test_a_root_over_something_that_is_not_a_leaf_hash(bad: object) -> None:
    with pytest.raises(Error) as info:
        root_of([b"\x00" * 32, bad])  # type: ignore[list-item]
    assert info.value.code == "hash_malformed"
