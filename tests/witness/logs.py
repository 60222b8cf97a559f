"""A stand-in log for witness tests: a Merkle tree of numbered leaves signed by a note key,
and the add-checkpoint bodies a log sends (or a liar forges)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from civicid.checkpoint import Checkpoint, NoteSigner, NoteVerifier
from civicid.cosignature import CosignerKey
from civicid.merkle import MerkleTree, leaf_hash
from ledger.witness.evidence import EvidenceStore
from ledger.witness.request import AddCheckpoint
from ledger.witness.setup import Paths
from ledger.witness.state import StateStore
from ledger.witness.witness import FollowedLog, Witness

ORIGIN = "log.example/civicid"
NOW = 1_780_000_000
LOG_SEED = hashlib.sha256(b"log key").digest()
WITNESS_NAME = "witness.example/w1"
WITNESS_SEED = hashlib.sha256(b"witness key").digest()


@dataclass
class Log:
    """A log that signs its own tree; ``fork`` gives another history under the same key."""

    signer: NoteSigner = field(default_factory=lambda: NoteSigner(ORIGIN, LOG_SEED))
    tree: MerkleTree = field(default_factory=MerkleTree)
    salt: bytes = b""

    def grow(self, count: int) -> Log:
        for _ in range(count):
            self.tree.append(leaf_hash(self.salt + f"entry {self.tree.size}".encode()))
        return self

    def fork(self, at: int, salt: bytes = b"other") -> Log:
        """The same key, the first ``at`` leaves, then leaves of its own."""
        other = Log(self.signer, MerkleTree(), salt=b"")
        for index in range(at):
            other.tree.append(self.tree.leaf_hash_at(index))
        other.salt = salt
        return other

    def signer_verifier(self) -> NoteVerifier:
        return NoteVerifier(self.signer.vkey())

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        size = self.tree.size if size is None else size
        return Checkpoint(ORIGIN, size, self.tree.root(size))

    def note(self, size: int | None = None) -> str:
        return self.signer.sign_checkpoint(self.checkpoint(size))

    def request(self, old: int, size: int | None = None) -> AddCheckpoint:
        size = self.tree.size if size is None else size
        proof = self.tree.consistency_proof(old, size) if 0 < old < size else []
        return AddCheckpoint(old, tuple(proof), self.note(size))

    def body(self, old: int, size: int | None = None) -> bytes:
        return self.request(old, size).to_body()


class Clock:
    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def open_test_witness(root: Path, *logs: FollowedLog, clock: Clock | None = None) -> Witness:
    """A witness on ``root`` following ``logs`` (by default the stand-in log's key)."""
    paths = Paths(root)
    followed = logs or (FollowedLog(ORIGIN, (Log().signer_verifier(),)),)
    return Witness(
        CosignerKey(WITNESS_NAME, WITNESS_SEED),
        followed,
        StateStore(paths.state),
        EvidenceStore(paths.evidence),
        clock=clock or Clock(),
    )


def stored(root: Path) -> dict[str, bytes]:
    """Every file of the witness's state and evidence, to show a refusal changed none."""
    base = root / "witness"
    return {
        str(p.relative_to(base)): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and p.name != "LOCK"
    }
