"""The ledger's witnessing against three real witness services on loopback: readers are served
checkpoints a quorum cosigned, each witness holds the ledger's size, and a second store under
the same key (a split view) is refused by every witness, which keeps the evidence."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import CosignerKey, verify_cosignatures
from civicid.tlog_policy import TlogPolicy
from cli.harness import serving
from ledger.setup import open_ledger
from ledger.witness.app import create_app
from ledger.witness.evidence import Evidence, EvidenceStore
from ledger.witness.models import EvidenceList
from ledger.witness.request import AddCheckpoint
from ledger.witness.settings import WitnessSettings
from ledger.witness.state import StateStore
from ledger.witness.witness import FollowedLog, Witness
from ledger.witnessing import Witnessing
from tests.ledger.conftest import World

pytestmark = pytest.mark.xdist_group("loopback")
DEADLINE = 20.0  # seconds to wait for cosignatures on a loaded machine
NAMES = ("w1", "w2", "w3")


def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Cluster:
    def __init__(self, world: World, root: Path, stack: ExitStack) -> None:
        self.witnesses: dict[str, Witness] = {}
        self.urls: dict[str, str] = {}
        for name in NAMES:
            home = root / name
            witness = Witness(
                CosignerKey.generate(f"{name}.example/witness"),
                [FollowedLog(world.origin, (NoteVerifier(world.genesis.vkey),))],
                StateStore(home / "state"),
                EvidenceStore(home / "evidence"),
            )
            stack.callback(witness.close)
            settings = WitnessSettings(data_dir=home, port=0)
            app = create_app(settings, witness=witness)
            self.urls[name] = stack.enter_context(serving(app, 0, settings=settings))
            self.witnesses[name] = witness
        lines = [f"witness {n} {w.key.vkey()} {self.urls[n]}" for n, w in self.witnesses.items()]
        self.policy_text = "\n".join([*lines, "group all3 2 w1 w2 w3", "quorum all3", ""])

    def cosigners(self, note: str) -> set[str]:
        keys = [w.key.verifier() for w in self.witnesses.values()]
        return {v.cosigner.name for v in verify_cosignatures(note, keys)}


@pytest.fixture
def cluster(world: World, tmp_path: Path) -> Iterator[Cluster]:
    with ExitStack() as stack:
        running = Cluster(world, tmp_path / "witnesses", stack)
        witnessing = Witnessing(
            world.ledger, TlogPolicy.parse(running.policy_text), interval=3600, timeout=5.0
        )
        witnessing.start()
        stack.callback(witnessing.close)
        yield running


def test_readers_get_checkpoints_the_witnesses_cosigned(world: World, cluster: Cluster) -> None:
    until(lambda: len(cluster.cosigners(world.ledger.checkpoint)) == 3, "three cosignatures")
    world.register("agency")
    size = world.ledger.signed.size
    until(
        lambda: world.ledger.size == size and len(cluster.cosigners(world.ledger.checkpoint)) == 3,
        "the new checkpoint cosigned",
    )
    note = world.ledger.checkpoint
    checkpoint = open_checkpoint(note, NoteVerifier(world.genesis.vkey), origin=world.origin)
    witnessed = CheckpointPolicy.parse(cluster.policy_text).check(
        note, checkpoint, now=int(time.time())
    )
    assert set(witnessed.cosigners) == set(NAMES)
    for witness in cluster.witnesses.values():
        record = witness.state.get(world.origin)
        assert record is not None and (record.size, record.root) == (size, checkpoint.root)


def test_a_split_view_is_refused_by_every_witness(
    world: World, cluster: Cluster, tmp_path: Path
) -> None:
    until(lambda: len(cluster.cosigners(world.ledger.checkpoint)) == 3, "genesis cosigned")
    # A second store under the same key: a copy of this one, then another history.
    shutil.copytree(world.root, tmp_path / "fork", ignore=shutil.ignore_patterns("witnesses"))
    fork = World(
        tmp_path / "fork",
        world.genesis,
        open_ledger(tmp_path / "fork", clock=world.clock),
        world.clock,
    )
    try:
        base = world.ledger.size
        world.register("agency")
        fork.register("agency")  # another DID: the same size, another root
        size = world.ledger.signed.size
        until(lambda: world.ledger.size == size, "the honest checkpoint cosigned")
        assert fork.ledger.signed.size == size
        forked_note = fork.ledger.signed.checkpoint
        forked = open_checkpoint(forked_note, NoteVerifier(world.genesis.vkey))
        assert forked.root != world.ledger.root(size)
        proof = tuple(fork.ledger.consistency_proof(base, size))
        for name, url in cluster.urls.items():
            for request in (
                AddCheckpoint(base, proof, forked_note),
                AddCheckpoint(size, (), forked_note),
            ):
                answer = httpx.post(url + "/add-checkpoint", content=request.to_body(), timeout=10)
                assert answer.status_code == 409, (name, answer.text)
                assert answer.json()["error"] == "witness_checkpoint_conflict"
            (piece,) = EvidenceList.from_json(
                httpx.get(url + "/evidence", timeout=10).content
            ).evidence
            known, conflicting = Evidence.from_view(piece).check(NoteVerifier(world.genesis.vkey))
            assert (known.root, conflicting.root) == (world.ledger.root(size), forked.root)
    finally:
        fork.ledger.close()
