"""The witness's durable state: per log origin, the last checkpoint it cosigned (size, root and
the signed note), and the evidence of every conflict it saw.

One file per origin with two fixed-size slots, written in turn: a new record goes to the slot
the current one is not in, with a sequence number and a checksum, and is fsynced before the
cosignature is returned. A write cut short can only damage the slot being written; the
other still holds the last record answered, and opening takes the valid slot with the higher
sequence number. One fsync per record (no rename, no directory fsync but at the file's
creation): a witness's answer waits on the disk once. A restart never cosigns what
contradicts a record it answered. One process holds the state at a time (an ``flock``).
"""

from __future__ import annotations

import json
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid.checkpoint import Checkpoint
from civicid.encoding import b64_decode, b64_encode, sha256
from civicid.errors import Error
from civicid.files import fsync_directory, hold_alone, listed, read_bounded, why_not_written
from ledger.witness.errors import (
    WITNESS_STATE_LOCKED,
    WITNESS_STATE_UNREADABLE,
    WITNESS_STATE_WRITE_FAILED,
)

log = logging.getLogger("civicid.witness")

# A record holds one note (at most civicid.checkpoint.MAX_NOTE_BYTES) and a few fields.
MAX_RECORD_BYTES: Final = 256 * 1024
# A slot: its header (magic, sequence number, length, SHA-256 of the three and the record),
# then the record as JSON.
SLOT_MAGIC: Final = b"cvcwit1\n"
SLOT_HEADER: Final = struct.Struct(">8sQI32s")
SLOT_BYTES: Final = SLOT_HEADER.size + MAX_RECORD_BYTES
# The name of every state file this witness ever made, one a line. A listed file that is gone
# is a lost record, not a new log: starting that log again from size 0 would let the witness
# cosign a fork. A witness keeps it beside its key (``ledger.witness.setup``), so that it
# outlives the state directory and its parent; by itself a store keeps it beside ``directory``.
KNOWN_FILE: Final = "state-files"
MAX_KNOWN_BYTES: Final = 4 * 1024 * 1024  # 120k logs' names: far beyond any witness's list
# What a new witness writes in that list (``init``, ``never-cosigned``): "never cosigned" has
# content, so that a list emptied by damage (a write cut short, the disk) is not read as it.
NEVER_COSIGNED: Final = b"never cosigned\n"


@dataclass(frozen=True, slots=True)
class Record:
    """The latest checkpoint cosigned for one origin."""

    origin: str
    size: int
    root: bytes
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root": b64_encode(self.root),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: Any) -> Record:
        if not isinstance(data, dict) or set(data) != {"origin", "size", "root", "note"}:
            raise WITNESS_STATE_UNREADABLE("a state record has the wrong members")
        try:
            root = b64_decode(str(data["root"]))
            checkpoint = Checkpoint(data["origin"], data["size"], root)
        except Error as exc:
            raise WITNESS_STATE_UNREADABLE(f"a state record is damaged: {exc.message}") from exc
        if not isinstance(data["note"], str):
            raise WITNESS_STATE_UNREADABLE("a state record's note is not text")
        return cls(checkpoint.origin, checkpoint.size, checkpoint.root, data["note"])


def durable_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a crash leaves the old file or the new one. A write
    that fails (a full disk) is ``witness_state_write_failed`` naming ``path``."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _not_written(path, exc) from exc


def state_files(directory: Path) -> list[Path]:
    """The record files in ``directory`` (none if it is not there). One it may not list is
    ``witness_state_unreadable`` naming it and why, not none: ``Path.glob`` lists nothing
    there, and the records it holds were said to be missing."""
    return listed(
        directory,
        "*.state",
        unreadable=WITNESS_STATE_UNREADABLE,
        what="the witness's state directory",
        missing_ok=True,
    )


def _not_written(path: Path, exc: OSError) -> Error:
    return WITNESS_STATE_WRITE_FAILED(
        f"cannot write {path}: {why_not_written(exc)}; nothing was cosigned"
    )


def read_json(path: Path, limit: int) -> Any:
    try:
        data = read_bounded(
            path,
            limit,
            too_large=WITNESS_STATE_UNREADABLE,
            not_regular=WITNESS_STATE_UNREADABLE,
            message=f"{path.name} is over {limit} bytes",
        )
        return json.loads(data)
    except (OSError, ValueError) as exc:
        raise WITNESS_STATE_UNREADABLE(f"{path}: {exc}") from exc


