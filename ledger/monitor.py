"""Watch a ledger from outside: mirror its log entry by entry, and hold every checkpoint it
signs to a replay of what it logged.

Clients check each answer by proofs; a monitor checks the ledger as a whole, as `audit` does
for a local store, but needing nothing from the operator beyond its public API and its
checkpoint key: anyone may run one. A run

1. takes the ledger's checkpoint through a ledger client pinned to the checkpoint key, with
   its trust file in the mirror: never older than the last one it took, and proven an
   extension of it (a rollback or fork is refused, and the signed note showing it kept);
2. fetches the entries it has not mirrored yet and checks that they make the tree the
   checkpoint signs, root for root (else the mirror is cut back to what was proven);
3. checks the genesis names the pinned key, then replays the whole mirrored log with the
   ledger's own rules (`audit`): every hash, signature, rule, and the checkpoint's state map
   root. So a ledger cannot serve an old version or hide a revocation without signing a
   checkpoint a monitor proves false.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid.checkpoint import NoteVerifier
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.errors import Error
from civicid.keystore import write_private
from civicid.ledger_client import (
    LEDGER_ANSWER_STALE,
    LEDGER_FORKED,
    LEDGER_INCONSISTENT,
    LedgerClient,
)
from civicid.merkle import MerkleTree, leaf_hash
from civicid.transaction import GENESIS, Transaction
from ledger.audit import AuditReport, audit
from ledger.errors import CHECKPOINT_MISMATCH, LEDGER_KEY_MISMATCH, MONITOR_SOURCE_MISSING
from ledger.store import FILES, FileLogStore, WayBack
from ledger.tile_client import TileTransport, open_source

# What a copy's refusals say to do: `ledger repair` works on the ledger's own store with its
# keys; a copy holds nothing the ledger lacks, so it is fetched, and checked, again.
MIRROR_WAY_BACK: Final = WayBack(
    lost_entries="restore log.dat from a backup, or move this mirror's directory aside to "
    "start a new copy (fetched from the ledger and checked again)",
    meta_lost="restore it from a backup, or move this mirror's directory aside to start a "
    "new copy (fetched from the ledger and checked again)",
    meta_damaged="restore it from a backup, or move this mirror's directory aside to start "
    "a new copy (fetched from the ledger and checked again)",
    damaged_record="restore log.dat from a backup, or move this mirror's directory aside to "
    "start a new copy (fetched from the ledger and checked again)",
)

TRUST_FILE: Final = "trusted-checkpoint"
# A checkpoint refused as a rollback or a fork of the trusted one: the ledger signed both.
REFUSED_FILE: Final = "refused-checkpoint"
EVIDENCE: Final = (LEDGER_ANSWER_STALE, LEDGER_FORKED, LEDGER_INCONSISTENT)
# Entries fetched between two durable writes of the mirror (and two progress reports).
BATCH: Final = 1_000
# The base URL of a client reading tiles: its transport answers, never the network.
TILES_URL: Final = "http://tiles.invalid"

Progress = Callable[[int, int], None]


@dataclass
class MonitorReport:
    """What a run found: the audit of the whole mirror, and how much was new."""

    audit: AuditReport
    fetched: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {**self.audit.to_json(), "fetched": self.fetched, "seconds": self.seconds}


def client_for(
    url: str | None,
    tiles: str | None,
    vkey: str,
    trust_file: Path | None,
    *,
    policy: CheckpointPolicy | None = None,
) -> LedgerClient:
    """A client of the ledger at ``url``, or of its tiles (a directory or a URL prefix):
    either way every answer is verified against the pinned key ``vkey``, and every
    checkpoint held to ``policy`` (witnesses, quorum, maximum age). It records beside
    ``trust_file`` that it trusted one (``remember``): a mirror or monitor that lost its trust
    file is refused (``trust_file_lost``) until the file is restored or forgotten (``ledger
    forget-mirror-checkpoint``), as the parts' own clients are."""
    if tiles is not None:
        transport = TileTransport(open_source(tiles), verifier=NoteVerifier(vkey))
        return LedgerClient(TILES_URL, vkey, trust_file=trust_file, transport=transport,
                            policy=policy, remember=True)  # fmt: skip
    if url is None:
        raise MONITOR_SOURCE_MISSING("give the ledger's URL, or --from-tiles DIR|URL")
    return LedgerClient(url, vkey, trust_file=trust_file, policy=policy, remember=True)


