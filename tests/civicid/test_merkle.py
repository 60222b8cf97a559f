"""RFC 9162 Merkle hashing and proofs against the CT reference vectors, the transparency-dev
probes (happy paths and corruptions) and generated trees."""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.errors import InvalidInput, VerificationError
from civicid.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import VECTORS, load_vector

REF = load_vector("merkle/rfc6962-reference.json")
LEAVES = [leaf_hash(bytes.fromhex(x)) for x in REF["leaf_inputs_hex"]]
ROOTS = [bytes.fromhex(x) for x in REF["roots_by_size_hex"]]


def _tree(n: int) -> tuple[MerkleTree, list[bytes]]:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    tree = MerkleTree()
    for h in hashes:
        tree.append(h)
    return tree, hashes


def _flip(proof: list[bytes], which: int, bit: int) -> list[bytes]:
    out = list(proof)
    element = bytearray(out[which])
    element[bit // 8] ^= 1 << (bit % 8)
    out[which] = bytes(element)
    return out


# -- RFC 6962 / CT reference vectors --------------------------------------------------------


def test_empty_root_is_hash_of_nothing() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert root_of([]) == EMPTY_ROOT
    assert MerkleTree().root() == EMPTY_ROOT


@pytest.mark.parametrize("vector", REF["hash_vectors"], ids=lambda v: v["desc"])
def test_hash_vectors(vector: dict[str, Any]) -> None:
    want = bytes.fromhex(vector["want_hex"])
    if "leaf_hex" in vector:
        assert leaf_hash(bytes.fromhex(vector["leaf_hex"])) == want
    elif "left_hex" in vector:
        assert (
            node_hash(bytes.fromhex(vector["left_hex"]), bytes.fromhex(vector["right_hex"])) == want
        )
    else:
        assert want == EMPTY_ROOT


def test_node_hashes_per_level() -> None:
    levels = [[bytes.fromhex(h) for h in level] for level in REF["node_hashes_hex"]]
    assert levels[0] == LEAVES
    for below, level in itertools.pairwise(levels):
        assert level == [node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(level))]
    for k, level in enumerate(levels):
        width = 1 << k
        assert level == [root_of(LEAVES[i * width : (i + 1) * width]) for i in range(len(level))]


def test_roots_for_every_size() -> None:
    tree = MerkleTree.from_leaf_hashes(b"".join(LEAVES))
    grown = MerkleTree()
    assert grown.root() == ROOTS[0]
    for size, want in enumerate(ROOTS):
        assert root_of(LEAVES[:size]) == want
        assert tree.root(size) == want
        if size:
            assert grown.append(LEAVES[size - 1]) == size - 1
            assert grown.root() == want


@pytest.mark.parametrize(
    "vector", REF["inclusion_proofs"], ids=lambda v: f"{v['leaf_index']}-of-{v['tree_size']}"
)
def test_reference_inclusion_proofs(vector: dict[str, Any]) -> None:
    index, size = vector["leaf_index"], vector["tree_size"]
    want = [bytes.fromhex(h) for h in vector["proof_hex"]]
    tree = MerkleTree.from_leaf_hashes(b"".join(LEAVES))
    assert tree.inclusion_proof(index, size) == want
    verify_inclusion(LEAVES[index], index, size, want, ROOTS[size])
    if want:
        with pytest.raises(VerificationError) as exc:
            verify_inclusion(LEAVES[index], index, size, _flip(want, 0, 0), ROOTS[size])
        assert exc.value.code == "inclusion_proof_invalid"


@pytest.mark.parametrize(
    "vector", REF["consistency_proofs"], ids=lambda v: f"{v['size1']}-to-{v['size2']}"
)
def test_reference_consistency_proofs(vector: dict[str, Any]) -> None:
    old, new = vector["size1"], vector["size2"]
    want = [bytes.fromhex(h) for h in vector["proof_hex"]]
    tree = MerkleTree.from_leaf_hashes(b"".join(LEAVES))
    assert tree.consistency_proof(old, new) == want
    verify_consistency(old, new, ROOTS[old], ROOTS[new], want)
    if want:
        with pytest.raises(VerificationError) as exc:
            verify_consistency(old, new, ROOTS[old], ROOTS[new], _flip(want, -1, 255))
        assert exc.value.code == "consistency_proof_invalid"


