"""Entry positions by leaf hash (``GET /transactions/by-hash/{leaf hash}``): a
compact index built from the Merkle tree's leaf level on its first use.

A dict of 1M 32-byte keys costs ~140 MiB and ~0.5 s to build at every start-up, for a look-up
few clients make. Here each entry costs 16 bytes (the first 8 bytes of its hash and its
position, in two sorted arrays), and the index is built when first asked (~1 s per 1M
entries), not at start-up. A prefix is only a hint: every candidate's full hash is compared
with the tree's, so a look-up answers exactly what the dict did.
"""

from __future__ import annotations

import bisect
import sys
import threading
from array import array
from typing import Final

from civicid.merkle import HASH_SIZE, MerkleTree

# Entries appended after the index was built are kept in a dict until there are this many;
# then the index is dropped and rebuilt on the next look-up, so the dict stays small.
MAX_RECENT: Final = 100_000
PREFIX_BYTES: Final = 8  # 64 bits: among 1M hashes, almost never two share a prefix


def _prefix(digest: bytes | memoryview) -> int:
    return int.from_bytes(digest[:PREFIX_BYTES], sys.byteorder)


class LeafIndex:
    """Positions of ``tree``'s leaves by hash. ``add`` is told of each leaf appended (after
    the tree has it); ``find`` answers from any thread."""

    def __init__(self, tree: MerkleTree) -> None:
        self._tree = tree
        self._lock = threading.Lock()
        self._prefixes: array[int] | None = None  # sorted; None: not built (or dropped)
        self._seqs: array[int] = array("Q")  # the position of each prefix's leaf
        self._recent: dict[bytes, int] = {}  # appended since the build

    def add(self, digest: bytes, seq: int) -> None:
        with self._lock:
            if self._prefixes is None:
                return  # the next build reads it from the tree
            self._recent[digest] = seq
            if len(self._recent) > MAX_RECENT:
                self._prefixes, self._seqs, self._recent = None, array("Q"), {}

    def find(self, digest: bytes) -> int | None:
        """The position of the leaf whose hash is ``digest`` (None if there is none)."""
        if len(digest) != HASH_SIZE:
            return None
        with self._lock:
            if self._prefixes is None:
                self._build()
            prefixes, seqs = self._prefixes, self._seqs
            seq = self._recent.get(digest)
        if seq is not None:
            return seq
        assert prefixes is not None
        wanted = _prefix(digest)
        tree = self._tree
        i = bisect.bisect_left(prefixes, wanted)
        while i < len(prefixes) and prefixes[i] == wanted:
            seq = seqs[i]
            if seq < tree.size and tree.leaf_hash_at(seq) == digest:
                return int(seq)
            i += 1
        return None

    def _build(self) -> None:
        """Sort (prefix, position) of every leaf the tree holds now; appends after this are
        ``add``-ed to ``_recent`` (``add`` waits for the lock this runs under)."""
        leaves = self._tree.leaf_hashes()
        count = len(leaves) // HASH_SIZE
        shift = max(count.bit_length(), 1)
        mask = (1 << shift) - 1
        words = memoryview(leaves).cast("Q")[:: HASH_SIZE // 8]  # each hash's first 8 bytes
        keyed = sorted([(prefix << shift) | seq for seq, prefix in enumerate(words)])
        words.release()
        self._prefixes = array("Q", [key >> shift for key in keyed])
        self._seqs = array("Q", [key & mask for key in keyed])
        self._recent = {}
