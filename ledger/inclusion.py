"""Inclusion proofs with the tree's ragged right edge hashed once per tree size.

A tree of ``size`` leaves is its complete subtrees, one per bit set in ``size``, largest
first (RFC 9162 §2.1.1 splits it so). The path of a leaf in the subtree of ``2**d`` leaves
ending at ``end`` is that subtree's own path (``d`` stored hashes), then the hash of every
leaf after it, ``MTH(D[end:size])``, then the complete subtrees before it (stored hashes).
The tree of ``end`` leaves gives the same path without that one hash, which is all the
ragged right edge costs: up to one node hash per bit set in ``size`` after ``d``, the
same for every leaf of that subtree at that size. So it is taken once from a proof the tree
makes whole and kept per (size, d); every other proof at that size is the tree's proof at
``end`` with it put back in its place, the very hashes the tree's proof at ``size`` holds
(a test compares them for every index of many sizes).

A consistency proof from ``old`` to ``size`` (RFC 9162 §2.1.4) is the old tree's last
complete subtree (unless it is the whole old tree) and that subtree's path in the new tree:
the upper part of leaf ``old - 1``'s inclusion path, so the same ragged edge, with the same
hash at the same level (``d`` of leaf ``old - 1``). So it too is the tree's proof at ``end``
with that hash put back, past the seed and the subtree's ``d - level`` lower siblings.

Only for a tree whose first ``size`` leaves never change once proven at ``size``: the
ledger proves only at sizes it has made durable, and its tree only grows.
"""

from __future__ import annotations

import threading
from typing import Final

from civicid.merkle import MerkleTree

# Tree sizes whose right-edge hashes are kept: the latest checkpoint's and the few before it
# that clients may still ask proofs at. Each holds at most one hash per level (64).
MAX_SIZES_KEPT: Final = 4


class RightEdge:
    """``proof(seq, size)``: ``tree.inclusion_proof(seq, size)``, the right edge's hash for
    the leaf's complete subtree kept per size rather than hashed again per proof."""

    __slots__ = ("_kept", "_lock", "tree")

    def __init__(self, tree: MerkleTree) -> None:
        self.tree = tree
        # size -> {d: MTH(D[end:size])}, oldest size first.
        self._kept: dict[int, dict[int, bytes]] = {}
        self._lock = threading.Lock()  # readers on several threads add sizes

    def proof(self, seq: int, size: int) -> list[bytes]:
        """PATH(seq, D[0:size]); the caller has checked ``0 <= seq < size <= tree size``."""
        d = (seq ^ size).bit_length() - 1  # the highest bit where they differ: set in size
        end = size >> d << d  # the end of the complete subtree of 2**d leaves holding seq
        if end == size:  # the last subtree: the tree's proof hashes no ragged edge
            return self.tree.inclusion_proof(seq, size)
        edge = self._kept.get(size)
        rest = edge.get(d) if edge is not None else None
        if rest is None:
            whole = self.tree.inclusion_proof(seq, size)
            self._keep(size, d, whole[d])
            return whole
        path = self.tree.inclusion_proof(seq, end)
        path.insert(d, rest)
        return path

    def consistency(self, old: int, size: int) -> list[bytes]:
        """PROOF(old, D[0:size]); the caller has checked ``0 < old <= size <= tree size``."""
        if old == size:
            return []
        d = ((old - 1) ^ size).bit_length() - 1  # leaf old - 1's, as ``proof`` finds it
        end = size >> d << d
        if end == size or old == end:  # no ragged edge, or none below the old tree's seed
            return self.tree.consistency_proof(old, size)
        level = (old & -old).bit_length() - 1  # the old tree's last complete subtree's
        at = (old >> level != 1) + d - level  # the seed (unless the whole old tree), siblings
        edge = self._kept.get(size)
        rest = edge.get(d) if edge is not None else None
        if rest is None:
            whole = self.tree.consistency_proof(old, size)
            self._keep(size, d, whole[at])
            return whole
        proof = self.tree.consistency_proof(old, end)
        proof.insert(at, rest)
        return proof

    def _keep(self, size: int, d: int, rest: bytes) -> None:
        with self._lock:
            edge = self._kept.get(size)
            if edge is None:
                while len(self._kept) >= MAX_SIZES_KEPT:
                    del self._kept[next(iter(self._kept))]
                edge = self._kept[size] = {}
            edge[d] = rest
