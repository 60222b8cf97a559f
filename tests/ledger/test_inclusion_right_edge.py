"""Inclusion and consistency proofs with the right edge kept per size are the tree's own, hash
for hash: every index (every old size) of every size up to 130, a spread at sizes near 1M, in
any order, with the kept sizes let go and asked again, the edge kept by one kind of proof used
by the other; the ledger serves them; what the tree refuses is refused."""

from __future__ import annotations

import hashlib
import random

import pytest

from civicid.errors import Error
from civicid.merkle import PROOF_OUT_OF_RANGE, MerkleTree, verify_consistency, verify_inclusion
from ledger import inclusion
from ledger.inclusion import RightEdge
from tests.ledger.conftest import World


def tree_of(size: int) -> MerkleTree:
    leaves = b"".join(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(size))
    return MerkleTree.from_leaf_hashes(leaves)


def test_every_proof_of_small_trees_is_the_trees_own() -> None:
    tree = tree_of(130)
    edge = RightEdge(tree)
    for size in range(1, 131):
        for _ in range(2):  # the first hashes the edge, the second takes it as kept
            for seq in range(size):
                assert edge.proof(seq, size) == tree.inclusion_proof(seq, size), (seq, size)
    assert len(edge._kept) == inclusion.MAX_SIZES_KEPT  # the oldest sizes let go


