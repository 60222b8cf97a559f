"""Every inclusion and consistency proof of the trees of up to ``N`` leaves, against the
RFC 9162 definitions transcribed here on their own (§2.1.3.1 PATH, §2.1.4.1 PROOF and
SUBPROOF, recursive, sharing no code with ``civicid.merkle``), and every way of getting one
wrong: a hash flipped, one missing or one more, and the right proof offered for other sizes
or another leaf, which verifies exactly when that other question has the very same proof.
"""

from __future__ import annotations

import functools

import pytest

from civicid.errors import InvalidInput, VerificationError
from civicid.merkle import (
    MerkleTree,
    consistency_roots,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# Trees of 1..N leaves: every shape of right edge up to six levels, ragged and complete.
N = 66

LEAVES = [leaf_hash(b"leaf %d" % i) for i in range(N)]
TREE = MerkleTree.from_leaf_hashes(b"".join(LEAVES))


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def mth(lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]), RFC 9162 §2.1.1."""
    if hi - lo == 1:
        return LEAVES[lo]
    k = _split(hi - lo)
    return node_hash(mth(lo, lo + k), mth(lo + k, hi))


def path(m: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]), RFC 9162 §2.1.3.1: leaf m counted from lo."""
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if m < k:
        return [*path(m, lo, lo + k), mth(lo + k, hi)]
    return [*path(m - k, lo + k, hi), mth(lo, lo + k)]


def subproof(m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b), RFC 9162 §2.1.4.1."""
    if m == hi - lo:
        return [] if whole else [mth(lo, hi)]
    k = _split(hi - lo)
    if m <= k:
        return [*subproof(m, lo, lo + k, whole), mth(lo + k, hi)]
    return [*subproof(m - k, lo + k, hi, False), mth(lo, lo + k)]


def proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    return subproof(m, 0, n, True)


def root(n: int) -> bytes:
    return mth(0, n)


def _flip(hashes: list[bytes], which: int) -> list[bytes]:
    out = list(hashes)
    out[which] = bytes([out[which][0] ^ 0x80]) + out[which][1:]
    return out


def _refused(call: object, *args: object) -> str:
    with pytest.raises((VerificationError, InvalidInput)) as exc:
        call(*args)  # type: ignore[operator]
    return str(exc.value.code)


def test_the_transcription_agrees_with_the_oracle() -> None:
    # The recursive definitions above and civicid.merkle's root_of are written apart.
    for n in range(1, N + 1):
        assert root(n) == root_of(LEAVES[:n]) == TREE.root(n)


def test_every_inclusion_proof_is_the_rfc_path() -> None:
    for n in range(1, N + 1):
        for i in range(n):
            want = path(i, 0, n)
            assert TREE.inclusion_proof(i, n) == want, (i, n)
            verify_inclusion(LEAVES[i], i, n, want, root(n))


def test_every_consistency_proof_is_the_rfc_proof() -> None:
    for n in range(1, N + 1):
        for m in range(1, n + 1):
            want = proof(m, n)
            assert TREE.consistency_proof(m, n) == want, (m, n)
            verify_consistency(m, n, root(m), root(n), want)


def test_consistency_roots_are_both_trees_roots() -> None:
    for n in range(2, N + 1):
        for m in range(1, n):
            assert consistency_roots(m, n, root(m), proof(m, n)) == (root(m), root(n)), (m, n)


def test_consistency_roots_take_the_old_root_only_for_a_power_of_two() -> None:
    # The proof holds the nodes of the old tree unless it is one complete subtree: the old root
    # given is then the seed (§2.1.4.2 step 2), else it is not read and the proof's own is kept.
    other = leaf_hash(b"not the old root")
    for n in range(2, N + 1):
        for m in range(1, n):
            got_old, got_new = consistency_roots(m, n, other, proof(m, n))
            if m & (m - 1) == 0:
                assert got_old == other and got_new != root(n), (m, n)
            else:
                assert (got_old, got_new) == (root(m), root(n)), (m, n)


def test_every_inclusion_proof_damaged_is_refused() -> None:
    for n in range(1, N + 1):
        for i in range(n):
            good = path(i, 0, n)
            bad = [_flip(good, w) for w in range(len(good))]
            bad += [[*good, root(n)], [root(n), *good]]
            if good:
                bad += [good[:-1], good[1:]]
            for hashes in bad:
                code = _refused(verify_inclusion, LEAVES[i], i, n, hashes, root(n))
                assert code == "inclusion_proof_invalid", (i, n, hashes)
            code = _refused(verify_inclusion, LEAVES[i], i, n, good, _flip([root(n)], 0)[0])
            assert code == "inclusion_proof_invalid"


def test_every_inclusion_proof_holds_for_its_own_question_only() -> None:
    # The proof of leaf i in the tree of n, asked about a neighbouring index or size (with that
    # question's leaf and root), verifies exactly when the RFC gives that question this proof.
    for n in range(1, N + 1):
        for i in range(n):
            good = path(i, 0, n)
            for j, size in [(i - 1, n), (i + 1, n), (i, n - 1), (i, n + 1), (i + 2, n + 2)]:
                if not 0 <= j < size <= N:
                    continue
                same = path(j, 0, size) == good
                try:
                    verify_inclusion(LEAVES[j], j, size, good, root(size))
                except VerificationError as exc:
                    assert not same and exc.code == "inclusion_proof_invalid", (i, n, j, size)
                else:
                    assert same, (i, n, j, size)


def test_every_consistency_proof_damaged_is_refused() -> None:
    for n in range(2, N + 1):
        for m in range(1, n):
            good = proof(m, n)
            bad = [_flip(good, w) for w in range(len(good))]
            bad += [[*good, root(n)], [root(m), *good], good[:-1], good[1:], []]
            for hashes in bad:
                code = _refused(verify_consistency, m, n, root(m), root(n), hashes)
                assert code == "consistency_proof_invalid", (m, n, hashes)
                if hashes:
                    try:
                        found = consistency_roots(m, n, root(m), hashes)
                    except VerificationError as exc:
                        assert exc.code == "consistency_proof_invalid"
                    else:
                        assert found != (root(m), root(n)), (m, n, hashes)
            for roots in [(_flip([root(m)], 0)[0], root(n)), (root(m), _flip([root(n)], 0)[0])]:
                code = _refused(verify_consistency, m, n, *roots, good)
                assert code == "consistency_proof_invalid", (m, n)


def test_every_consistency_proof_holds_for_its_own_sizes_only() -> None:
    for n in range(2, N + 1):
        for m in range(1, n):
            good = proof(m, n)
            for old, new in [(m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1), (m * 2, n * 2)]:
                if not 0 < old < new <= N:
                    continue
                same = proof(old, new) == good
                try:
                    verify_consistency(old, new, root(old), root(new), good)
                except VerificationError as exc:
                    assert not same and exc.code == "consistency_proof_invalid", (m, n, old, new)
                else:
                    assert same, (m, n, old, new)


def test_a_tree_built_at_once_grows_as_one_grown_leaf_by_leaf() -> None:
    # from_leaf_hashes keeps no node for an odd last one (it waits for its sibling): leaves
    # appended after it close the same subtrees as in a tree grown one leaf at a time.
    for n in range(N):
        bulk = MerkleTree.from_leaf_hashes(b"".join(LEAVES[:n]))
        for h in LEAVES[n:]:
            bulk.append(h)
        assert bulk.root() == root(N), n
        assert bulk.upper_levels(N) == TREE.upper_levels(N), n
        assert bulk.inclusion_proof(N - 1, N) == path(N - 1, 0, N), n
