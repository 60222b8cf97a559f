"""The ledger: validates transactions, appends them durably, serves checkpoints and proofs.

Group commit: a submission is parsed in the caller's thread and queued; the first submitter
to find no commit running becomes the committer, checks everything queued against the state
in order and writes it as one batch; a sync thread fsyncs each written batch (one fsync for
all batches written since the last), signs one checkpoint and only then acknowledges. The
two overlap, so validation of the next batch proceeds during the fsync. Readers see only the
durable prefix of the log, described by the latest signed checkpoint, or, when witnesses
cosign it (``ledger/witnessing.py``), by the latest one they cosigned (``serve``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import INTERNAL_ERROR, Error
from civicid.merkle import PROOF_OUT_OF_RANGE, leaf_hash
from civicid.statemap import RefusedMap, StateMap, extension_line
from civicid.transaction import GENESIS, Transaction
from civicid.wire import Receipt
from ledger import integrity, rules, ruleset, startup
from ledger import snapshot as snapshots
from ledger.errors import (
    ENTRY_NOT_FOUND,
    GENESIS_ONLY_BY_INIT,
    LEDGER_KEY_MISMATCH,
    STORE_FAILED,
    STORE_READONLY,
)
from ledger.inclusion import RightEdge
from ledger.leaf_index import LeafIndex
from ledger.startup import Progress
from ledger.state import DidVersion
from ledger.store import FileLogStore, LogStore

log = logging.getLogger("civicid.ledger")

# Entries one fsync may cover: bounds the latency a batch adds to its first submitter.
MAX_BATCH: Final = 4096


@dataclass(frozen=True, slots=True)
class View:
    size: int
    checkpoint: str
    statemap: StateMap = field(default_factory=StateMap)  # the state the checkpoint signs


def _not_genesis(tx: Transaction) -> Transaction:
    if tx.type == GENESIS:
        raise GENESIS_ONLY_BY_INIT("a genesis is written by `civicid ledger init`, never submitted")
    return tx


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(slots=True)
class _Pending:
    """A submitted transaction waiting for its batch to be committed."""

    tx: Transaction
    done: threading.Event = field(default_factory=threading.Event)
    on_done: Callable[[], None] | None = None  # also called when done (async submitters)
    seq: int = -1
    digest: bytes = b""
    receipt: Receipt | None = None
    error: Error | None = None

    def finish(self) -> None:
        self.done.set()
        if self.on_done is not None:
            self.on_done()

    def result(self) -> Receipt:
        if self.error is not None:
            raise self.error
        assert self.receipt is not None
        return self.receipt


class Ledger:
    """The log and its derived state. Thread-safe; one writer process per store."""

    def __init__(
        self,
        store: LogStore,
        signer: NoteSigner | None,
        *,
        clock: Callable[[], float] = time.time,
        progress: Progress | None = None,
        snapshot: Path | snapshots.Row | None = None,
        early: startup.Early | None = None,
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        self.snapshot_path = snapshot  # where the state snapshot lives (ledger/snapshot.py)
        opened = startup.load(store, snapshot, progress, early)
        self.tree, self.state = opened.tree, opened.state
        self._by_hash = LeafIndex(self.tree)  # built on its first use
        self._edge = RightEdge(self.tree)  # inclusion proofs' right edge, hashed once a size
        self.snapshot_size = opened.snapshot_size  # entries the latest snapshot describes
        self.snapshot_refused = opened.snapshot_refused  # why a snapshot found was not used
        self._check_keys()
        # Before signing anything: the last signed checkpoint describes what was opened.
        startup.check_last_checkpoint(store, opened)
        # Why no proof is served (the hashes a snapshot kept are not the log's); None: served.
        self._unprovable: Error | None = None
        # The tree's and map's hashes a snapshot kept, hashed again in the background.
        self.integrity: integrity.KeptHashes | None = None
        if opened.snapshot_format >= snapshots.FORMAT:
            self.integrity = integrity.KeptHashes(
                self.tree, self.tree.size, self.state.statemap, self._hashes_not_kept
            )
        self._lock = threading.Lock()  # guards state, tree and appends
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._committing = False
        self._failed: Error | None = None
        # Written batches waiting for their fsync; the syncer thread makes them durable
        # while the committer validates the next batch (the two overlap: group commit).
        self._sync_cv = threading.Condition()
        self._sync_jobs: list[tuple[int, list[_Pending], StateMap]] = []
        self._syncer: threading.Thread | None = None
        self._closing = False
        self._closed = False
        # Told of each newly signed checkpoint, after its writers are answered (the tiles
        # follow the log this way); each must return at once: it runs on the sync thread.
        self.listeners: list[Callable[[View], None]] = []
        # (size, checkpoint) replaced as one object, so readers never pair a size with
        # another size's checkpoint.
        self._view = View(
            self.tree.size, self._sign_checkpoint(self.tree.size), self.state.statemap
        )
        # What readers are told: the latest signed view, or the latest one witnesses cosigned
        # (``serve``); None means the signed one.
        self._served: View | None = None
        if self._view.checkpoint and not store.readonly:
            self.store.put_checkpoint(self._view.checkpoint)
            # After a long replay, or from a snapshot of an older format: the next open
            # loads a fresh one of the current format.
            if (
                self._view.size - self.snapshot_size >= snapshots.REFRESH_AFTER
                or 0 < opened.snapshot_format < snapshots.FORMAT
            ):
                with contextlib.suppress(Error):  # only the next start-up's speed is lost
                    # Not the answers rendered ahead (~9 s at 1M entries, before serving):
                    # first answers are rendered as asked until the snapshot of the close.
                    self._write_snapshot(answers=False)
        if self.integrity is not None:
            self.integrity.start()

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        signer: NoteSigner | None,
        *,
        readonly: bool = False,
        create: bool = False,
        clock: Callable[[], float] = time.time,
        progress: Progress | None = None,
    ) -> Ledger:
        snapshot = directory / snapshots.FILE
        snapshots.check_file(snapshot)
        # The snapshot is prepared while other processes walk log.dat (``startup.Early``).
        early = startup.Early(directory / "log.dat", snapshot)
        store = FileLogStore(directory, readonly=readonly, create=create, meanwhile=early)
        try:
            return cls(
                store,
                signer,
                clock=clock,
                progress=progress,
                snapshot=snapshot,
                early=early,
            )
        except BaseException:
            store.close()
            raise

    def _check_keys(self) -> None:
        if self.signer is not None and self.state.origin not in (None, self.signer.name):
            raise LEDGER_KEY_MISMATCH(
                f"this store is ledger {self.state.origin!r}, not {self.signer.name!r}",
            )
        vkey = self.state.checkpoint_vkey
        if self.signer is not None and vkey is not None and self.signer.vkey() != vkey:
            raise LEDGER_KEY_MISMATCH(
                "the checkpoint key in the key store is not the one this ledger's genesis names"
            )

    def _write_snapshot(self, *, answers: bool = True) -> None:
        """Snapshot the state as of the current checkpoint (at open after a long replay, and
        at close), signed with the checkpoint key: the next open replays only what follows.
        Only when the state is exactly the checkpoint's (nothing written past it). With
        ``answers``, the plain answers are rendered ahead beside it (``ledger.answers_file``)."""
        view = self._view
        if (
            self.snapshot_path is None
            or self.signer is None
            or self.store.readonly
            or not view.checkpoint
            or self.tree.size != view.size
        ):
            return
        if integrity.unshown(self.integrity) is not None:
            return  # never kept again before every kept hash is shown to be the log's
        snapshots.write(
            self.snapshot_path,
            self.state,
            view.size,
            view.checkpoint,
            self.signer,
            self.tree,
            answers=answers,
        )
        self.snapshot_size = view.size

    # -- writing ---------------------------------------------------------------------------

    def submit(self, text: str | bytes) -> Receipt:
        """Validate, append and make durable one transaction; raises the rule that failed.

        Returns once the entry is durable and covered by a signed checkpoint (see the module
        docstring for how concurrent submitters share the work).
        """
        if self._failed is not None:
            raise self._failed
        if self.signer is None or self.store.readonly:
            raise STORE_READONLY("this ledger was opened read-only")
        pending = _Pending(_not_genesis(Transaction.parse(text)))
        if self._enqueue(pending):
            self._commit_until_empty()
        pending.done.wait()
        return pending.result()

    async def submit_async(self, text: str | bytes) -> Receipt:
        """``submit`` for an event loop: the caller awaits instead of holding a thread; only
        the submitter that becomes the committer runs the batch in a worker thread."""
        if self._failed is not None:
            raise self._failed
        if self.signer is None or self.store.readonly:
            raise STORE_READONLY("this ledger was opened read-only")
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        pending = _Pending(_not_genesis(Transaction.parse(text)))

        def wake() -> None:
            loop.call_soon_threadsafe(_resolve, done)

        pending.on_done = wake
        if self._enqueue(pending):
            await asyncio.to_thread(self._commit_until_empty)
        await done
        return pending.result()

    def submit_genesis(self, text: str) -> Receipt:
        """The first entry, written by ``ledger init`` only: never over ``submit``."""
        if self.signer is None or self.store.readonly:
            raise STORE_READONLY("this ledger was opened read-only")
        pending = _Pending(Transaction.parse(text))
        if pending.tx.type != GENESIS or self.store.size:
            raise GENESIS_ONLY_BY_INIT("a genesis is the first entry of a new ledger only")
        if self._enqueue(pending):
            self._commit_until_empty()
        pending.done.wait()
        return pending.result()

    def _enqueue(self, pending: _Pending) -> bool:
        """Queue ``pending``; True if the caller must now run the commit loop."""
        with self._queue_lock:
            self._queue.append(pending)
            leader = not self._committing
            self._committing = True
        return leader

    def _commit_until_empty(self) -> None:
        batch: list[_Pending] = []
        try:
            while True:
                with self._queue_lock:
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                    if not batch:
                        self._committing = False
                        return
                try:
                    self._commit(batch)
                except Error as exc:
                    self._fail(batch, exc)
        except BaseException:
            # A bug while applying or writing: the state may be half-changed, so stop, and
            # answer everyone waiting rather than leave them hanging. What went wrong is in
            # the server's log only: an exception's text can carry paths or data, and this
            # message is every later submitter's answer.
            log.exception("commit failed: the ledger stops taking entries until restarted")
            with self._queue_lock:
                rest, self._queue = self._queue, []
                self._committing = False
            self._fail(batch + rest, STORE_FAILED("commit failed (the ledger's log says why)"))
            raise

    def _commit(self, batch: list[_Pending]) -> None:
        ctx = rules.Context(now=int(self.clock()))
        accepted: list[_Pending] = []
        leaves: list[bytes] = []
        digests: list[bytes] = []
        with self._lock:
            base = self.tree.size
            for pending in batch:
                if self._failed is not None:
                    pending.error = self._failed
                    continue
                try:
                    change = ruleset.check(self.state, pending.tx, ctx)
                except Error as exc:
                    pending.error = exc
                    continue
                except Exception:  # a rule's bug refuses its entry, not the ledger:
                    # checks read the state and never change it. Its detail (which can
                    # carry paths or data) goes to the server's log, not to the submitter.
                    log.exception("a rule failed checking a %s entry", pending.tx.type)
                    pending.error = INTERNAL_ERROR("a rule failed checking this entry")
                    continue
                seq = base + len(leaves)
                pending.seq, pending.digest = seq, leaf_hash(pending.tx.leaf)
                # Applied at once so later entries of the batch see it (create, then update).
                # Not yet visible to readers: they see only the durable prefix.
                change.apply(self.state, seq, pending.digest)
                leaves.append(pending.tx.leaf)
                digests.append(pending.digest)
                accepted.append(pending)
            if leaves:
                self.store.append(leaves, digests)
                for pending in accepted:
                    self.tree.append(pending.digest)
                    self._by_hash.add(pending.digest, pending.seq)
        for pending in batch:
            if pending.error is not None:
                pending.finish()  # refusals need no fsync
        if accepted:
            self._start_syncer()
            with self._sync_cv:
                self._sync_jobs.append((base + len(leaves), accepted, self.state.statemap))
                self._sync_cv.notify()

    def _start_syncer(self) -> None:
        if self._syncer is None:
            self._syncer = threading.Thread(target=self._sync_loop, name="ledger-sync", daemon=True)
            self._syncer.start()

    def _sync_loop(self) -> None:
        """Make written batches durable, newest size first: one fsync covers every batch
        written before it; then sign one checkpoint and acknowledge them all."""
        while True:
            with self._sync_cv:
                while not self._sync_jobs and not self._closing:
                    self._sync_cv.wait()
                if not self._sync_jobs:
                    return
                jobs, self._sync_jobs = self._sync_jobs, []
            size, statemap = jobs[-1][0], jobs[-1][2]
            waiting = [pending for _, accepted, _ in jobs for pending in accepted]
            if self._failed is not None:
                # After a failed fsync the kernel may have dropped earlier pages: nothing
                # written since can be acknowledged (the PostgreSQL fsync lesson).
                self._fail(waiting, self._failed)
                continue
            try:
                self.store.sync()
                with self._lock:
                    root = self.tree.root(size)
                checkpoint = self._sign_root(size, root, statemap.root)
                # Durable before anyone is told: start-up holds the log to it.
                self.store.put_checkpoint(checkpoint)
            except Error as exc:
                self._fail(waiting, exc)
                continue
            self._view = View(size, checkpoint, statemap)
            for pending in waiting:
                pending.receipt = Receipt(
                    seq=pending.seq,
                    leaf_hash=pending.digest,
                    id=pending.tx.id,
                    type=pending.tx.type,
                    tree_size=size,
                    checkpoint=checkpoint,
                )
                pending.finish()
            for listener in self.listeners:
                listener(self._view)

    @property
    def failure(self) -> Error | None:
        """Why the ledger takes no more entries (a write, sync or check failed), or None."""
        return self._failed

    def _fail(self, batch: list[_Pending], exc: Error) -> None:
        """A write or sync failed: state may be ahead of the disk, so nothing more is
        accepted until a restart replays the log (the store already cut its torn tail)."""
        self._failed = STORE_FAILED(f"ledger stopped: {exc.message}")
        for pending in batch:
            if pending.receipt is None:
                pending.error = self._failed
            pending.finish()

    def _sign_checkpoint(self, size: int) -> str:
        if not size:
            return ""
        return self._sign_root(size, self.tree.root(size), self.state.statemap.root)

    def _sign_root(self, size: int, root: bytes, map_root: bytes) -> str:
        """Sign the tree head, with the state map's root as an extension line."""
        if self.signer is None or size == 0:
            return ""
        extensions = (extension_line(map_root),)
        return self.signer.sign_checkpoint(
            Checkpoint(origin=self.signer.name, size=size, root=root, extensions=extensions)
        )

    def _hashes_not_kept(self, error: Error) -> None:
        """The re-hash found kept hashes that are not the log's (``ledger/integrity.py``):
        no proof from them, and nothing more signed over them (called from its thread)."""
        self._unprovable = error
        self._failed = error

    # -- witnessing ------------------------------------------------------------------------

    def watch(self, callback: Callable[[View], None]) -> None:
        """Add ``callback`` to the ``listeners`` of each newly signed view."""
        self.listeners.append(callback)

    def unwatch(self, callback: Callable[[View], None]) -> None:
        with contextlib.suppress(ValueError):
            self.listeners.remove(callback)

    def serve(self, view: View) -> None:
        """Tell readers ``view`` from now on: a signed view with its cosignatures appended to
        its checkpoint (it may be older than the latest signed one, never beyond it)."""
        if view.size > self._view.size:
            raise PROOF_OUT_OF_RANGE(f"tree size {view.size} is beyond the log")
        self._served = view

    @property
    def signed(self) -> View:
        """The latest signed view (what witnesses are asked to cosign)."""
        return self._view

    # -- reading ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Entries that are durable and covered by the checkpoint readers are told."""
        return self.view.size

    @property
    def checkpoint(self) -> str:
        return self.view.checkpoint

    @property
    def view(self) -> View:
        """The durable tree size and the checkpoint that signs it, read together: the latest
        cosigned one when witnesses cosign (``serve``), else the latest signed."""
        served = self._served
        view = self._view if served is None else served
        if self._unprovable is not None:  # no map proof either (``_hashes_not_kept``)
            return View(view.size, view.checkpoint, RefusedMap(self._unprovable))
        return view

    def entry(self, seq: int) -> bytes:
        if not 0 <= seq < self._view.size:
            raise ENTRY_NOT_FOUND(f"no entry {seq} in a log of {self._view.size}")
        return self.store.read(seq)

    def document_of(self, version: DidVersion) -> dict[str, Any] | None:
        """The document of ``version`` as logged (None for a deactivation)."""
        return self.state.document_data(version)

    def seq_of(self, digest: bytes) -> int:
        seq = self._by_hash.find(digest)
        if seq is None or seq >= self._view.size:
            raise ENTRY_NOT_FOUND("no entry with that leaf hash")
        return seq

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        self._check_provable()
        size = self._view.size if size is None else size
        self._check_size(size)
        if not 0 <= seq < size:
            raise PROOF_OUT_OF_RANGE(f"entry {seq} is not in a tree of {size}")
        return self._edge.proof(seq, size)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        self._check_provable()
        new = self._view.size if new is None else new
        self._check_size(new)
        if not 0 < old <= new:
            raise PROOF_OUT_OF_RANGE(f"need 0 < old <= new, got {old}, {new}")
        return self._edge.consistency(old, new)

    def root(self, size: int) -> bytes:
        self._check_provable()
        self._check_size(size)
        return self.tree.root(size)

    def _check_provable(self) -> None:
        if self._unprovable is not None:
            raise self._unprovable

    def _check_size(self, size: int) -> None:
        if not 0 < size <= self._view.size:
            raise PROOF_OUT_OF_RANGE(f"tree size {size} is beyond the log ({self._view.size})")

    def entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        for seq in range(start, self._view.size):
            yield seq, self.store.read(seq)

    def close(self) -> None:
        """Finish pending syncs and release the store (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with self._sync_cv:
            self._closing = True
            self._sync_cv.notify()
        if self._syncer is not None:
            self._syncer.join()
        with self._lock:
            if self._failed is None and self._view.size > self.snapshot_size:
                with contextlib.suppress(Error):  # only start-up speed is lost, not data
                    self._write_snapshot()
            if self.integrity is not None:
                self.integrity.stop()
            self.store.close()
