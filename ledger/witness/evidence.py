"""Evidence of a log's equivocation: two checkpoints it signed that cannot both be true, kept
as the signed notes themselves so anyone holding the log's key can check them again.

Two kinds: ``same_size`` (two different checkpoints for one tree size: two roots, or one
root with other extension lines, such as another state-map root) and ``inconsistent`` (a
consistency proof that yields the later signed root, but from a different root at the earlier
size than the one signed: the proof's hashes are the later tree's nodes, so that tree does not
extend the earlier one). ``Evidence.check(log_key)`` re-checks both signatures and the
conflict; ``EvidenceStore`` keeps each piece once, durably, before the refusal is answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from civicid.checkpoint import MAX_NOTE_BYTES, Checkpoint, NoteVerifier, open_checkpoint
from civicid.encoding import b64_encode, sha256
from civicid.errors import Error
from civicid.files import listed
from civicid.merkle import consistency_roots
from ledger.witness.errors import (
    EVIDENCE_INVALID,
    WITNESS_EVIDENCE_NOT_FOUND,
    WITNESS_STATE_UNREADABLE,
)
from ledger.witness.models import EvidenceView
from ledger.witness.state import durable_write, read_json

Kind = Literal["same_size", "inconsistent"]
KINDS: Final = ("same_size", "inconsistent")
# Evidence is kept only for notes the log itself signed, so only a misbehaving log adds any;
# past this many pieces the witness still refuses and logs, but stops filling its disk.
MAX_EVIDENCE: Final = 1000
EVIDENCE_ID_HEX: Final = 16
# ``GET /evidence`` answers a page of pieces, oldest first: each piece may be as large as
# MAX_EVIDENCE_BYTES (~320 KB), so all MAX_EVIDENCE of them at once could be ~320 MB. A page
# of at most MAX_EVIDENCE_PAGE is ~6.4 MB at worst; a forgery is typically a few KB a piece.
EVIDENCE_PAGE: Final = 10
MAX_EVIDENCE_PAGE: Final = 20
# Two notes as the witness keeps them (each at most civicid.checkpoint.MAX_NOTE_BYTES), a proof
# of at most 63 hashes, and the JSON around them: a larger file is not one it wrote.
MAX_EVIDENCE_BYTES: Final = 2 * MAX_NOTE_BYTES + 64 * 1024


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: Kind
    origin: str
    detected: int
    known: str  # the note the witness had cosigned
    conflicting: str  # the note that contradicts it
    proof: tuple[bytes, ...] = ()

    @property
    def id(self) -> str:
        """Stable over the same pair of notes and proof (so a replay is kept once)."""
        parts = [self.kind, self.origin, self.known, self.conflicting, *map(b64_encode, self.proof)]
        return sha256("\n\x00".join(parts).encode("utf-8")).hex()[:EVIDENCE_ID_HEX]

    def to_view(self) -> EvidenceView:
        return EvidenceView(
            id=self.id,
            kind=self.kind,
            origin=self.origin,
            detected=self.detected,
            known=self.known,
            conflicting=self.conflicting,
            proof=list(self.proof),
        )

    @classmethod
    def from_view(cls, view: EvidenceView) -> Evidence:
        evidence = cls(
            view.kind, view.origin, view.detected, view.known, view.conflicting, tuple(view.proof)
        )
        if view.id != evidence.id:
            raise EVIDENCE_INVALID("the evidence id does not match its contents")
        return evidence

    @classmethod
    def from_json(cls, data: Any) -> Evidence:
        return cls.from_view(EvidenceView.from_json(data, error=EVIDENCE_INVALID))

    def check(self, log_key: NoteVerifier) -> tuple[Checkpoint, Checkpoint]:
        """Both notes verify under ``log_key``, are of ``origin``, and conflict; else raise
        ``evidence_invalid`` (or the note's own code). Returns (known, conflicting)."""
        known = open_checkpoint(self.known, log_key, origin=self.origin)
        other = open_checkpoint(self.conflicting, log_key, origin=self.origin)
        if self.kind == "same_size":
            if known.size != other.size or known.body() == other.body():
                raise EVIDENCE_INVALID("not two different checkpoints for one size")
            return known, other
        if not known.size < other.size:
            raise EVIDENCE_INVALID("an inconsistency needs a later, larger checkpoint")
        try:
            old_root, new_root = consistency_roots(known.size, other.size, known.root, self.proof)
        except Error as exc:
            raise EVIDENCE_INVALID(f"the proof cannot be followed: {exc.message}") from exc
        if new_root != other.root:
            raise EVIDENCE_INVALID("the proof does not lead to the later signed root")
        if old_root == known.root:
            raise EVIDENCE_INVALID("the proof shows the trees consistent")
        return known, other


class EvidenceStore:
    """Every piece of evidence, one file each, in ``directory``."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        self.directory = directory
        self.pieces: dict[str, Evidence] = {}
        if not readonly:
            # Listed before the directory is made: a file in its place is refused by ``serve``
            # as by ``status``, as a directory it may not read is.
            for leftover in self._listed(".*.tmp"):  # a write cut short
                leftover.unlink()
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in self._listed("*.json"):
            try:
                evidence = Evidence.from_json(read_json(path, MAX_EVIDENCE_BYTES))
            except Error as exc:  # read_json's message names the file already
                named = exc.message if str(path) in exc.message else f"{path}: {exc.message}"
                raise WITNESS_STATE_UNREADABLE(
                    f"{named}; it is evidence of a log's conflicting checkpoints this witness "
                    "kept: restore it from a backup, or move it out of the directory (what "
                    "this witness cosigned is kept apart, in its state)"
                ) from exc
            self.pieces[evidence.id] = evidence

    def _listed(self, pattern: str) -> list[Path]:
        """Never read as a witness that kept no evidence (none if it was never made)."""
        return listed(
            self.directory,
            pattern,
            unreadable=WITNESS_STATE_UNREADABLE,
            what="the evidence directory",
            missing_ok=True,
        )

    def add(self, evidence: Evidence) -> bool:
        """Keep ``evidence`` durably; False if it was kept before or the store is full."""
        if evidence.id in self.pieces or len(self.pieces) >= MAX_EVIDENCE:
            return False
        data = evidence.to_view().to_bytes()
        durable_write(self.directory / f"{evidence.id}.json", data)
        self.pieces[evidence.id] = evidence
        return True

    def get(self, evidence_id: str) -> Evidence:
        found = self.pieces.get(evidence_id)
        if found is None:
            raise WITNESS_EVIDENCE_NOT_FOUND(f"no evidence {evidence_id!r}")
        return found

    def page(self, after: int = 0, limit: int = EVIDENCE_PAGE) -> tuple[list[Evidence], int | None]:
        """The pieces after the first ``after`` (oldest first), at most ``limit`` of them, and
        the ``after`` of the next page (None when no more follow). Pieces are only ever added,
        each later than those before it (a clock set back may place one earlier: a reader
        walking the pages then finds it in ``witness status``, which lists every id)."""
        pieces = list(self)
        page = pieces[after : after + limit]
        return page, (after + limit if after + limit < len(pieces) else None)

    def __iter__(self) -> Iterator[Evidence]:
        return iter(sorted(self.pieces.values(), key=lambda e: (e.detected, e.id)))

    def __len__(self) -> int:
        return len(self.pieces)
