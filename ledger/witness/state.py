"""The witness's durable state: per log origin, the last checkpoint it cosigned (size, root and
the signed note), and the evidence of every conflict it saw.

One file per origin, replaced atomically (written to a temporary file, fsynced, renamed, the
directory fsynced) before a cosignature is returned: a crash at any point leaves the old
record or the new one, and a restart never cosigns what contradicts a record it answered.
One process holds the state at a time (an exclusive ``flock``).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid.checkpoint import Checkpoint
from civicid.encoding import b64_decode, b64_encode, sha256
from civicid.errors import Error
from ledger.witness.errors import WITNESS_STATE_LOCKED, WITNESS_STATE_UNREADABLE

# A record holds one note (at most civicid.checkpoint.MAX_NOTE_BYTES) and a few fields.
MAX_RECORD_BYTES: Final = 256 * 1024


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
    """Replace ``path`` with ``data``: a crash leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:  # os.write may write less than asked
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_json(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RECORD_BYTES + 1)
        if len(data) > MAX_RECORD_BYTES:
            raise WITNESS_STATE_UNREADABLE(f"{path.name} is over {MAX_RECORD_BYTES} bytes")
        return json.loads(data)
    except (OSError, ValueError) as exc:
        raise WITNESS_STATE_UNREADABLE(f"{path}: {exc}") from exc


class StateStore:
    """The records of every origin, in ``directory`` (``<origin digest>.json`` each)."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        """Open the records; unless ``readonly`` (``status``), hold them (``flock``) and drop
        what a crash left half-written."""
        self.directory = directory
        self._lock_fd = -1
        self.records: dict[str, Record] = {}
        if not readonly:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._lock_fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                self.close()
                raise WITNESS_STATE_LOCKED(f"{directory} is held by another process") from exc
        try:
            if not readonly:  # a write a crash cut short: never renamed, never answered
                for leftover in directory.glob(".*.tmp"):
                    leftover.unlink()
            for path in sorted(directory.glob("*.json")):
                record = Record.from_json(read_json(path))
                if path.name != self._file(record.origin).name:
                    raise WITNESS_STATE_UNREADABLE(f"{path.name} holds another origin")
                self.records[record.origin] = record
        except Error:
            self.close()
            raise
        except (OSError, ValueError) as exc:
            self.close()
            raise WITNESS_STATE_UNREADABLE(f"{directory}: {exc}") from exc

    def close(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _file(self, origin: str) -> Path:
        # Origins are free text (slashes, any script): the file is named by their digest.
        return self.directory / f"{sha256(origin.encode('utf-8')).hex()[:32]}.json"

    def get(self, origin: str) -> Record | None:
        return self.records.get(origin)

    def put(self, record: Record) -> None:
        """Make ``record`` durable, then current (never current before it is durable)."""
        data = json.dumps(record.to_json(), indent=1).encode("utf-8")
        durable_write(self._file(record.origin), data)
        self.records[record.origin] = record

    def __iter__(self) -> Iterator[Record]:
        return iter(sorted(self.records.values(), key=lambda r: r.origin))
