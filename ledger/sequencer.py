"""The ledger's two roles on PostgreSQL: one sequencer writes, any number of readers serve.

The sequencer is the ``Ledger`` over a ``PgLogStore`` holding the database's advisory lock:
it validates, commits and signs exactly as over files. A reader (``Reader``) opens the same
database (or a hot standby of it) read-only, loads the state snapshot the sequencer keeps
and replays what follows it up to the last signed checkpoint, then follows the sequencer:
each new checkpoint is taken only once the entries it covers, applied here, give the tree
root and state map root it signs. Until then the reader keeps answering from the last one
it checked; a checkpoint that does not check (or a database gone backwards) is never
served, and the reader says why on ``/health`` and in its log.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from civicid.checkpoint import Checkpoint, NoteSigner, NoteVerifier, open_checkpoint
from civicid.db import DATABASE_LOST
from civicid.errors import Error
from civicid.merkle import HASH_SIZE
from civicid.statemap import StateMap, root_in
from civicid.transaction import Transaction
from civicid.wire import Receipt
from ledger import integrity, rules, ruleset
from ledger import snapshot as snapshots
from ledger.errors import (
    CHECKPOINT_MISMATCH,
    LEDGER_KEY_MISMATCH,
    LEDGER_READER_ONLY,
    STORE_CORRUPT,
    STORE_FAILED,
)
from ledger.log import Ledger, View, _Pending
from ledger.pg_store import PgLogStore, PgSnapshot
from ledger.startup import Progress

# How often a reader asks the database for a newer checkpoint: one small query; a write
# is visible at every reader within this (a hot standby adds its replay lag). Polled, not
# LISTEN/NOTIFY: notifications do not reach a hot standby.
FOLLOW_EVERY: Final = 0.2
# Entries a reader applies per step while catching up: the lock readers of the state wait
# on is held for one step at a time, not for a whole long catch-up.
FOLLOW_STEP: Final = 10_000
# Signed sizes whose state map a reader keeps, for a cosigned checkpoint that lags the
# signed one (as ledger/witnessing.py keeps its views).
MAX_MAPS: Final = 256
# The meta key where the sequencer writes the URL it serves on (readers name it in refusals).
SEQUENCER_URL: Final = "sequencerUrl"

log = logging.getLogger("civicid.ledger")


def open_sequencer(
    url: str,
    signer: NoteSigner | None,
    *,
    wait: float = 0.0,
    clock: Callable[[], float] = time.time,
    progress: Progress | None = None,
) -> Sequencer:
    """The one writer: takes the advisory lock (waiting ``wait`` seconds for a live
    sequencer to stop), opens the log and signs a checkpoint over all it committed."""
    return Sequencer(url, signer, wait=wait, clock=clock, progress=progress)


class Sequencer(Ledger):
    """The one writer over the database. A connection lost mid-request fails the batch it
    cut with ``database_lost`` (retryable: its transaction rolled back whole, or committed
    whole and then signed at the reopen, never half); the next write reopens the log from
    what the database committed, taking the lock again, and goes on without a restart.

    A re-hash that found the snapshot's kept hashes not the log's (``ledger/integrity.py``)
    is remembered: reopening would load the same snapshot and only fail the same check again,
    taking writes until it did. Every write is refused with ``snapshot_hashes_mismatch``,
    without reopening, until the database holds another snapshot (or none) and the re-hash
    of what the reopen loads passes, or the process restarts."""

    store: PgLogStore

    def __init__(
        self,
        url: str,
        signer: NoteSigner | None,
        *,
        wait: float = 0.0,
        clock: Callable[[], float] = time.time,
        progress: Progress | None = None,
    ) -> None:
        self.url = url
        self._reopening = threading.Lock()
        # The re-hash's verdict against the snapshot opened (set from its thread, so before
        # the ledger opens), and that snapshot's head: how it is known to be there still.
        self._found_wanting: Error | None = None
        self._opened_head: bytes | None = None
        store = PgLogStore(url, wait=wait)
        slot = store.snapshot
        try:
            super().__init__(store, signer, clock=clock, progress=progress, snapshot=slot)
        except BaseException:
            store.close()
            raise
        self._opened_head = self._head(slot)
        slot.forget()

    def _head(self, slot: PgSnapshot) -> bytes | None:
        """The head of the snapshot whose hashes were kept (read at the open: not fetched
        again), None when none was: then no re-hash runs."""
        return None if self.integrity is None else slot.read_bytes()[: snapshots.HEAD_BYTES]

    def _hashes_not_kept(self, error: Error) -> None:
        self._found_wanting = error  # before the failure writes see: they find it remembered
        super()._hashes_not_kept(error)

    def _same_snapshot(self) -> bool:
        """Whether the database still holds the snapshot found wanting (or cannot say)."""
        try:
            return self.store.snapshot_head(snapshots.HEAD_BYTES) == self._opened_head
        except Error:
            return True  # unknown: the verdict stands

    def _fail(self, batch: list[_Pending], exc: Error) -> None:
        if not DATABASE_LOST.matches(exc):
            super()._fail(batch, exc)
            return
        self._failed = STORE_FAILED(f"ledger stopped: {exc.message}")
        for pending in batch:
            if pending.receipt is None:
                pending.error = exc  # the retryable code itself: the client tries again
            pending.finish()

    def reopen(self) -> None:
        """After a failure: the log again as the database committed it (no-op if sound)."""
        with self._reopening:
            if self._sound():
                return
            wanting = self._found_wanting
            if wanting is not None and self._same_snapshot():
                raise wanting
            listeners = self.listeners
            self.close()
            store = PgLogStore(self.url)
            slot = store.snapshot
            try:
                Ledger.__init__(self, store, self.signer, clock=self.clock, snapshot=slot)
            except BaseException:
                store.close()
                raise
            self._opened_head = self._head(slot)
            slot.forget()
            self.listeners = listeners
            log.warning("ledger sequencer reopened at %s entries after a failure", self.size)
            if wanting is not None:
                # Another snapshot: no write before its kept hashes are shown to be the log's.
                # Its verdict replaces the one kept (a re-hash that could not finish keeps it).
                if integrity.unshown(self.integrity) is not None:
                    self._failed = found = self._found_wanting or wanting
                    raise found
                self._found_wanting = None

    def serve(self, view: View) -> None:
        """Serve ``view`` (cosigned by a quorum) here, and record it for every reader."""
        super().serve(view)
        try:
            self.store.put_served(view.size, view.checkpoint)
        except Error as exc:  # readers keep the previous one; the next quorum writes again
            log.warning("cosigned checkpoint not recorded: %s [%s]", exc.message, exc.code)

    def _sound(self) -> bool:
        """Nothing failed, and no verdict kept: a reopen judging another snapshot's kept
        hashes clears it, and writes wait for that (the lock it holds)."""
        return self._failed is None and self._found_wanting is None

    def submit(self, text: str | bytes) -> Receipt:
        if not self._sound():
            self.reopen()
        return super().submit(text)

    async def submit_async(self, text: str | bytes) -> Receipt:
        if not self._sound():
            await asyncio.to_thread(self.reopen)
        return await super().submit_async(text)


class Reader(Ledger):
    """A read-only ledger process over the database (module docstring)."""

    store: PgLogStore

    def __init__(
        self,
        url: str,
        *,
        sequencer: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        store = PgLogStore(url, readonly=True)
        slot = store.snapshot
        try:
            super().__init__(store, None, progress=progress, snapshot=slot)
        except BaseException:
            store.close()
            raise
        slot.forget()
        self.sequencer = sequencer
        self.behind: str | None = None  # why the last newer checkpoint was not taken
        self._view = View(self.tree.size, store.last_checkpoint() or "", self.state.statemap)
        # The state map at each signed size taken lately: a cosigned checkpoint (which
        # lags the signed one) is served with the map of its own size.
        self._maps: dict[int, StateMap] = {}
        self._remember(self._view)
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    # -- writes go to the sequencer ----------------------------------------------------------

    def _refuse(self) -> Error:
        where = self.sequencer or self._recorded_sequencer()
        named = f" at {where}" if where else ""
        return LEDGER_READER_ONLY(
            f"this ledger process only reads; send the transaction to its sequencer{named}",
            **({"sequencer": where} if where else {}),
        )

    def _recorded_sequencer(self) -> str | None:
        try:
            found = self.store.get_meta(SEQUENCER_URL)
        except Error:
            return None
        return found if isinstance(found, str) else None

    def submit(self, text: str | bytes) -> Receipt:
        raise self._refuse()

    async def submit_async(self, text: str | bytes) -> Receipt:
        raise self._refuse()

    def submit_genesis(self, text: str) -> Receipt:
        raise self._refuse()

    # -- following ---------------------------------------------------------------------------

    def start_following(self, every: float = FOLLOW_EVERY) -> None:
        if self._follower is None:
            self._follower = threading.Thread(
                target=self._follow_loop, args=(every,), name="ledger-follow", daemon=True
            )
            self._follower.start()

    def _follow_loop(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.follow()
            except Error as exc:
                if self.behind != exc.message:
                    log.warning("ledger reader not following: %s [%s]", exc.message, exc.code)
                self.behind = exc.message

    def follow(self) -> bool:
        """Take the newest signed checkpoint, and the newest cosigned one the sequencer
        serves (with witnesses), if each checks; True if either was taken."""
        taken = self._take_signed()
        served = self._take_served()
        if taken or served:
            self.behind = None
        return taken or served

    def _open(self, note: str, what: str) -> Checkpoint:
        origin, vkey = self.state.origin, self.state.checkpoint_vkey
        if vkey is None or origin is None:
            raise CHECKPOINT_MISMATCH("the log has no genesis to check a checkpoint with")
        try:
            return open_checkpoint(note, NoteVerifier(vkey), origin=origin)
        except Error as exc:
            raise CHECKPOINT_MISMATCH(
                f"the database's {what} does not verify: {exc.message}"
            ) from exc

    def _take_signed(self) -> bool:
        found = self.store.signed_now()
        view = self._view
        if found is None or (found[0] == view.size and found[1] == view.checkpoint):
            return False
        note = found[1]
        signed = self._open(note, "checkpoint")
        if signed.size < view.size:
            raise CHECKPOINT_MISMATCH(
                f"the database's checkpoint ({signed.size:,}) is older than the one this "
                f"reader serves ({view.size:,}): a standby promoted before it caught up? "
                "this reader keeps what it checked"
            )
        if signed.size == view.size:
            if signed.root != self.tree.root(view.size):
                raise CHECKPOINT_MISMATCH("the database's checkpoint signs another log (a fork)")
            self._view = View(view.size, note, view.statemap)
            return True
        self._apply(signed.size, note)
        map_root = self.state.statemap.root
        if self.tree.root(signed.size) != signed.root or map_root != root_in(signed.extensions):
            self._failed = CHECKPOINT_MISMATCH(
                f"the entries up to {signed.size:,} are not the ones the checkpoint signs; "
                "this reader stops following (restart it once the database is repaired)"
            )
            self._stop.set()
            raise self._failed
        self._view = View(signed.size, note, self.state.statemap)
        self._remember(self._view)
        return True

    def _remember(self, view: View) -> None:
        self._maps[view.size] = view.statemap
        for size in sorted(self._maps)[: max(0, len(self._maps) - MAX_MAPS)]:
            del self._maps[size]

    def _take_served(self) -> bool:
        """The cosigned checkpoint, once it signs this log at a size this reader has
        reached (until then, or if it reached that size before it started, readers are
        served the newest signed one, as the sequencer serves them before a quorum)."""
        found = self.store.served_now()
        served = self._served
        if found is None or (served is not None and found == (served.size, served.checkpoint)):
            return False
        size, note = found
        if served is not None and size < served.size:
            raise CHECKPOINT_MISMATCH(
                f"the database's cosigned checkpoint ({size:,}) is older than the one this "
                f"reader serves ({served.size:,}); this reader keeps what it checked"
            )
        statemap = self._maps.get(size)
        if statemap is None or size > self._view.size:
            return False
        cosigned = self._open(note, "cosigned checkpoint")
        if (
            cosigned.size != size
            or cosigned.root != self.tree.root(size)
            or root_in(cosigned.extensions) != statemap.root
        ):
            raise CHECKPOINT_MISMATCH("the database's cosigned checkpoint signs another log")
        self.serve(View(size, note, statemap))
        return True

    def _apply(self, size: int, note: str) -> None:
        start = self.tree.size
        added = self.store.extend(size, note)
        ctx = rules.Context(now=None, verify_signatures=False)  # the sequencer checked them
        for first in range(start, size, FOLLOW_STEP):
            with self._lock:
                for seq in range(first, min(first + FOLLOW_STEP, size)):
                    at = (seq - start) * HASH_SIZE
                    digest = added[at : at + HASH_SIZE]
                    try:
                        tx = Transaction.parse(self.store.read(seq))
                        ruleset.check(self.state, tx, ctx).apply(self.state, seq, digest)
                    except Error as exc:
                        self._failed = STORE_CORRUPT(
                            f"entry {seq} does not replay ({exc.message}); this reader stops "
                            "following",
                            seq=seq,
                        )
                        self._stop.set()
                        raise self._failed from exc
                    self.tree.append(digest)
                    self._by_hash.add(digest, seq)

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join()
        super().close()


def refresh_snapshot(url: str, signer: NoteSigner) -> int:
    """Snapshot the log in the database at ``url`` as of its last signed checkpoint, signed
    with the checkpoint key, beside a running sequencer (which writes one only when it opens
    and stops): readers started afterwards replay only what follows it. The entries it
    covers (its size), or the size of the larger snapshot already there."""
    reader = Reader(url)
    try:
        if reader.state.checkpoint_vkey != signer.vkey():
            raise LEDGER_KEY_MISMATCH(
                "the checkpoint key in the key store is not the one this ledger's genesis names"
            )
        view = reader.signed
        if view.size <= reader.snapshot_size:
            return reader.snapshot_size
        # The new snapshot keeps the tree's and map's hashes as the reader holds them: only
        # once those it took from the snapshot it loaded are shown to be the log's.
        refused = integrity.unshown(reader.integrity)
        if refused is not None:
            raise refused
        data = snapshots.dump(reader.state, view.size, view.checkpoint, signer, reader.tree)
        if not reader.store.offer_snapshot(data, view.size):
            return reader.store.snapshot_size() or view.size
        return view.size
    finally:
        reader.close()
