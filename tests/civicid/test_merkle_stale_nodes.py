"""``MerkleTree.stale_nodes``: every node above a tree's first ``size`` leaves recomputed and
compared with the kept one, counted exactly (each wrong node once, on every level, at the
edges of the chunks it hashes between pauses), nothing past ``size`` looked at, and the
pause called once per chunk (raising in it stops the count)."""

from __future__ import annotations

import math

import pytest

from civicid import merkle
from civicid.errors import InvalidInput
from civicid.merkle import HASH_SIZE, MerkleTree, leaf_hash

LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(40)]
JOINED = b"".join(LEAVES)


def kept(size: int, wrong: list[tuple[int, int]], tree_size: int | None = None) -> MerkleTree:
    """The tree of the first ``tree_size`` leaves (default ``size``) from its levels, with the
    nodes at (level, index) in ``wrong`` replaced by another hash."""
    tree_size = size if tree_size is None else tree_size
    levels = [
        bytearray(level)
        for level in MerkleTree.from_leaf_hashes(JOINED[: tree_size * HASH_SIZE]).upper_levels(
            tree_size
        )
    ]
    for level, index in wrong:
        start = index * HASH_SIZE
        levels[level - 1][start] ^= 0x01
    return MerkleTree.from_levels(JOINED[: tree_size * HASH_SIZE], [bytes(x) for x in levels])


def test_a_tree_as_hashed_has_no_stale_node() -> None:
    for size in range(len(LEAVES) + 1):
        tree = MerkleTree.from_leaf_hashes(JOINED[: size * HASH_SIZE])
        assert tree.stale_nodes(size) == 0
        assert kept(size, []).stale_nodes(size) == 0


def test_each_wrong_node_is_counted_once() -> None:
    # 40 leaves: levels of 20, 10, 5 and 2 nodes.
    assert kept(40, [(1, 0)]).stale_nodes(40) == 1
    assert kept(40, [(1, 19)]).stale_nodes(40) == 1
    assert kept(40, [(4, 1)]).stale_nodes(40) == 1
    assert kept(40, [(5, 0)]).stale_nodes(40) == 1
    assert kept(40, [(1, 0), (1, 1), (2, 9), (3, 4), (5, 0)]).stale_nodes(40) == 5
    every = [(level, i) for level in range(1, 6) for i in range(40 >> level)]
    assert len(every) == 20 + 10 + 5 + 2 + 1
    assert kept(40, every).stale_nodes(40) == len(every)


def test_a_wrong_node_below_another_does_not_make_that_one_stale() -> None:
    # Each level is recomputed from the leaves, not from the kept level under it.
    assert kept(8, [(1, 0), (2, 0), (3, 0)]).stale_nodes(8) == 3
    assert kept(8, [(1, 3)]).stale_nodes(8) == 1


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 7])
def test_chunks_of_any_length_count_the_same(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(merkle, "REHASH_CHUNK", chunk)
    wrong = [(1, 0), (1, chunk - 1), (1, chunk), (1, 19), (2, 9), (3, 4), (4, 1), (5, 0)]
    wrong = sorted(set(wrong))
    paused: list[int] = []
    assert kept(40, wrong).stale_nodes(40, lambda: paused.append(1)) == len(wrong)
    assert len(paused) == sum(math.ceil((40 >> level) / chunk) for level in range(1, 6))


def test_the_pause_comes_after_each_chunk_and_may_stop_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(merkle, "REHASH_CHUNK", 4)
    calls = 0

    def stop() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        kept(40, [(1, 0)]).stale_nodes(40, stop)
    assert calls == 3
    assert merkle.REHASH_CHUNK == 4
    paused: list[int] = []
    assert MerkleTree().stale_nodes(0, lambda: paused.append(1)) == 0 and paused == []
    assert kept(1, []).stale_nodes(1, lambda: paused.append(1)) == 0 and paused == []
    assert kept(2, []).stale_nodes(2, lambda: paused.append(1)) == 0 and paused == [1]


def test_only_the_first_size_leaves_are_looked_at() -> None:
    # Wrong nodes past the prefix (the kept tree of 40 leaves asked about its first 16).
    tree = kept(16, [(1, 8), (1, 19), (2, 4), (3, 2), (4, 1), (5, 0)], tree_size=40)
    assert tree.stale_nodes(16) == 0
    assert tree.stale_nodes(40) == 6
    tree = kept(16, [(1, 7), (2, 2), (4, 0)], tree_size=40)
    assert tree.stale_nodes(16) == 3 and tree.stale_nodes(15) == 1


def test_appends_after_keep_the_prefix_counted_the_same() -> None:
    tree = kept(16, [(2, 3)])
    for h in LEAVES[16:]:
        tree.append(h)
    assert tree.stale_nodes(16) == 1


def test_a_size_outside_the_tree_is_refused() -> None:
    tree = kept(8, [])
    for bad in [9, -1, True, 1.0]:
        with pytest.raises(InvalidInput) as exc:
            tree.stale_nodes(bad)  # type: ignore[arg-type]
        assert exc.value.code == "proof_out_of_range"
    assert merkle.REHASH_CHUNK == 2048
