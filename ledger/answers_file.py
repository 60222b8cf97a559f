"""Plain DID resolution answers rendered ahead, in a file beside the state snapshot
(``state.answers``), read back with one ``pread`` each: on a large ledger nearly every
resolution is the first of its DID since the process started, and rendering one (its entry
read, its document decoded, parsed and re-spaced, its metadata written) cost several times
what serving the same bytes does.

The file is derived data, never trusted blindly:

- it names the snapshot it was made from (tree size and root) in its header, and is used
  only beside that snapshot, once the log's tree has that root at that size (a missing,
  damaged, stale or another ledger's file is passed over, said once in the log, and every
  answer rendered as before);
- each answer is keyed by the leaf hash of the DID version it answers for, and served only
  when that version is the latest one the served checkpoint holds (a DID changed since is
  rendered live), for a plain ask (any other option is rendered live);
- each answer carries the SHA-256 of its leaf hash and bytes, checked before it is served:
  a damaged one is rendered live (said once).

Format: a magic line; the header (tree size, root, slot count, longest probe); the slots, an
open-addressing table by the first 8 bytes of the leaf hash (tag, offset, length; a length
of 0 is an empty slot); then the records, each the digest, the leaf hash and the answer.
The slot table (~20 bytes per DID) is read into memory; the answers stay on disk, unless the
file is small (``MAX_HELD_BYTES``): then every answer is read and checked once, at open.

Beside it, for a small ledger (``MAX_PROOF_PARTS_BYTES``), ``state.proofs`` in the same
format holds what an answer with proofs needs of each DID beyond its plain answer and is
fixed once its versions are logged: each version's ``"seq"``, ``"transaction"`` and the
start of its ``"inclusion"`` path, the leaf's siblings inside its whole block of
``2**height`` leaves (``ledger/inclusion.py``), the same at every later tree size; only the
part above the block, the state map proof and the checkpoint are added as asked. It is held
in memory or not used: read from disk, its SHA-256 (~20 µs for ~7.5 KB on these cores) would
cost what it saves.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from civicid.errors import Error
from civicid.files import fsync_directory, open_regular
from civicid.merkle import HASH_SIZE
from civicid.words import counted
from ledger import inclusion
from ledger.answers import b64s, document_json, plain_json, transaction_json
from ledger.errors import LEDGER_NOT_INITIALIZED, STATE_SNAPSHOT_INVALID
from ledger.state import DidVersion, State

log = logging.getLogger("civicid.ledger")

FILE: Final = "state.answers"
MAGIC: Final = b"civicid-answers 1\n"
# Tree size, root, slot count (a power of two), longest probe any answer needs.
HEADER: Final = struct.Struct(">Q32sQI")
# A slot: the leaf hash's first 8 bytes, where its record starts and its length.
SLOT: Final = struct.Struct(">8sQI")
SLOT_BYTES: Final = SLOT.size
TAG_BYTES: Final = 8
# A record's head: the SHA-256 of its leaf hash and answer, then that leaf hash.
RECORD_HEAD: Final = 2 * HASH_SIZE
# The longest answer written: a DID document is bounded when it is logged (a plain answer
# is ~1.5 KB); a record longer than this in a damaged table is never read.
MAX_ANSWER_BYTES: Final = 256 * 1024
# Slots per answer at least: at half full, an answer is found in ~1.5 probes.
SLOTS_PER_ANSWER: Final = 2
# The longest run of slots an answer may be placed after its own (leaf hashes are SHA-256:
# runs stay short; one that would not is left out and rendered live).
MAX_PROBES: Final = 64
# The largest slot table read: 2^24 slots (20 bytes each, 320 MiB) would be 8M DIDs;
# a header naming more is damaged.
MAX_SLOTS: Final = 1 << 24
# The largest file read whole when opened, every answer checked then and held in memory (a
# ledger of ~13,000 DIDs): a first answer is then a dict look-up, where a ``pread`` and a
# SHA-256 of ~1.2 KB each cost 3 and 5 µs on these shared cores (load 15); checking all of
# them at open took 16-31 ms of CPU at 18,001 entries (4,501 answers, 5.4 MiB). A larger
# file stays on disk: at 1M entries its 292 MiB would count against the server's 1 GiB.
MAX_HELD_BYTES: Final = 16 * 1024 * 1024
PROOF_PARTS_FILE: Final = "state.proofs"
# The most bytes of proof parts written, all held in memory by the server (~7.5 KB a DID of
# four versions: a ledger of ~8,900 DIDs, ~35,000 entries; 18,001 entries take 34 MiB). A
# larger ledger's would stay on disk, where reading one and checking its SHA-256 costs what
# rendering it does (1M entries: ~1.9 GB, the log again): none is written.
MAX_PROOF_PARTS_BYTES: Final = 64 * 1024 * 1024
# Fewer bytes than any DID's parts take (one version's entry is ~1.4 KB): a ledger of more
# DIDs than fit at this size each is not rendered at all (at 1M, 250,000 DIDs), where
# rendering until the bound is passed would cost ~0.3 s of CPU at every snapshot for nothing.
MIN_PROOF_PARTS_BYTES: Final = 512
# Between the parts of two versions in a record: neither a JSON-safe entry, the JSON of one
# (json.dumps escapes a newline) nor base64 holds one.
PARTS_SEPARATOR: Final = b"\n"


def proof_parts_magic(height: int) -> bytes:
    """The magic line of a file of proof parts made with blocks of ``2**height`` leaves: a
    file of another height is passed over as not one."""
    return b"civicid-proof-parts 1 %d\n" % height


def beside(snapshot: Path) -> Path:
    """Where the answers of the snapshot at ``snapshot`` are kept."""
    return snapshot.with_name(FILE)


def proofs_beside(snapshot: Path) -> Path:
    """Where the proof parts of the snapshot at ``snapshot`` are kept."""
    return snapshot.with_name(PROOF_PARTS_FILE)


def _tag(leaf_hash: bytes) -> int:
    return int.from_bytes(leaf_hash[:TAG_BYTES], "big")


def _digest(leaf_hash: bytes, answer: bytes) -> bytes:
    return hashlib.sha256(leaf_hash + answer).digest()


def write(
    path: Path,
    state: State,
    size: int,
    root: bytes,
    *,
    temporary: str = ".tmp",
    before_replace: Callable[[], None] | None = None,
) -> int:
    """Render the plain answer of every DID in ``state`` (which stands at ``size`` entries,
    the tree of which has ``root``) into ``path``, replaced atomically (a crash leaves the
    old file or the new); the number of answers written. It is written first to ``path``
    with ``temporary`` added to its name: a writer beside another (``civicid ledger
    answers`` beside a ledger closing) names its own, so neither removes the other's.
    ``before_replace`` is called once the file is synced, before it replaces the old one:
    what it raises leaves the old file as it was (and no temporary one)."""
    reader = state.reader
    if reader is None:
        raise LEDGER_NOT_INITIALIZED("a state without its log has no documents to render")

    def answers() -> Iterable[tuple[bytes, bytes]]:
        for record in state.dids.values():
            visible = record.visible(size)
            if not visible:
                continue
            latest = visible[-1]
            document = (
                None
                if latest.deactivated
                else document_json(latest, reader(latest.seq), state.document_data)
            )
            yield latest.leaf_hash, plain_json(record, latest, visible, document)

    return _write_records(
        path, MAGIC, len(state.dids), answers(), size, root, temporary, before_replace
    )


def proof_parts(
    state: State, size: int, subtree_path: Callable[[int, int], list[bytes]], height: int
) -> list[tuple[bytes, bytes]] | None:
    """Each DID's proof parts at ``size`` entries by its latest version's leaf hash: every
    version's ``transaction_json`` and the base64 of its leaf's siblings inside its block
    (``subtree_path``, of blocks of ``2**height`` leaves), one version's from the next's
    apart by ``PARTS_SEPARATOR``. A DID of a version whose block is not whole at ``size``
    has none (rendered live). None once they pass ``MAX_PROOF_PARTS_BYTES``."""
    reader = state.reader
    if reader is None:
        raise LEDGER_NOT_INITIALIZED("a state without its log has no entries to render")
    if len(state.dids) * MIN_PROOF_PARTS_BYTES > MAX_PROOF_PARTS_BYTES:
        return None
    found: list[tuple[bytes, bytes]] = []
    total = 0

    def whole(version: DidVersion) -> bool:
        return ((version.seq >> height) + 1) << height <= size

    for record in state.dids.values():
        visible = record.visible(size)
        if not visible or not all(map(whole, visible)):
            continue
        parts = PARTS_SEPARATOR.join(
            b"".join((*transaction_json(v.seq, reader(v.seq)), b64s(subtree_path(v.seq, height))))
            for v in visible
        )
        total += RECORD_HEAD + len(parts)
        if total > MAX_PROOF_PARTS_BYTES:
            return None
        found.append((visible[-1].leaf_hash, parts))
    return found


def write_proof_parts(
    path: Path,
    state: State,
    size: int,
    root: bytes,
    subtree_path: Callable[[int, int], list[bytes]],
) -> int:
    """``proof_parts`` of ``state`` at ``size`` (the tree of which has ``root`` and gives
    ``subtree_path``) into ``path``, replaced atomically; the number of DIDs written. When
    they would pass ``MAX_PROOF_PARTS_BYTES`` (or blocks are of one leaf), none are, and an
    older file is removed."""
    height = inclusion.BLOCK_HEIGHT
    parts = proof_parts(state, size, subtree_path, height) if height > 0 else None
    if parts is None:
        path.unlink(missing_ok=True)
        return 0
    return _write_records(
        path, proof_parts_magic(height), len(parts), parts, size, root, ".tmp", None
    )


def _write_records(
    path: Path,
    magic: bytes,
    count: int,
    records: Iterable[tuple[bytes, bytes]],
    size: int,
    root: bytes,
    temporary: str,
    before_replace: Callable[[], None] | None,
) -> int:
    """``records`` (at most ``count``: a leaf hash and its bytes each) into a file at
    ``path`` headed by ``magic``, replaced atomically as ``write`` says; how many written."""
    slots = 1
    while slots < SLOTS_PER_ANSWER * max(1, count):
        slots *= 2
    table = bytearray(slots * SLOT.size)
    mask, longest, written = slots - 1, 0, 0
    start = len(magic) + HEADER.size + len(table)
    temporary_path = path.with_name(path.name + temporary)
    temporary_path.unlink(missing_ok=True)  # a leftover keeps its mode; start afresh
    fd = os.open(temporary_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(fd, "wb") as out:
            out.seek(start)
            offset = start
            for leaf, answer in records:
                if len(answer) > MAX_ANSWER_BYTES:
                    continue  # never served from the file: rendered live
                place = _tag(leaf) & mask
                for probe in range(MAX_PROBES):
                    at = ((place + probe) & mask) * SLOT.size
                    if not SLOT.unpack_from(table, at)[2]:
                        break
                else:
                    continue  # left out: rendered live
                length = RECORD_HEAD + len(answer)
                SLOT.pack_into(table, at, leaf[:TAG_BYTES], offset, length)
                out.write(_digest(leaf, answer) + leaf + answer)
                offset += length
                longest = max(longest, probe + 1)
                written += 1
            out.seek(0)
            out.write(magic + HEADER.pack(size, root, slots, longest) + table)
            out.flush()
            os.fsync(out.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(temporary_path, path)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)  # the new name durable, as the snapshot's beside it
    return written


def write_beside(
    snapshot: Path,
    state: State,
    size: int,
    root: bytes,
    subtree_path: Callable[[int, int], list[bytes]],
) -> None:
    """The answers and proof parts of the snapshot just written at ``snapshot`` (of
    ``state`` at ``size`` entries, whose tree has ``root`` and gives ``subtree_path``),
    beside it. A failure leaves the previous file, of another snapshot, which is then
    passed over: it is said in the log, and only the speed of first answers is lost."""
    try:
        write(beside(snapshot), state, size, root)
        write_proof_parts(proofs_beside(snapshot), state, size, root, subtree_path)
    except (OSError, Error) as exc:
        log.warning("answers not rendered ahead beside %s: %s", snapshot, exc)


class Answers:
    """The answers of one file, opened for the snapshot of ``size`` entries and ``root``:
    read from it as asked, or ``held`` (every answer read and checked at open, by leaf hash,
    the damaged ones left out)."""

    def __init__(
        self,
        fd: int,
        table: bytes,
        mask: int,
        probes: int,
        name: str,
        held: dict[bytes, bytes] | None = None,
    ) -> None:
        self._fd, self._table, self._mask, self._probes = fd, table, mask, probes
        self.name = name
        self.held = held
        self.damaged_tags: set[bytes] = set()  # of the held file's slots left out
        self._damage_said = False
        weakref.finalize(self, os.close, fd)

    def get(self, leaf_hash: bytes) -> bytes | None:
        """The answer kept for the DID version of ``leaf_hash`` as its latest, checked
        against its digest; None if there is none, or it is damaged (said once)."""
        if self.held is not None:
            answer = self.held.get(leaf_hash)
            if answer is None and leaf_hash[:TAG_BYTES] in self.damaged_tags:
                return self._damaged(leaf_hash)  # said as it is asked, as when read so
            return answer
        table, mask, tag = self._table, self._mask, leaf_hash[:TAG_BYTES]
        place = _tag(leaf_hash)
        for probe in range(self._probes):
            slot_tag, offset, length = SLOT.unpack_from(
                table, ((place + probe) & mask) * SLOT_BYTES
            )
            if not length:
                return None
            if slot_tag == tag:
                break
        else:
            return None
        if not RECORD_HEAD < length <= RECORD_HEAD + MAX_ANSWER_BYTES:
            return self._damaged(leaf_hash)
        try:
            record = os.pread(self._fd, length, offset)
        except OSError:
            return self._damaged(leaf_hash)
        answer = record[RECORD_HEAD:]
        if (
            len(record) != length
            or record[HASH_SIZE:RECORD_HEAD] != leaf_hash
            or hashlib.sha256(record[HASH_SIZE:]).digest() != record[:HASH_SIZE]
        ):
            return self._damaged(leaf_hash)
        return answer

    def _damaged(self, leaf_hash: bytes) -> bytes | None:
        if not self._damage_said:
            self._damage_said = True
            log.warning(
                "%s: the answer kept for version %s is damaged; such answers are rendered "
                "as they are asked (the file is rewritten with the next snapshot)",
                self.name,
                leaf_hash.hex(),
            )
        return None


def open_answers(
    path: Path,
    size: int,
    root: bytes | None,
    magic: bytes = MAGIC,
    *,
    held_only: bool = False,
) -> Answers | None:
    """The answers at ``path`` (a file headed by ``magic``) if they were made from the
    snapshot of ``size`` entries whose tree has ``root`` (None: no snapshot to hold them
    to); else None, said in the log. With ``held_only``, a file too large to hold in memory
    (``MAX_HELD_BYTES``) is passed over too."""
    try:
        fd = open_regular(path, os.O_RDONLY, STATE_SNAPSHOT_INVALID)
    except FileNotFoundError:
        log.info("%s: no answers rendered ahead; each is rendered as it is asked", path)
        return None
    except (OSError, Error) as exc:
        return _passed_over(path, str(exc))
    try:
        head = os.pread(fd, len(magic) + HEADER.size, 0)
        if len(head) != len(magic) + HEADER.size or not head.startswith(magic):
            return _passed_over(path, "not an answers file (or cut short)", fd)
        made_size, made_root, slots, probes = HEADER.unpack_from(head, len(magic))
        if made_size != size:
            return _passed_over(
                path,
                f"made from the snapshot of {counted(made_size, 'entry', 'entries')}, not "
                f"from the one this ledger opened from ({size:,})",
                fd,
            )
        if root is None or made_root != root:
            return _passed_over(path, "made from another log's snapshot", fd)
        if not 0 < slots <= MAX_SLOTS or slots & (slots - 1) or not 0 <= probes <= MAX_PROBES:
            return _passed_over(path, "its header is damaged", fd)
        table = os.pread(fd, slots * SLOT.size, len(head))
        if len(table) != slots * SLOT.size:
            return _passed_over(path, "cut short", fd)
        whole = os.fstat(fd).st_size
        # Proof parts are bounded when written (their records; the table is the table).
        limit = MAX_PROOF_PARTS_BYTES + len(head) + len(table) if held_only else MAX_HELD_BYTES
        data = os.pread(fd, whole, 0) if whole <= limit else None
        if data is None and held_only:
            return _passed_over(path, "too large to hold in memory", fd)
    except OSError as exc:
        return _passed_over(path, str(exc), fd)
    except BaseException:
        os.close(fd)
        raise
    answers = Answers(fd, table, slots - 1, probes, str(path))
    if data is not None:
        answers.held = held(answers, data, table)
    return answers


def held(answers: Answers, data: bytes, table: bytes) -> dict[bytes, bytes]:
    """Every answer of the file whose bytes are ``data`` (its slot table ``table``) by its
    leaf hash, each checked as ``Answers.get`` checks one it reads: a damaged one is left out
    (rendered live, said once when it is asked: ``answers.damaged_tags``)."""
    found: dict[bytes, bytes] = {}
    sha256 = hashlib.sha256
    for tag, offset, length in SLOT.iter_unpack(table):
        if not length:
            continue
        record = data[offset : offset + length]
        leaf_hash = record[HASH_SIZE:RECORD_HEAD]
        if (
            not RECORD_HEAD < length <= RECORD_HEAD + MAX_ANSWER_BYTES
            or len(record) != length
            or leaf_hash[:TAG_BYTES] != tag
            or sha256(record[HASH_SIZE:]).digest() != record[:HASH_SIZE]
        ):
            answers.damaged_tags.add(tag)
            continue
        found[leaf_hash] = record[RECORD_HEAD:]
    return found


def _passed_over(path: Path, reason: str, fd: int | None = None) -> Answers | None:
    """No answers from the file at ``path`` (closed, if open), said in the log."""
    if fd is not None:
        os.close(fd)
    log.warning("%s passed over (%s): answers are rendered as they are asked", path, reason)
    return None