class StateStore:
    """The records of every origin, in ``directory`` (``<origin digest>.json`` each)."""

    def __init__(
        self, directory: Path, *, readonly: bool = False, known: Path | None = None
    ) -> None:
        """Open the records; unless ``readonly`` (``status``), hold them (``flock``) and drop
        what a crash left half-written, once nothing can refuse the start. ``known``: where
        the list of the state files made is kept (``KNOWN_FILE`` beside ``directory`` unless
        given)."""
        self.directory = directory
        self._known_path = directory.parent / KNOWN_FILE if known is None else known
        self._lock_fd = -1
        self.records: dict[str, Record] = {}
        self._seqs: dict[str, int] = {}
        self._known: set[str] = set()
        found = self._load()
        if readonly:
            return
        # Everything that can refuse was checked above, before anything is made: a refused
        # start leaves the data directory as it found it (a state directory made over a lost
        # one would be in the way of restoring it from a backup).
        _make_directories(directory)
        self._lock_fd = _take_lock(directory / "LOCK")
        try:
            for leftover in directory.glob(".*.tmp"):  # a write cut short before its rename
                leftover.unlink()  # never answered
            found = self._load()  # again, held: as another start may have left it meanwhile
            if found - self._known:  # made before the list was kept
                self._write_known(self._known | found)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _load(self) -> set[str]:
        """Read every record and the list of the state files made (refused if one it lists
        is gone); the names of the state files found."""
        self.records, self._seqs = {}, {}
        found = set()
        try:
            for path in state_files(self.directory):
                seq, record = _newest(path)
                if path.name != self._file(record.origin).name:
                    raise WITNESS_STATE_UNREADABLE(f"{path.name} holds another origin")
                self.records[record.origin] = record
                self._seqs[record.origin] = seq
                found.add(path.name)
            self._known = self._read_known()
        except (OSError, ValueError) as exc:
            raise WITNESS_STATE_UNREADABLE(f"{self.directory}: {exc}") from exc
        lost = sorted(self._known - found)
        if lost:
            raise WITNESS_STATE_UNREADABLE(
                f"{self.directory}: the record of a log this witness cosigned is missing "
                f"({', '.join(lost)}); starting that log over would cosign a fork: "
                "restore the file from a backup"
            )
        return found

    def _read_known(self) -> set[str]:
        try:
            data = read_bounded(
                self._known_path,
                MAX_KNOWN_BYTES,
                too_large=WITNESS_STATE_UNREADABLE,
                not_regular=WITNESS_STATE_UNREADABLE,
                message=f"{self._known_path} is over {MAX_KNOWN_BYTES} bytes",
            )
        except FileNotFoundError:
            if os.path.lexists(self._known_path):  # a link that leads nowhere: damage
                raise WITNESS_STATE_UNREADABLE(
                    f"{self._known_path} is a link to {os.readlink(self._known_path)}, which"
                    " is missing: it lists every record this witness made, so that a lost one"
                    " is not started over (a fork); restore the file it leads to from a backup"
                ) from None
            return set()
        if data == NEVER_COSIGNED:
            return set()
        if not data:
            # The list always has content (a name, or NEVER_COSIGNED): empty is damage, not
            # a new witness; as one, a witness whose records are lost too would start over.
            raise WITNESS_STATE_UNREADABLE(
                f"{self._known_path} is empty (damaged, or written before a new witness's list "
                f"said so): it cannot tell which records this witness made; restore it from a "
                f"backup, or, if every record this witness made is in {self.directory}, "
                f"remove it to have them listed again; "
                f"if this witness never cosigned anything, say so: "
                f"`civicid witness never-cosigned`"
            )
        names = data.decode("ascii", errors="replace").split()
        if any(not name.endswith(".state") or "/" in name for name in names):
            raise WITNESS_STATE_UNREADABLE(f"{self._known_path} is damaged")
        return set(names)

    def _write_known(self, names: set[str]) -> None:
        durable_write(self._known_path, "".join(f"{n}\n" for n in sorted(names)).encode())
        self._known = names

    def _file(self, origin: str) -> Path:
        # Origins are free text (slashes, any script): the file is named by their digest.
        return self.directory / f"{sha256(origin.encode('utf-8')).hex()[:32]}.state"

    def get(self, origin: str) -> Record | None:
        return self.records.get(origin)

    def put(self, record: Record) -> None:
        """Make ``record`` durable, then current (never current before it is durable)."""
        path = self._file(record.origin)
        current = self._seqs.get(record.origin)
        if current is None:
            # A new file: written whole and renamed into place (the directory changes).
            durable_write(path, _slot(1, record))
            seq = 1
            # Listed after the file exists: a crash between the two leaves a file the next
            # start lists, never a listed file that was never written.
            self._write_known(self._known | {path.name})
        else:
            seq = current + 1
            data = memoryview(_slot(seq, record))
            try:
                fd = os.open(path, os.O_WRONLY)
                try:
                    offset = ((seq - 1) % 2) * SLOT_BYTES  # the slot the current one is not in
                    while data:  # os.pwrite may write less than asked
                        written = os.pwrite(fd, data, offset)
                        data, offset = data[written:], offset + written
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:  # the other slot still holds the current record
                raise _not_written(path, exc) from exc
        self.records[record.origin] = record
        self._seqs[record.origin] = seq


