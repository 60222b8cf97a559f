"""The log as C2SP tlog-tiles: static files (checkpoint, hash tiles, entry bundles) under one
directory any web server can serve, written beside the log as it grows.

Layout (tlog-tiles "APIs"): ``checkpoint``; ``tile/<L>/<N>[.p/<W>]``, 256 hashes of level L
(level 0: leaf hashes; level L+1: the Merkle tree hash of each full tile of level L);
``tile/entries/<N>[.p/<W>]``, the entries of level-0 tile N, each with a big-endian uint16
length. Our transactions may be up to 1 MiB, past what a uint16 can say: a bundle holding one
that large is written at ``tile/entries32/<N>[.p/<W>]`` instead, with uint32 lengths (the
spec lets a log serve entries in another format at another URL), and readers look there when
the standard bundle is absent.

``TileWriter`` runs in its own thread: the ledger only wakes it at each new checkpoint, so
the writer's durability path waits on no tile, and it writes at most every ``GAP`` seconds
(checkpoints signed meanwhile go out together). Files are written to a temporary name and
renamed, full tiles fsynced (``_put`` says why only they); the checkpoint is replaced last,
so the directory never names a tree its tiles do not hold. A restart resumes from the
tiles' checkpoint when its root is the log's, and rebuilds every tile from the log
otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from civicid.checkpoint import MAX_NOTE_BYTES, Checkpoint
from civicid.errors import Error, StorageError, VerificationError, declare
from civicid.files import read_bounded, why_not_written
from civicid.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from ledger.log import Ledger

log = logging.getLogger(__name__)

TILE_HEIGHT: Final = 8
TILE_WIDTH: Final = 1 << TILE_HEIGHT  # tlog-tiles: full tiles are exactly 256 hashes wide
FULL_TILE_BYTES: Final = TILE_WIDTH * HASH_SIZE
# tlog-tiles: a level is 0..63, enough for any uint64 tree size.
MAX_LEVEL: Final = 63
# The standard bundle's uint16 length prefix: a larger entry goes to the uint32 bundle.
MAX_STANDARD_ENTRY: Final = 0xFFFF
ENTRIES: Final = "entries"
ENTRIES32: Final = "entries32"
CHECKPOINT: Final = "checkpoint"
# Seconds at least between two writes of the tiles: under load the ledger signs a
# checkpoint per group commit, and writing each would compete with its fsyncs for the disk.
GAP: Final = 0.25
# Seconds between two looks at what a followed ledger serves: a checkpoint cosigned after it
# was signed reaches the tiles within this.
POLL: Final = 1.0
# Seconds before tiles that could not be written (a full disk, a directory made read-only)
# are tried again: the disk freed, they follow the ledger again within this, unrestarted.
RETRY: Final = 5.0

TILE_WRITE_FAILED = declare(
    "tile_write_failed", StorageError, "the log's tiles could not be written"
)
TILE_ROOT_MISMATCH = declare(
    "tile_root_mismatch", VerificationError, "the tiles do not make the checkpoint's tree"
)

ReadEntry = Callable[[int], bytes]
RootAt = Callable[[int], bytes]


def index_path(index: int) -> str:
    """tlog-tiles: ``<N>`` as zero-padded 3-digit elements, all but the last with an ``x``
    (1234067 is ``x001/x234/067``)."""
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    """The path of tile ``index`` of ``level`` (an int, or ``entries``): partial below 256."""
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{index_path(index)}{suffix}"


def widths(size: int) -> list[tuple[int, int, int]]:
    """(level, index, width) of every partial tile a tree of ``size`` has (tlog-tiles
    "Partial Tiles": ``floor(s / 256**l) mod 256`` hashes at level l)."""
    found = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        if count % TILE_WIDTH:
            found.append((level, count // TILE_WIDTH, count % TILE_WIDTH))
        level += 1
    return found


def subtree_root(hashes: list[bytes]) -> bytes:
    """The root of a perfect subtree over ``hashes`` (a power of two of them)."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def root_from_partials(partials: dict[int, list[bytes]], size: int) -> bytes:
    """The root of a tree of ``size`` from its partial tiles alone: the tree is the perfect
    subtrees of the binary digits of ``size``, largest first, and each is a power-of-two run
    of one partial tile's hashes (RFC 9162 §2.1.1 folds them right to left)."""
    if size == 0:
        return EMPTY_ROOT
    peaks: list[bytes] = []
    for level in sorted(partials, reverse=True):
        hashes, at = partials[level], 0
        for bit in range(TILE_HEIGHT - 1, -1, -1):
            if len(hashes) >> bit & 1:
                peaks.append(subtree_root(hashes[at : at + (1 << bit)]))
                at += 1 << bit
    root = peaks[-1]
    for peak in reversed(peaks[:-1]):
        root = node_hash(peak, root)
    return root


