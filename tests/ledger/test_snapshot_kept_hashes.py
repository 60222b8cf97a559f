"""Attack: the parts of the state snapshot that are loaded without hashing again (the tree's
levels above its leaves with the digest of those leaves, the state map's shape, keys,
values and node hashes) damaged on disk, or replaced under the ledger's own signature. A
flipped byte in any of them fails the body's digest; replaced and signed again, each is
held to the log's own leaf hashes, the signed checkpoint's root and map root and every
name's head. Each time the snapshot is refused with its code, the log untouched, and the
ledger answers as a full replay does. A snapshot of the previous format still loads, and
the ledger then writes one of the current format."""

from __future__ import annotations

import copy
import hashlib
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from civicid.checkpoint import Checkpoint
from civicid.merkle import EMPTY_ROOT
from civicid.statemap import StateMap, extension_line
from ledger import snapshot as snapshots
from ledger.setup import Paths, load_signer, open_ledger
from tests.ledger.conftest import World
from tests.ledger.snapshots import (
    answers,
    body_of,
    full_replay,
    opened_with,
    populate,
    reopen,
    sealed,
    snapshot_file,
)

PROTOCOL = snapshots.PICKLE_PROTOCOL
# The parts kept as written, by where they are in the body.
PARTS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "tree-leaf-digest": lambda body: body["tree"][0],
    "tree-level-1": lambda body: body["tree"][1][0],
    "tree-top-level": lambda body: body["tree"][1][-1],
    "map-shape": lambda body: body["map"][0],
    "map-keys": lambda body: body["map"][1],
    "map-values": lambda body: body["map"][2],
    "map-hashes": lambda body: body["map"][3],
}


def written(world: World) -> dict[str, Any]:
    populate(world)
    for _ in range(4):  # the map's shape (a byte a node) grows with its names, whose keys are
        world.register()  # random: enough of them that it is always 16 bytes or more
    reopen(world)
    return body_of(world)


@pytest.mark.parametrize("part", list(PARTS))
def test_a_flipped_byte_in_a_kept_part(world: World, part: str) -> None:
    body = written(world)
    data = bytearray(snapshot_file(world).read_bytes())
    kept = PARTS[part](body)
    assert len(kept) >= 16 and data.count(kept) == 1  # found where it is, and only there
    data[data.index(kept) + len(kept) // 2] ^= 0x01
    opened_with(world, bytes(data), "body is not the one signed")


def _edit_tree_digest(body: dict[str, Any]) -> None:
    body["tree"] = (hashlib.sha256(b"other leaves").digest(), body["tree"][1])


def _edit_top_level(body: dict[str, Any]) -> None:
    levels = list(body["tree"][1])
    levels[-1] = bytes(len(levels[-1]))  # the largest subtree's hash: part of the root
    body["tree"] = (body["tree"][0], levels)


def _drop_a_level(body: dict[str, Any]) -> None:
    body["tree"] = (body["tree"][0], body["tree"][1][:-1])


def _edit_map_root(body: dict[str, Any]) -> None:
    shape, keys, values, hashes = body["map"]
    body["map"] = (shape, keys, values, bytes(32) + hashes[32:])  # preorder: the root first


def _edit_map_value(body: dict[str, Any]) -> None:
    shape, keys, values, hashes = body["map"]
    body["map"] = (shape, keys, bytes(32) + values[32:], hashes)  # hashes as they were


def _cut_map_shape(body: dict[str, Any]) -> None:
    shape, keys, values, hashes = body["map"]
    body["map"] = (shape[:-1], keys, values, hashes[:-32])


def _map_as_lists(body: dict[str, Any]) -> None:
    shape, keys, values, hashes = body["map"]
    body["map"] = (list(shape), keys, values, hashes)


@pytest.mark.parametrize(
    "edit, reason",
    [
        (_edit_tree_digest, "tree is not of this log's entries"),
        (_edit_top_level, "checkpoint does not sign this log"),
        (_drop_a_level, "a tree of"),
        (_edit_map_root, "state map is not the signed one"),
        (_edit_map_value, "is not the mapped one"),
        (_cut_map_shape, "nodes do not make a tree"),
        (_map_as_lists, "a packed map is four byte strings"),
    ],
    ids=[
        "tree-digest",
        "tree-top-level",
        "tree-level-dropped",
        "map-root",
        "map-value",
        "map-shape-cut",
        "map-not-bytes",
    ],
)
def test_replaced_under_the_ledgers_own_signature(
    world: World, edit: Callable[[dict[str, Any]], None], reason: str
) -> None:
    """A key holder (or a writer's bug) can sign any body: each edit is still refused."""
    body = written(world)
    edited = copy.deepcopy(body)
    edit(edited)
    data = pickle.dumps(edited, protocol=PROTOCOL)
    signer = load_signer(Paths(world.root))
    opened_with(world, sealed(data, signer, world.origin, body["size"]), reason)


def test_a_body_filed_under_another_formats_magic(world: World) -> None:
    body = written(world)
    data = pickle.dumps(body, protocol=PROTOCOL)
    signer = load_signer(Paths(world.root))
    older = next(magic for magic, found in snapshots.FORMATS.items() if found < snapshots.FORMAT)
    forged = older + sealed(data, signer, world.origin, body["size"])[len(snapshots.MAGIC) :]
    opened_with(world, forged, "not of the format it is filed as")


def test_the_previous_format_loads_and_is_written_anew(world: World) -> None:
    """A format-3 snapshot (the map as its pairs, no tree) loads, hashing both; the ledger
    then writes a current one at open, which the next open loads."""
    body = written(world)
    expected = answers(world.ledger)
    world.ledger.close()
    older = {key: value for key, value in body.items() if key not in ("format", "tree")}
    older["map"] = list(StateMap.from_packed(*body["map"]).items())
    data = pickle.dumps(older, protocol=PROTOCOL)
    signer = load_signer(Paths(world.root))
    magic = next(magic for magic, found in snapshots.FORMATS.items() if found == 3)
    sealed_older = magic + sealed(data, signer, world.origin, body["size"])[len(snapshots.MAGIC) :]
    snapshot_file(world).write_bytes(sealed_older)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == body["size"] and world.ledger.snapshot_refused is None
    assert snapshot_file(world).read_bytes().startswith(snapshots.MAGIC)  # written anew
    assert body_of(world)["format"] == snapshots.FORMAT
    assert answers(world.ledger) == expected == full_replay(world)
    assert answers(reopen(world)) == expected
    assert world.ledger.snapshot_size == body["size"]


def test_a_snapshot_of_no_entries_under_the_ledgers_own_signature(world: World) -> None:
    """Signed by the key over a checkpoint of the empty tree and an empty map, with nothing
    in its state: still not a snapshot of this log (it would be the base of a replay)."""
    body = written(world)
    signer = load_signer(Paths(world.root))
    empty = StateMap()
    edited = copy.deepcopy(body)
    edited.update(
        size=0,
        checkpoint=signer.sign_checkpoint(
            Checkpoint(world.origin, 0, EMPTY_ROOT, (extension_line(empty.root),))
        ),
        tree=(hashlib.sha256(b"").digest(), []),
        map=empty.packed(),
        dids=[],
        accreditations=[],
        types=[],
        lists=[],
        revoked=[],
        txIds=["an id the log never held"],
    )
    data = pickle.dumps(edited, protocol=PROTOCOL)
    opened_with(world, sealed(data, signer, world.origin, 0), "the snapshot is of 0 entries")
