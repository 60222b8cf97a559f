"""The ledger: validates transactions, appends them durably, serves checkpoints and proofs.

Submissions are checked in the caller's thread, appended under one lock, and acknowledged
only after an fsync; concurrent submitters share fsyncs (group commit: whoever finds no sync
running flushes everything written so far, the others wait for it). Readers see only the
durable prefix of the log, described by the latest signed checkpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Error, InvalidInput, NotFound, StorageError
from civicid.merkle import HASH_SIZE, MerkleTree, leaf_hash
from civicid.transaction import Transaction
from ledger import rules
from ledger.state import State
from ledger.store import FileLogStore, LogStore

# A proof request names sizes; anything beyond the durable tree is refused, never guessed.
MAX_BATCH: Final = 4096  # entries one fsync may cover; bounds the latency a batch adds


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an acknowledged submit returns: the entry is durable and in ``checkpoint``."""

    seq: int
    leaf_hash: bytes
    tx_id: str
    type: str
    checkpoint: str

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "leafHash": self.leaf_hash.hex(),
            "id": self.tx_id,
            "type": self.type,
            "checkpoint": self.checkpoint,
        }


class Ledger:
    """The log and its derived state. Thread-safe; one writer process per store."""

    def __init__(
        self,
        store: LogStore,
        signer: NoteSigner | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        self.state = State()
        self.tree = MerkleTree()
        self._by_hash: dict[bytes, int] = {}
        self._lock = threading.Lock()  # guards state, tree and appends
        self._sync = threading.Condition()
        self._syncing = False
        self._failed: Error | None = None
        self._replay()
        self._durable = self.tree.size
        self._checkpoint = self._sign_checkpoint(self._durable)

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        signer: NoteSigner | None,
        *,
        readonly: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> Ledger:
        return cls(FileLogStore(directory, readonly=readonly), signer, clock=clock)

    def _replay(self) -> None:
        """Rebuild tree and state from the durable log (our own entries: no re-verification;
        ``audit`` re-checks everything)."""
        hashes = self.store.leaf_hashes()
        self.tree = MerkleTree.from_leaf_hashes(hashes)
        ctx = rules.Context(now=None, verify_signatures=False)
        for seq in range(self.store.size):
            digest = hashes[seq * HASH_SIZE : (seq + 1) * HASH_SIZE]
            self._by_hash[digest] = seq
            tx = Transaction.parse(self.store.read(seq))
            rules.check(self.state, tx, ctx).apply(self.state, seq, digest)
        if self.signer is not None and self.state.origin not in (None, self.signer.name):
            raise StorageError(
                "ledger_key_mismatch",
                f"this store is ledger {self.state.origin!r}, not {self.signer.name!r}",
            )

    # -- writing ---------------------------------------------------------------------------

    def submit(self, text: str | bytes) -> Receipt:
        """Validate, append and make durable one transaction; raises the rule that failed."""
        if self._failed is not None:
            raise self._failed
        if self.signer is None:
            raise StorageError("store_readonly", "this ledger was opened read-only")
        tx = Transaction.parse(text)
        with self._lock:
            change = rules.check(self.state, tx, rules.Context(now=int(self.clock())))
            leaf = tx.leaf
            digest = leaf_hash(leaf)
            self.store.append([leaf], [digest])
            seq = self.tree.append(digest)
            self._by_hash[digest] = seq
            change.apply(self.state, seq, digest)
        self._wait_durable(seq + 1)
        return Receipt(seq, digest, tx.id, tx.type, self._checkpoint)

    def _wait_durable(self, size: int) -> None:
        with self._sync:
            while self._durable < size:
                if self._failed is not None:
                    raise self._failed
                if self._syncing:
                    self._sync.wait()
                    continue
                self._syncing = True
                target = self.tree.size
                self._sync.release()
                try:
                    self.store.sync()
                    checkpoint = self._sign_checkpoint(target)
                except Error as exc:
                    # The OS may have dropped the pages; nothing after the last good sync
                    # can be trusted. Refuse all writes until a restart replays the disk.
                    self._failed = StorageError("store_failed", f"ledger stopped: {exc.message}")
                    raise self._failed from exc
                finally:
                    self._sync.acquire()
                    self._syncing = False
                    self._sync.notify_all()
                self._durable = max(self._durable, target)
                self._checkpoint = checkpoint

    def _sign_checkpoint(self, size: int) -> str:
        if self.signer is None or size == 0:
            return ""
        return self.signer.sign_checkpoint(
            Checkpoint(origin=self.signer.name, size=size, root=self.tree.root(size))
        )

    # -- reading ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Entries that are durable and covered by the latest checkpoint."""
        return self._durable

    @property
    def checkpoint(self) -> str:
        return self._checkpoint

    def entry(self, seq: int) -> bytes:
        if not 0 <= seq < self._durable:
            raise NotFound("entry_not_found", f"no entry {seq} in a log of {self._durable}")
        return self.store.read(seq)

    def seq_of(self, digest: bytes) -> int:
        seq = self._by_hash.get(digest)
        if seq is None or seq >= self._durable:
            raise NotFound("entry_not_found", "no entry with that leaf hash")
        return seq

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        size = self._durable if size is None else size
        self._check_size(size)
        if not 0 <= seq < size:
            raise InvalidInput("proof_out_of_range", f"entry {seq} is not in a tree of {size}")
        return self.tree.inclusion_proof(seq, size)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        new = self._durable if new is None else new
        self._check_size(new)
        if not 0 < old <= new:
            raise InvalidInput("proof_out_of_range", f"need 0 < old <= new, got {old}, {new}")
        return self.tree.consistency_proof(old, new)

    def root(self, size: int) -> bytes:
        self._check_size(size)
        return self.tree.root(size)

    def _check_size(self, size: int) -> None:
        if not 0 < size <= self._durable:
            raise InvalidInput(
                "proof_out_of_range", f"tree size {size} is beyond the log ({self._durable})"
            )

    def entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        for seq in range(start, self._durable):
            yield seq, self.store.read(seq)

    def close(self) -> None:
        with self._lock:
            self.store.close()
