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

Below the ragged edge, the path of a leaf above its block (the aligned subtree of
``2**BLOCK_HEIGHT`` leaves holding it) is the same for every leaf of that block at one size:
it is taken from the first proof made whole in that block and kept per (size, block); every
other leaf's proof is its own stored siblings inside its block (``MerkleTree.subtree_path``,
read in one pass) followed by that kept part, the tree's proof hash for hash again. At 1M
leaves a path is ~20 hashes, of which 8 are then read per proof, not 20 walked level by level.

Only for a tree whose first ``size`` leaves never change once proven at ``size``: the
ledger proves only at sizes it has made durable, and its tree only grows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from civicid.merkle import MerkleTree

# Tree sizes whose right-edge hashes are kept: the latest checkpoint's and the few before it
# that clients may still ask proofs at. Each holds at most one hash per level (64).
MAX_SIZES_KEPT: Final = 4
# A block's leaves (2**8 = 256): its own part of a path, 8 stored hashes, is read per proof;
# the rest (~12 hashes at 1M leaves) is kept per block. Lower would keep more blocks for
# less read per proof.
BLOCK_HEIGHT: Final = 8
# Blocks whose upper paths are kept, of any size, the first kept let go first (the oldest
# size's, once a checkpoint is newer): every block of a 1M-leaf tree (3,900), ~1 KiB each
# (~12 hashes), so ~4 MiB at most, of the 1 GiB a 1M-entry ledger serves in.
MAX_BLOCKS_KEPT: Final = 4096


class RightEdge:
    """``proof(seq, size)``: ``tree.inclusion_proof(seq, size)``, the right edge's hash for
    the leaf's complete subtree kept per size rather than hashed again per proof."""

    __slots__ = ("_blocks", "_kept", "_lock", "block_height", "tree")

    def __init__(self, tree: MerkleTree, block_height: int = BLOCK_HEIGHT) -> None:
        self.tree = tree
        self.block_height = block_height
        # size -> {d: MTH(D[end:size])}, oldest size first.
        self._kept: dict[int, dict[int, bytes]] = {}
        # (size, block) -> the path above the block at that size, the first kept first.
        self._blocks: OrderedDict[tuple[int, int], list[bytes]] = OrderedDict()
        self._lock = threading.Lock()  # readers on several threads add sizes

    def proof(self, seq: int, size: int) -> list[bytes]:
        """PATH(seq, D[0:size]); the caller has checked ``0 <= seq < size <= tree size``."""
        height = self.block_height
        block = seq >> height
        if (block + 1) << height > size:  # the last block, not whole at this size
            return self._edge_proof(seq, size)
        upper = self._blocks.get((size, block))
        if upper is None:
            # A whole block: its leaves' paths have one hash per level inside it, then the
            # same hashes from the block's root up.
            path = self._edge_proof(seq, size)
            self._keep_block(size, block, path[height:])
            return path
        return self.tree.subtree_path(seq, height) + upper

    def _edge_proof(self, seq: int, size: int) -> list[bytes]:
        """``proof`` without the kept blocks: the right edge's hash kept per size."""
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

    def _keep_block(self, size: int, block: int, upper: list[bytes]) -> None:
        with self._lock:
            blocks = self._blocks
            while len(blocks) >= MAX_BLOCKS_KEPT:
                blocks.popitem(last=False)
            blocks[size, block] = upper

    def _keep(self, size: int, d: int, rest: bytes) -> None:
        with self._lock:
            edge = self._kept.get(size)
            if edge is None:
                while len(self._kept) >= MAX_SIZES_KEPT:
                    del self._kept[next(iter(self._kept))]
                edge = self._kept[size] = {}
            edge[d] = rest
