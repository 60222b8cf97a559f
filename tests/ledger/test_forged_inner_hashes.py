"""Attack: a snapshot re-signed with the checkpoint key (a stolen key, or a writer's bug) over
inner hashes that are not the log's: a tree node below the roots, a state map node or leaf
hash. Every check at load passes (the roots are the signed ones, each name's head the mapped
one), so the snapshot is used; the re-hash after start-up finds the nodes, and the ledger
then serves no proof from them, writes nothing more, keeps no snapshot of them and says so
on /health with its code. A snapshot as the ledger wrote it passes the re-hash."""

from __future__ import annotations

import copy
import pickle
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicid import merkle
from civicid.errors import Error
from civicid.merkle import MerkleTree
from civicid.statemap import StateMap, map_key, map_value
from ledger import integrity
from ledger import snapshot as snapshots
from ledger.app import create_app
from ledger.errors import SNAPSHOT_HASHES_MISMATCH
from ledger.log import Ledger
from ledger.settings import LedgerSettings
from ledger.setup import Paths, load_signer, open_ledger
from tests.ledger.conftest import World
from tests.ledger.snapshots import (
    answers,
    body_of,
    full_replay,
    populate,
    reopen,
    sealed,
    snapshot_file,
)

# Polling for the background re-hash of a small ledger (milliseconds of work).
DEADLINE_SECONDS = 30.0


def written(world: World) -> dict[str, Any]:
    populate(world)
    for _ in range(4):
        world.register()
    reopen(world)
    return body_of(world)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _tree_level_1(body: dict[str, Any]) -> None:
    """The hash over leaves 0 and 1: under the root, never part of it."""
    levels = list(body["tree"][1])
    levels[0] = _flip(levels[0], 0)
    body["tree"] = (body["tree"][0], levels)


def _map_inner_node(body: dict[str, Any]) -> None:
    """The root's first child (preorder: the second node): the root's own hash kept."""
    shape, keys, values, hashes = body["map"]
    assert shape[0] != 0  # the root is a node, not a lone leaf
    body["map"] = (shape, keys, values, hashes[:32] + _flip(hashes[32:64], 0) + hashes[64:])


def _map_leaf_hash(body: dict[str, Any]) -> None:
    """A leaf's kept hash (its key and value left as mapped)."""
    shape, keys, values, hashes = body["map"]
    at = shape.index(0) * 32
    kept = hashes[:at] + _flip(hashes[at : at + 32], 0) + hashes[at + 32 :]
    body["map"] = (shape, keys, values, kept)


FORGERIES: dict[str, tuple[Callable[[dict[str, Any]], None], int, int]] = {
    # edit, tree nodes, map nodes found not to be the log's
    "tree-inner-node": (_tree_level_1, 1, 0),
    "map-inner-node": (_map_inner_node, 0, 1),
    "map-leaf-hash": (_map_leaf_hash, 0, 1),
}


