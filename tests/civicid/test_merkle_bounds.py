"""The edges of what the Merkle verifiers and the tree take: uint64 sizes (RFC 9162 §4.1),
proofs of at most 65 hashes, 32-byte hashes, the sizes a consistency proof exists between,
each refusal with its code and each bound taken at exactly its value."""

from __future__ import annotations

from typing import Any

import pytest

from civicid import merkle
from civicid.errors import InvalidInput, VerificationError
from civicid.merkle import (
    EMPTY_ROOT,
    MAX_PROOF_HASHES,
    MAX_TREE_SIZE,
    MerkleTree,
    consistency_roots,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(bytes([i])) for i in range(8)]
TREE = MerkleTree.from_leaf_hashes(b"".join(LEAVES))
H = leaf_hash(b"some hash")


def _mutable(value: bytes) -> Any:
    """The same hash as a bytearray (which the verifiers take as a hash too)."""
    return bytearray(value)


def _code(call: object, *args: object) -> str:
    with pytest.raises((VerificationError, InvalidInput)) as exc:
        call(*args)  # type: ignore[operator]
    return str(exc.value.code)


def test_constants_are_the_rfc_bounds() -> None:
    assert MAX_TREE_SIZE == 2**64 - 1
    assert MAX_PROOF_HASHES == 65


@pytest.mark.parametrize("size", [MAX_TREE_SIZE, MAX_TREE_SIZE - 1])
def test_the_largest_uint64_tree_is_a_tree(size: int) -> None:
    # Not malformed: the proof is judged, and one hash cannot be the 64-hash path.
    assert _code(verify_inclusion, H, size - 1, size, [H], H) == "inclusion_proof_invalid"
    assert _code(verify_inclusion, H, 0, size, [H], H) == "inclusion_proof_invalid"
    assert _code(verify_consistency, 1, size, H, H, [H]) == "consistency_proof_invalid"
    assert _code(verify_consistency, size - 1, size, H, H, [H]) == "consistency_proof_invalid"
    assert _code(consistency_roots, 1, size, H, [H]) == "consistency_proof_invalid"


def test_a_full_path_of_the_largest_tree_is_used_up() -> None:
    # Leaf 0 of a tree of 2**64 - 1 leaves has a path of 64 hashes; one more is too many.
    size = MAX_TREE_SIZE
    assert _code(verify_inclusion, H, 0, size, [H] * 64, H) == "inclusion_proof_invalid"
    assert _code(verify_inclusion, H, 0, size, [H] * 65, H) == "inclusion_proof_invalid"
    assert _code(verify_inclusion, H, 0, size, [H] * 63, H) == "inclusion_proof_invalid"


@pytest.mark.parametrize("bad", [MAX_TREE_SIZE + 1, 2**65, -1, True, False, 1.0, "3", None])
def test_sizes_beyond_uint64_or_not_whole_numbers_are_malformed(bad: object) -> None:
    assert _code(verify_inclusion, H, 0, bad, [H], H) == "merkle_proof_malformed"
    assert _code(verify_inclusion, H, bad, MAX_TREE_SIZE, [H], H) == "merkle_proof_malformed"
    assert _code(verify_consistency, bad, MAX_TREE_SIZE, H, H, [H]) == "merkle_proof_malformed"
    assert _code(verify_consistency, 1, bad, H, H, [H]) == "merkle_proof_malformed"
    assert _code(consistency_roots, bad, MAX_TREE_SIZE, H, [H]) == "merkle_proof_malformed"
    assert _code(consistency_roots, 1, bad, H, [H]) == "merkle_proof_malformed"


def test_proof_lengths_up_to_the_bound_are_judged_beyond_it_refused_unread() -> None:
    at, over = [H] * MAX_PROOF_HASHES, [H] * (MAX_PROOF_HASHES + 1)
    assert _code(verify_inclusion, H, 0, 8, at, H) == "inclusion_proof_invalid"
    assert _code(verify_inclusion, H, 0, 8, over, H) == "merkle_proof_malformed"
    assert _code(verify_consistency, 3, 8, H, H, at) == "consistency_proof_invalid"
    assert _code(verify_consistency, 3, 8, H, H, over) == "merkle_proof_malformed"
    assert _code(consistency_roots, 3, 8, H, at) == "consistency_proof_invalid"
    assert _code(consistency_roots, 3, 8, H, over) == "merkle_proof_malformed"
    # Unread: an element that is not even a hash is not looked at past the bound.
    assert _code(verify_inclusion, H, 0, 8, [*over[:-1], b"x"], H) == "merkle_proof_malformed"


