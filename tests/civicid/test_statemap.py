"""The state map: a compact sparse Merkle map; presence and absence proofs, both ways."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.errors import Error
from civicid.statemap import (
    EMPTY,
    REHASH_CHUNK,
    MapProof,
    StateMap,
    extension_line,
    map_key,
    map_value,
    root_in,
    verify_map,
)


def filled(count: int, seed: int = 1) -> tuple[StateMap, dict[bytes, bytes]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    items = {map_key("did", f"d{i}"): rng.randbytes(32) for i in range(count)}
    state = StateMap()
    for key, value in items.items():
        state = state.set(key, value)
    return state, items


def test_the_empty_map() -> None:
    state = StateMap()
    assert state.root == EMPTY and state.size == 0
    key = map_key("did", "x")
    verify_map(state.root, key, None, state.prove(key))


@pytest.mark.parametrize("count", [1, 2, 3, 17, 300])
def test_presence_and_absence_verify(count: int) -> None:
    state, items = filled(count)
    assert state.size == count
    for key, value in items.items():
        assert state.get(key) == value
        verify_map(state.root, key, value, state.prove(key))
    for name in ("absent", "another", "third"):
        key = map_key("did", name)
        assert state.get(key) is None
        verify_map(state.root, key, None, state.prove(key))


def test_updates_keep_old_versions_intact() -> None:
    state, items = filled(50)
    key = next(iter(items))
    old_root = state.root
    newer = state.set(key, map_value(b"\x01" * 32, 7))
    assert newer.root != old_root and state.root == old_root  # the old map is unchanged
    verify_map(old_root, key, items[key], state.prove(key))
    verify_map(newer.root, key, map_value(b"\x01" * 32, 7), newer.prove(key))
    assert newer.size == state.size


def test_build_gives_the_same_root_as_updates() -> None:
    state, items = filled(200)
    assert StateMap.build(items.items()).root == state.root
    assert dict(state.items()) == items
    assert [k for k, _ in state.items()] == sorted(items)


def test_lies_are_refused() -> None:
    state, items = filled(40)
    key, value = next(iter(items.items()))
    proof = state.prove(key)
    other = bytes(32)
    for claim, code in ((other, "map_proof_invalid"), (None, "map_proof_invalid")):
        with pytest.raises(Error) as info:
            verify_map(state.root, key, claim, proof)  # another value; "absent"
        assert info.value.code == code
    absent = map_key("did", "absent")
    absence = state.prove(absent)
    with pytest.raises(Error) as info:  # an absence proof shown as presence
        verify_map(state.root, absent, value, absence)
    assert info.value.code == "map_proof_invalid"
    with pytest.raises(Error) as info:  # a presence proof of one key shown as another's absence
        verify_map(state.root, absent, None, proof)
    assert info.value.code == "map_proof_invalid"
    tampered = MapProof((bytes(32), *proof.siblings[1:]), proof.leaf)
    with pytest.raises(Error) as info:
        verify_map(state.root, key, value, tampered)
    assert info.value.code == "map_proof_invalid"
    with pytest.raises(Error) as info:  # a proof cut short
        verify_map(state.root, key, value, MapProof(proof.siblings[:-1], proof.leaf))
    assert info.value.code == "map_proof_invalid"
    with pytest.raises(Error) as info:  # a proof against another (older) root
        verify_map(state.set(key, other).root, key, value, proof)
    assert info.value.code == "map_proof_invalid"


def test_an_absence_proof_cannot_end_in_an_empty_slot_that_is_not_there() -> None:
    state, items = filled(2)
    key = next(iter(items))
    with pytest.raises(Error) as info:
        verify_map(state.root, key, None, MapProof((), None))
    assert info.value.code == "map_proof_invalid"


def test_json_round_trip_and_malformed_proofs() -> None:
    state, items = filled(10)
    key = next(iter(items))
    proof = state.prove(key)
    assert MapProof.from_json(proof.to_json()) == proof
    absence = state.prove(map_key("did", "no"))
    assert MapProof.from_json(absence.to_json()) == absence
    for bad in (
        {},
        {"siblings": ["!!"], "leaf": None},
        {"siblings": ["AAAA"], "leaf": None},
        {"siblings": [], "leaf": {"key": "AAAA", "value": "AAAA"}},
        {"siblings": ["A" * 43 + "="] * 257, "leaf": None},
    ):
        with pytest.raises(Error) as info:
            MapProof.from_json(bad)
        assert info.value.code == "map_proof_malformed"


def test_a_proof_ending_in_nothing_and_the_bounds_of_a_proofs_json() -> None:
    ends_in_nothing = StateMap().prove(map_key("did", "no"))
    assert ends_in_nothing.to_json() == {"siblings": [], "leaf": None}
    assert MapProof.from_json({"siblings": [], "leaf": None}) == MapProof((), None)
    hash_ = "A" * 43 + "="  # 32 zero bytes
    deepest = MapProof.from_json({"siblings": [hash_] * 256, "leaf": None})
    assert deepest.siblings == (bytes(32),) * 256  # as deep as a key has bits: read
    short = "A" * 42 + "=="  # 31 bytes
    for leaf in ({"key": short, "value": hash_}, {"key": hash_, "value": short}):
        with pytest.raises(Error) as info:
            MapProof.from_json({"siblings": [], "leaf": leaf})
        assert info.value.code == "map_proof_malformed"


def test_a_map_built_at_once_counts_its_names() -> None:
    _, items = filled(7)
    assert StateMap.build(items.items()).size == 7
    assert StateMap.build([]).size == 0


def test_verify_map_holds_its_bounds_and_a_presence_to_a_leaf() -> None:
    state, items = filled(5)
    key, value = next(iter(items.items()))
    proof = state.prove(key)
    with pytest.raises(Error) as info:  # a key of 31 bytes, whatever the proof's length
        verify_map(state.root, key[:31], value, proof)
    assert info.value.code == "map_proof_malformed"
    deepest = MapProof((bytes(32),) * 256, None)  # as deep as a key has bits: not malformed
    with pytest.raises(Error) as info:
        verify_map(state.root, key, None, deepest)
    assert info.value.code == "map_proof_invalid"
    with pytest.raises(Error) as info:  # a presence ending in nothing
        verify_map(state.root, key, value, MapProof(proof.siblings, None))
    assert info.value.code == "map_proof_invalid"


def test_the_root_rides_in_a_checkpoint_extension_line() -> None:
    state, _ = filled(3)
    line = extension_line(state.root)
    assert root_in(("other line", line)) == state.root
    # The first line named so is the one read: one spaced oddly is refused, not skipped.
    for lines in (
        (),
        ("civicid-state-map AAAA",),
        ("civicid-state-map !!",),
        (line.replace(" ", "  ", 1), line),
    ):
        with pytest.raises(Error) as info:
            root_in(lines)
        assert info.value.code == "map_root_missing"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.binary(min_size=32, max_size=32)), max_size=60))
def test_random_updates_match_a_fresh_build(updates: list[tuple[int, bytes]]) -> None:
    state, final = StateMap(), {}
    for name, value in updates:
        key = map_key("type", str(name))
        state = state.set(key, value)
        final[key] = value
    assert state.root == StateMap.build(final.items()).root
    assert state.size == len(final)
    for name in range(31):
        key = map_key("type", str(name))
        verify_map(state.root, key, final.get(key), state.prove(key))


@pytest.mark.parametrize("count", [0, 1, 2, 3, 17, 300])
def test_a_packed_map_is_the_map(count: int) -> None:
    """``packed`` then ``from_packed`` gives back the map: the same root, items, size,
    look-ups, proofs and updates after it, without hashing a node."""
    state, items = filled(count)
    packed = StateMap.from_packed(*state.packed())
    assert packed.root == state.root and packed.size == state.size == count
    assert list(packed.items()) == list(state.items())
    probes = [*items, map_key("did", "absent")]
    for key in probes:
        assert packed.get(key) == items.get(key)
        assert packed.prove(key) == state.prove(key)
        verify_map(packed.root, key, items.get(key), packed.prove(key))
    changed = map_value(b"\x01" * 32, 9)
    for key in probes[-2:]:
        assert packed.set(key, changed).root == state.set(key, changed).root
    shape, keys, values, hashes = state.packed()
    assert len(keys) == len(values) == 32 * count and len(hashes) == 32 * len(shape)


def test_packed_maps_of_the_wrong_form_are_refused() -> None:
    state, _ = filled(17)
    shape, keys, values, hashes = state.packed()
    for bad in [
        (shape, keys[:-1], values[:-1], hashes),  # keys not whole
        (shape, keys, values[:-32], hashes),  # a value missing
        (shape, keys, values, hashes[:-32]),  # a hash missing
        (shape[:-1], keys, values, hashes[:-32]),  # a node missing
        (shape + b"\x00", keys, values, hashes + bytes(32)),  # a leaf without its key
        (b"\x01" + shape, keys, values, bytes(32) + hashes),  # a node without a sibling
        (b"\x07" + shape[1:], keys, values, hashes),  # no such tag
        (shape[1:] + shape[:1], keys, values, hashes),  # a root left over
        (list(shape), keys, values, hashes),  # not bytes
        (shape, bytearray(keys), values, hashes),
        (shape, keys + bytes(32), values + bytes(32), hashes),  # a key no leaf holds
    ]:
        with pytest.raises(Error) as exc:
            StateMap.from_packed(*bad)  # type: ignore[arg-type]
        assert exc.value.code == "map_proof_malformed", bad
    assert StateMap.from_packed(b"", b"", b"", b"").root == EMPTY


def test_a_value_is_the_hash_of_its_entry_and_its_place() -> None:
    leaf = bytes(range(32))
    assert map_value(leaf, 258) == hashlib.sha256(leaf + b"\0" * 6 + b"\x01\x02").digest()


def test_a_map_refuses_a_key_or_a_value_of_the_wrong_size() -> None:
    key, value = map_key("did", "x"), bytes(32)
    for bad_key, bad_value in ((key[:31], value), (key, value[:31])):
        with pytest.raises(Error) as info:
            StateMap().set(bad_key, bad_value)
        assert info.value.code == "map_proof_malformed"


def test_the_re_hash_pauses_once_per_chunk_of_nodes() -> None:
    state, _ = filled(700)  # 700 leaves, 699 nodes or more: one chunk whole, not two
    nodes = len(state.packed()[0])
    assert REHASH_CHUNK < nodes < 2 * REHASH_CHUNK
    pauses: list[None] = []
    assert state.stale_hashes(lambda: pauses.append(None)) == 0
    assert len(pauses) == 1


def test_a_packed_map_tells_what_it_holds() -> None:
    state, items = filled(40)
    held: dict[int, bytes] = {}
    StateMap.from_packed(*state.packed(), held)
    assert held == {int.from_bytes(key, "big"): value for key, value in items.items()}
