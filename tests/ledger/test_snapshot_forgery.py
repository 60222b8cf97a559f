"""Attack: the state snapshot forged by someone who may write the ledger's directory but holds
no checkpoint key. Format 4 keeps the tree's levels and the state map's node hashes as
written: a node moved, swapped or replaced, two levels swapped, a node of one level copied
into another, the file cut or grown, or filed under the older format's magic line, each
fails the body's signed digest. The snapshot is refused with its code, the log untouched,
and the ledger answers as a full replay does: every inclusion, consistency and map proof it
gives verifies against the root it signs."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest

from civicid.merkle import HASH_SIZE, root_of, verify_consistency, verify_inclusion
from civicid.statemap import StateMap, verify_map
from ledger import snapshot as snapshots
from ledger.log import Ledger
from ledger.setup import Paths, load_signer
from tests.ledger.conftest import World
from tests.ledger.snapshots import body_of, opened_with, populate, reopen, sealed, snapshot_file


def written(world: World) -> tuple[dict[str, Any], bytearray]:
    populate(world)
    reopen(world)
    return body_of(world), bytearray(snapshot_file(world).read_bytes())


def at(data: bytearray, kept: bytes) -> int:
    """Where ``kept`` is in the file (found once, so an edit there edits that part)."""
    assert len(kept) >= 2 * HASH_SIZE and data.count(kept) == 1
    return data.index(kept)


def swap_two_nodes_of_level_one(body: dict[str, Any], data: bytearray) -> None:
    level = body["tree"][1][0]
    start = at(data, level)
    first, second = data[start : start + 32], data[start + 32 : start + 64]
    data[start : start + 64] = second + first


def copy_a_node_from_another_level(body: dict[str, Any], data: bytearray) -> None:
    lower, upper = body["tree"][1][0], body["tree"][1][1]
    data[at(data, lower) : at(data, lower) + 32] = upper[:32]


def swap_two_levels_of_one_length(body: dict[str, Any], data: bytearray) -> None:
    """The two lowest levels' first 64 bytes exchanged: each level keeps its length."""
    lower, upper = body["tree"][1][0], body["tree"][1][1]
    i, j = at(data, lower), at(data, upper)
    data[i : i + 64], data[j : j + 64] = upper[:64], lower[:64]


def replace_an_inner_map_node(body: dict[str, Any], data: bytearray) -> None:
    hashes = body["map"][3]
    start = at(data, hashes) + HASH_SIZE  # the root's child, not the root
    data[start : start + HASH_SIZE] = bytes(HASH_SIZE)


def swap_two_map_values(body: dict[str, Any], data: bytearray) -> None:
    values = body["map"][2]
    start = at(data, values)
    first, second = data[start : start + 32], data[start + 32 : start + 64]
    data[start : start + 64] = second + first


def cut_the_last_byte(body: dict[str, Any], data: bytearray) -> None:
    del data[-1]


def append_a_byte(body: dict[str, Any], data: bytearray) -> None:
    data.append(0)


FORGERIES: dict[str, Callable[[dict[str, Any], bytearray], None]] = {
    f.__name__: f
    for f in (
        swap_two_nodes_of_level_one,
        copy_a_node_from_another_level,
        swap_two_levels_of_one_length,
        replace_an_inner_map_node,
        swap_two_map_values,
        cut_the_last_byte,
        append_a_byte,
    )
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_snapshot_is_refused_and_rebuilt(
    world: World, forge: Callable[[dict[str, Any], bytearray], None]
) -> None:
    body, data = written(world)
    forge(body, data)
    ledger = opened_with(world, bytes(data), "")  # refused, rebuilt, answers as a replay
    every_proof_verifies(ledger)


def test_a_body_filed_under_the_older_magic_without_the_key(world: World) -> None:
    """The older format's magic on a format-4 file: same note, same body, refused."""
    _, data = written(world)
    older = next(magic for magic, found in snapshots.FORMATS.items() if found < snapshots.FORMAT)
    data[: len(older)] = older
    every_proof_verifies(opened_with(world, bytes(data), "not of the format it is filed as"))


def test_an_untouched_snapshot_serves_proofs_that_verify(world: World) -> None:
    """The check above can fail: on the snapshot as written, every proof verifies too."""
    body, _ = written(world)
    assert world.ledger.snapshot_size == body["size"] > 2
    every_proof_verifies(world.ledger)


def every_proof_verifies(ledger: Ledger) -> None:
    """Each entry's inclusion proof, each older size's consistency proof and each name's map
    proof, against roots hashed here from the log's leaves (not read from the ledger's tree)."""
    size = ledger.size
    leaves = [ledger.tree.leaf_hash_at(seq) for seq in range(size)]
    root = root_of(leaves)
    assert ledger.tree.root(size) == root
    for seq in range(size):
        verify_inclusion(leaves[seq], seq, size, ledger.inclusion_proof(seq), root)
    for old in range(1, size):
        verify_consistency(old, size, root_of(leaves[:old]), root, ledger.consistency_proof(old))
    statemap = ledger.view.statemap
    for key, value in statemap.items():
        verify_map(statemap.root, key, value, statemap.prove(key))


def older_format(world: World, edit: Callable[[dict[str, Any]], None] | None = None) -> bytes:
    """The snapshot on disk rewritten in format 3 (the map as its pairs, no tree), signed by
    the ledger's key, after ``edit`` of its body."""
    body, _ = written(world)
    older = {key: value for key, value in body.items() if key not in ("format", "tree")}
    older["map"] = list(StateMap.from_packed(*body["map"]).items())
    if edit is not None:
        edit(older)
    data = pickle.dumps(older, protocol=snapshots.PICKLE_PROTOCOL)
    magic = next(magic for magic, found in snapshots.FORMATS.items() if found == 3)
    signer = load_signer(Paths(world.root))
    return magic + sealed(data, signer, world.origin, body["size"])[len(snapshots.MAGIC) :]


def test_a_damaged_older_snapshot_is_refused_and_rebuilt(world: World) -> None:
    data = bytearray(older_format(world))
    data[-40] ^= 0x01
    every_proof_verifies(opened_with(world, bytes(data), "body is not the one signed"))


def _map_pair_dropped(body: dict[str, Any]) -> None:
    body["map"] = body["map"][1:]


def _map_not_pairs(body: dict[str, Any]) -> None:
    body["map"] = [b"not a pair"]


@pytest.mark.parametrize(
    "edit, reason",
    [(_map_pair_dropped, "state map is not the signed one"), (_map_not_pairs, "malformed")],
    ids=["map-pair-dropped", "map-not-pairs"],
)
def test_an_older_snapshot_signed_but_wrong_is_refused_not_a_traceback(
    world: World, edit: Callable[[dict[str, Any]], None], reason: str
) -> None:
    """Format 3 hashes its map again at start-up: a map that is not the signed one, or not a
    map at all, is refused with its code (under the ledger's own key: a writer's bug)."""
    every_proof_verifies(opened_with(world, older_format(world, edit), reason))
