"""A mirror: a copy of a ledger, kept by following it as ``monitor`` does, and served with
the ledger's own public read API (and as tiles).

Each round (``Mirror.follow``) is a ``monitor`` run into the copy: the ledger's checkpoint
is taken through a ledger client pinned to its key (never older than the last, and proven
an extension of it), the new entries must make the tree it signs, and the whole copy is
replayed with the ledger's rules and held to the checkpoint's state map root. Only then is
the copy served at its new size, with the checkpoint exactly as the ledger served it
(cosignature lines included). Anything else refuses the round with its code: the copy and
what is served stay as they were, and a note proving a rollback or fork is kept.

A re-signed checkpoint of the same tree (a fresh timestamp or new cosignatures) is taken
without a replay: the client accepts it only if it states the same tree and state.

C2SP tlog-mirror describes mirrors that are pushed to (``add-checkpoint``, ``add-entries``)
and cosign what they hold. This mirror pulls instead, as that spec allows ("other update
processes"), and keeps its rules: entries are committed only once proven against a
checkpoint consistent with every earlier one, the mirror checkpoint is updated only after
they are durable, and it never moves back. It does not cosign.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from civicid.checkpoint import Checkpoint
from civicid.errors import Error, Unavailable, declare
from civicid.ledger_client import LedgerClient
from ledger.log import Ledger, View
from ledger.monitor import MIRROR_WAY_BACK, MonitorReport, held, monitor
from ledger.resolution import Resolver
from ledger.store import FileLogStore
from ledger.tiles import TileWriter, note_checkpoint

log = logging.getLogger(__name__)


class NotReady(Unavailable):
    """Up, but holding no verified copy to serve yet: 503, worth asking again shortly (or
    another server), not a gateway's 502."""

    http_status = 503


MIRROR_NOT_READY = declare(
    "mirror_not_ready", NotReady, "the mirror holds no verified copy of the ledger yet"
)
# Between two rounds when nothing is said: a fresh checkpoint is seen within this.
DEFAULT_INTERVAL: Final = 5.0


class Copy(Ledger):
    """The mirrored log, opened read-only: served with the checkpoint the ledger served
    (stored by ``monitor``), never one of its own."""

    def _sign_root(self, size: int, root: bytes, map_root: bytes) -> str:
        return self.store.last_checkpoint() or ""

    @classmethod
    def read(cls, directory: Path) -> Copy:
        store = FileLogStore(directory, readonly=True, way_back=MIRROR_WAY_BACK)
        try:
            return cls(store, None)
        except BaseException:
            store.close()
            raise

    def renote(self, note: str) -> None:
        """Serve ``note``, a newly signed note of the same tree (checked by the caller)."""
        self._view = View(self._view.size, note, self._view.statemap)


@dataclass(frozen=True, slots=True)
class Served:
    """What the mirror serves, replaced as one object."""

    ledger: Copy
    resolver: Resolver


@dataclass(slots=True)
class Round:
    """What the last round did: ``error`` is why it refused to advance."""

    at: float
    size: int
    fetched: int = 0
    error: Error | None = None