def test_proofs_near_a_million_in_any_order_are_the_trees_own() -> None:
    tree = tree_of(1 << 20)
    edge = RightEdge(tree)
    picker = random.Random(20)  # noqa: S311  # seeded: a failure replays
    sizes = [998_001, (1 << 20) - 1, 1 << 20, (1 << 19) + 1, 1_000_000, 699_051]
    asks = [(seq, size) for size in sizes for seq in (0, 1, size // 2, size - 2, size - 1)]
    asks += [(picker.randrange(size), size) for size in sizes for _ in range(300)]
    asks += [(picker.randrange(size), size) for size in picker.choices(sizes, k=600)]
    for seq, size in asks:
        path = edge.proof(seq, size)
        assert path == tree.inclusion_proof(seq, size), (seq, size)
        verify_inclusion(tree.leaf_hash_at(seq), seq, size, path, tree.root(size))


@pytest.mark.parametrize("height", [0, 1, 2, 3, 5])
def test_every_proof_of_small_trees_with_blocks_kept_is_the_trees_own(height: int) -> None:
    tree = tree_of(130)
    edge = RightEdge(tree, block_height=height)
    picker = random.Random(height)  # noqa: S311  # seeded: a failure replays
    for size in range(1, 131):
        seqs = list(range(size))
        for _ in range(2):  # the first keeps each whole block's upper path, then taken as kept
            picker.shuffle(seqs)
            for seq in seqs:
                assert edge.proof(seq, size) == tree.inclusion_proof(seq, size), (seq, size)
    assert edge._blocks  # kept, and used: the proofs above came from them


def test_every_leaf_of_blocks_near_a_million_in_any_order_is_the_trees_own() -> None:
    tree = tree_of(1 << 20)
    edge = RightEdge(tree)
    picker = random.Random(22)  # noqa: S311  # seeded: a failure replays
    sizes = [998_001, (1 << 20) - 1, 1 << 20, (1 << 19) + 1, 1_000_000, 699_051]
    block = 1 << inclusion.BLOCK_HEIGHT
    asks = []
    for size in sizes:  # the first, one in the middle, the last whole and the last part
        for start in {0, size // 2 // block * block, size // block * block - block, size - 1}:
            asks += [(seq, size) for seq in range(start, min(start + block, size))]
    asks += [(picker.randrange(size // block) * block, size) for size in sizes for _ in range(50)]
    picker.shuffle(asks)
    for seq, size in asks + asks:
        assert edge.proof(seq, size) == tree.inclusion_proof(seq, size), (seq, size)


def test_a_kept_block_path_is_what_the_proof_holds_at_its_size_only() -> None:
    """A wrong kept path would be served: the kept one is taken from the tree's proof, and
    a block's path kept at one size is not used at another."""
    tree = tree_of(2000)
    edge = RightEdge(tree, block_height=4)
    whole = edge.proof(17, 1000)  # block 1 (leaves 16-31) of a tree of 1000
    assert edge._blocks == {(1000, 1): whole[4:]}
    assert edge.proof(30, 1000) == tree.inclusion_proof(30, 1000)
    edge._blocks[1000, 1] = [bytes(32)] * len(whole[4:])
    assert edge.proof(30, 1000) != tree.inclusion_proof(30, 1000)  # the kept path is used
    assert edge.proof(30, 1001) == tree.inclusion_proof(30, 1001)  # not at another size
    assert edge.proof(30, 16 * 64) == tree.inclusion_proof(30, 16 * 64)
    assert edge.proof(32, 1000) == tree.inclusion_proof(32, 1000)  # nor in another block


def test_kept_block_paths_are_bounded_the_first_kept_let_go_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inclusion, "MAX_BLOCKS_KEPT", 5)
    tree = tree_of(200)
    edge = RightEdge(tree, block_height=3)
    for block in range(8):
        edge.proof(block * 8, 100)
    assert list(edge._blocks) == [(100, block) for block in range(3, 8)]
    edge.proof(0, 200)
    assert list(edge._blocks) == [*((100, block) for block in range(4, 8)), (200, 0)]
    for seq in range(200):
        size = min(200, seq + 1 + seq % 7)  # sizes of every kind, whole blocks and not
        assert edge.proof(seq, size) == tree.inclusion_proof(seq, size), (seq, size)
    assert len(edge._blocks) == 5


def test_every_consistency_proof_of_small_trees_is_the_trees_own() -> None:
    tree = tree_of(130)
    edge = RightEdge(tree)
    for size in range(1, 131):
        for _ in range(2):  # the first hashes the edge, the second takes it as kept
            for old in range(1, size + 1):
                proof = edge.consistency(old, size)
                assert proof == tree.consistency_proof(old, size), (old, size)
        edge._kept.clear()
        for old in range(size, 0, -1):  # kept by inclusion proofs first, then the other way
            assert edge.proof(old - 1, size) == tree.inclusion_proof(old - 1, size)
            assert edge.consistency(old, size) == tree.consistency_proof(old, size), (old, size)


def test_consistency_proofs_near_a_million_in_any_order_are_the_trees_own() -> None:
    tree = tree_of(1 << 20)
    edge = RightEdge(tree)
    picker = random.Random(21)  # noqa: S311  # seeded: a failure replays
    sizes = [998_001, (1 << 20) - 1, 1 << 20, (1 << 19) + 1, 1_000_000, 699_051]
    asks = [(old, size) for size in sizes for old in (1, 2, 3, size // 2, size - 1, size)]
    asks += [(1 << k, size) for size in sizes for k in range(20) if 1 << k <= size]
    asks += [(picker.randrange(1, size + 1), size) for size in sizes for _ in range(200)]
    asks += [(picker.randrange(1, size + 1), size) for size in picker.choices(sizes, k=400)]
    for old, size in asks:
        proof = edge.consistency(old, size)
        assert proof == tree.consistency_proof(old, size), (old, size)
        verify_consistency(old, size, tree.root(old), tree.root(size), proof)


def test_a_kept_hash_is_what_the_proof_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong kept hash would be served: the kept one is taken from the tree's proof."""
    tree = tree_of(998)  # 0b1111100110: a ragged edge for every leaf before the last 2
    edge = RightEdge(tree, block_height=64)  # no block is whole: the kept edge alone
    whole = edge.proof(0, 998)
    assert edge._kept == {998: {9: whole[9]}}
    assert edge.proof(1, 998)[9] == whole[9] == tree.inclusion_proof(1, 998)[9]
    edge._kept[998][9] = bytes(32)
    assert edge.proof(1, 998) != tree.inclusion_proof(1, 998)  # the kept hash is used
    assert edge.consistency(3, 998) != tree.consistency_proof(3, 998)  # by both kinds
    edge._kept.clear()
    whole = edge.consistency(3, 998)  # old 3: its seed, then 9 siblings below the edge
    assert edge._kept == {998: {9: whole[10]}}
    assert edge.proof(0, 998) == tree.inclusion_proof(0, 998)


def test_what_the_tree_refuses_is_refused(world: World) -> None:
    for _ in range(3):
        world.register()
    size = world.ledger.size
    for seq, at in [(-1, size), (size, size), (0, size + 1), (0, 0), (True, size)]:
        with pytest.raises(Error) as refused:
            world.ledger.inclusion_proof(seq, at)
        assert PROOF_OUT_OF_RANGE.matches(refused.value), (seq, at)
    for at in range(1, size + 1):
        for seq in range(at):
            assert world.ledger.inclusion_proof(seq, at) == world.ledger.tree.inclusion_proof(
                seq, at
            )
        for old in range(1, at + 1):
            assert world.ledger.consistency_proof(old, at) == world.ledger.tree.consistency_proof(
                old, at
            )
    for old, at in [(0, size), (-1, size), (2, 1), (1, size + 1), (True, size)]:
        with pytest.raises(Error) as refused:
            world.ledger.consistency_proof(old, at)
        assert PROOF_OUT_OF_RANGE.matches(refused.value), (old, at)