# -- transparency-dev probes (RFC 9162 only: the subtree* dirs are another extension) -------

PROBES = VECTORS / "merkle" / "transparency-dev-testdata"


def _probe_files(kind: str) -> list[Path]:
    files = sorted((PROBES / kind).rglob("*.json"))
    assert files, f"no {kind} probes found"
    return files


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _probe_id(path: Path) -> str:
    return str(path.relative_to(PROBES))


@pytest.mark.parametrize("path", _probe_files("inclusion"), ids=_probe_id)
def test_transparency_dev_inclusion_probe(path: Path) -> None:
    probe = json.loads(path.read_text(encoding="utf-8"))
    args = (
        _b64(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        [_b64(p) for p in probe["proof"] or []],
        _b64(probe["root"]),
    )
    if probe["wantErr"]:
        with pytest.raises((VerificationError, InvalidInput)) as exc:
            verify_inclusion(*args)
        assert exc.value.code in {"inclusion_proof_invalid", "merkle_proof_malformed"}
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _probe_files("consistency"), ids=_probe_id)
def test_transparency_dev_consistency_probe(path: Path) -> None:
    probe = json.loads(path.read_text(encoding="utf-8"))
    args = (
        probe["size1"],
        probe["size2"],
        _b64(probe["root1"]),
        _b64(probe["root2"]),
        [_b64(p) for p in probe["proof"] or []],
    )
    if probe["wantErr"]:
        with pytest.raises((VerificationError, InvalidInput)) as exc:
            verify_consistency(*args)
        assert exc.value.code in {"consistency_proof_invalid", "merkle_proof_malformed"}
    else:
        verify_consistency(*args)


def test_probe_set_is_the_one_documented() -> None:
    # 98 + 98 RFC 9162 probes; if the copy shrinks, the parametrization above silently would too.
    assert len(_probe_files("inclusion")) + len(_probe_files("consistency")) == 196


