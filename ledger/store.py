"""Durable storage for the log. ``log.dat`` is the truth: records (length, CRC-32, bytes)
appended and fsynced. ``log.idx`` (offsets) and ``leaves.dat`` (leaf hashes) are derived
from it: checked at every open and rebuilt when missing or inconsistent. ``checkpoint.dat``
holds the last checkpoint the ledger signed, made durable with every commit (two slots, so a
torn write leaves the previous one); ``acknowledged.dat`` holds it again, in a file of its
own, so that losing the tails of ``log.dat`` and ``checkpoint.dat`` together still leaves a
witness of how far the log had grown. ``meta.json`` (TinyDB) holds the store's format.

Opening never cuts a record that passes its checksum, and never cuts below the last signed
checkpoint (the longer of the two copies): only an incomplete final record (a torn write)
past it is trimmed. Anything else (a damaged record the checkpoint covers, or one followed by
intact records, a log shorter than its checkpoint) refuses to open with a clear error;
``civicid ledger repair`` says what can be rebuilt, and ``repair --from`` a mirror restores
acknowledged entries that are gone. One process writes (an exclusive ``flock``); readers
open without it.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import subprocess
import sys
import threading
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from tinydb import Query, TinyDB
from tinydb.storages import JSONStorage

from civicid.errors import Error, StorageError
from civicid.files import (
    fsync_directory,
    hold_alone,
    naming,
    open_regular,
    read_bounded,
    why_not_written,
)
from civicid.merkle import HASH_SIZE, leaf_hash
from ledger.errors import (
    LEDGER_NOT_INITIALIZED,
    STORE_CORRUPT,
    STORE_FORMAT_UNSUPPORTED,
    STORE_LOCKED,
    STORE_META_INVALID,
    STORE_READONLY,
    STORE_SYNC_FAILED,
    STORE_TRUNCATED,
    STORE_UNAVAILABLE,
    STORE_WRITE_FAILED,
)

# Bumped whenever the on-disk layout changes; a store of another format is refused.
STORE_FORMAT: Final = 1
RECORD_HEADER: Final = struct.Struct(">II")  # length, crc32 of the record bytes
OFFSET: Final = struct.Struct(">Q")
# A record is one transaction (at most 1 MiB, civicid.transaction.MAX_TX_BYTES) with room to
# spare: a length field above this is damage, not data.
MAX_RECORD_BYTES: Final = 4 * 1024 * 1024
# checkpoint.dat: two fixed slots written in turn, each (generation, length, crc32) + note; a
# C2SP note with one signature is a few hundred bytes.
CHECKPOINT_SLOT: Final = 4096
SLOT_HEADER: Final = struct.Struct(">QII")
# Bytes of a mapped log.dat walked past before they leave the resident set (``_Walked``).
RELEASE_EVERY: Final = 64 * 1024 * 1024
# A log.dat larger than this is walked by two processes at once, each half of its records
# (``scan``): starting the second costs ~0.1 s of CPU, about what walking 64 MiB takes.
PARALLEL_WALK_ABOVE: Final = 64 * 1024 * 1024
# On this many cores or fewer, a walk with work beside it (the snapshot's load at start-up)
# has one walker process for the whole file, not two halves: the opening process and one
# walker fill two cores, and a third process would only make them take turns.
ONE_WALKER_UP_TO_CORES: Final = 2
# How long the second walker may take beyond the first's half before it is given up on and
# its half walked here (a stuck process must not stop the ledger from opening).
WALKER_GRACE_SECONDS: Final = 600.0
# The second copy of the last signed checkpoint (module docstring): the same two-slot layout.
ACKNOWLEDGED_FILE: Final = "acknowledged.dat"
FILES: Final = (
    "log.dat",
    "log.idx",
    "leaves.dat",
    "checkpoint.dat",
    ACKNOWLEDGED_FILE,
    "meta.json",
)
LAST_CHECKPOINT: Final = "lastCheckpoint"  # meta.json key of stores written before checkpoint.dat
# meta.json holds the store's format and a URL or two (a legacy store, one checkpoint note):
# a few hundred bytes; more than this is not the file this store writes.
MAX_META_BYTES: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class WayBack:
    """What an operator does when the store refuses to open: a ledger's own store and a
    mirror's copy differ (``repair`` needs the ledger's keys; a copy is fetched again)."""

    lost_entries: str  # after ``store_truncated``
    meta_lost: str  # after ``store_meta_invalid`` for a meta.json missing or empty
    meta_damaged: str  # after ``store_meta_invalid`` for a meta.json that is not its file
    damaged_record: str = "restore log.dat from a backup"  # after ``store_corrupt``


LEDGER_WAY_BACK: Final = WayBack(
    lost_entries="restore log.dat from a backup, or from a mirror: "
    "`civicid ledger repair --from URL`",
    meta_lost="restore it from a backup, or run `civicid ledger repair` to write it again",
    meta_damaged="restore it from a backup, or move it aside and run `civicid ledger repair`",
)


class LogStore(Protocol):
    """What the ledger needs from a store; a PostgreSQL backend implements the same."""

    readonly: bool

    @property
    def size(self) -> int: ...
    def append(self, leaves: list[bytes], hashes: list[bytes]) -> None: ...
    def sync(self) -> None: ...
    def truncate(self, size: int) -> None: ...
    def read(self, index: int) -> bytes: ...
    def leaf_hashes(self) -> bytes: ...
    def last_checkpoint(self) -> str | None: ...
    def put_checkpoint(self, note: str) -> None: ...
    def get_meta(self, key: str) -> Any: ...
    def put_meta(self, key: str, value: Any) -> None: ...
    def close(self) -> None: ...


class DurableJSONStorage(JSONStorage):
    """TinyDB storage that reaches the disk before a write returns (write, fsync, rename)."""

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        path = Path(self._handle.name)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private, like the log
        try:
            with open(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # a full disk: say which file (a write names none)
            raise naming(exc, path) from exc
        os.replace(tmp, path)
        fsync_directory(path.parent)
        self._handle.close()
        self._handle = open(path, "r+", encoding="utf-8")  # noqa: SIM115 - TinyDB owns it


def rolled_back(held: int, signed: int, witness: str, way_back: WayBack = LEDGER_WAY_BACK) -> Error:
    """The refusal when the log holds fewer entries than a checkpoint this ledger signed:
    serving it would sign a fork of what it acknowledged."""
    return STORE_TRUNCATED(
        f"log.dat holds {held:,} entries but this ledger signed a checkpoint of {signed:,} "
        f"({witness}): acknowledged entries are missing and serving would fork its log; "
        f"{way_back.lost_entries}",
        held=held,
        signed=signed,
    )


def lost_log(
    directory: Path, data_dir: Path | None = None, way_back: WayBack = LEDGER_WAY_BACK
) -> Error:
    """Why ``log.dat`` is not in ``directory``: no ledger in ``data_dir`` (by default
    ``directory``; ``ledger_not_initialized``), or a store that lost it (``store_truncated``):
    its other files are there, and with them, perhaps, a checkpoint it signed. Never "run
    init" over a store that lost its log."""
    present = [name for name in FILES[1:] if os.path.lexists(directory / name)]
    if not present:
        where = directory if data_dir is None else data_dir
        return LEDGER_NOT_INITIALIZED(f"no ledger in {where}; run `civicid ledger init`")
    signed = _signed_size(directory)
    said = (
        f"this ledger signed a checkpoint of {signed[0]:,} ({signed[1]})"
        if signed
        else f"the rest of its store is here ({', '.join(present)})"
    )
    return STORE_TRUNCATED(
        f"{directory / 'log.dat'} is missing but {said}: never start "
        f"a new ledger over it; {way_back.lost_entries}",
        held=0,
        signed=signed[0] if signed else 0,
    )