class Mirror:
    """A copy of the ledger ``client`` reads, in ``directory``; ``served`` is what the read
    API answers from (None until a first round succeeds, or a copy is found at start)."""

    def __init__(
        self,
        client: LedgerClient,
        directory: Path,
        *,
        tiles: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.directory = directory
        self.clock = clock
        self.served: Served | None = None
        # Told of each new ``served`` (the app points its routes at it).
        self.listeners: list[Callable[[Served], None]] = []
        self.last: Round | None = None
        self._retired: Copy | None = None  # the previous copy, closed one round later
        self._lock = threading.Lock()  # one round at a time
        # A copy that lost log.dat is refused when opened (``store_truncated``), never
        # taken for a new one and fetched again from the first entry.
        proven = held(directory) and _cut_to_checkpoint(directory)
        self.tiles: TileWriter | None = None
        if tiles is not None:
            self.tiles = TileWriter(tiles, self._entry, self._root).start()
        if proven:
            self._serve()  # what an earlier run verified: served at once, resumed from

    @property
    def size(self) -> int:
        return self.served.ledger.size if self.served is not None else 0

    def follow(self) -> Round:
        """One round; never raises an ``Error``: a refusal is kept in ``last`` (and logged)."""
        with self._lock:
            started = self.size
            try:
                report = self._advance()
            except Error as exc:
                log.error("the mirror stays at %d entries: %s [%s]", started, exc, exc.code)
                self.last = Round(self.clock(), started, error=exc)
                return self.last
            self.last = Round(self.clock(), self.size, report.fetched if report else 0)
            return self.last

    def _advance(self) -> MonitorReport | None:
        note = self.client.checkpoint_note()
        served = self.served
        if served is not None and note == served.ledger.checkpoint:
            return None
        if served is not None and _stated(note) == _stated(served.ledger.checkpoint):
            self._renote(served, note)
            return None
        report = monitor(self.client, self.directory)
        self._serve()
        return report

    def _renote(self, served: Served, note: str) -> None:
        """The tree held, under a newly signed note: verified by the client (signature, and
        the same tree and state as the one it trusts), stored, then served."""
        self.client.accept_checkpoint(note)
        store = FileLogStore(self.directory, way_back=MIRROR_WAY_BACK)
        try:
            store.put_checkpoint(note)
        finally:
            store.close()
        served.ledger.renote(note)
        self._show(Served(served.ledger, Resolver(served.ledger, before=served.resolver)))
        if self.tiles is not None:
            self.tiles.publish(served.ledger.size, note)

    def _serve(self) -> None:
        """Open the copy as it now is on disk, and serve it."""
        copy = Copy.read(self.directory)
        retired, self._retired = self._retired, self.served.ledger if self.served else None
        self._show(Served(copy, Resolver(copy)))
        if retired is not None:
            retired.close()
        # As the ledger's service does: the replayed state is long-lived, so the cyclic GC
        # should not re-walk it on every full collection (a pause readers would feel).
        gc.collect()
        gc.freeze()
        if self.tiles is not None:
            self.tiles.publish(copy.size, copy.checkpoint)

    def _show(self, served: Served) -> None:
        self.served = served
        for listener in self.listeners:
            listener(served)

    def _entry(self, seq: int) -> bytes:
        return self._ledger().entry(seq)

    def _root(self, size: int) -> bytes:
        return self._ledger().root(size)

    def _ledger(self) -> Ledger:
        served = self.served
        if served is None:
            raise MIRROR_NOT_READY()
        return served.ledger

    def close(self) -> None:
        if self.tiles is not None:
            self.tiles.stop()
        for ledger in (self._retired, self.served.ledger if self.served else None):
            if ledger is not None:
                ledger.close()
        self.served = self._retired = None


def _cut_to_checkpoint(directory: Path) -> int:
    """Drop entries past the copy's checkpoint (a round stopped, killed, after writing
    entries and before storing the checkpoint proving them leaves them unproven); returns
    the size the checkpoint proves."""
    store = FileLogStore(directory, way_back=MIRROR_WAY_BACK)
    try:
        note = store.last_checkpoint()
        proven = _stated(note).size if note else 0
        if store.size > proven:
            log.warning("dropping %d entries no checkpoint proved", store.size - proven)
            store.truncate(proven)
            store.sync()
    finally:
        store.close()
    return proven


def _stated(note: str) -> Checkpoint:
    return note_checkpoint(note)


class Follower:
    """Runs ``mirror.follow`` every ``interval`` seconds in a thread until stopped."""

    def __init__(self, mirror: Mirror, interval: float = DEFAULT_INTERVAL) -> None:
        self.mirror = mirror
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-mirror", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.mirror.follow()
            except Exception:  # a bug in one round must not stop the mirror serving
                log.exception("a mirror round failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