# -- generated trees ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=300))
def test_generated_proofs_verify(data: st.DataObject, n: int) -> None:
    tree, hashes = _tree(n)
    size = data.draw(st.integers(min_value=1, max_value=n), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    root, old_root = tree.root(size), tree.root(old)
    assert root == root_of(hashes[:size])
    assert tree.leaf_hash_at(index) == hashes[index]

    proof = tree.inclusion_proof(index, size)
    verify_inclusion(hashes[index], index, size, proof, root)
    consistency = tree.consistency_proof(old, size)
    verify_consistency(old, size, old_root, root, consistency)

    if proof:
        which = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="which")
        bit = data.draw(st.integers(min_value=0, max_value=8 * HASH_SIZE - 1), label="bit")
        with pytest.raises(VerificationError) as exc:
            verify_inclusion(hashes[index], index, size, _flip(proof, which, bit), root)
        assert exc.value.code == "inclusion_proof_invalid"
        with pytest.raises(VerificationError) as exc:
            verify_inclusion(hashes[index], index, size, proof[:-1], root)
        assert exc.value.code == "inclusion_proof_invalid"
    if consistency:
        which = data.draw(st.integers(min_value=0, max_value=len(consistency) - 1), label="cw")
        with pytest.raises(VerificationError) as exc:
            verify_consistency(old, size, old_root, root, _flip(consistency, which, 7))
        assert exc.value.code == "consistency_proof_invalid"
    with pytest.raises(VerificationError) as exc:
        verify_inclusion(hashes[index], index, size, [*proof, root], root)
    assert exc.value.code == "inclusion_proof_invalid"
    # A right proof against a wrong root (either end) must fail too.
    wrong = _flip([root], 0, 3)[0]
    with pytest.raises(VerificationError) as exc:
        verify_inclusion(hashes[index], index, size, proof, wrong)
    assert exc.value.code == "inclusion_proof_invalid"
    for roots in [(_flip([old_root], 0, 3)[0], root), (old_root, wrong)]:
        with pytest.raises(VerificationError) as exc:
            verify_consistency(old, size, *roots, consistency)
        assert exc.value.code == "consistency_proof_invalid"


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_root_of_every_prefix_matches_oracle(n: int) -> None:
    tree, hashes = _tree(n)
    bulk = MerkleTree.from_leaf_hashes(b"".join(hashes))
    assert bulk.size == tree.size == n
    for size in range(n + 1):
        want = root_of(hashes[:size])
        assert tree.root(size) == want
        assert bulk.root(size) == want


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.data())
def test_truncate_then_regrow_matches_fresh_tree(n: int, data: st.DataObject) -> None:
    tree, hashes = _tree(n)
    keep = data.draw(st.integers(min_value=0, max_value=n))
    tree.truncate(keep)
    assert tree.size == keep
    assert tree.root() == root_of(hashes[:keep])
    extra = [leaf_hash(b"other" + i.to_bytes(4, "big")) for i in range(n - keep + 3)]
    for h in extra:
        tree.append(h)
    fresh = MerkleTree.from_leaf_hashes(b"".join(hashes[:keep] + extra))
    assert tree.root() == fresh.root()
    last = tree.size - 1
    assert tree.inclusion_proof(last, tree.size) == fresh.inclusion_proof(last, tree.size)


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion_proof", (8, 8)),  # index == size
        ("inclusion_proof", (0, 9)),  # beyond the tree
        ("inclusion_proof", (0, 0)),  # empty tree has no leaves
        ("inclusion_proof", (-1, 8)),
        ("consistency_proof", (0, 8)),  # no proof from the empty tree
        ("consistency_proof", (5, 4)),  # old > new
        ("consistency_proof", (4, 9)),  # beyond the tree
        ("root", (9,)),
        ("root", (-1,)),
        ("leaf_hash_at", (8,)),
        ("truncate", (9,)),
        ("subtree_path", (0, 4)),  # the 16 leaves from 0 are not whole in a tree of 8
        ("subtree_path", (6, 2)),  # ...nor in a tree of 7 (below), the 4 from 4
        ("subtree_path", (8, 0)),  # beyond the tree
        ("subtree_path", (-1, 1)),
        ("subtree_path", (0, -1)),
        ("subtree_path", (True, 0)),  # not a whole number, though Python counts it as 1
        ("subtree_path", (0, False)),
        ("subtree_path", (0, 65)),  # past any uint64 tree's height
    ],
)
def test_out_of_range_requests(call: str, args: tuple[int, ...]) -> None:
    tree = MerkleTree.from_leaf_hashes(b"".join(LEAVES[: 7 if args == (6, 2) else 8]))
    with pytest.raises(InvalidInput) as exc:
        getattr(tree, call)(*args)
    assert exc.value.code == "proof_out_of_range"


def test_a_leaf_path_inside_a_whole_subtree_is_the_start_of_its_path_at_every_size() -> None:
    tree, _ = _tree(70)
    for size in range(1, 71):
        for index in range(size):
            for height in range(8):
                if ((index >> height) + 1) << height > tree.size:
                    continue
                lower = tree.subtree_path(index, height)
                assert len(lower) == height
                if ((index >> height) + 1) << height <= size:  # whole at this size too
                    assert lower == tree.inclusion_proof(index, size)[:height], (index, size)