@pytest.mark.parametrize("bad", [H[:31], H + b"\x00", b"", H.hex(), None, list(H)])
def test_hashes_not_32_bytes_are_malformed(bad: object) -> None:
    proof = TREE.inclusion_proof(2, 8)
    assert _code(verify_inclusion, bad, 2, 8, proof, TREE.root()) == "merkle_proof_malformed"
    assert _code(verify_inclusion, LEAVES[2], 2, 8, proof, bad) == "merkle_proof_malformed"
    assert _code(verify_inclusion, LEAVES[2], 2, 8, [bad, *proof[1:]], TREE.root()) == (
        "merkle_proof_malformed"
    )
    cproof = TREE.consistency_proof(3, 8)
    assert _code(verify_consistency, 3, 8, bad, TREE.root(), cproof) == "merkle_proof_malformed"
    assert _code(verify_consistency, 3, 8, TREE.root(3), bad, cproof) == "merkle_proof_malformed"
    assert _code(verify_consistency, 3, 8, TREE.root(3), TREE.root(), [*cproof[:-1], bad]) == (
        "merkle_proof_malformed"
    )
    assert _code(consistency_roots, 3, 8, bad, cproof) == "merkle_proof_malformed"
    assert _code(consistency_roots, 3, 8, TREE.root(3), [bad, *cproof[1:]]) == (
        "merkle_proof_malformed"
    )
    assert _code(MerkleTree().append, bad) == "hash_malformed"
    assert _code(root_of, [LEAVES[0], bad]) == "hash_malformed"


def test_hashes_as_bytearrays_are_hashes() -> None:
    proof = [_mutable(p) for p in TREE.inclusion_proof(5, 8)]
    verify_inclusion(_mutable(LEAVES[5]), 5, 8, proof, _mutable(TREE.root()))
    cproof = [_mutable(p) for p in TREE.consistency_proof(5, 8)]
    verify_consistency(5, 8, _mutable(TREE.root(5)), _mutable(TREE.root()), cproof)
    assert consistency_roots(5, 8, _mutable(TREE.root(5)), cproof) == (TREE.root(5), TREE.root())
    tree = MerkleTree()
    tree.append(_mutable(LEAVES[0]))
    assert tree.root() == LEAVES[0] and type(tree.root()) is bytes
    assert (
        root_of([_mutable(LEAVES[0])]) == LEAVES[0]
        and type(root_of([_mutable(LEAVES[0])])) is bytes
    )


def test_an_index_at_the_size_is_outside_the_tree() -> None:
    proof = TREE.inclusion_proof(7, 8)
    verify_inclusion(LEAVES[7], 7, 8, proof, TREE.root())
    assert _code(verify_inclusion, LEAVES[7], 8, 8, proof, TREE.root()) == "merkle_proof_malformed"
    assert _code(verify_inclusion, LEAVES[7], 9, 8, proof, TREE.root()) == "merkle_proof_malformed"
    assert _code(verify_inclusion, H, 0, 0, [], EMPTY_ROOT) == "merkle_proof_malformed"


def test_a_one_leaf_tree_proves_its_leaf_with_nothing() -> None:
    verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0])
    assert _code(verify_inclusion, LEAVES[0], 0, 1, [H], LEAVES[0]) == "inclusion_proof_invalid"
    assert _code(verify_inclusion, LEAVES[1], 0, 1, [], LEAVES[0]) == "inclusion_proof_invalid"


def test_consistency_between_sizes_that_have_none_is_malformed() -> None:
    root3, root8 = TREE.root(3), TREE.root()
    proof = TREE.consistency_proof(3, 8)
    for old, new in [(0, 8), (0, 0), (9, 8), (4, 3)]:
        assert _code(verify_consistency, old, new, root3, root8, proof) == "merkle_proof_malformed"
    for old, new in [(0, 8), (8, 8), (3, 3), (9, 8), (0, 0)]:
        assert _code(consistency_roots, old, new, root3, proof) == "merkle_proof_malformed"
    verify_consistency(3, 8, root3, root8, proof)
    assert consistency_roots(1, 2, LEAVES[0], [LEAVES[1]]) == (LEAVES[0], TREE.root(2))


