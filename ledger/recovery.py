"""Restoring a ledger's log from a mirror. When the log lost entries the ledger had
acknowledged (``store_truncated``: fewer records than a checkpoint it signed), nothing on
this machine can bring them back; a mirror of the same log can, and nothing it serves is
taken on faith (the monitor's checks, ``ledger/monitor.py``):

1. the mirror's checkpoint verifies with this ledger's checkpoint key;
2. it covers everything this ledger is known to have signed (the longest checkpoint among
   ``checkpoint.dat``, ``acknowledged.dat``, ``meta.json`` and the state snapshot that
   verifies with that key) and every intact record of ``log.dat``;
3. the mirror's entries make the tree its checkpoint signs, and their genesis names the key;
4. that tree, at the size this ledger signed, has the root it signed, and ``log.dat``'s
   intact records are its first entries: else the two logs are a fork (two histories signed
   by one key) and nothing is changed;
5. the restored store is written beside the damaged one and swapped in; the one found is
   kept beside it (``ledger.before-repair-<time>``), never deleted.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid.checkpoint import Checkpoint, open_checkpoint
from civicid.errors import Code, Error
from civicid.files import fsync_directory, open_regular
from civicid.ledger_client import LedgerClient
from civicid.merkle import HASH_SIZE, MerkleTree
from civicid.transaction import GENESIS, Transaction
from ledger import snapshot as snapshots
from ledger.errors import (
    CHECKPOINT_MISMATCH,
    LEDGER_KEY_MISMATCH,
    REPAIR_MIRROR_BEHIND,
    STATE_SNAPSHOT_INVALID,
    STORE_CORRUPT,
    STORE_META_INVALID,
    STORE_UNAVAILABLE,
)
from ledger.monitor import Progress, fetch
from ledger.setup import Paths
from ledger.store import (
    ACKNOWLEDGED_FILE,
    CHECKPOINT_SLOT,
    LAST_CHECKPOINT,
    FileLogStore,
    hold_lock,
    read_meta,
    read_slots,
    scan,
)

ASIDE_PREFIX: Final = "ledger.before-repair-"  # + the time of the repair, UTC


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore found and did (or, a dry run, would do)."""

    intact: int  # whole records log.dat held
    signed: int  # the largest size this ledger is known to have signed (0: none found)
    size: int  # entries the restored log holds: the mirror's checkpoint
    aside: Path | None  # where the store as found was kept (None: a dry run)
    dry_run: bool

    @property
    def restored(self) -> int:
        return self.size - self.intact

    def to_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "intactRecords": self.intact,
            "signedSize": self.signed,
            "treeSize": self.size,
            "restored": self.restored,
            "keptAside": None if self.aside is None else str(self.aside),
        }


def restore_from_mirror(
    root: Path,
    client: LedgerClient,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.time,
) -> Restored:
    """Restore the log in data dir ``root`` from the mirror ``client`` reads (pinned to
    this ledger's checkpoint key), module docstring steps 1-5."""
    directory = Paths(root).log
    lock = hold_lock(directory)
    try:
        intact = _intact_leaf_hashes(directory)
        signed = _signed_here(directory, client)
        note = client.checkpoint_note()
        mirror = client.accept_checkpoint(note)  # 1.
        held, signed_size = len(intact) // HASH_SIZE, signed.size if signed else 0
        need = max(held, signed_size)
        if mirror.size < need:  # 2.
            raise REPAIR_MIRROR_BEHIND(
                f"the mirror's checkpoint covers {mirror.size:,} entries; this ledger signed "
                f"{signed_size:,} and log.dat holds {held:,}: try a mirror that has caught up"
            )
        building = root / "ledger.repair"
        shutil.rmtree(building, ignore_errors=True)  # a run stopped part-way
        try:
            _build(building, client, mirror, note, signed, intact, progress)
            if dry_run:
                return Restored(held, signed_size, mirror.size, None, dry_run=True)
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock()))
            aside = root / f"{ASIDE_PREFIX}{stamp}"
            os.rename(directory, aside)  # 5.
            os.rename(building, directory)
            fsync_directory(root)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    finally:
        os.close(lock)
    return Restored(held, signed_size, mirror.size, aside, dry_run=False)


