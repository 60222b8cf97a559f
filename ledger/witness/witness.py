"""The witness itself (tlog-witness v1.0.0 "add-checkpoint"), with no web framework in it.

``Witness.add_checkpoint(body)`` runs the spec's checks in order, each refusal with its code:

1. the body: ``old N``, at most 63 proof lines, an empty line, a note (400, 413);
2. the checkpoint's origin is a log this witness follows (404 ``witness_log_unknown``);
3. a signature by one of that log's keys verifies (403 ``witness_signature_invalid``);
4. ``old`` is at most the checkpoint's size (400 ``witness_old_too_large``);
then, holding the lock, against the record of that origin:
5. the same size as cosigned with another root, or with the same root and another signed
   text (its extension lines: a CivicID checkpoint's ``civicid-state-map`` root, which
   clients prove DIDs, accreditations and status lists against): evidence kept, 409
   ``witness_checkpoint_conflict``. The tlog-witness spec asks only for the same root; a
   ledger's checkpoint at one size is one text, so a second text at a cosigned size is a
   split view of its state, and cosigning both would let it show either to whom it chose;
6. ``old`` is the size last cosigned (409 ``witness_old_size_mismatch``, answered with that
   size as ``text/x.tlog.size``);
7. the consistency proof from the record to the checkpoint verifies (422
   ``witness_proof_invalid``; when the proof leads to the signed new root from another old
   root, evidence is kept and the code is ``witness_log_inconsistent``);
8. the new record is durable (fsync, rename) and only then the cosignature line is returned.

A refusal changes no record. Checks 5 to 8 run under one lock: the spec's race (a smaller
checkpoint's write landing after a larger one's) cannot happen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from civicid.checkpoint import KEY_ID_SIZE, Checkpoint, NoteVerifier, split_note
from civicid.cosignature import CosignerKey
from civicid.errors import Error
from civicid.merkle import consistency_roots, verify_consistency
from civicid.times import system_clock
from ledger.witness.errors import (
    WITNESS_CHECKPOINT_CONFLICT,
    WITNESS_LOG_INCONSISTENT,
    WITNESS_LOG_UNKNOWN,
    WITNESS_OLD_SIZE_MISMATCH,
    WITNESS_OLD_TOO_LARGE,
    WITNESS_PROOF_INVALID,
    WITNESS_SIGNATURE_INVALID,
)
from ledger.witness.evidence import Evidence, EvidenceStore, Kind
from ledger.witness.models import EvidenceSummary, FollowedLogView, WitnessStatus
from ledger.witness.request import AddCheckpoint
from ledger.witness.state import Record, StateStore

log = logging.getLogger("civicid.witness")


@dataclass(frozen=True, slots=True)
class FollowedLog:
    """A log this witness cosigns for: its origin line and the keys that sign it."""

    origin: str
    keys: tuple[NoteVerifier, ...]


class Witness:
    def __init__(
        self,
        key: CosignerKey,
        logs: Iterable[FollowedLog],
        state: StateStore,
        evidence: EvidenceStore,
        *,
        clock: Callable[[], int] = system_clock,
    ) -> None:
        self.key = key
        self.logs = {entry.origin: entry for entry in logs}
        self.state = state
        self.evidence = evidence
        self.clock = clock
        self._lock = threading.Lock()

    def close(self) -> None:
        self.state.close()

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line(s) for the checkpoint in ``body``, or a refusal (see above)."""
        return self.add(AddCheckpoint.parse(body))

    def add(self, request: AddCheckpoint) -> str:
        checkpoint, note = self._authentic(request.note)
        # Kept as the log signed it: its text and its signature lines, not whatever other
        # lines the sender appended (unknown keys, up to the note's size limit).
        request = AddCheckpoint(request.old_size, request.proof, note)
        if request.old_size > checkpoint.size:
            raise WITNESS_OLD_TOO_LARGE(
                f"old size {request.old_size} > checkpoint size {checkpoint.size}"
            )
        with self._lock:
            record = self.state.get(checkpoint.origin)
            self._check(request, checkpoint, record)
            if record is None or checkpoint.size > record.size:
                self.state.put(
                    Record(checkpoint.origin, checkpoint.size, checkpoint.root, request.note)
                )
        return self.key.cosign(checkpoint, self.clock())

    def _authentic(self, note: str) -> tuple[Checkpoint, str]:
        """Steps 2-3: the checkpoint of a followed log, signed by one of its keys; and the
        note with that key's signature lines only."""
        text, lines = split_note(note)
        checkpoint = Checkpoint.parse_body(text)
        followed = self.logs.get(checkpoint.origin)
        if followed is None:
            raise WITNESS_LOG_UNKNOWN(f"this witness does not follow {checkpoint.origin!r}")
        for verifier in followed.keys:
            try:
                verifier.verify(note)
            except Error:
                continue  # "MUST ignore signatures from unknown keys": try the log's next key
            own = [
                line
                for name, blob, line in lines
                if name == verifier.name and blob[:KEY_ID_SIZE] == verifier.key_id
            ]
            return checkpoint, text + "\n" + "".join(own)
        raise WITNESS_SIGNATURE_INVALID(f"no valid signature by a key of {checkpoint.origin}")

    def _check(self, request: AddCheckpoint, checkpoint: Checkpoint, record: Record | None) -> None:
        """Steps 5-7, against ``record`` (None: nothing cosigned for this origin yet)."""
        same_size = record is not None and checkpoint.size == record.size
        if record is not None and same_size:
            if checkpoint.root != record.root:
                what = "two roots"
            elif split_note(request.note)[0] != split_note(record.note)[0]:
                what = "two checkpoints (one root, other extension lines)"
            else:
                what = ""
            if what:
                self._keep("same_size", record, request)
                raise WITNESS_CHECKPOINT_CONFLICT(
                    f"{checkpoint.origin} signed {what} for size {record.size}"
                )
        known = record.size if record is not None else 0
        if request.old_size != known:
            raise WITNESS_OLD_SIZE_MISMATCH(
                f"old size {request.old_size}, but the last size cosigned is {known}",
                size=known,
            )
        if record is None or known in (0, checkpoint.size):
            return  # nothing to extend, or the very tree cosigned before
        try:
            verify_consistency(known, checkpoint.size, record.root, checkpoint.root, request.proof)
        except Error as exc:
            if self._proves_fork(record, checkpoint, request.proof):
                self._keep("inconsistent", record, request)
                raise WITNESS_LOG_INCONSISTENT(
                    f"{checkpoint.origin} at {checkpoint.size} does not extend its tree at {known}"
                ) from exc
            where = f"from {known} to {checkpoint.size}"
            raise WITNESS_PROOF_INVALID(f"{where}: {exc.message}") from exc

    @staticmethod
    def _proves_fork(record: Record, checkpoint: Checkpoint, proof: tuple[bytes, ...]) -> bool:
        try:
            old_root, new_root = consistency_roots(record.size, checkpoint.size, record.root, proof)
        except Error:
            return False
        return new_root == checkpoint.root and old_root != record.root

    def _keep(self, kind: Kind, record: Record, request: AddCheckpoint) -> None:
        proof = request.proof if kind == "inconsistent" else ()
        evidence = Evidence(kind, record.origin, self.clock(), record.note, request.note, proof)
        new = self.evidence.add(evidence)
        log.warning(
            "equivocation by log %r (%s): evidence %s%s",
            record.origin,
            kind,
            evidence.id,
            "" if new else " (already kept, or the evidence store is full)",
        )

    def status(self) -> WitnessStatus:
        """What ``civicid witness status`` and ``GET /status`` show."""
        return witness_status(self.key, self.logs.values(), self.state, self.evidence)


def witness_status(
    key: CosignerKey,
    logs: Iterable[FollowedLog],
    state: StateStore,
    evidence: EvidenceStore,
) -> WitnessStatus:
    views = []
    for followed in sorted(logs, key=lambda f: f.origin):
        record = state.get(followed.origin)
        views.append(
            FollowedLogView(
                origin=followed.origin,
                keys=[f"{k.name}+{k.key_id.hex()}" for k in followed.keys],
                tree_size=record.size if record else 0,
                root=record.root if record else None,
            )
        )
    return WitnessStatus(
        name=key.name,
        vkey=key.vkey(),
        logs=views,
        evidence=[
            EvidenceSummary(id=e.id, kind=e.kind, origin=e.origin, detected=e.detected)
            for e in evidence
        ],
    )