def _signed_size(directory: Path) -> tuple[int, str] | None:
    """The largest size a checkpoint in the store's two copies names, and the copy's name."""
    found = []
    for name in ("checkpoint.dat", ACKNOWLEDGED_FILE):
        try:
            raw = read_bounded(
                directory / name, 2 * CHECKPOINT_SLOT, too_large=STORE_CORRUPT,
                not_regular=STORE_CORRUPT,
            )  # fmt: skip
        except (OSError, Error):
            continue  # missing or damaged: the other copy, if any, says more
        found += [(_size_or_none(note), name) for _, note in read_slots(raw)]
    best = max(found, default=None)
    return best if best is not None and best[0] > 0 else None


def read_slots(raw: bytes) -> list[tuple[int, str]]:
    """The (generation, note) of each slot of a checkpoint file that passes its checksum."""
    slots = []
    for start in (0, CHECKPOINT_SLOT):
        if start + SLOT_HEADER.size > len(raw):
            continue
        generation, length, crc = SLOT_HEADER.unpack_from(raw, start)
        body = raw[start + SLOT_HEADER.size : start + SLOT_HEADER.size + length]
        if length and len(body) == length and zlib.crc32(body) == crc:
            slots.append((generation, body.decode("utf-8", errors="replace")))
    return slots


def _size_or_none(note: str) -> int:
    try:
        return checkpoint_size(note)
    except Error:
        return -1  # not a note: the other copy, if any, says more