def monitor(
    client: LedgerClient, mirror: Path, *, progress: Progress | None = None
) -> MonitorReport:
    """Bring the mirror at ``mirror`` up to the ledger ``client`` reads, and audit it."""
    started = time.perf_counter()
    note = client.checkpoint_note()
    mirror.mkdir(parents=True, exist_ok=True, mode=0o700)
    hold_to_own_checkpoint(client, mirror)
    try:
        checkpoint = client.accept_checkpoint(note)  # step 1
    except Error as exc:
        # Signed by the ledger's key, so proof of what it did.
        if any(code.matches(exc) for code in EVIDENCE):
            write_private(mirror / REFUSED_FILE, note.encode("utf-8"))
        raise
    store = FileLogStore(mirror, create=not held(mirror), way_back=MIRROR_WAY_BACK)
    try:
        start = store.size
        if start > checkpoint.size:  # the trust file says otherwise: the mirror is not ours
            raise CHECKPOINT_MISMATCH(
                f"the mirror holds {start} entries, the ledger's checkpoint {checkpoint.size}"
            )
        try:
            fetch(client, store, checkpoint.size, progress)  # step 2
            tree = MerkleTree.from_leaf_hashes(store.leaf_hashes())
            if tree.size and tree.root(checkpoint.size) != checkpoint.root:
                raise CHECKPOINT_MISMATCH(
                    f"the entries served do not make the tree the checkpoint of size "
                    f"{checkpoint.size} signs (its note is kept in {mirror / TRUST_FILE})"
                )
            genesis = Transaction.parse(store.read(0))  # step 3
            if genesis.type != GENESIS or genesis.body.get("checkpointKey") != client.vkey:
                raise LEDGER_KEY_MISMATCH("the mirrored genesis does not name the pinned key")
        except BaseException:
            store.truncate(start)  # the mirror keeps only what a checkpoint proved
            raise
        store.sync()
        store.put_checkpoint(note)
    finally:
        store.close()
    report = audit(mirror, checkpoint=note)
    return MonitorReport(report, checkpoint.size - start, time.perf_counter() - started)


def hold_to_own_checkpoint(client: LedgerClient, mirror: Path) -> None:
    """A mirror that lost its trust file still holds the checkpoint it last proved, signed,
    in its store: that one is the floor, so an older checkpoint shown now is refused as stale
    (and kept as evidence) rather than trusted in its place, the trust file rolled back."""
    if client.trusted is not None or not held(mirror):
        return
    store = FileLogStore(mirror, readonly=True, way_back=MIRROR_WAY_BACK)
    try:
        note = store.last_checkpoint()
    finally:
        store.close()
    if note is not None:
        client.hold_to(note)


def held(directory: Path) -> bool:
    """Whether ``directory`` holds a mirrored store: any of its files. One that lost
    ``log.dat`` is not a new mirror to start over: opened, the store refuses it itself
    (``store_truncated``, naming log.dat and the way back)."""
    return any(os.path.lexists(directory / name) for name in FILES)


def fetch(client: LedgerClient, store: FileLogStore, size: int, progress: Progress | None) -> None:
    """Append entries ``store.size`` .. ``size - 1`` as the ledger serves them."""
    for first in range(store.size, size, BATCH):
        leaves = []
        for seq in range(first, min(first + BATCH, size)):
            text = client.entry(seq)
            if not text.isascii():
                raise CHECKPOINT_MISMATCH(f"entry {seq} as served is not a transaction")
            leaves.append(text.encode("ascii"))
        store.append(leaves, [leaf_hash(leaf) for leaf in leaves])
        if progress is not None:
            progress(first + len(leaves), size)