def test_malformed_hashes_are_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        MerkleTree().append(b"\x00" * 31)
    assert exc.value.code == "hash_malformed"
    with pytest.raises(InvalidInput) as exc:
        MerkleTree.from_leaf_hashes(b"\x00" * 33)
    assert exc.value.code == "hash_malformed"
    with pytest.raises(InvalidInput) as exc:
        verify_inclusion(LEAVES[0], 0, 8, [b"\x00" * 32] * 100, ROOTS[8])
    assert exc.value.code == "merkle_proof_malformed"
    with pytest.raises(InvalidInput) as exc:
        verify_consistency(2, 3, ROOTS[2], ROOTS[3][:31], [LEAVES[2]])
    assert exc.value.code == "merkle_proof_malformed"


def test_leaf_hash_is_not_a_node_hash() -> None:
    # RFC 9162 §2.1.1 domain separation: an interior node presented as a leaf must not verify.
    tree = MerkleTree.from_leaf_hashes(b"".join(LEAVES))
    inner = node_hash(LEAVES[0], LEAVES[1])
    with pytest.raises(VerificationError) as exc:
        verify_inclusion(inner, 0, 4, tree.inclusion_proof(0, 4)[1:], ROOTS[4])
    assert exc.value.code == "inclusion_proof_invalid"


@pytest.mark.slow
def test_large_tree_root_and_proofs_use_stored_subtrees() -> None:
    n = 100_003  # ragged right edge on several levels
    hashes = b"".join(leaf_hash(i.to_bytes(4, "big")) for i in range(n))
    tree = MerkleTree.from_leaf_hashes(hashes)
    leaves = [hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)]
    assert tree.root() == root_of(leaves)
    for index, size in [(0, n), (n - 1, n), (65_536, 99_999), (12_345, 65_537)]:
        proof = tree.inclusion_proof(index, size)
        verify_inclusion(leaves[index], index, size, proof, tree.root(size))
    verify_consistency(65_537, n, tree.root(65_537), tree.root(), tree.consistency_proof(65_537, n))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.data())
def test_a_tree_from_its_kept_levels_is_the_tree(n: int, data: st.DataObject) -> None:
    """``upper_levels`` at any size and ``from_levels`` give back that size's tree exactly:
    the same root, proofs and appends after it, without hashing a node."""
    tree, hashes = _tree(n)
    size = data.draw(st.integers(min_value=0, max_value=n))
    kept = MerkleTree.from_levels(b"".join(hashes[:size]), tree.upper_levels(size))
    fresh = MerkleTree.from_leaf_hashes(b"".join(hashes[:size]))
    assert kept.size == size and kept.root() == fresh.root() == root_of(hashes[:size])
    for h in hashes[size:]:
        kept.append(h)
    assert kept.root() == tree.root()
    if n:
        assert kept.inclusion_proof(0, n) == tree.inclusion_proof(0, n)
        assert kept.consistency_proof(1, n) == tree.consistency_proof(1, n)


def test_kept_levels_of_the_wrong_form_are_refused() -> None:
    tree = MerkleTree.from_leaf_hashes(b"".join(LEAVES))  # 8 leaves: levels 1, 2 and 3
    leaves, levels = tree.leaf_hashes(), tree.upper_levels(8)
    assert [len(level) for level in levels] == [4 * HASH_SIZE, 2 * HASH_SIZE, HASH_SIZE]
    for bad_leaves, bad_levels in [
        (leaves, levels[:-1]),  # a level missing
        (leaves, [*levels, levels[-1]]),  # one too many
        (leaves, [levels[0][:-1], *levels[1:]]),  # a level a byte short
        (leaves, [levels[1], levels[0], levels[2]]),  # levels swapped
        (leaves + b"\x00", levels),  # leaves not whole hashes
        (leaves, [bytearray(levels[0]), *levels[1:]]),  # not bytes
        (list(leaves), levels),
    ]:
        with pytest.raises(InvalidInput) as exc:
            MerkleTree.from_levels(bad_leaves, bad_levels)  # type: ignore[arg-type]
        assert exc.value.code == "hash_malformed"
    assert MerkleTree.from_levels(b"", []).root() == EMPTY_ROOT
    with pytest.raises(InvalidInput) as exc:
        tree.upper_levels(9)
    assert exc.value.code == "proof_out_of_range"