def hold_lock(directory: Path) -> int:
    """Take the store's writer lock (``LOCK``, an exclusive ``flock``); its descriptor."""
    return hold_alone(
        directory / "LOCK",
        holder="ledger",
        in_use=STORE_LOCKED,
        message=f"another process is writing to {directory} (a running ledger server? "
        "then pass --ledger URL to write through it)",
    )


def checkpoint_size(note: str) -> int:
    """The tree size a C2SP checkpoint note states (its second line); its signature is the
    ledger's to check."""
    lines = note.split("\n")
    if len(lines) < 2 or not lines[1].isdigit():
        raise STORE_CORRUPT("checkpoint.dat holds no checkpoint note")
    return int(lines[1])


@dataclass(slots=True)
class Scan:
    """What ``log.dat`` holds: the offsets of the whole records passing their checksum, in
    order, and what follows them (a torn tail, or damage followed by more records)."""

    offsets: array[int] = field(default_factory=lambda: array("Q"))
    end: int = 0  # byte end of the last whole record
    file_size: int = 0
    damage: str | None = None  # why the record after ``offsets`` does not read
    damage_followed: bool = False  # intact records follow the damage: it is not a torn tail


@dataclass(slots=True)
class Findings:
    """What opening found and did (or, read-only / dry run, would do)."""

    records: int = 0
    rebuilt: list[str] = field(default_factory=list)
    trimmed: int = 0  # bytes of torn tail cut from log.dat
    checkpoint_size: int | None = None
    checkpoint_file: str | None = None  # the copy that named it (the longer one)


class _Walked:
    """Hands back to the kernel the pages of a mapped ``log.dat`` already walked past: they
    stay in the page cache, but out of this process's resident set, so opening a 1M-entry
    log does not hold its gigabytes resident (a read-only shared mapping: MADV_DONTNEED only
    drops this process's references)."""

    def __init__(self, data: bytes | mmap.mmap, start: int = 0) -> None:
        self.data, self.released = data, start // mmap.PAGESIZE * mmap.PAGESIZE

    def past(self, pos: int) -> None:
        if isinstance(self.data, mmap.mmap) and pos - self.released >= RELEASE_EVERY:
            length = (pos - self.released) // mmap.PAGESIZE * mmap.PAGESIZE
            if length:
                self.data.madvise(mmap.MADV_DONTNEED, self.released, length)
                self.released += length