def forged(world: World, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The snapshot the ledger wrote, ``edit``ed and signed again with its own key."""
    body = written(world)
    edited = copy.deepcopy(body)
    edit(edited)
    data = pickle.dumps(edited, protocol=snapshots.PICKLE_PROTOCOL)
    return sealed(data, load_signer(Paths(world.root)), world.origin, body["size"])


def opened_on(world: World, content: bytes) -> Ledger:
    world.ledger.close()
    snapshot_file(world).write_bytes(content)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == world.ledger.size  # every load check passed
    return world.ledger


@pytest.fixture
def http(world: World) -> Iterator[Callable[[], TestClient]]:
    clients: list[TestClient] = []

    def client() -> TestClient:
        app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
        clients.append(TestClient(app))
        return clients[-1].__enter__()

    yield client
    for opened in clients:
        opened.__exit__(None, None, None)


def test_a_snapshot_as_written_passes_in_the_background(
    world: World, http: Callable[[], TestClient]
) -> None:
    written(world)
    check = world.ledger.integrity
    assert check is not None
    deadline = time.monotonic() + DEADLINE_SECONDS
    while check.status == integrity.CHECKING and time.monotonic() < deadline:
        time.sleep(0.01)  # the thread's own pace, nobody waiting on it
    assert (check.status, check.error) == (integrity.VERIFIED, None)
    health = http().get("/health").json()
    assert (health["status"], health["integrity"], health["code"]) == ("ok", "verified", None)
    world.ledger.inclusion_proof(0)  # proofs served
    agency = world.register()  # and writes taken
    assert world.ledger.state.record(agency.did).current.seq == world.ledger.size - 1


def test_a_ledger_replayed_from_its_log_has_nothing_to_check(world: World) -> None:
    populate(world)
    world.ledger.close()
    snapshot_file(world).unlink()
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == 0 and world.ledger.integrity is None


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_kept_hashes_that_are_not_the_logs(
    world: World, http: Callable[[], TestClient], forgery: str
) -> None:
    edit, tree_nodes, map_nodes = FORGERIES[forgery]
    content = forged(world, edit)
    expected = full_replay(world)
    ledger = opened_on(world, content)
    check = ledger.integrity
    assert check is not None and check.wait() == integrity.FAILED
    assert check.error is not None and SNAPSHOT_HASHES_MISMATCH.matches(check.error)
    assert check.error.details == {"treeNodes": tree_nodes, "mapNodes": map_nodes}
    client = http()
    health = client.get("/health").json()
    assert (health["status"], health["integrity"], health["code"]) == (
        "degraded",
        "failed",
        "snapshot_hashes_mismatch",
    )
    # No proof from the structures: the log's, the map's, over HTTP too.
    refusals: list[Callable[[], object]] = [
        lambda: ledger.inclusion_proof(1),
        lambda: ledger.consistency_proof(1),
        lambda: ledger.root(1),
        lambda: ledger.view.statemap.prove(map_key("did", "did:civicid:x")),
        lambda: ledger.view.statemap.get(map_key("did", "did:civicid:x")),
        lambda: ledger.view.statemap.root,
    ]
    for refused in refusals:
        with pytest.raises(Error) as caught:
            refused()
        assert SNAPSHOT_HASHES_MISMATCH.matches(caught.value)
    answer = client.get("/proofs/inclusion", params={"seq": 1})
    assert answer.status_code == 503 and answer.json()["error"] == "snapshot_hashes_mismatch"
    # Nothing more written or signed over them.
    size, checkpoint = ledger.size, ledger.checkpoint
    with pytest.raises(Error) as caught:
        world.register()
    assert SNAPSHOT_HASHES_MISMATCH.matches(caught.value)
    assert (ledger.size, ledger.checkpoint, ledger.store.size) == (size, checkpoint, size)
    # The forged snapshot is not kept again; without it the log is opened as it is.
    ledger.close()
    assert snapshot_file(world).read_bytes() == content
    snapshot_file(world).unlink()
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.integrity is None
    assert answers(world.ledger) == expected


@pytest.mark.parametrize("forgery", [None, "tree-inner-node", "map-leaf-hash"])
def test_a_snapshot_is_kept_again_only_once_re_hashed(
    world: World, monkeypatch: pytest.MonkeyPatch, forgery: str | None
) -> None:
    """Entries written before the re-hash ends: closing writes a snapshot only once it has
    shown every kept hash to be the log's (here it has not started: closing runs it)."""
    monkeypatch.setattr(integrity.KeptHashes, "start", lambda self: None)
    if forgery is None:
        written(world)
        content = snapshot_file(world).read_bytes()
    else:
        content = forged(world, FORGERIES[forgery][0])
    ledger = opened_on(world, content)
    world.register()  # taken: nothing is known yet
    assert ledger.integrity is not None and ledger.integrity.status == integrity.CHECKING
    ledger.close()
    if forgery is None:
        assert ledger.integrity.status == integrity.VERIFIED
        assert snapshot_file(world).read_bytes() != content  # of the entry written since
        world.ledger = open_ledger(world.root, clock=world.clock)
        assert world.ledger.snapshot_size == world.ledger.size
    else:
        assert ledger.integrity.status == integrity.FAILED
        assert snapshot_file(world).read_bytes() == content


def test_closing_before_the_re_hash_ends_concludes_nothing() -> None:
    tree = MerkleTree.from_leaf_hashes(bytes(range(32)) * 8)
    failures: list[Error] = []
    check = integrity.KeptHashes(tree, tree.size, StateMap(), failures.append)
    check.stop()
    assert check.wait() == integrity.CHECKING and failures == []


@pytest.mark.parametrize("chunk", [merkle.REHASH_CHUNK, 2, 1])
def test_the_kernel_re_hash_counts_each_node_not_the_leaves_hash(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(merkle, "REHASH_CHUNK", chunk)  # one chunk a level, or many
    leaves = b"".join(bytes([i]) * 32 for i in range(11))
    tree = MerkleTree.from_leaf_hashes(leaves)
    assert tree.stale_nodes(11) == 0
    upper = tree.upper_levels(11)
    upper[0] = _flip(upper[0], 40)  # node 1 of level 1
    upper[2] = _flip(upper[2], 0)  # node 0 of level 3 (the top of the first 8)
    assert MerkleTree.from_levels(leaves, upper).stale_nodes(11) == 2
    grown = MerkleTree.from_levels(leaves, upper)
    grown.append(bytes(32))  # a leaf past the size re-hashed: not counted, not read
    assert grown.stale_nodes(11) == 2 and grown.stale_nodes(10) == 2
    pairs = [(map_key("did", str(i)), map_value(bytes(32), i)) for i in range(40)]
    good = StateMap.build(pairs)
    shape, keys, values, hashes = good.packed()
    assert StateMap.from_packed(shape, keys, values, hashes).stale_hashes() == 0
    bad = hashes[:64] + _flip(hashes[64:96], 3) + hashes[96:]
    assert StateMap.from_packed(shape, keys, values, bad).stale_hashes() == 1
