"""The compact index of entry positions by leaf hash answers exactly what a dict would."""

from __future__ import annotations

import hashlib

import pytest

from civicid.merkle import MerkleTree
from ledger import leaf_index
from ledger.leaf_index import LeafIndex


def digest(n: int) -> bytes:
    return hashlib.sha256(n.to_bytes(8, "big")).digest()


def tree_of(hashes: list[bytes]) -> MerkleTree:
    tree = MerkleTree()
    for h in hashes:
        tree.append(h)
    return tree


def test_finds_every_leaf_and_nothing_else() -> None:
    hashes = [digest(n) for n in range(1000)]
    index = LeafIndex(tree_of(hashes))
    assert [index.find(h) for h in hashes] == list(range(1000))
    assert index.find(digest(1000)) is None
    assert index.find(b"short") is None


def test_leaves_sharing_a_prefix_are_told_apart_by_the_whole_hash() -> None:
    prefix = b"\x07" * leaf_index.PREFIX_BYTES
    same = [prefix + digest(n)[leaf_index.PREFIX_BYTES :] for n in range(5)]
    hashes = [digest(100), *same, digest(101)]
    index = LeafIndex(tree_of(hashes))
    assert [index.find(h) for h in hashes] == list(range(len(hashes)))
    assert index.find(prefix + b"\x00" * (32 - leaf_index.PREFIX_BYTES)) is None


def test_appends_after_the_build_are_found() -> None:
    tree = tree_of([digest(n) for n in range(10)])
    index = LeafIndex(tree)
    tree.append(digest(10))
    index.add(digest(10), 10)  # before the first look-up: the build reads it from the tree
    assert index.find(digest(3)) == 3
    for n in range(11, 20):
        tree.append(digest(n))
        index.add(digest(n), n)
    assert [index.find(digest(n)) for n in range(20)] == list(range(20))


def test_many_appends_drop_the_index_and_it_is_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leaf_index, "MAX_RECENT", 3)
    tree = tree_of([digest(n) for n in range(10)])
    index = LeafIndex(tree)
    assert index.find(digest(9)) == 9
    for n in range(10, 15):
        tree.append(digest(n))
        index.add(digest(n), n)
    assert len(index._recent) <= 3
    assert [index.find(digest(n)) for n in range(15)] == list(range(15))


def test_a_leaf_cut_from_the_tree_is_not_found() -> None:
    tree = tree_of([digest(n) for n in range(10)])
    index = LeafIndex(tree)
    assert index.find(digest(9)) == 9
    tree.truncate(5)
    assert index.find(digest(9)) is None
    assert index.find(digest(4)) == 4
