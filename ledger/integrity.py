"""The hashes a snapshot kept, hashed again once the ledger serves. Opening from a snapshot of
format 4 takes the tree's levels above its leaves and the state map's node hashes as they
were written (``ledger/snapshot.py``): their roots are held to the signed checkpoint, but the
inner nodes are vouched for by the checkpoint key alone. A snapshot re-signed with other inner
nodes (a stolen key, a writer's bug) would make the ledger serve proofs no client can verify,
and sign new roots over them. So, in a low-priority thread after start-up, every node is
recomputed from the leaves (the log's own leaf hashes; the map's keys and values, each held
to the state at load) and compared with what is served. On any difference the ledger is told
(``on_failure``): it serves no proof from those structures, writes nothing more, and says so
on ``/health`` (``snapshot_hashes_mismatch``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from civicid.errors import Error
from civicid.merkle import MerkleTree
from civicid.statemap import StateMap
from ledger.errors import SNAPSHOT_HASHES_MISMATCH
from ledger.startup import release_freed_memory

log = logging.getLogger("civicid.ledger")

# What ``KeptHashes.status`` says (``/health`` shows it as ``integrity``).
CHECKING: Final = "checking"  # not yet every node re-hashed
VERIFIED: Final = "verified"  # every node is what the leaves hash to
FAILED: Final = "failed"  # some are not: ``error`` says how many
# Seconds the re-hash sleeps after each chunk of ~1 ms of hashing: it yields the interpreter
# to the threads serving requests so that it costs them little latency. At 1M entries,
# ~1,500 chunks: ~2 s more wall time for the check, none for a request.
PAUSE_SECONDS: Final = 0.001


def unshown(check: KeptHashes | None) -> Error | None:
    """Why what a snapshot kept may not be kept again yet (a snapshot, or the answers
    rendered beside one, written from it): ``check``'s verdict once its re-hash ends, unless
    every kept hash was shown to be the log's; None then, or with no ``check`` (the state was
    replayed, not loaded with kept hashes)."""
    if check is None or check.wait() == VERIFIED:
        return None
    return check.error or SNAPSHOT_HASHES_MISMATCH("the snapshot's kept hashes were not re-hashed")


class _Stopped(Exception):
    """The ledger closed before the re-hash finished (nothing is concluded)."""


class KeptHashes:
    """The re-hash of a tree of ``size`` leaves and a state map, as served after opening."""

    def __init__(
        self,
        tree: MerkleTree,
        size: int,
        statemap: StateMap,
        on_failure: Callable[[Error], None],
    ) -> None:
        self.status: str = CHECKING
        self.error: Error | None = None
        self._tree, self._size, self._map = tree, size, statemap
        self._on_failure = on_failure
        self._hurry = threading.Event()  # no more pauses: someone waits for the verdict
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._run_lock = threading.Lock()

    def start(self) -> None:
        """Re-hash in a background thread (daemon: a process exiting does not wait for it)."""
        self._thread = threading.Thread(target=self._run, name="ledger-rehash", daemon=True)
        self._thread.start()

    def wait(self) -> str:
        """Finish the re-hash now, without pauses, and say how it ended."""
        self._hurry.set()
        if self._thread is None:
            self._run()
        else:
            self._thread.join()
        return self.status

    def stop(self) -> None:
        """Give up the re-hash (the ledger is closing); the status stays as it was."""
        self._stop.set()
        self._hurry.set()
        if self._thread is not None:
            self._thread.join()

    def _pause(self) -> None:
        if self._stop.is_set():
            raise _Stopped
        if not self._hurry.is_set():
            time.sleep(PAUSE_SECONDS)

    def _run(self) -> None:
        with self._run_lock:
            if self.status != CHECKING:
                return
            started = time.monotonic()
            try:
                tree = self._tree.stale_nodes(self._size, self._pause)
                mapped = self._map.stale_hashes(self._pause)
            except _Stopped:
                return
            except Exception:  # a bug of the check: unverified, said, and nothing stopped
                log.exception("the re-hash of the snapshot's kept hashes failed")
                return
            finally:
                release_freed_memory()  # the levels it computed: ~25 MiB at 1M entries
            if tree or mapped:
                self.error = SNAPSHOT_HASHES_MISMATCH(
                    f"{tree:,} tree node(s) and {mapped:,} state map node(s) loaded from the "
                    "snapshot are not what the log's entries hash to: the snapshot was signed "
                    "by the checkpoint key over hashes that are not the log's. No proof is "
                    "served and nothing is written; run `civicid ledger repair` and restart",
                    treeNodes=tree,
                    mapNodes=mapped,
                )
                self.status = FAILED
                log.critical("%s [%s]", self.error.message, self.error.code)
                self._on_failure(self.error)
                return
            self.status = VERIFIED
            log.info(
                "the snapshot's kept hashes re-hashed from %s leaves: all as kept (%.1f s)",
                f"{self._size:,}",
                time.monotonic() - started,
            )
