"""Opening the log: refuse a log shorter than a snapshot this ledger signed, load the state
snapshot if it describes this log, replay the entries after it, then, before anything is
signed, hold the result to the last signed checkpoint: the stored tree must extend it and the
rebuilt state map must be the one it commits to.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.errors import Error
from civicid.merkle import HASH_SIZE, MerkleTree
from civicid.statemap import root_in
from civicid.transaction import GENESIS, Transaction
from ledger import rules, ruleset
from ledger import snapshot as snapshots
from ledger.errors import CHECKPOINT_MISMATCH, STATE_MAP_MISMATCH, STATE_SNAPSHOT_INVALID
from ledger.state import State
from ledger.store import LogStore, checkpoint_size, first_record, rolled_back

# How often a long replay reports its progress (entries).
PROGRESS_EVERY: Final = 10_000
# A replay of more entries than this rebuilds the state map once at the end; a shorter one
# (the few entries after a snapshot) updates the loaded map in place, a path per entry.
DEFER_MAP_ABOVE: Final = 1_000

# What opening tells its caller as it goes (``Loading.step``).
SNAPSHOT_LOADED: Final = "snapshot-loaded"  # done: entries it covers; total: in the log
SNAPSHOT_REFUSED: Final = "snapshot-refused"  # reason: why; the whole log is replayed
REPLAYED: Final = "replayed"  # done: entries replayed so far (from 0); total: in the log


@dataclass(frozen=True, slots=True)
class Loading:
    step: str
    done: int
    total: int
    reason: str | None = None


Progress = Callable[[Loading], None]


@dataclass(slots=True)
class Opened:
    """What the log held at open: its tree and state, and how they were obtained."""

    tree: MerkleTree
    state: State
    snapshot_size: int = 0  # entries the snapshot covered (0: none used)
    snapshot_refused: str | None = None  # why a snapshot found was not used
    snapshot_format: int = 0  # the format of the snapshot used (0: none used)
    # The state map's root when the state stood at the last signed checkpoint's size, if
    # that size was reached while opening (see ``check_last_checkpoint``).
    map_root_at: dict[int, bytes] = field(default_factory=dict)


class Early:
    """The snapshot prepared while ``log.dat`` is walked by other processes (the store's
    ``meanwhile``): everything of its load but holding it to the log's leaf hashes
    (``snapshots.prepare``), with the checkpoint key named by the log's first record as
    read before the walk. ``load`` then uses it only if the walk found that very record
    first; else the snapshot is loaded as without it."""

    def __init__(self, log: Path, snapshot: snapshots.Slot) -> None:
        self.log, self.snapshot = log, snapshot
        self.genesis: bytes | None = None  # the record the key was taken from
        self.prepared: snapshots.Prepared | None = None
        self.refused: str | None = None  # why the snapshot cannot be used

    def __call__(self) -> None:
        first = first_record(self.log)
        if first is None or not self.snapshot.exists():
            return
        try:
            genesis = Transaction.parse(first)
        except Error:
            return  # loaded (or refused) as without it, once the walk is done
        self.genesis = first
        try:
            if genesis.type != GENESIS:
                raise STATE_SNAPSHOT_INVALID("the log does not start with a genesis")
            vkey = str(genesis.body.get("checkpointKey"))
            with collector_paused():
                self.prepared = snapshots.prepare(self.snapshot, vkey=vkey, origin=genesis.ledger)
        except Error as exc:
            self.refused = f"{exc.message} [{exc.code}]"


def load(
    store: LogStore,
    snapshot: snapshots.Slot | None,
    progress: Progress | None,
    early: Early | None = None,
) -> Opened:
    """Tree and state of the durable log: from the snapshot plus a replay of what follows
    it, or by replay of the whole log (our own entries: no re-verification; ``audit``
    re-checks everything). ``early``: the snapshot as prepared while the log was walked."""
    check_snapshot_witness(store, snapshot)
    hashes = store.leaf_hashes()
    total = store.size
    with collector_paused():
        opened = Opened(MerkleTree(), State(reader=store.read))
        if early is None or not _used(store, snapshot, early, opened, hashes):
            _load_snapshot(store, snapshot, opened, hashes)
        if not opened.snapshot_size:
            opened.tree = MerkleTree.from_leaf_hashes(hashes)
    release_freed_memory()
    for seq in range(opened.snapshot_size or total, total):  # the tree of what follows it
        opened.tree.append(hashes[seq * HASH_SIZE : (seq + 1) * HASH_SIZE])
    start, state = opened.snapshot_size, opened.state
    if progress is not None:
        if opened.snapshot_size:
            progress(Loading(SNAPSHOT_LOADED, start, total))
        elif opened.snapshot_refused is not None:
            progress(Loading(SNAPSHOT_REFUSED, 0, total, opened.snapshot_refused))
    # The size the last signed checkpoint names (its signature is checked after the replay):
    # the map is rebuilt at that size on the way, to be held to the root it signs.
    note = store.last_checkpoint()
    signed_size = _size_of(note) if note is not None else None
    ctx = rules.Context(now=None, verify_signatures=False)
    if total - start > DEFER_MAP_ABOVE:
        state.defer_map()  # built once at the end: one hash per node, not per entry
    for seq in range(start, total):
        if seq == signed_size:
            opened.map_root_at[seq] = state.map_root()
        digest = hashes[seq * HASH_SIZE : (seq + 1) * HASH_SIZE]
        tx = Transaction.parse(store.read(seq))
        ruleset.check(state, tx, ctx).apply(state, seq, digest)
        if progress is not None and (seq + 1) % PROGRESS_EVERY == 0:
            progress(Loading(REPLAYED, seq + 1, total))
    state.build_map()
    opened.map_root_at[total] = state.statemap.root
    if progress is not None:
        progress(Loading(REPLAYED, total, total))
    return opened


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the snapshot's millions of long-lived,
    acyclic objects are made (and enabled again after, if it was): each young-generation
    collection on the way re-walked every object made since the last, and the full ones all
    of them, which was ~40% of loading a 1M-entry snapshot. Reference counting still frees
    everything the load lets go of."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was made is young to the collector: left there, the next collections would
        # walk all of it twice on its way to the oldest generation. Freezing moves it
        # out of the generations and unfreezing puts it in the oldest, walking nothing.
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def release_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``): the
    snapshot's file and body are large buffers, freed once loaded, whose pages glibc would
    otherwise keep in the process (~140 MiB at 1M entries). With another C library, nothing."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def check_snapshot_witness(store: LogStore, path: snapshots.Slot | None) -> None:
    """The log holds at least the entries of any snapshot this ledger signed: the store
    holds its log to the last signed checkpoint, in two copies, and the snapshot is a third
    witness, so losing two files does not let the ledger open shorter and sign a fork."""
    if path is None or store.size == 0 or not path.exists():
        return
    try:
        genesis = Transaction.parse(store.read(0))
    except Error:
        return  # no genesis to name the key: the snapshot is refused later with its reason
    if genesis.type != GENESIS:
        return
    vkey = str(genesis.body.get("checkpointKey"))
    signed = snapshots.signed_size(path, vkey=vkey, origin=genesis.ledger)
    if signed is not None and signed > store.size:
        raise rolled_back(store.size, signed, path.name)


def _size_of(note: str) -> int | None:
    try:
        return checkpoint_size(note)
    except Error:
        return None  # check_last_checkpoint refuses it with its reason


def _used(
    store: LogStore,
    path: snapshots.Slot | None,
    early: Early,
    opened: Opened,
    leaves: bytes,
) -> bool:
    """Whether ``early`` decided the snapshot (its state put in ``opened``, or why not kept):
    only when it was prepared with the key of the very first record the walk found."""
    if (
        path is None
        or store.size == 0
        or early.snapshot is not path
        or store.read(0) != early.genesis  # None (no first record read) is no record
    ):
        return False
    if early.prepared is None:  # with genesis read, prepare raised one of ours: refused
        opened.snapshot_refused = early.refused
        return True
    try:
        loaded = snapshots.finish(early.prepared, leaves)
    except Error as exc:
        opened.snapshot_refused = f"{exc.message} [{exc.code}]"
        return True
    _take(store, loaded, opened)
    return True


def _take(store: LogStore, loaded: snapshots.Loaded, opened: Opened) -> None:
    loaded.state.reader = store.read
    opened.state, opened.tree = loaded.state, loaded.tree
    opened.snapshot_size, opened.snapshot_format = loaded.size, loaded.format


def _load_snapshot(
    store: LogStore, path: snapshots.Slot | None, opened: Opened, leaves: bytes
) -> None:
    """Put the snapshot's state in ``opened`` if there is one that describes this log; else
    keep why not (the log is the truth: the state is then rebuilt from it)."""
    if path is None or not path.exists() or store.size == 0:
        return
    try:
        genesis = Transaction.parse(store.read(0))
        if genesis.type != GENESIS:
            raise STATE_SNAPSHOT_INVALID("the log does not start with a genesis")
        vkey = str(genesis.body.get("checkpointKey"))
        loaded = snapshots.load(path, leaves=leaves, vkey=vkey, origin=genesis.ledger)
    except Error as exc:
        opened.snapshot_refused = f"{exc.message} [{exc.code}]"
        return
    _take(store, loaded, opened)


def check_last_checkpoint(store: LogStore, opened: Opened) -> None:
    """Before signing anything, the last checkpoint this ledger signed must describe what
    was opened:

    1. it verifies with the genesis' checkpoint key, for this origin;
    2. the stored tree is the one it signed, or an extension of it (RFC 9162 §2.1.4: its
       root at that size is the same), so no two checkpoints this ledger signs disagree;
    3. the state map rebuilt from the log (and snapshot) is the one it commits to. When the
       log runs past it (entries written but not yet acknowledged when the process
       stopped), the map is compared as it stood at the checkpoint's size, taken on the way
       during the replay; the entries past it were checked by the rules as they replayed.
       When the checkpoint is older than the snapshot used (checkpoint.dat was rolled
       back), the snapshot's own signed checkpoint was held to its map at load instead.
    """
    note = store.last_checkpoint()
    if note is None:
        return
    state = opened.state
    vkey = state.checkpoint_vkey
    try:
        if vkey is None:
            raise CHECKPOINT_MISMATCH("a checkpoint was signed but the log has no genesis")
        signed = open_checkpoint(note, NoteVerifier(vkey), origin=state.origin)
    except Error as exc:
        raise CHECKPOINT_MISMATCH(
            f"the last signed checkpoint does not verify for this log: {exc.message}"
        ) from exc
    tree = opened.tree
    if signed.size > tree.size or tree.root(signed.size) != signed.root:
        raise CHECKPOINT_MISMATCH(
            f"the stored log is not the one the last checkpoint (size {signed.size}) "
            "signed; restore log.dat from a backup (`civicid ledger repair` says more)"
        )
    rebuilt = opened.map_root_at.get(signed.size)
    if rebuilt is None:
        return  # older than the snapshot used: step 3's last case
    repair = (
        "run `civicid ledger repair` (it drops the snapshot; if a full replay still "
        "disagrees, restore log.dat from a backup)"
    )
    try:
        committed = root_in(signed.extensions)
    except Error as exc:
        raise STATE_MAP_MISMATCH(f"{exc.message} in the last signed checkpoint; {repair}") from exc
    if rebuilt != committed:
        raise STATE_MAP_MISMATCH(
            f"the state rebuilt at {signed.size:,} entries is not the one the last signed "
            f"checkpoint commits to; {repair}"
        )