def _make_directories(directory: Path) -> None:
    """Make ``directory`` and its missing parents, 0700 each (``mkdir(parents=True)`` would
    make the parents with the default mode)."""
    for path in reversed([p for p in (directory, *directory.parents) if not p.exists()]):
        path.mkdir(mode=0o700, exist_ok=True)


def _take_lock(path: Path) -> int:
    """Hold ``path`` (an exclusive ``flock``): its descriptor. No start removes it."""
    return hold_alone(
        path,
        holder="witness",
        in_use=WITNESS_STATE_LOCKED,
        message=f"{path.parent} is held by another process",
    )


def _slot(seq: int, record: Record) -> bytes:
    payload = json.dumps(record.to_json(), separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_RECORD_BYTES:
        raise WITNESS_STATE_UNREADABLE(f"a record over {MAX_RECORD_BYTES} bytes")
    digest = sha256(struct.pack(">8sQI", SLOT_MAGIC, seq, len(payload)) + payload)
    return SLOT_HEADER.pack(SLOT_MAGIC, seq, len(payload), digest) + payload


def _read_slot(data: bytes) -> tuple[int, Record] | None:
    """The slot's record, or None if it is empty or damaged (a write cut short)."""
    if len(data) < SLOT_HEADER.size:
        return None
    magic, seq, length, digest = SLOT_HEADER.unpack_from(data)
    payload = data[SLOT_HEADER.size : SLOT_HEADER.size + length]
    if magic != SLOT_MAGIC or length > MAX_RECORD_BYTES or len(payload) != length:
        return None
    if sha256(struct.pack(">8sQI", magic, seq, length) + payload) != digest:
        return None
    return seq, Record.from_json(json.loads(payload))


def _newest(path: Path) -> tuple[int, Record]:
    """The valid slot of ``path`` with the higher sequence number."""
    data = read_bounded(
        path,
        2 * SLOT_BYTES,
        too_large=WITNESS_STATE_UNREADABLE,
        not_regular=WITNESS_STATE_UNREADABLE,
        message=f"{path.name} is larger than its two slots",
    )
    regions = (data[:SLOT_BYTES], data[SLOT_BYTES:])
    slots = [_read_slot(region) for region in regions]
    found = [slot for slot in slots if slot]
    if not found:
        raise WITNESS_STATE_UNREADABLE(f"{path.name} holds no intact record")
    if len(found) == 2 and found[0][0] == found[1][0]:
        raise WITNESS_STATE_UNREADABLE(f"{path.name} holds two records of one number")
    newest = max(found, key=lambda slot: slot[0])
    if newest is slots[0] and newest[0] >= 3 and len(data) < SLOT_BYTES + SLOT_HEADER.size:
        # Record 3 on, the second slot held a record before the first was written again (the
        # one before it, or a newer one being written): a write never shortens the file, so
        # a file that ends before it was cut short, and the newest record may be what is gone.
        raise WITNESS_STATE_UNREADABLE(
            f"{path.name} is cut short ({len(data)} bytes): its second slot, which held the"
            f" record before or after record {newest[0]}, is gone, and with it perhaps the"
            " last checkpoint this witness cosigned (starting from an older one would cosign"
            " a fork): restore the file from a backup"
        )
    damaged = [region for slot, region in zip(slots, regions, strict=True) if slot is None]
    if any(region.strip(b"\0") for region in damaged):
        # A write cut short and a byte the disk flipped look alike; the first is expected
        # after a crash (that record was never answered), the second is not: say which
        # record is taken, so an operator can tell from the log.
        log.warning(
            "%s: one slot is damaged (a write cut short, or the disk); taking record %d, "
            "of size %d",
            path.name,
            newest[0],
            newest[1].size,
        )
    return newest
