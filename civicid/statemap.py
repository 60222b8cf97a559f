"""The ledger's verifiable current state: a sparse Merkle map from names ("did:<did>",
"accreditation:<id>", "type:<vct>", "status:<uri>") to the latest log entry about each,
whose root rides in every signed checkpoint. A map proof shows what the map holds for a name
(or that it holds nothing), so "this is the latest version" and "there is no revocation"
are proven, not only "this entry exists".

The map is a binary trie over the 256 bits of ``sha256(name)`` in which a subtree holding one
leaf is that leaf (the compact sparse Merkle tree of Diem/Aptos' Jellyfish Merkle tree), so
paths are ~log2(n) deep, not 256. Nodes are immutable: an update copies its path, so a reader
proves against the map of a signed checkpoint while the writer builds the next one. Hashes
are computed when first asked for, so updates batched before a checkpoint share the work.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from civicid.encoding import b64_decode, b64_encode
from civicid.errors import Error, InvalidInput, VerificationError, declare

MAP_PROOF_MALFORMED = declare(
    "map_proof_malformed", InvalidInput, "the state map proof is malformed"
)
MAP_PROOF_INVALID = declare(
    "map_proof_invalid", VerificationError, "the state map proof does not verify"
)
MAP_ROOT_MISSING = declare(
    "map_root_missing", VerificationError, "the checkpoint commits to no state map"
)

HASH_SIZE: Final = 32
KEY_BITS: Final = 256
# Domain separation (RFC 9162 style): a map leaf and a map node can never hash alike, nor
# either like a log leaf (0x00) or log node (0x01).
_LEAF_PREFIX: Final = b"\x02"
_NODE_PREFIX: Final = b"\x03"
EMPTY: Final = bytes(HASH_SIZE)  # the hash of an empty subtree
# The checkpoint extension line that carries the map root (tlog-checkpoint: extension lines
# are opaque to others; ours is "<name> <base64 root>").
EXTENSION: Final = "civicid-state-map"

# Names: what each kind of entry is the latest of.
DID: Final = "did"
ACCREDITATION: Final = "accreditation"
TYPE: Final = "type"
STATUS_LIST: Final = "status"
ISSUANCE_RULE: Final = "issuance_rule"  # "<agency DID>/<rule name>" (civicid/issuance_rules.py)
REDEMPTIONS: Final = "redemptions"  # a status list's URI (civicid/entitlements.py)

# Nodes re-hashed between two calls of ``stale_hashes``' pause (~1-2 ms of work here).
REHASH_CHUNK: Final = 1024

_sha256 = hashlib.sha256


def map_key(kind: str, name: str) -> bytes:
    """The 256-bit key of ``<kind>:<name>`` (e.g. ``did:did:civicid:…``)."""
    return _sha256(f"{kind}:{name}".encode()).digest()


def map_value(leaf_hash: bytes, seq: int) -> bytes:
    """What the map holds for a name: the latest entry about it, by leaf hash and position."""
    return _sha256(leaf_hash + seq.to_bytes(8, "big")).digest()


def leaf_node_hash(key: bytes, value: bytes) -> bytes:
    return _sha256(_LEAF_PREFIX + key + value).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE_PREFIX + left + right).digest()


def _bit(key: int, depth: int) -> int:
    return (key >> (KEY_BITS - 1 - depth)) & 1


class _Leaf:
    __slots__ = ("_hash", "key", "value")

    def __init__(self, key: int, value: bytes) -> None:
        self.key = key
        self.value = value
        self._hash: bytes | None = None

    @property
    def hash(self) -> bytes:
        if self._hash is None:
            self._hash = leaf_node_hash(self.key.to_bytes(HASH_SIZE, "big"), self.value)
        return self._hash


class _Node:
    __slots__ = ("_hash", "left", "right")

    def __init__(self, left: _Tree, right: _Tree) -> None:
        self.left = left
        self.right = right
        self._hash: bytes | None = None

    @property
    def hash(self) -> bytes:
        # Lazy: nodes made by a batch of updates are hashed once, when a root is asked for.
        # Two threads may compute it at once; both store the same bytes.
        if self._hash is None:
            self._hash = node_hash(_hash_of(self.left), _hash_of(self.right))
        return self._hash


_Tree = _Leaf | _Node | None


# The packed form's node tags (``StateMap.packed``), one byte per node in preorder.
_PACKED_LEAF: Final = 0
_PACKED_NODE: Final = 1  # both children
_PACKED_LEFT: Final = 2  # a left child only (the right subtree is empty)
_PACKED_RIGHT: Final = 3  # a right child only


def _hash_of(tree: _Tree) -> bytes:
    return EMPTY if tree is None else tree.hash


def _split(a: _Leaf, b: _Leaf, depth: int) -> _Node:
    """The subtree at ``depth`` holding exactly the two leaves ``a`` and ``b``."""
    abit, bbit = _bit(a.key, depth), _bit(b.key, depth)
    if abit != bbit:
        return _Node(a, b) if abit == 0 else _Node(b, a)
    child = _split(a, b, depth + 1)
    return _Node(child, None) if abit == 0 else _Node(None, child)


def _set(tree: _Tree, depth: int, leaf: _Leaf) -> _Tree:
    if tree is None:
        return leaf
    if isinstance(tree, _Leaf):
        return leaf if tree.key == leaf.key else _split(tree, leaf, depth)
    if _bit(leaf.key, depth):
        return _Node(tree.left, _set(tree.right, depth + 1, leaf))
    return _Node(_set(tree.left, depth + 1, leaf), tree.right)


def _build(leaves: list[_Leaf], depth: int) -> _Tree:
    """The canonical subtree of ``leaves`` (sorted by key, all sharing ``depth`` bits)."""
    if not leaves:
        return None
    if len(leaves) == 1:
        return leaves[0]
    # Leaves are sorted, so those with a 0 bit here come first.
    lo, hi = 0, len(leaves)
    while lo < hi:
        mid = (lo + hi) // 2
        if _bit(leaves[mid].key, depth):
            hi = mid
        else:
            lo = mid + 1
    return _Node(_build(leaves[:lo], depth + 1), _build(leaves[lo:], depth + 1))


@dataclass(frozen=True, slots=True)
class MapProof:
    """Siblings from the root down to where ``key``'s path ends, and what it ends in: the
    key's own leaf (presence), another key's leaf, or nothing (absence)."""

    siblings: tuple[bytes, ...]
    leaf: tuple[bytes, bytes] | None  # (key, value) of the leaf the path ends in

    def to_json(self) -> dict[str, Any]:
        return {
            "siblings": [b64_encode(s) for s in self.siblings],
            "leaf": None
            if self.leaf is None
            else {"key": b64_encode(self.leaf[0]), "value": b64_encode(self.leaf[1])},
        }

    @classmethod
    def from_json(cls, data: Any) -> MapProof:
        try:
            siblings = tuple(b64_decode(s) for s in data["siblings"])
            leaf = data["leaf"]
            pair = None if leaf is None else (b64_decode(leaf["key"]), b64_decode(leaf["value"]))
        except (KeyError, TypeError, Error) as exc:
            raise MAP_PROOF_MALFORMED("not a state map proof") from exc
        if len(siblings) > KEY_BITS or any(len(s) != HASH_SIZE for s in siblings):
            raise MAP_PROOF_MALFORMED(f"at most {KEY_BITS} siblings of {HASH_SIZE} bytes")
        if pair is not None and (len(pair[0]) != HASH_SIZE or len(pair[1]) != HASH_SIZE):
            raise MAP_PROOF_MALFORMED(f"a leaf is a {HASH_SIZE}-byte key and value")
        return cls(siblings, pair)


class StateMap:
    """An immutable sparse Merkle map; ``set`` returns a new map sharing all but one path."""

    __slots__ = ("_root", "size")

    def __init__(self, root: _Tree = None, size: int = 0) -> None:
        self._root = root
        self.size = size

    @classmethod
    def build(cls, items: Iterable[tuple[bytes, bytes]]) -> StateMap:
        """A map of ``(key, value)`` pairs at once (O(n)), e.g. from a snapshot."""
        leaves = sorted(
            (_Leaf(int.from_bytes(k, "big"), v) for k, v in items), key=lambda leaf: leaf.key
        )
        if any(a.key == b.key for a, b in itertools.pairwise(leaves)):
            raise MAP_PROOF_MALFORMED("a key appears twice")
        return cls(_build(leaves, 0), len(leaves))

    @classmethod
    def from_packed(
        cls,
        shape: bytes,
        keys: bytes,
        values: bytes,
        hashes: bytes,
        held: dict[int, bytes] | None = None,
    ) -> StateMap:
        """The map ``packed`` gave, its node hashes taken as they are: nothing is hashed. For
        a packed map its caller vouches for (a snapshot this ledger signed, whose root is then
        held to a signed checkpoint); only the form is checked here (``map_proof_malformed``):
        every node has its hash, every leaf its key and value, and the nodes make one tree.
        ``held`` is filled with each leaf's value by its key (as an int), made of the map's
        own objects."""
        if not all(type(part) is bytes for part in (shape, keys, values, hashes)):
            raise MAP_PROOF_MALFORMED("a packed map is four byte strings")
        count = len(keys) // HASH_SIZE
        if (
            len(keys) % HASH_SIZE
            or len(values) != len(keys)
            or len(hashes) != len(shape) * HASH_SIZE
        ):
            raise MAP_PROOF_MALFORMED("a packed map's parts do not match")
        stack: list[_Tree] = []
        pop, push, leaf = stack.pop, stack.append, count
        node: _Leaf | _Node
        try:
            # Preorder read backwards: each node's subtrees are on the stack, left on top.
            for i in range(len(shape) - 1, -1, -1):
                tag = shape[i]
                if tag == _PACKED_LEAF:
                    leaf -= 1
                    at = leaf * HASH_SIZE
                    node = _Leaf(
                        int.from_bytes(keys[at : at + HASH_SIZE], "big"),
                        values[at : at + HASH_SIZE],
                    )
                    if held is not None:
                        held[node.key] = node.value
                elif tag == _PACKED_NODE:
                    node = _Node(pop(), pop())
                elif tag == _PACKED_LEFT:
                    node = _Node(pop(), None)
                elif tag == _PACKED_RIGHT:
                    node = _Node(None, pop())
                else:
                    raise MAP_PROOF_MALFORMED(f"a packed map's node tag {tag} is unknown")
                node._hash = hashes[i * HASH_SIZE : (i + 1) * HASH_SIZE]
                push(node)
        except IndexError as exc:  # a node without the subtrees its tag names
            raise MAP_PROOF_MALFORMED("a packed map's nodes do not make a tree") from exc
        if leaf != 0 or len(stack) != (1 if shape else 0):
            raise MAP_PROOF_MALFORMED("a packed map's nodes do not make one tree of its leaves")
        return cls(stack[0] if stack else None, count)

    def packed(self) -> tuple[bytes, bytes, bytes, bytes]:
        """(shape, keys, values, hashes): a tag per node in preorder (``_PACKED_*``), each
        leaf's key and value in key order, each node's hash in preorder; ``from_packed``
        rebuilds the map from them without hashing."""
        shape, keys, values, hashes = bytearray(), bytearray(), bytearray(), bytearray()
        stack: list[_Tree] = [self._root]
        while stack:
            tree = stack.pop()
            if isinstance(tree, _Node):
                if tree.left is None:
                    shape.append(_PACKED_RIGHT)
                elif tree.right is None:
                    shape.append(_PACKED_LEFT)
                else:
                    shape.append(_PACKED_NODE)
                stack.extend((tree.right, tree.left))
            elif tree is not None:
                shape.append(_PACKED_LEAF)
                keys += tree.key.to_bytes(HASH_SIZE, "big")
                values += tree.value
            else:
                continue
            hashes += tree.hash
        return bytes(shape), bytes(keys), bytes(values), bytes(hashes)

    @property
    def root(self) -> bytes:
        return _hash_of(self._root)

    def stale_hashes(self, pause: Callable[[], None] = lambda: None) -> int:
        """How many nodes hold a hash that is not the one their subtree hashes to, every
        hash recomputed from the leaves' keys and values up, ``pause`` called every
        ``REHASH_CHUNK`` nodes (to let other threads run, or to stop by raising). For hashes
        taken as they were kept (``from_packed``), checked after the fact; a node whose hash
        was never asked for has none to compare. Nothing is changed."""
        stale = done = 0
        hashed: list[bytes] = []  # each finished subtree's recomputed hash, left below right
        stack: list[tuple[_Tree, bool]] = [(self._root, False)]
        while stack:
            tree, children_done = stack.pop()
            if tree is None:
                hashed.append(EMPTY)
                continue
            if isinstance(tree, _Leaf):
                digest = leaf_node_hash(tree.key.to_bytes(HASH_SIZE, "big"), tree.value)
            elif not children_done:
                stack += ((tree, True), (tree.right, False), (tree.left, False))
                continue
            else:
                right = hashed.pop()
                digest = node_hash(hashed.pop(), right)
            stale += tree._hash is not None and tree._hash != digest
            hashed.append(digest)
            done += 1
            if done % REHASH_CHUNK == 0:
                pause()
        return stale

    def get(self, key: bytes) -> bytes | None:
        wanted, tree, depth = int.from_bytes(key, "big"), self._root, 0
        while isinstance(tree, _Node):
            tree = tree.right if _bit(wanted, depth) else tree.left
            depth += 1
        return tree.value if tree is not None and tree.key == wanted else None

    def set(self, key: bytes, value: bytes) -> StateMap:
        if len(key) != HASH_SIZE or len(value) != HASH_SIZE:
            raise MAP_PROOF_MALFORMED(f"keys and values are {HASH_SIZE} bytes")
        leaf = _Leaf(int.from_bytes(key, "big"), value)
        grows = self.get(key) is None
        return StateMap(_set(self._root, 0, leaf), self.size + grows)

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        """Every (key, value), in key order."""
        stack: list[_Tree] = [self._root]
        while stack:
            tree = stack.pop()
            if isinstance(tree, _Node):
                stack.extend((tree.right, tree.left))
            elif tree is not None:
                yield tree.key.to_bytes(HASH_SIZE, "big"), tree.value

    def prove(self, key: bytes) -> MapProof:
        # ``_bit`` and ``_hash_of`` written out, a hash already made read as it is: three
        # calls per level were most of a proof's cost (~18 levels at 250,000 names).
        wanted, tree, shift = int.from_bytes(key, "big"), self._root, KEY_BITS - 1
        siblings: list[bytes] = []
        append = siblings.append
        while isinstance(tree, _Node):
            if wanted >> shift & 1:
                sibling, tree = tree.left, tree.right
            else:
                sibling, tree = tree.right, tree.left
            if sibling is None:
                append(EMPTY)
            else:
                hashed = sibling._hash
                append(sibling.hash if hashed is None else hashed)
            shift -= 1
        leaf = None if tree is None else (tree.key.to_bytes(HASH_SIZE, "big"), tree.value)
        return MapProof(tuple(siblings), leaf)


class RefusedMap(StateMap):
    """A map that answers nothing but ``error``: what a ledger serves in place of a map
    found not to be what its leaves hash to, so no proof is made from it."""

    __slots__ = ("error",)

    def __init__(self, error: Error) -> None:
        super().__init__()
        self.error = error

    @property
    def root(self) -> bytes:
        raise self.error

    def get(self, key: bytes) -> bytes | None:
        raise self.error

    def set(self, key: bytes, value: bytes) -> StateMap:
        raise self.error

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        raise self.error

    def prove(self, key: bytes) -> MapProof:
        raise self.error


def _common_prefix_bits(a: bytes, b: bytes) -> int:
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return KEY_BITS - x.bit_length()


def verify_map(root: bytes, key: bytes, value: bytes | None, proof: MapProof) -> None:
    """Check that the map whose root is ``root`` holds ``value`` for ``key`` (None: nothing).

    Steps (the compact sparse Merkle tree's proof, as Diem/Aptos verify it):
    1. the path is at most 256 deep;
    2. presence: the path ends in ``key``'s own leaf, holding ``value``; absence: it ends in
       nothing, or in another key's leaf that shares the path's bits with ``key`` (so that
       leaf sits where ``key`` would be, and ``key`` cannot be elsewhere);
    3. hashing up from that end with the siblings, by ``key``'s bits, gives ``root``.
    """
    siblings = proof.siblings
    if len(siblings) > KEY_BITS or len(key) != HASH_SIZE:
        raise MAP_PROOF_MALFORMED("the proof is longer than a key has bits")
    if value is not None:
        if proof.leaf is None or proof.leaf[0] != key:
            raise MAP_PROOF_INVALID("the map holds nothing for this key")
        if proof.leaf[1] != value:
            raise MAP_PROOF_INVALID("the map holds another value for this key")
    elif proof.leaf is not None:
        if proof.leaf[0] == key:
            raise MAP_PROOF_INVALID("the map holds a value for this key")
        if _common_prefix_bits(proof.leaf[0], key) < len(siblings):
            raise MAP_PROOF_INVALID("the proof's leaf is not on this key's path")
    current = EMPTY if proof.leaf is None else leaf_node_hash(*proof.leaf)
    wanted = int.from_bytes(key, "big")
    for depth in range(len(siblings) - 1, -1, -1):
        sibling = siblings[depth]
        current = (
            node_hash(sibling, current) if _bit(wanted, depth) else node_hash(current, sibling)
        )
    if current != root:
        raise MAP_PROOF_INVALID("the proof does not lead to the checkpoint's map root")


def extension_line(root: bytes) -> str:
    return f"{EXTENSION} {b64_encode(root)}"


def root_in(extensions: Iterable[str]) -> bytes:
    """The map root a checkpoint's extension lines commit to."""
    for line in extensions:
        name, _, value = line.partition(" ")
        if name == EXTENSION:
            try:
                root = b64_decode(value)
            except Error as exc:
                raise MAP_ROOT_MISSING("the state map line is not base64") from exc
            if len(root) != HASH_SIZE or b64_encode(root) != value:
                raise MAP_ROOT_MISSING("the state map root is not a canonical 32-byte hash")
            return root
    raise MAP_ROOT_MISSING("the checkpoint has no state map line")
