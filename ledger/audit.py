"""Audit: replay the whole log from disk, re-checking every hash, signature and rule.

Unlike opening the ledger (which trusts its own fsynced entries), an audit trusts nothing
but the genesis: each entry must match its checksum and stored leaf hash, parse, verify and
pass the rules in order; the first that fails is named.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.encoding import b64_encode
from civicid.errors import Error
from civicid.merkle import HASH_SIZE, MerkleTree, leaf_hash
from civicid.statemap import root_in
from civicid.transaction import GENESIS_MISSING, Transaction
from ledger import rules, ruleset
from ledger.errors import AUDIT_NO_CHECKPOINT, CHECKPOINT_MISMATCH, LEAF_HASH_MISMATCH
from ledger.state import State
from ledger.store import FileLogStore


@dataclass(slots=True)
class AuditReport:
    size: int = 0
    root: bytes = b""
    origin: str | None = None
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    checkpoint_verified: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "ok": True,
            "size": self.size,
            "root": b64_encode(self.root),
            "origin": self.origin,
            "seconds": round(self.seconds, 3),
            "transactions": self.counts,
            "checkpointVerified": self.checkpoint_verified,
        }


class AuditFailure(Error):
    """The first entry that fails; ``seq`` names it."""

    def __init__(self, seq: int, cause: Error) -> None:
        super().__init__(cause.code, f"entry {seq}: {cause.message}", seq=seq)
        self.seq = seq


def _claimed_size(checkpoint: str | None) -> int | None:
    """The tree size a checkpoint's text claims (checked against its signature later)."""
    lines = (checkpoint or "").split("\n")
    return int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else None


def audit(directory: Path, *, checkpoint: str | None = None) -> AuditReport:
    """Replay and check the log at ``directory``; hold it to ``checkpoint`` if given, else to
    the last checkpoint the ledger signed (a log cut short fails). A non-empty log with no
    checkpoint anywhere fails too (``audit_no_checkpoint``): nothing proves it whole."""
    started = time.perf_counter()
    try:
        store = FileLogStore(directory, readonly=True)
    except Error as exc:
        seq = exc.details.get("seq")
        if isinstance(seq, int):
            raise AuditFailure(seq, exc) from exc
        raise
    report = AuditReport()
    try:
        state, tree = State(), MerkleTree()
        if checkpoint is None:
            checkpoint = store.last_checkpoint()
        # The state map as of the checkpoint's size, to hold its map root to (by replay).
        target, map_at_target = _claimed_size(checkpoint), None
        # leaves.dat as found on disk: an entry rewritten with a fresh checksum still
        # disagrees with the leaf hash logged beside it (and with every checkpoint).
        stored = store.found_leaf_hashes
        ctx = rules.Context(now=None, verify_signatures=True)
        for seq in range(store.size):
            try:
                leaf = store.read(seq)
                digest = leaf_hash(leaf)
                found = stored[seq * HASH_SIZE : (seq + 1) * HASH_SIZE]
                if len(found) == HASH_SIZE and digest != found:
                    raise LEAF_HASH_MISMATCH("entry does not match its leaf hash")
                tx = Transaction.parse(leaf)
                if seq == 0 and tx.type != "genesis":
                    raise GENESIS_MISSING("the first entry is not a genesis")
                ruleset.check(state, tx, ctx).apply(state, seq, digest)
            except AuditFailure:
                raise
            except Error as exc:
                raise AuditFailure(seq, exc) from exc
            tree.append(digest)
            if tree.size == target:
                map_at_target = state.statemap
            report.counts[tx.type] = report.counts.get(tx.type, 0) + 1
        report.size, report.origin = tree.size, state.origin
        report.root = tree.root() if tree.size else b""
        if checkpoint is None and tree.size:
            # Nothing signed to hold the log to: a log cut short (with checkpoint.dat gone
            # too) replays as cleanly as a whole one, so "ok" would be a guess.
            raise AUDIT_NO_CHECKPOINT(
                f"{tree.size} entries replay cleanly, but no signed checkpoint was found "
                "(checkpoint.dat, meta.json) to prove the log whole, not cut short: give "
                "one the ledger signed with --checkpoint FILE (from a client, a monitor or "
                "a witness)",
                size=tree.size,
            )
        if checkpoint is not None and state.checkpoint_vkey is not None:
            verified = open_checkpoint(
                checkpoint, NoteVerifier(state.checkpoint_vkey), origin=state.origin
            )
            if verified.size > tree.size or tree.root(verified.size) != verified.root:
                raise CHECKPOINT_MISMATCH("the log does not match the checkpoint")
            if map_at_target is None or root_in(verified.extensions) != map_at_target.root:
                raise CHECKPOINT_MISMATCH("the checkpoint's state map root is not the log's")
            report.checkpoint_verified = True
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report