def encode_bundle(entries: Iterable[bytes], wide: bool) -> bytes:
    """Entries, each after its big-endian length (uint16; uint32 when ``wide``)."""
    width = 4 if wide else 2
    return b"".join(len(e).to_bytes(width, "big") + e for e in entries)


def note_checkpoint(note: str) -> Checkpoint:
    """The tree head a signed note states (its signature is the reader's to check)."""
    return Checkpoint.parse_body(note.split("\n\n", 1)[0] + "\n")


class TileWriter:
    """Keeps ``directory`` the tiles of a log read through ``read_entry``, up to the latest
    checkpoint ``publish`` was given; ``root_at(size)`` is the log's own root, to hold the
    tiles to before anything is resumed or published."""

    def __init__(self, directory: Path, read_entry: ReadEntry, root_at: RootAt) -> None:
        self.directory = directory
        self.read_entry = read_entry
        self.root_at = root_at
        self.size = 0  # entries the tiles hold
        self._partials: dict[int, list[bytes]] = {}  # level -> hashes of its unfinished tile
        self._bundle: list[bytes] = []  # entries of the unfinished level-0 tile
        self._wanted: tuple[int, str] | None = None
        self._note = ""  # the checkpoint the directory serves
        # Asked at each wake-up and every POLL seconds: what to serve (``follow``).
        self._source: Callable[[], tuple[int, str]] | None = None
        self._cv = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.failed: Error | None = None  # why tiles stopped (kept for status and tests)
        self.published = 0  # size of the checkpoint the directory serves
        # Tiles are immutable once written, so one found is not rewritten, unless the
        # directory was found not to be this log's (then every file is).
        self._fresh = False

    # -- the thread ---------------------------------------------------------------------------

    def start(self) -> TileWriter:
        self._thread = threading.Thread(target=self._run, name="ledger-tiles", daemon=True)
        self._thread.start()
        return self

    def watch(self, source: Callable[[], tuple[int, str]]) -> TileWriter:
        """Serve what ``source`` says (size, note), asked at each ``wake`` and every POLL
        seconds (a note cosigned later than it was signed is seen so)."""
        self._source = source
        return self

    def wake(self) -> None:
        with self._cv:
            self._cv.notify()

    def publish(self, size: int, note: str) -> None:
        """Ask for the tiles of ``note`` (size ``size``); returns at once."""
        with self._cv:
            if self._wanted is None or size >= self._wanted[0]:
                self._wanted = (size, note)
                self._cv.notify()

    def stop(self) -> None:
        """Write what was asked for and what the source serves now, then stop
        (idempotent)."""
        with self._cv:
            self._stopping = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        last_look = False  # once stopping: one more look at the source, then stop
        while True:
            with self._cv:
                self._look()
                while self._wanted is None and not self._stopping:
                    self._cv.wait(POLL if self._source is not None else None)
                    self._look()
                wanted, self._wanted = self._wanted, None
                if wanted is None:
                    return
            try:
                self.write(*wanted)
            except Error as exc:
                self.failed = exc  # kept for status and tests; the ledger goes on without tiles
                log.error("tiles stopped at %d entries: %s [%s]", self.size, exc, exc.code)
                if not TILE_WRITE_FAILED.matches(exc) or self._stopping:
                    return  # tiles that are not this log's are never tried again
                self._retry_later(wanted)
                continue
            if self.failed is not None:
                log.warning("tiles written again, up to %d entries", self.published)
                self.failed = None
            if self._stopping:
                if last_look:
                    return  # what was asked for, and what the source served at stop, is written
                last_look = True
                continue
            with self._cv:  # checkpoints signed meanwhile are written together, next
                self._cv.wait_for(lambda: self._stopping, timeout=GAP)

    def _retry_later(self, wanted: tuple[int, str]) -> None:
        """After a write the disk refused: wait ``RETRY`` seconds (or a stop), then write
        ``wanted`` (or what was asked since) from what the tiles on disk hold, checked as at
        a start: what this attempt kept in memory is left, part of it never written."""
        self.published = 0  # the next write resumes from the tiles' own checkpoint
        with self._cv:
            if self._wanted is None or wanted[0] > self._wanted[0]:
                self._wanted = wanted
            self._cv.wait_for(lambda: self._stopping, timeout=RETRY)

    def _look(self) -> None:
        """Ask the source what to serve (under ``_cv``)."""
        if self._source is not None and self._wanted is None:
            size, note = self._source()
            if note and note != self._note:
                self._wanted = (size, note)

    # -- writing ------------------------------------------------------------------------------

    def write(self, size: int, note: str) -> None:
        """Bring the tiles up to ``size`` and serve ``note`` as their checkpoint."""
        if size <= self.published:
            if size == self.published and size and note != self._note:
                self._put(CHECKPOINT, note.encode("utf-8"))  # a re-signed or cosigned note
                self._note = note
            return
        if not self.published:
            self._resume()
        for seq in range(self.size, size):
            entry = self.read_entry(seq)
            self._bundle.append(entry)
            self._push(0, leaf_hash(entry))
            self.size += 1
        for level, index, width in widths(size):
            self._put(tile_path(level, index, width), b"".join(self._partials[level]))
        if self._bundle:
            self._put_bundle(size // TILE_WIDTH, self._bundle)
        stated = note_checkpoint(note)
        if stated.size != size or root_from_partials(self._partials, size) != stated.root:
            raise TILE_ROOT_MISMATCH(f"the tiles of {size} entries do not make the signed root")
        self._put(CHECKPOINT, note.encode("utf-8"))
        self.published, self._note = size, note

    def _push(self, level: int, digest: bytes) -> None:
        hashes = self._partials.setdefault(level, [])
        hashes.append(digest)
        if len(hashes) < TILE_WIDTH:
            return
        index = (self.size + 1) // TILE_WIDTH ** (level + 1) - 1
        self._put(tile_path(level, index), b"".join(hashes), durable=True)
        if level == 0:
            self._put_bundle(index, self._bundle)
            self._bundle = []
        del self._partials[level]
        self._push(level + 1, subtree_root(hashes))

    def _put_bundle(self, index: int, entries: list[bytes]) -> None:
        wide = any(len(e) > MAX_STANDARD_ENTRY for e in entries)
        kind = ENTRIES32 if wide else ENTRIES
        full = len(entries) == TILE_WIDTH
        path = tile_path(kind, index, len(entries))
        self._put(path, encode_bundle(entries, wide), durable=full)

    def _resume(self) -> None:
        """Take up from the tiles' own checkpoint when the log agrees with it; else start
        from nothing (every tile is then rewritten from the log)."""
        self.size, self._partials, self._bundle = 0, {}, []
        try:
            found = self._read(CHECKPOINT, MAX_NOTE_BYTES).decode("utf-8")
            stated = note_checkpoint(found)
            partials = {
                level: _split_hashes(self._read(tile_path(level, index, width), FULL_TILE_BYTES))
                for level, index, width in widths(stated.size)
            }
            shapes = [len(partials[level]) == width for level, _, width in widths(stated.size)]
            if (
                not all(shapes)
                or root_from_partials(partials, stated.size) != stated.root
                or self.root_at(stated.size) != stated.root
            ):
                raise TILE_ROOT_MISMATCH("the tiles found are not this log's")
            lost = self._full_files_lost(stated.size)
            if lost is not None:
                raise TILE_ROOT_MISMATCH(f"{lost} is missing or cut short")
            start = stated.size - stated.size % TILE_WIDTH
            bundle = [self.read_entry(seq) for seq in range(start, stated.size)]
        except (OSError, ValueError, Error) as exc:
            # ``lexists``, not ``Path.exists``: a directory this user may not enter raises
            # there, and out of this handler it would end the writer's thread unsaid.
            if os.path.lexists(self.directory / CHECKPOINT):
                log.warning("rewriting every tile: %s", exc)
            self._fresh = True
            return
        self.size, self._partials, self._bundle = stated.size, partials, bundle
        self.published, self._note = stated.size, found

    def _read(self, relative: str, limit: int) -> bytes:
        """A file of the tiles, read no further than ``limit``; a named pipe or a device in
        its place is refused at once (opening a pipe would hold the ledger's start for ever,
        waiting for a writer), and every tile is then written again over it."""
        return read_bounded(self.directory / relative, limit, too_large=TILE_ROOT_MISMATCH,
                            not_regular=TILE_ROOT_MISMATCH)  # fmt: skip

    def _full_files_lost(self, size: int) -> str | None:
        """The first full tile or full bundle of a tree of ``size`` that is not there, or a
        hash tile that is not 256 hashes long; None if all are. Looked up by their sizes only
        (a few thousand ``stat`` calls at a million entries): a file lost or emptied would
        otherwise stay so, every reader refusing the tiles (``_put`` never writes a full
        one again), while the checkpoint and partial tiles, which are checked, say all is
        well. A byte changed inside one is not looked for here; readers find it."""
        for level in range(MAX_LEVEL + 1):
            full = size // TILE_WIDTH ** (level + 1)
            if not full:
                break
            for index in range(full):
                relative = tile_path(level, index)
                if _size_of(self.directory / relative) != FULL_TILE_BYTES:
                    return relative
        for index in range(size // TILE_WIDTH):
            sizes = (_size_of(self.directory / tile_path(k, index)) for k in (ENTRIES, ENTRIES32))
            if not any(sizes):
                return tile_path(ENTRIES, index)
        return None

    def _put(self, relative: str, data: bytes, *, durable: bool = False) -> None:
        """Write ``data`` at ``relative``, replacing what was there in one step; fsynced
        (file and directory) if ``durable``. Only full tiles are: written once per 256
        entries, and never checked again at start. Partial tiles and the checkpoint are
        rewritten all the time, and a start holds them to the log (``_resume``): one lost
        to a power cut makes the next start rewrite the tiles, nothing worse."""
        path = self.directory / relative
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            # In the ``try``: a directory this user may not enter fails here first.
            if relative != CHECKPOINT and not self._fresh and path.exists():
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, path)
            if durable:
                dir_fd = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:  # a full disk: the part written is not left to fill it more
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise TILE_WRITE_FAILED(f"cannot write {path}: {why_not_written(exc)}") from exc


def _size_of(path: Path) -> int:
    """``path``'s size in bytes if it is a regular file, else 0."""
    try:
        found = path.stat()
    except OSError:
        return 0
    return found.st_size if stat.S_ISREG(found.st_mode) else 0


def _split_hashes(data: bytes) -> list[bytes]:
    if not data or len(data) % HASH_SIZE or len(data) > FULL_TILE_BYTES:
        raise ValueError("not a tile of hashes")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def follow(ledger: Ledger, directory: Path) -> TileWriter:
    """Start writing ``ledger``'s tiles under ``directory``, and keep them up with each
    checkpoint it signs; ``stop()`` the writer before closing the ledger."""
    writer = TileWriter(directory, ledger.entry, ledger.root)

    def served() -> tuple[int, str]:
        view = ledger.view  # with witnesses, the newest cosigned checkpoint
        return view.size, view.checkpoint

    writer.watch(served).start()
    writer.wake()
    ledger.watch(lambda _: writer.wake())
    return writer
