"""RFC 9162 §2.1 Merkle tree hashing, an incremental tree, and inclusion/consistency proofs.

The ledger appends leaf hashes and serves proofs; wallets, verifiers and auditors verify them
with ``verify_inclusion`` / ``verify_consistency``, which raise and never return a bool.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence

from civicid.errors import Code, InvalidInput, VerificationError, declare

HASH_MALFORMED = declare("hash_malformed", InvalidInput, "a hash is not 32 bytes")
MERKLE_PROOF_MALFORMED = declare(
    "merkle_proof_malformed", InvalidInput, "a Merkle proof or tree size is malformed"
)
PROOF_OUT_OF_RANGE = declare(
    "proof_out_of_range", InvalidInput, "a leaf index or tree size outside the tree"
)
INCLUSION_PROOF_INVALID = declare(
    "inclusion_proof_invalid", VerificationError, "the inclusion proof does not verify"
)
CONSISTENCY_PROOF_INVALID = declare(
    "consistency_proof_invalid", VerificationError, "the consistency proof does not verify"
)

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: MTH({}) = HASH()

# RFC 9162 §4.1 carries tree sizes and leaf indices as uint64; anything larger is not a log.
MAX_TREE_SIZE = 2**64 - 1
# A uint64 tree is at most 64 levels deep: an inclusion path has <= 64 hashes and a
# consistency path <= 64 + 1 (the extra seed subtree of §2.1.4.1). Longer is refused unhashed.
MAX_PROOF_HASHES = 65

# Node hashes computed between two calls of ``stale_nodes``' pause: small enough that the
# thread doing it lets others run often (~1 ms of hashing here).
REHASH_CHUNK = 2048

_LEAF_PREFIX = b"\x00"  # RFC 9162 §2.1.1 domain separation: leaves vs interior nodes
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256
# One stored hash as bytes, read where it lies: half the cost of a slice copied again.
_hash_at = struct.Struct(f"{HASH_SIZE}s").unpack_from


_LEAF_STATE = _sha256(_LEAF_PREFIX)  # SHA-256 having absorbed the prefix: copied per leaf


def leaf_hash(data: bytes | bytearray | memoryview) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d) (RFC 9162 §2.1.1). The prefixed state is copied rather
    than the data: a leaf (a record of a mapped log.dat, say) is hashed where it lies."""
    digest = _LEAF_STATE.copy()
    digest.update(data)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _check_hash(value: bytes, what: str, code: Code) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise code(f"{what} is not a {HASH_SIZE}-byte hash")


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, transcribed from the RFC 9162 §2.1.1 definition.

    O(n) hashes and no shared code with ``MerkleTree``: tests and auditors use it as the oracle.
    """
    for h in leaf_hashes:
        _check_hash(h, "leaf hash", HASH_MALFORMED)

    def mth(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 1:
            return bytes(leaf_hashes[lo])
        k = 1 << ((n - 1).bit_length() - 1)  # largest power of two smaller than n
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    return mth(0, len(leaf_hashes)) if leaf_hashes else EMPTY_ROOT


class MerkleTree:
    """Incremental tree over leaf hashes, holding every complete aligned subtree hash per level
    (level 0 = leaf hashes, level k = hashes of aligned complete subtrees of 2**k leaves),
    each level a bytearray of 32-byte slots, so append is O(1) amortized and proofs are O(log n)
    hash look-ups plus O(log n) hashes for the ragged right edge.

    Not thread-safe: the owner serializes writers (``append``/``truncate``) against readers.
    """

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]

    @classmethod
    def from_leaf_hashes(cls, hashes: bytes | bytearray | memoryview) -> MerkleTree:
        """Build from concatenated 32-byte leaf hashes, one level at a time (~1 s per 1M leaves)."""
        data = bytes(hashes)
        if len(data) % HASH_SIZE:
            raise HASH_MALFORMED("leaf hashes are not a multiple of 32 bytes")
        tree = cls()
        tree._levels = [bytearray(data)]
        level, sha, prefix, pair = data, _sha256, _NODE_PREFIX, 2 * HASH_SIZE
        while len(level) >= pair:
            end = len(level) - len(level) % pair  # an odd last node waits for its sibling
            # One flat comprehension per level: the hot loop of a 1M-leaf rebuild.
            level = b"".join(
                [sha(prefix + level[i : i + pair]).digest() for i in range(0, end, pair)]
            )
            tree._levels.append(bytearray(level))
        return tree

    @classmethod
    def from_levels(cls, leaf_hashes: bytes, upper: Sequence[bytes]) -> MerkleTree:
        """The tree of ``leaf_hashes`` from the levels above them as ``upper_levels`` gave
        them, taken as they are: no node is hashed, only each level's length is checked. For
        levels its caller vouches for (a snapshot this ledger signed, bound to these very
        leaves by their digest, whose root is then held to a signed checkpoint)."""
        if not all(type(level) is bytes for level in (leaf_hashes, *upper)):
            raise HASH_MALFORMED("a tree's levels are byte strings")
        if len(leaf_hashes) % HASH_SIZE:
            raise HASH_MALFORMED("leaf hashes are not a multiple of 32 bytes")
        size = len(leaf_hashes) // HASH_SIZE
        if len(upper) != max(size.bit_length() - 1, 0):
            raise HASH_MALFORMED(f"a tree of {size} leaves has {size.bit_length()} levels")
        tree = cls()
        tree._levels = [bytearray(leaf_hashes)]
        for level, data in enumerate(upper, 1):
            if len(data) != (size >> level) * HASH_SIZE:
                raise HASH_MALFORMED(f"level {level} of a tree of {size} leaves is malformed")
            tree._levels.append(bytearray(data))
        return tree

    def stale_nodes(self, size: int, pause: Callable[[], None] = lambda: None) -> int:
        """How many nodes above the first ``size`` leaves are not what those leaves hash to:
        every level recomputed from the leaves up (RFC 9162 §2.1.1) and compared with the
        stored one, ``pause`` called between chunks of ``REHASH_CHUNK`` hashes (to let
        other threads run, or to stop by raising). For levels taken as they were kept
        (``from_levels``), checked after the fact. Appends meanwhile do not change the
        stored prefix this compares."""
        self._check_range(0, size, self.size, "tree size")
        stale, sha, prefix, pair = 0, _sha256, _NODE_PREFIX, 2 * HASH_SIZE
        # The leaves are read chunk by chunk where they are (a copy of the whole level would
        # be 32 MB at 1M): only the level computed last is held whole.
        below: bytearray = self._levels[0]
        for level in range(1, size.bit_length()):
            count = size >> level
            computed = bytearray()
            for start in range(0, count, REHASH_CHUNK):
                end = min(start + REHASH_CHUNK, count)
                pairs = bytes(below[start * pair : end * pair])
                chunk = b"".join(
                    [sha(prefix + pairs[i : i + pair]).digest() for i in range(0, len(pairs), pair)]
                )
                kept = bytes(self._levels[level][start * HASH_SIZE : end * HASH_SIZE])
                if kept != chunk:
                    stale += sum(
                        kept[i : i + HASH_SIZE] != chunk[i : i + HASH_SIZE]
                        for i in range(0, len(chunk), HASH_SIZE)
                    )
                computed += chunk
                pause()
            below = computed
        return stale

    def upper_levels(self, size: int) -> list[bytes]:
        """The levels above the leaves of the tree's first ``size`` leaves (each level's
        complete aligned subtrees), for ``from_levels``."""
        self._check_range(0, size, self.size, "tree size")
        return [
            bytes(self._levels[level][: (size >> level) * HASH_SIZE])
            for level in range(1, size.bit_length())
        ]

    @property
    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash; return its index. Completes every subtree it closes."""
        _check_hash(leaf_hash, "leaf hash", HASH_MALFORMED)
        index = self.size
        if index >= MAX_TREE_SIZE:
            raise PROOF_OUT_OF_RANGE("tree is full (uint64 size)")
        self._levels[0] += leaf_hash
        level, i, h = 0, index, bytes(leaf_hash)
        while i & 1:  # a right child closes its parent: hash it in, one level up
            h = node_hash(self._slot(level, i - 1), h)
            level, i = level + 1, i >> 1
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += h
        return index

    def leaf_hashes(self) -> bytes:
        """Every leaf hash, in order, concatenated (a copy: appends do not change it)."""
        return bytes(self._levels[0])

    def leaf_hash_at(self, index: int) -> bytes:
        self._check_range(0, index, self.size - 1, "leaf index")
        return self._slot(0, index)

    def root(self, size: int | None = None) -> bytes:
        """MTH(D[0:size]) from at most log2(size) stored subtree hashes; no rehashing of leaves."""
        n = self.size if size is None else size
        self._check_range(0, n, self.size, "tree size")
        return self._range_hash(0, n) if n else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), ordered from the leaf upwards."""
        self._check_range(1, size, self.size, "tree size")
        self._check_range(0, index, size - 1, "leaf index")
        return self._path(0, index, size)

    def subtree_path(self, index: int, height: int) -> list[bytes]:
        """The first ``height`` hashes of leaf ``index``'s inclusion path (RFC 9162 §2.1.3.1):
        its siblings inside the aligned subtree of ``2**height`` leaves that holds it, which
        must be complete. They are stored hashes, read in one pass, and the same in the path
        at every tree size that holds that subtree whole."""
        levels, at = self._levels, _hash_at
        # One test for what is asked of it every proof (ints, not bools: ``type`` is exact);
        # which bound failed is told only when one did.
        if not (
            type(index) is int
            and type(height) is int
            and 0 <= height < MAX_PROOF_HASHES
            and index >= 0
            and ((index >> height) + 1) << height <= len(levels[0]) // HASH_SIZE
        ):
            self._check_range(0, index, self.size - 1, "leaf index")
            self._check_range(0, height, MAX_PROOF_HASHES - 1, "subtree height")
            raise PROOF_OUT_OF_RANGE(f"the subtree of leaf {index} of height {height} is not whole")
        return [at(levels[level], ((index >> level) ^ 1) * HASH_SIZE)[0] for level in range(height)]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1); empty when the sizes are equal."""
        self._check_range(1, new_size, self.size, "new tree size")
        self._check_range(1, old_size, new_size, "old tree size")
        if old_size == new_size:
            return []
        # The old tree's rightmost complete subtree [old - 2**level, old) is the seed; the rest
        # is that node's inclusion path in the new tree. When old_size is a power of two the seed
        # is the old root itself, which the verifier already holds (§2.1.4.1 SUBPROOF's flag b).
        level = (old_size & -old_size).bit_length() - 1
        index = (old_size >> level) - 1
        path = self._path(level, index, new_size)
        return path if index == 0 else [self._slot(level, index), *path]

    def truncate(self, size: int) -> None:
        """Forget every leaf after ``size`` (roll back a failed write batch)."""
        self._check_range(0, size, self.size, "tree size")
        for level, slots in enumerate(self._levels):
            del slots[(size >> level) * HASH_SIZE :]

    # -- internals ------------------------------------------------------------------------

    @staticmethod
    def _check_range(low: int, value: int, high: int, what: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise PROOF_OUT_OF_RANGE(f"{what} {value!r} outside [{low}, {high}]")

    def _slot(self, level: int, index: int) -> bytes:
        hash_: bytes = _hash_at(self._levels[level], index * HASH_SIZE)[0]
        return hash_

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range on the tree's right edge: ``start`` is a multiple of a
        power of two >= end - start, as every subtree of the §2.1.1 recursion is. Such a range is
        its complete aligned subtrees, largest first, folded right to left."""
        parts: list[bytes] = []
        pos, length = start, end - start
        for level in range(length.bit_length() - 1, -1, -1):
            if length >> level & 1:
                parts.append(self._slot(level, pos >> level))
                pos += 1 << level
        h = parts.pop()
        while parts:
            h = node_hash(parts.pop(), h)
        return h

    def _path(self, level: int, index: int, size: int) -> list[bytes]:
        """Sibling hashes from node (level, index) up to the root of the tree of ``size``."""
        # Each stored hash read in place, without a call per hash: a proof's hashes are most
        # of a first answer with proofs, and a call per hash was most of their cost.
        proof: list[bytes] = []
        append, levels = proof.append, self._levels
        last = (size - 1) >> level  # index of the rightmost node on this level
        while last:
            if index & 1:  # left siblings are always complete
                append(_hash_at(levels[level], (index - 1) * HASH_SIZE)[0])
            elif index < last:
                # A right sibling is complete unless it holds the tree's ragged right edge.
                if (index + 2) << level <= size:
                    append(_hash_at(levels[level], (index + 1) * HASH_SIZE)[0])
                else:
                    append(self._range_hash((index + 1) << level, size))
            # else: the rightmost node has no sibling and is promoted a level (§2.1.1 split)
            index, last, level = index >> 1, last >> 1, level + 1
        return proof


def _check_size(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TREE_SIZE:
        raise MERKLE_PROOF_MALFORMED(f"{what} is not a uint64")


def _check_proof(proof: Sequence[bytes]) -> None:
    if len(proof) > MAX_PROOF_HASHES:
        raise MERKLE_PROOF_MALFORMED(f"proof has more than {MAX_PROOF_HASHES} hashes")
    for p in proof:
        _check_hash(p, "proof element", MERKLE_PROOF_MALFORMED)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    RFC 9162 §2.1.3.2, step by step. Raises, never returns a bool.
    """
    _check_size(index, "leaf index")
    _check_size(size, "tree size")
    _check_hash(leaf_hash, "leaf hash", MERKLE_PROOF_MALFORMED)
    _check_hash(root, "root hash", MERKLE_PROOF_MALFORMED)
    _check_proof(proof)
    # Step 1: the leaf must be in the tree.
    if index >= size:
        raise MERKLE_PROOF_MALFORMED(f"leaf index {index} >= tree size {size}")
    # Steps 2-4.
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise INCLUSION_PROOF_INVALID("proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:  # right edge: skip the levels where this node has no sibling
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    # Step 5.
    if sn != 0:
        raise INCLUSION_PROOF_INVALID("proof is shorter than the path")
    if r != root:
        raise INCLUSION_PROOF_INVALID("computed root does not match")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (``new_size``, ``new_root``) extends (``old_size``, ``old_root``).

    RFC 9162 §2.1.4.2, step by step; requires 0 < old_size <= new_size. Raises, never returns.
    """
    _check_size(old_size, "old tree size")
    _check_size(new_size, "new tree size")
    # §2.1.4: a proof from the empty tree proves nothing; RFC 9162 defines none (0 < m).
    if old_size == 0:
        raise MERKLE_PROOF_MALFORMED("no consistency proof exists from the empty tree")
    if old_size > new_size:
        raise MERKLE_PROOF_MALFORMED(f"old size {old_size} > new size {new_size}")
    _check_proof(proof)
    if old_size == new_size:
        # Same size, same tree: the claim is only that the roots are identical, so they are
        # compared as given (as the transparency-dev reference and its probes do).
        if proof:
            raise CONSISTENCY_PROOF_INVALID("equal sizes need an empty proof")
        if bytes(old_root) != bytes(new_root):
            raise CONSISTENCY_PROOF_INVALID("roots differ at equal sizes")
        return
    _check_hash(old_root, "old root hash", MERKLE_PROOF_MALFORMED)
    _check_hash(new_root, "new root hash", MERKLE_PROOF_MALFORMED)
    fr, sr = consistency_roots(old_size, new_size, old_root, proof)
    if fr != old_root:
        raise CONSISTENCY_PROOF_INVALID("old root does not match")
    if sr != new_root:
        raise CONSISTENCY_PROOF_INVALID("new root does not match")


def consistency_roots(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Steps 1-6 of RFC 9162 §2.1.4.2 for 0 < ``old_size`` < ``new_size``: the old and new roots
    the proof yields. When the new one is a signed root but the old one is not the root signed
    at ``old_size``, the two trees cannot both be true (the proof's hashes are that tree's
    nodes): a witness keeps that as evidence. A power-of-two old tree is its own seed, so there
    the old root is ``old_root`` as given."""
    _check_size(old_size, "old tree size")
    _check_size(new_size, "new tree size")
    if not 0 < old_size < new_size:
        raise MERKLE_PROOF_MALFORMED(f"needs 0 < old size {old_size} < new size {new_size}")
    _check_proof(proof)
    _check_hash(old_root, "old root hash", MERKLE_PROOF_MALFORMED)
    # Step 1.
    if not proof:
        raise CONSISTENCY_PROOF_INVALID("empty proof")
    # Step 2: a power-of-two old tree is itself the seed subtree.
    path = [bytes(old_root), *proof] if old_size & (old_size - 1) == 0 else list(proof)
    # Steps 3-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # Steps 5-6.
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise CONSISTENCY_PROOF_INVALID("proof is longer than the path")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # Step 7, first half: the path must be used up exactly.
    if sn != 0:
        raise CONSISTENCY_PROOF_INVALID("proof is shorter than the path")
    return fr, sr