def scan(
    data: bytes | mmap.mmap,
    hints: bytes,
    hashes: bytearray | None = None,
    *,
    fd: int | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Scan:
    """Walk ``log.dat`` record by record. ``hints`` (log.idx as found) is used only to tell a
    damaged record followed by intact ones from a torn final record. With ``hashes``, the
    leaf hash of every whole record passing its checksum is appended to it on the way: one
    pass over the file, each record read once and never copied (a 1M-entry log is 1.6 GB).

    With ``fd`` (the file ``data`` maps) and more than ``PARALLEL_WALK_ABOVE`` bytes, a
    second process walks the records from the one ``hints`` places half-way, every checksum
    and leaf hash computed there, while this one walks up to it. Its half is taken only when
    this walk ends exactly where it began and it walked to the end without damage; else this
    process walks the rest itself, so the result is always the one-process walk's.

    ``meanwhile`` (called once, whatever the file holds) is work of this process's own
    that needs nothing of the walk: with two walkers, a third process walks the first half
    while it runs here (the snapshot's load, at start-up), and its records are taken on
    the same terms (they start at byte 0 and end exactly half-way), else walked here."""
    found = Scan(file_size=len(data))
    size = len(data)
    split = None
    if fd is not None and hashes is not None and size > PARALLEL_WALK_ABOVE:
        split = _half_way(hints, size)
    # With work of its own to do meanwhile on a machine of few cores, one walker walks the
    # whole file: three processes on two cores would only take turns.
    alone = meanwhile is not None and (os.cpu_count() or 1) <= ONE_WALKER_UP_TO_CORES
    walker = None
    if fd is not None and split is not None and not alone:
        walker = _Walker(fd, split, size)
    first = None
    if fd is not None and split is not None and meanwhile is not None:
        first = _Walker(fd, 0, size, stop=None if alone else split)
    try:
        if meanwhile is not None:
            meanwhile()
        whole = None if first is None else first.result()
        if (
            first is not None
            and whole is not None
            and hashes is not None
            and _joins(data, 0, whole[0], first.until)
        ):
            # Its records run from byte 0 to exactly where it was to stop.
            found.offsets.extend(whole[0])
            hashes += whole[1]
            pos, damage, failed_end = first.until, None, None
        else:
            end = split if walker is not None and split is not None else size
            pos, damage, failed_end = _walk(data, 0, end, found.offsets, hashes)
        if walker is not None and damage is None:
            half = walker.result() if pos == split else None
            if half is not None and hashes is not None and _joins(data, pos, half[0]):
                found.offsets.extend(half[0])
                hashes += half[1]
                pos = size
            else:
                pos, damage, failed_end = _walk(data, pos, size, found.offsets, hashes)
    finally:
        for started in (first, walker):
            if started is not None:
                started.stop()
    found.end = pos
    found.damage = damage
    if failed_end is not None:
        found.damage_followed = failed_end < size and _intact_after(data, failed_end)
    if found.damage is not None and not found.damage_followed:
        found.damage_followed = _intact_at_hints(data, hints, len(found.offsets), pos)
    return found


def _walk(
    data: bytes | mmap.mmap,
    pos: int,
    stop: int,
    offsets: array[int],
    hashes: bytearray | None,
) -> tuple[int, str | None, int | None]:
    """The records starting at ``pos`` and before ``stop``: each whole one passing its
    checksum has its offset (and leaf hash) appended. Where the walk ended, why it stopped
    there if on damage, and the end of a record failing its checksum."""
    size = len(data)
    walked = _Walked(data, pos)
    view = memoryview(data)
    header = RECORD_HEADER.size
    record = view[0:0]
    release_at = pos + RELEASE_EVERY  # checked inline: a call per record was 5% of the walk
    try:
        while pos < stop:
            if pos >= release_at:
                walked.past(pos)
                release_at = pos + RELEASE_EVERY
            if pos + header > size:
                return pos, f"incomplete record header at byte {pos}", None
            length, crc = RECORD_HEADER.unpack_from(data, pos)
            end = pos + header + length
            if length > MAX_RECORD_BYTES or end > size:
                return pos, f"record {len(offsets)} at byte {pos} runs past the end", None
            record = view[pos + header : end]
            if zlib.crc32(record) != crc:
                return pos, f"record {len(offsets)} at byte {pos} fails its checksum", end
            if hashes is not None:
                hashes += leaf_hash(record)
            offsets.append(pos)
            pos = end
    finally:  # a mapping with views left on it cannot be closed
        record.release()
        view.release()
    return pos, None, None


def _joins(
    data: bytes | mmap.mmap, start: int, offsets: array[int], end: int | None = None
) -> bool:
    """Whether a walker's records begin at ``start`` and run to ``end`` (the file's end)."""
    if not offsets or offsets[0] != start or offsets[-1] + RECORD_HEADER.size > len(data):
        return False
    length: int = RECORD_HEADER.unpack_from(data, offsets[-1])[0]
    return offsets[-1] + RECORD_HEADER.size + length == (len(data) if end is None else end)


def _half_way(hints: bytes, size: int) -> int | None:
    """Where log.idx as found places the record half-way through (None: it names none
    inside the file). Only a hint: the walks hold it to what the records say."""
    count = len(hints) // OFFSET.size
    if count < 2:
        return None
    (offset,) = OFFSET.unpack_from(hints, count // 2 * OFFSET.size)
    return offset if 0 < offset < size else None


class _Walker:
    """A second (or third) process of a parallel walk (``scan``): ``python -c`` running
    ``walk_part`` over the same open file (its descriptor passed, not its name) from
    ``start`` to ``stop`` (default: the end), answering on a pipe."""

    def __init__(self, fd: int, start: int, size: int, *, stop: int | None = None) -> None:
        self.until = size if stop is None else stop
        root = str(Path(__file__).resolve().parents[1])  # this very package, in the child too
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root if not path else root + os.pathsep + path}
        self.proc: subprocess.Popen[bytes] | None
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
                # -P: not the working directory first on its path (``-c`` would put it
                # there), so the walker is this very package's code, not a ``ledger``
                # package that happens to be where the server was started.
                [sys.executable, "-P", "-c", WALK_PART, str(fd), str(start), str(size)]
                + ([] if stop is None else [str(stop)]),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                pass_fds=(fd,),
                env=env,
            )
        except OSError:
            self.proc = None  # walked here instead

    def result(self) -> tuple[array[int], bytes] | None:
        """The offsets and leaf hashes of its half; None if it did not walk it whole."""
        if self.proc is None:
            return None
        try:
            out, _ = self.proc.communicate(timeout=WALKER_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            return None
        if self.proc.returncode != 0 or len(out) < OFFSET.size:
            return None
        (count,) = OFFSET.unpack_from(out, 0)
        cut = OFFSET.size + count * OFFSET.size
        if len(out) != cut + count * HASH_SIZE:
            return None
        offsets = array("Q")
        offsets.frombytes(out[OFFSET.size : cut])
        return offsets, out[cut:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


WALK_PART: Final = "from ledger.store import walk_part; walk_part()"


def walk_part() -> None:
    """A walker (``_Walker``): the records of the log.dat open at descriptor ``argv[1]`` from
    byte ``argv[2]`` to its end (``argv[3]`` bytes, as the first walker found it) or to byte
    ``argv[4]`` if given; writes their count, offsets (native order) and leaf hashes to
    stdout, or exits 1 if they do not run whole and intact to exactly there."""
    fd, start, size = (int(arg) for arg in sys.argv[1:4])
    stop = int(sys.argv[4]) if len(sys.argv) > 4 else size
    offsets, hashes = array("Q"), bytearray()
    with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as data:
        pos, damage, _ = _walk(data, start, stop, offsets, hashes)
    if damage is not None or pos != stop:
        sys.exit(1)
    out = sys.stdout.buffer
    out.write(OFFSET.pack(len(offsets)))
    out.write(offsets.tobytes())
    out.write(hashes)
    out.flush()


def first_record(path: Path) -> bytes | None:
    """Record 0 of the ``log.dat`` at ``path`` if it is whole and passes its checksum, read
    before the file is walked (None otherwise): the genesis, naming the key a snapshot is
    checked with while the walk goes on. The walk reads it again, and the caller holds what
    it used to the record the walk found."""
    try:
        with path.open("rb") as file:
            head = file.read(RECORD_HEADER.size)
            if len(head) != RECORD_HEADER.size:
                return None
            length, crc = RECORD_HEADER.unpack(head)
            record = file.read(min(length, MAX_RECORD_BYTES + 1))
    except OSError:
        return None
    return record if len(record) == length and zlib.crc32(record) == crc else None


def _intact_after(data: bytes | mmap.mmap, pos: int) -> bool:
    """Whether a whole record passing its checksum starts at ``pos``."""
    if pos + RECORD_HEADER.size > len(data):
        return False
    length, crc = RECORD_HEADER.unpack_from(data, pos)
    end = pos + RECORD_HEADER.size + length
    if length > MAX_RECORD_BYTES or end > len(data):
        return False
    return bool(zlib.crc32(data[pos + RECORD_HEADER.size : end]) == crc)


def _intact_at_hints(data: bytes | mmap.mmap, hints: bytes, index: int, damaged: int) -> bool:
    """Whether the index as found points past the damage at intact records (a damaged
    length field hides them from the walk)."""
    count = len(hints) // OFFSET.size
    for i in range(index + 1, count):
        (offset,) = OFFSET.unpack_from(hints, i * OFFSET.size)
        if offset > damaged and _intact_after(data, offset):
            return True
    return False


def read_meta(path: Path, way_back: WayBack = LEDGER_WAY_BACK) -> dict[str, Any]:
    """``meta.json`` as ``{key: value}``, checked to be the TinyDB file this store writes
    (``{"meta": {"<id>": {"key": str, "value": …}}}``); missing or empty is no metadata
    (which ``FileLogStore`` refuses beside a log with entries).
    Anything else is ``store_meta_invalid``: the log is untouched, and the file holds only
    the store's format, which opening for writing records again once it is moved aside."""
    try:
        data = read_bounded(
            path, MAX_META_BYTES, too_large=STORE_META_INVALID, not_regular=STORE_META_INVALID
        )
        text = data.decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise STORE_META_INVALID(f"{path} cannot be read: {exc}") from exc
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _meta_damaged(path, "it is not JSON (cut short?)", way_back) from exc
    if not isinstance(raw, dict) or not all(isinstance(t, dict) for t in raw.values()):
        raise _meta_damaged(path, "it is not a table of records", way_back)
    found: dict[str, Any] = {}
    for row in raw.get("meta", {}).values():
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            raise _meta_damaged(path, "a record has no key", way_back)
        found[row["key"]] = row.get("value")
    return found


def _meta_damaged(path: Path, why: str, way_back: WayBack) -> Error:
    return STORE_META_INVALID(
        f"{path} is damaged: {why}; the log is intact and this file holds only the store's "
        f"format: {way_back.meta_damaged}"
    )


class FileLogStore:
    """The embedded store (module docstring): ``log.dat`` + ``log.idx`` + ``leaves.dat`` +
    ``checkpoint.dat`` + ``meta.json``. ``create`` makes a new, empty one (``ledger init``
    only); ``findings`` says what opening found and rebuilt."""

    def __init__(
        self,
        directory: Path,
        *,
        readonly: bool = False,
        create: bool = False,
        meanwhile: Callable[[], None] | None = None,
        way_back: WayBack = LEDGER_WAY_BACK,
        remake_meta: bool = False,
    ) -> None:
        """``meanwhile``: work of the caller's run while ``log.dat`` is walked (``scan``);
        ``way_back``: what the refusals say to do (a mirror's copy is not the ledger's);
        ``remake_meta``: write a missing or empty ``meta.json`` again (``ledger repair``)
        rather than refuse it."""
        self.directory = directory
        self._meanwhile = meanwhile
        self._way_back = way_back
        self._meta_remade = False
        self.readonly = readonly
        self._io = threading.Lock()
        self._lock_fd: int | None = None
        self._fds: list[int] = []
        self._meta: TinyDB | None = None
        self._meta_readonly: dict[str, Any] = {}
        if not create and not os.path.lexists(directory / "log.dat"):
            raise lost_log(directory, way_back=way_back)
        try:
            self._open(create, remake_meta)
            self.findings = self._recover()
            if self._meta_remade:
                self.findings.rebuilt.append("meta.json")
        except BaseException:
            self.close()
            raise

    # -- opening --------------------------------------------------------------------------

    def _open(self, create: bool, remake_meta: bool) -> None:
        directory = self.directory
        try:
            if create:
                directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.readonly:
                self._lock_fd = hold_lock(directory)
            flags = os.O_RDONLY if self.readonly else os.O_RDWR | os.O_CREAT
            self._data = self._open_file(
                "log.dat", flags | (os.O_APPEND if not self.readonly else 0)
            )
            self._idx = self._open_file("log.idx", flags, missing_ok=True)
            self._hashes = self._open_file("leaves.dat", flags, missing_ok=True)
            self._ckpt = self._open_file("checkpoint.dat", flags, missing_ok=True)
            self._ack = self._open_file(ACKNOWLEDGED_FILE, flags, missing_ok=True)
            meta_path = directory / "meta.json"
            # Checked before TinyDB reads it: a damaged file is one clear error, not a crash.
            rows = read_meta(meta_path, self._way_back)
            if not rows and not create and os.fstat(self._data).st_size:
                # Entries, and no record of their format: meta.json was lost or emptied
                # (a new store writes it before its first entry).
                if not remake_meta:
                    raise self._meta_lost(meta_path)
                self._meta_remade = True
            if self.readonly:
                self._meta_readonly = rows
            else:
                self._meta = TinyDB(meta_path, storage=DurableJSONStorage, access_mode="r+")
        except StorageError:
            raise
        except (OSError, ValueError) as exc:
            what = "read" if self.readonly else "open for writing"
            raise STORE_UNAVAILABLE(f"cannot {what} the store in {directory}: {exc}") from exc
        found = self.get_meta("format")
        if found is None and not self.readonly:
            self.put_meta("format", STORE_FORMAT)
        elif found not in (None, STORE_FORMAT):
            raise STORE_FORMAT_UNSUPPORTED(
                f"store format {found!r}; this version reads {STORE_FORMAT}"
            )

    def _meta_lost(self, path: Path) -> Error:
        if os.path.islink(path) and not path.exists():
            found = f"a link to {os.readlink(path)}, which is missing,"
        else:
            found = "empty" if os.path.lexists(path) else "missing"
        return STORE_META_INVALID(
            f"{path} is {found} while log.dat holds entries: the store's format is not known; "
            f"the log is intact and this file holds only the format: "
            f"{self._way_back.meta_lost}"
        )

    def _open_file(self, name: str, flags: int, *, missing_ok: bool = False) -> int:
        path = self.directory / name
        absent = self.readonly and missing_ok and not os.path.lexists(path)
        fd = -1 if absent else open_regular(path, flags, STORE_CORRUPT)
        self._fds.append(fd)
        return fd

    def _read_all(self, fd: int) -> bytes:
        if fd < 0:
            return b""
        return os.pread(fd, os.fstat(fd).st_size, 0)

    def _recover(self) -> Findings:
        """Re-derive index and leaf hashes from ``log.dat`` (module docstring)."""
        findings = Findings()
        note, witness = self._last_checkpoint()
        signed = checkpoint_size(note) if note else 0
        findings.checkpoint_size = signed if note else None
        findings.checkpoint_file = witness if note else None
        data_size = os.fstat(self._data).st_size
        hints = self._read_all(self._idx)
        # As found, before any rebuild: audit compares each entry with it. Read once, here,
        # by a reader (32 MB at 1M entries); a writer reads it after the walk, to compare.
        found_hashes = self._read_all(self._hashes) if self.readonly else None
        self.found_leaf_hashes = found_hashes if found_hashes is not None else b""
        with _mapped(self._data, data_size) as data:
            hashes = bytearray()
            found = scan(
                data,
                hints,
                hashes,
                fd=self._data if data_size else None,
                meanwhile=self._meanwhile,
            )
            n = len(found.offsets)
            if found.damage is not None:
                if found.damage_followed:
                    raise STORE_CORRUPT(
                        f"log.dat: {found.damage}, and intact records follow it: not a torn "
                        f"write; {self._way_back.damaged_record}",
                        seq=n,
                    )
                if n < signed:
                    raise STORE_CORRUPT(
                        f"log.dat: {found.damage}, which the last signed checkpoint (size "
                        f"{signed}) covers; {self._way_back.damaged_record}",
                        seq=n,
                    )
            if n < signed:
                raise rolled_back(n, signed, witness, self._way_back)
        findings.records = n
        if found.end != data_size:
            findings.trimmed = data_size - found.end
        index = _packed(found.offsets)
        if hints != index:
            findings.rebuilt.append("log.idx")
        if found_hashes is None:
            found_hashes = self._read_all(self._hashes)
        if found_hashes != bytes(hashes):
            findings.rebuilt.append("leaves.dat")
        if not self.readonly:
            self._rewrite(findings, found.end, index, bytes(hashes))
        self._offsets = found.offsets
        self._hash_bytes = hashes
        self._size = n
        self._data_end = found.end
        return findings

    def _rewrite(self, findings: Findings, end: int, index: bytes, hashes: bytes) -> None:
        """Make the derived files agree with log.dat (writers only)."""
        try:
            if findings.trimmed:
                os.ftruncate(self._data, end)
                os.fsync(self._data)
            for name, fd, content in (
                ("log.idx", self._idx, index),
                ("leaves.dat", self._hashes, hashes),
            ):
                if name in findings.rebuilt:
                    os.ftruncate(fd, 0)
                    _pwrite_all(fd, content, 0)
                    os.fsync(fd)
        except OSError as exc:
            raise STORE_WRITE_FAILED(
                f"could not rebuild the store's index in {self.directory}: {why_not_written(exc)}"
            ) from exc

    # -- the log --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaves: list[bytes], hashes: list[bytes]) -> None:
        """Write records to the OS (not yet durable: call ``sync``)."""
        if self.readonly:
            raise STORE_READONLY("this store was opened read-only")
        data, offsets = bytearray(), array("Q")
        end = self._data_end
        for leaf in leaves:
            offsets.append(end + len(data))
            data += RECORD_HEADER.pack(len(leaf), zlib.crc32(leaf))
            data += leaf
        digests = b"".join(hashes)
        with self._io:
            self._check_log(end)
            name = "log.dat"
            try:
                _write_all(self._data, bytes(data))
                name = "log.idx"
                _pwrite_all(self._idx, _packed(offsets), self._size * OFFSET.size)
                name = "leaves.dat"
                _pwrite_all(self._hashes, digests, self._size * HASH_SIZE)
            except OSError as exc:
                undone = ""
                try:
                    self._cut(self._size, end)
                except OSError as also:  # (a file made read-only): the next open trims the
                    # torn tail, past every checkpoint signed, as after a crash
                    undone = f" (nor undone: {why_not_written(also)})"
                raise STORE_WRITE_FAILED(
                    f"could not write the log ({self.directory / name}): "
                    f"{why_not_written(exc)}{undone}; nothing was acknowledged"
                ) from exc
            self._offsets.extend(offsets)
            self._hash_bytes += digests
            self._size += len(leaves)
            self._data_end = end + len(data)

    def _check_log(self, end: int) -> None:
        """``log.dat`` is still the file this store opened, ``end`` bytes long: a log cut,
        removed or replaced while the ledger runs would have it append, sign and acknowledge
        entries that no restart finds (the start-up checks see it only then)."""
        path = self.directory / "log.dat"
        held = os.fstat(self._data)
        try:
            named = os.stat(path)
        except OSError as exc:
            why = f"{path} is gone ({exc.strerror})"
        else:
            if (named.st_dev, named.st_ino) != (held.st_dev, held.st_ino):
                why = f"{path} is another file than the one this ledger opened"
            elif held.st_size != end:
                why = f"{path} is {held.st_size} bytes where this ledger wrote {end}"
            else:
                return
        raise STORE_CORRUPT(
            f"{why}: it was changed while the ledger ran; nothing more is written or "
            f"acknowledged: stop the ledger and {self._way_back.lost_entries}"
        )

    def sync(self) -> None:
        with self._io:
            self._check_log(self._data_end)
        for name, fd in (
            ("log.dat", self._data),
            ("log.idx", self._idx),
            ("leaves.dat", self._hashes),
        ):
            try:
                os.fsync(fd)
            except OSError as exc:
                raise STORE_SYNC_FAILED(
                    f"could not make the log durable ({self.directory / name}): "
                    f"{why_not_written(exc)}"
                ) from exc

    def truncate(self, size: int) -> None:
        with self._io:
            self._cut(size, self._end_of(size))

    def _end_of(self, n: int) -> int:
        return self._offsets[n] if n < self._size else self._data_end

    def _cut(self, size: int, end: int) -> None:
        """Undo a write that failed part-way: only ever entries no checkpoint covers."""
        os.ftruncate(self._data, end)
        os.ftruncate(self._idx, size * OFFSET.size)
        os.ftruncate(self._hashes, size * HASH_SIZE)
        del self._offsets[size:]
        del self._hash_bytes[size * HASH_SIZE :]
        self._size, self._data_end = size, end

    def read(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        offsets, header = self._offsets, RECORD_HEADER.size
        offset = offsets[index]
        # One read of the record with its header, to where the next record starts (or the
        # log's end, read later: past it if others were appended meanwhile). The header's
        # length and checksum decide: a length past that end is a damaged record.
        end = offsets[index + 1] if index + 1 < len(offsets) else self._data_end
        data = os.pread(self._data, end - offset, offset)
        if len(data) < header:  # the log was cut while open (``_check_log``)
            raise STORE_CORRUPT(f"entry {index} is cut short", seq=index)
        (length, crc) = RECORD_HEADER.unpack_from(data)
        record = data[header : header + length]
        if len(record) != length or zlib.crc32(record) != crc:
            raise STORE_CORRUPT(f"entry {index} fails its checksum", seq=index)
        return record

    def leaf_hashes(self) -> bytes:
        return bytes(self._hash_bytes)

    def bytes_on_disk(self) -> int:
        return sum(os.fstat(fd).st_size for fd in self._fds if fd >= 0)

    # -- the last signed checkpoint --------------------------------------------------------

    def _last_checkpoint(self) -> tuple[str | None, str]:
        """The last signed checkpoint and the file it was read from: of the latest note of
        each copy, the one of the larger size (a copy that lost its tail is the shorter)."""
        found = [
            (_size_or_none(max(slots)[1]), max(slots)[1], name)
            for name, fd in (("checkpoint.dat", self._ckpt), (ACKNOWLEDGED_FILE, self._ack))
            if (slots := read_slots(self._read_all(fd)))
        ]
        if found:
            _, note, name = max(found, key=lambda item: item[0])
            return note, name
        legacy = self.get_meta(LAST_CHECKPOINT)
        return (legacy if isinstance(legacy, str) else None), "meta.json"

    def last_checkpoint(self) -> str | None:
        """The last checkpoint the ledger signed (None before the first)."""
        return self._last_checkpoint()[0]

    def put_checkpoint(self, note: str) -> None:
        """Make ``note`` durable before anyone is told about it, in both copies; the other
        slot of each keeps the previous one, so a torn write loses nothing signed before."""
        if self.readonly:
            raise STORE_READONLY("this store was opened read-only")
        body = note.encode("utf-8")
        if len(body) > CHECKPOINT_SLOT - SLOT_HEADER.size:
            raise STORE_WRITE_FAILED("the checkpoint note is larger than its slot")
        for name, fd in (("checkpoint.dat", self._ckpt), (ACKNOWLEDGED_FILE, self._ack)):
            slots = read_slots(self._read_all(fd))
            generation = max(slots)[0] + 1 if slots else 1
            record = SLOT_HEADER.pack(generation, len(body), zlib.crc32(body)) + body
            try:
                _pwrite_all(fd, record, (generation % 2) * CHECKPOINT_SLOT)
                os.fsync(fd)
            except OSError as exc:
                raise STORE_SYNC_FAILED(
                    f"could not make the checkpoint durable ({self.directory / name}): "
                    f"{why_not_written(exc)}"
                ) from exc

    # -- metadata -------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        if self._meta is None:
            return self._meta_readonly.get(key)
        doc = self._meta.table("meta").get(Query().key == key)
        return None if doc is None else doc.get("value")

    def put_meta(self, key: str, value: Any) -> None:
        if self._meta is None or self.readonly:
            raise STORE_READONLY("this store was opened read-only")
        self._meta.table("meta").upsert({"key": key, "value": value}, Query().key == key)

    def close(self) -> None:
        for fd in self._fds:
            if fd >= 0:
                os.close(fd)
        self._fds = []
        if self._meta is not None:
            self._meta.close()
            self._meta = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


class _mapped:
    """``log.dat`` mapped read-only for the scan (an empty file maps to no bytes)."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd, self.size = fd, size
        self.map: mmap.mmap | None = None

    def __enter__(self) -> bytes | mmap.mmap:
        if self.size == 0:
            return b""
        self.map = mmap.mmap(self.fd, self.size, access=mmap.ACCESS_READ)
        return self.map

    def __exit__(self, *_: object) -> None:
        if self.map is not None:
            self.map.close()


def _packed(offsets: array[int]) -> bytes:
    """Offsets as log.idx stores them: big-endian uint64."""
    copy = array("Q", offsets)
    if sys.byteorder == "little":
        copy.byteswap()
    return copy.tobytes()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written
