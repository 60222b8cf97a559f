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
from civicid.errors import Error
from civicid.files import fsync_directory
from civicid.ledger_client import LedgerClient
from civicid.merkle import HASH_SIZE, MerkleTree
from civicid.transaction import GENESIS, Transaction
from ledger import snapshot as snapshots
from ledger.errors import CHECKPOINT_MISMATCH, LEDGER_KEY_MISMATCH, REPAIR_MIRROR_BEHIND
from ledger.monitor import Progress, fetch
from ledger.setup import Paths
from ledger.store import (
    ACKNOWLEDGED_FILE,
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
    try:
        data = (directory / "log.dat").read_bytes()
    except FileNotFoundError:
        return b""
    hashes = bytearray()
    scan(data, b"", hashes)
    return bytes(hashes)


def _signed_here(directory: Path, client: LedgerClient) -> Checkpoint | None:
    """The largest checkpoint this ledger is known to have signed, among the copies in its
    store that verify with its key (one that does not is no evidence of anything)."""
    notes: list[str] = []
    for name in ("checkpoint.dat", ACKNOWLEDGED_FILE):
        try:
            notes += [note for _, note in read_slots((directory / name).read_bytes())]
        except OSError:
            continue
    try:
        legacy = read_meta(directory / "meta.json").get(LAST_CHECKPOINT)
    except Error:
        legacy = None
    if isinstance(legacy, str):
        notes.append(legacy)
    try:
        body = snapshots.read(directory / snapshots.FILE, vkey=client.vkey, origin=client.origin)
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