def test_equal_sizes_hold_the_same_root_and_no_proof() -> None:
    for size in [1, 3, 8]:
        verify_consistency(size, size, TREE.root(size), TREE.root(size), [])
        code = _code(verify_consistency, size, size, TREE.root(size), TREE.root(size), [H])
        assert code == "consistency_proof_invalid"
        code = _code(verify_consistency, size, size, TREE.root(size), H, [])
        assert code == "consistency_proof_invalid"
    assert TREE.consistency_proof(5, 5) == []
    # Compared as given: a bytearray root equals its bytes.
    verify_consistency(4, 4, _mutable(TREE.root(4)), TREE.root(4), [])


def test_an_empty_proof_between_different_sizes_is_invalid() -> None:
    for old, new in [(1, 2), (4, 8), (3, 8)]:
        code = _code(verify_consistency, old, new, TREE.root(old), TREE.root(new), [])
        assert code == "consistency_proof_invalid"
        assert _code(consistency_roots, old, new, TREE.root(old), []) == "consistency_proof_invalid"


def test_a_full_tree_takes_no_more_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bound itself cannot be reached in a test: checked at a small stand-in for it.
    monkeypatch.setattr(merkle, "MAX_TREE_SIZE", 3)
    tree = MerkleTree()
    assert [tree.append(h) for h in LEAVES[:3]] == [0, 1, 2]
    assert _code(tree.append, LEAVES[3]) == "proof_out_of_range"
    assert tree.size == 3 and tree.root() == root_of(LEAVES[:3])


def test_tree_positions_refuse_what_is_not_a_whole_number() -> None:
    for bad in [True, 1.0, "1", None]:
        if bad is not None:  # root(None) is the whole tree's
            assert _code(TREE.root, bad) == "proof_out_of_range"
        assert _code(TREE.leaf_hash_at, bad) == "proof_out_of_range"
        assert _code(TREE.inclusion_proof, 0, bad) == "proof_out_of_range"
        assert _code(TREE.consistency_proof, bad, 8) == "proof_out_of_range"
    assert TREE.root(None) == TREE.root(8) == root_of(LEAVES)
    assert TREE.leaf_hash_at(0) == LEAVES[0] and TREE.leaf_hash_at(7) == LEAVES[7]
    assert _code(TREE.leaf_hash_at, -1) == "proof_out_of_range"
    assert TREE.inclusion_proof(0, 1) == [] and TREE.consistency_proof(8, 8) == []
    assert _code(TREE.consistency_proof, 1, 0) == "proof_out_of_range"
    assert TREE.leaf_hashes() == b"".join(LEAVES)
    assert TREE.upper_levels(0) == [] and TREE.upper_levels(1) == []
    assert _code(TREE.upper_levels, -1) == "proof_out_of_range"


def test_truncate_to_nothing_and_to_everything() -> None:
    tree = MerkleTree.from_leaf_hashes(b"".join(LEAVES))
    tree.truncate(8)
    assert tree.root() == root_of(LEAVES)
    tree.truncate(5)
    assert tree.root() == root_of(LEAVES[:5]) and tree.upper_levels(5) == TREE.upper_levels(5)
    tree.truncate(0)
    assert tree.size == 0 and tree.root() == EMPTY_ROOT and tree.upper_levels(0) == []
    assert _code(tree.truncate, 1) == "proof_out_of_range"
    assert _code(tree.truncate, -1) == "proof_out_of_range"
    for h in LEAVES:
        tree.append(h)
    assert tree.upper_levels(8) == TREE.upper_levels(8)


def test_a_position_outside_the_tree_says_where_the_tree_ends() -> None:
    with pytest.raises(InvalidInput) as exc:
        TREE.root(9)
    assert exc.value.message == "tree size 9 outside [0, 8]"
    with pytest.raises(InvalidInput) as exc:
        TREE.inclusion_proof(8, 8)
    assert exc.value.message == "leaf index 8 outside [0, 7]"