def _build(
    building: Path,
    client: LedgerClient,
    mirror: Checkpoint,
    note: str,
    signed: Checkpoint | None,
    intact: bytes,
    progress: Progress | None,
) -> None:
    store = FileLogStore(building, create=True)
    try:
        fetch(client, store, mirror.size, progress)
        hashes = store.leaf_hashes()
        tree = MerkleTree.from_leaf_hashes(hashes)
        if tree.root(mirror.size) != mirror.root:  # 3.
            raise CHECKPOINT_MISMATCH(
                f"the mirror's entries do not make the tree its checkpoint of size "
                f"{mirror.size:,} signs: it is not a faithful mirror"
            )
        genesis = Transaction.parse(store.read(0))
        if genesis.type != GENESIS or genesis.body.get("checkpointKey") != client.vkey:
            raise LEDGER_KEY_MISMATCH("the mirrored genesis does not name this ledger's key")
        if signed is not None and tree.root(signed.size) != signed.root:  # 4.
            raise CHECKPOINT_MISMATCH(
                f"the mirror's log is not the one this ledger signed at {signed.size:,} "
                "entries: a fork (two logs signed by one key); nothing was changed"
            )
        if hashes[: len(intact)] != intact:
            raise CHECKPOINT_MISMATCH(
                "log.dat's intact records are not the mirror's first entries: a fork (two "
                "logs signed by one key); nothing was changed"
            )
        store.sync()
        store.put_checkpoint(note)
    finally:
        store.close()


def _intact_leaf_hashes(directory: Path) -> bytes:
    """The leaf hashes of log.dat's whole records passing their checksum, in order."""
    data = _read(directory / "log.dat", STORE_CORRUPT)
    hashes = bytearray()
    if data:
        scan(data, b"", hashes)
    return bytes(hashes)


def _signed_here(directory: Path, client: LedgerClient) -> Checkpoint | None:
    """The largest checkpoint this ledger is known to have signed, among the copies in its
    store that verify with its key (one that does not is no evidence of anything)."""
    notes: list[str] = []
    for name in ("checkpoint.dat", ACKNOWLEDGED_FILE):
        # Its two slots: past them a checkpoint file holds nothing this store wrote.
        raw = _read(directory / name, STORE_CORRUPT, 2 * CHECKPOINT_SLOT)
        notes += [note for _, note in read_slots(raw)]
    meta = directory / "meta.json"
    if os.path.lexists(meta):
        # read_meta refuses a named pipe too, but that refusal would be taken for damage
        # (no evidence) below: one that is no regular file is said instead.
        os.close(open_regular(meta, os.O_RDONLY, STORE_META_INVALID))
    try:
        legacy = read_meta(meta).get(LAST_CHECKPOINT)
    except Error:
        legacy = None
    if isinstance(legacy, str):
        notes.append(legacy)
    path = directory / snapshots.FILE
    snapshot = _Read(path, _read(path, STATE_SNAPSHOT_INVALID))
    try:
        body = snapshots.read(snapshot, vkey=client.vkey, origin=client.origin)
        notes.append(str(body["checkpoint"]))
    except (Error, KeyError):
        pass
    best: Checkpoint | None = None
    for note in notes:
        try:
            checkpoint = open_checkpoint(note, client.verifier, origin=client.origin)
        except Error:
            continue
        if best is None or checkpoint.size > best.size:
            best = checkpoint
    return best


def _read(path: Path, not_regular: Code, limit: int | None = None) -> bytes:
    """``path``'s bytes (the first ``limit`` of them, if given); nothing if it is missing.
    A named pipe, a directory or a device in its place is ``not_regular``, said at once
    (reading a named pipe would wait for a writer for ever); a file that cannot be read is
    ``store_unavailable``."""
    try:
        fd = open_regular(path, os.O_RDONLY, not_regular)
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise STORE_UNAVAILABLE(f"cannot read {path}: {exc.strerror}") from exc
    try:
        with open(fd, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except OSError as exc:
        raise STORE_UNAVAILABLE(f"cannot read {path}: {exc.strerror}") from exc


@dataclass(frozen=True, slots=True)
class _Read:
    """A snapshot file already read (``snapshot.Slot``): read once, through ``_read``."""

    path: Path
    data: bytes

    @property
    def name(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return bool(self.data)

    def read_bytes(self) -> bytes:
        return self.data
