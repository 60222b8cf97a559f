"""The log as C2SP tlog-tiles: written beside the log, read back by a client that rebuilds
the root and holds it to the checkpoint; a tampered tile or bundle is refused."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from civicid.checkpoint import MAX_NOTE_BYTES, Checkpoint, NoteSigner
from civicid.errors import Error
from civicid.http import HTTP_RESPONSE_TOO_LARGE
from civicid.merkle import MerkleTree, leaf_hash, root_of
from ledger.tile_client import (
    TILE_ENTRY_MISMATCH,
    TILE_HASH_MISMATCH,
    TILE_MALFORMED,
    TILE_MISSING,
    DirectorySource,
    HttpSource,
    TileLog,
)
from ledger.tiles import (
    FULL_TILE_BYTES,
    TILE_ROOT_MISMATCH,
    TileWriter,
    index_path,
    note_checkpoint,
    root_from_partials,
    tile_path,
    widths,
)

SIGNER = NoteSigner.generate("tiles.example/log")


class Log:
    """A log of synthetic entries, signed by SIGNER, with its tiles in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.entries: list[bytes] = []
        self.tree = MerkleTree()
        self.writer = TileWriter(directory, self.entries.__getitem__, self.tree.root)

    def grow(self, count: int, size: int = 40) -> str:
        for _ in range(count):
            entry = f"entry {len(self.entries):06d} ".encode() * (size // 14 + 1)
            self.entries.append(entry)
            self.tree.append(leaf_hash(entry))
        note = self.note()
        self.writer.write(len(self.entries), note)
        return note

    def note(self) -> str:
        size = len(self.entries)
        return SIGNER.sign_checkpoint(Checkpoint(SIGNER.name, size, self.tree.root(size)))


def read_back(directory: Path) -> list[bytes]:
    log = TileLog(DirectorySource(directory))
    log.verify(note_checkpoint(log.note()))
    return [log.entry(seq) for seq in range(len(log.leaves))]


def refused(code: object, directory: Path) -> None:
    with pytest.raises(Error) as caught:
        read_back(directory)
    assert code.matches(caught.value), caught.value  # type: ignore[attr-defined]


def test_paths_are_the_specs() -> None:
    assert index_path(1234067) == "x001/x234/067"
    assert index_path(5) == "005"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path("entries", 3, 17) == "tile/entries/003.p/17"
    # tlog-tiles "Partial Tiles": a tree of 70,000 has partials of 112, 17 and 1.
    assert widths(70_000) == [(0, 273, 112), (1, 1, 17), (2, 0, 1)]
    assert widths(256) == [(1, 0, 1)]


@pytest.mark.parametrize("size", [1, 2, 3, 255, 256, 257, 511, 512, 513, 700])
def test_the_root_is_rebuilt_from_partial_tiles(size: int) -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(size)]
    levels = [leaves]
    while len(levels[-1]) >= 256:
        below = levels[-1]
        levels.append([root_of(below[i : i + 256]) for i in range(0, len(below) - 255, 256)])
    partials = {
        level: hashes[len(hashes) - len(hashes) % 256 :]
        for level, hashes in enumerate(levels)
        if len(hashes) % 256
    }
    assert root_from_partials(partials, size) == root_of(leaves)


def test_a_client_rebuilds_the_root_and_reads_every_entry(tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.grow(3)
    assert read_back(tmp_path) == log.entries
    log.grow(300)  # a full level-0 tile, a partial level-1 tile
    log.grow(70_000 - 303, size=4)
    assert (tmp_path / "tile/0/272").stat().st_size == 8192  # 273 full tiles, then 112
    assert read_back(tmp_path) == log.entries
    assert (tmp_path / "tile/2/000.p/1").stat().st_size == 32


def test_a_restart_resumes_from_the_tiles(tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.grow(300)
    again = TileWriter(tmp_path, log.entries.__getitem__, log.tree.root)
    written = (tmp_path / "tile/0/000").stat().st_mtime_ns
    for _ in range(20):
        log.entries.append(b"more")
        log.tree.append(leaf_hash(b"more"))
    again.write(len(log.entries), log.note())
    assert again.published == 320
    assert (tmp_path / "tile/0/000").stat().st_mtime_ns == written  # not rewritten
    assert read_back(tmp_path) == log.entries


def test_tiles_of_another_log_are_rewritten(tmp_path: Path) -> None:
    Log(tmp_path).grow(300)
    other = Log(tmp_path)
    other.entries.append(b"another history")
    other.tree.append(leaf_hash(b"another history"))
    other.grow(299)
    assert read_back(tmp_path) == other.entries


def test_an_entry_too_large_for_a_uint16_goes_to_the_wide_bundle(tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.grow(2, size=80_000)
    assert (tmp_path / "tile/entries32/000.p/2").exists()
    assert not (tmp_path / "tile/entries/000.p/2").exists()
    assert read_back(tmp_path) == log.entries


def test_a_tampered_level_0_tile_is_refused(tmp_path: Path) -> None:
    Log(tmp_path).grow(300)
    tile = tmp_path / "tile/0/000"
    data = bytearray(tile.read_bytes())
    data[100] ^= 1
    tile.write_bytes(bytes(data))
    refused(TILE_HASH_MISMATCH, tmp_path)


def test_a_tampered_partial_tile_is_refused(tmp_path: Path) -> None:
    Log(tmp_path).grow(10)
    tile = tmp_path / "tile/0/000.p/10"
    tile.write_bytes(tile.read_bytes()[:-32] + bytes(32))
    refused(TILE_ROOT_MISMATCH, tmp_path)


def test_a_tampered_entry_bundle_is_refused(tmp_path: Path) -> None:
    Log(tmp_path).grow(10)
    bundle = tmp_path / "tile/entries/000.p/10"
    bundle.write_bytes(bundle.read_bytes().replace(b"entry 000004", b"entry 000005", 1))
    refused(TILE_ENTRY_MISMATCH, tmp_path)


def test_a_cut_bundle_is_refused(tmp_path: Path) -> None:
    Log(tmp_path).grow(10)
    bundle = tmp_path / "tile/entries/000.p/10"
    bundle.write_bytes(bundle.read_bytes()[:-3])
    refused(TILE_ENTRY_MISMATCH, tmp_path)


def test_a_short_tile_is_refused(tmp_path: Path) -> None:
    Log(tmp_path).grow(10)
    tile = tmp_path / "tile/0/000.p/10"
    tile.write_bytes(tile.read_bytes()[:-1])
    refused(TILE_MALFORMED, tmp_path)


def test_a_missing_tile_is_named(tmp_path: Path) -> None:
    Log(tmp_path).grow(300)
    (tmp_path / "tile/1/000.p/1").unlink()
    refused(TILE_MISSING, tmp_path)


def test_a_writer_refuses_to_publish_a_root_its_tiles_do_not_make(tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.grow(5)
    log.entries[4] = b"changed under the writer"
    log.entries.append(b"next")
    log.tree.append(leaf_hash(b"next"))
    fresh = TileWriter(tmp_path / "fresh", log.entries.__getitem__, log.tree.root)
    with pytest.raises(Error) as caught:
        fresh.write(6, log.note())
    assert TILE_ROOT_MISMATCH.matches(caught.value)
    assert not (tmp_path / "fresh" / "checkpoint").exists()


def test_stopping_writes_what_the_source_serves_at_stop(tmp_path: Path) -> None:
    """A checkpoint signed while the writer is busy, then ``stop()``: the tiles end at
    that checkpoint, not at the one being written when stop was asked."""
    import threading

    log = Log(tmp_path)
    log.grow(3)
    served = [(len(log.entries), log.note())]
    reading, release = threading.Event(), threading.Event()

    def slow_entry(seq: int) -> bytes:
        reading.set()
        release.wait(10)
        return log.entries[seq]

    writer = TileWriter(tmp_path, slow_entry, log.tree.root).watch(lambda: served[-1])
    writer.start()
    writer.wake()
    assert reading.wait(10)  # the writer is inside its first write, of 3 entries
    log.entries.extend([b"late one", b"late two"])
    for entry in log.entries[3:]:
        log.tree.append(leaf_hash(entry))
    served.append((len(log.entries), log.note()))
    stopper = threading.Thread(target=writer.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert not stopper.is_alive() and writer.failed is None
    assert writer.published == 5
    assert read_back(tmp_path) == log.entries


@pytest.mark.parametrize(
    ("relative", "size"),
    [("checkpoint", MAX_NOTE_BYTES + 1), ("tile/0/000", FULL_TILE_BYTES + 1)],
    ids=["checkpoint", "hash-tile"],
)
def test_a_file_larger_than_its_kind_is_not_read_whole(
    tmp_path: Path, relative: str, size: int
) -> None:
    """A checkpoint is a signed note, a hash tile 256 hashes: past that, neither a directory
    nor a server is read further (every file was read up to a bundle's 256 MiB)."""
    (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / relative).write_bytes(b"a" * size)
    with pytest.raises(Error) as info:
        DirectorySource(tmp_path).get(relative)
    assert info.value.code == TILE_MALFORMED.name
    served = httpx.MockTransport(lambda request: httpx.Response(200, content=b"a" * size))
    with pytest.raises(Error) as info:
        HttpSource("http://tiles.test", transport=served).get(relative)
    assert info.value.code == HTTP_RESPONSE_TOO_LARGE.name
    assert DirectorySource(tmp_path).get("tile/0/001") is None  # absent, as before


@pytest.mark.timeout(10)
def test_a_named_pipe_for_a_tile_is_refused_without_waiting(tmp_path: Path) -> None:
    """Opened as a file, a named pipe waited for a writer that never came."""
    os.mkfifo(tmp_path / "checkpoint")
    with pytest.raises(Error) as info:
        DirectorySource(tmp_path).get("checkpoint")
    assert info.value.code == TILE_MALFORMED.name
    assert "not a regular file" in info.value.message


@pytest.mark.parametrize(
    ("lost", "how", "size"),
    [
        ("tile/0/000", "removed", 300),
        ("tile/0/001", "emptied", 600),
        ("tile/entries/000", "removed", 300),
        ("tile/1/000", "emptied", 256 * 256 + 3),  # a full tile at level 1 too
    ],
)
def test_a_full_tile_lost_before_a_restart_is_written_again(
    tmp_path: Path, lost: str, how: str, size: int
) -> None:
    """Full tiles are written once and were never looked at again: one lost or emptied
    stayed so, every reader refusing the tiles, while the checkpoint and the partial tiles
    (the only files a restart checked) held. A restart now writes every tile again."""
    log = Log(tmp_path)
    log.grow(size)
    path = tmp_path / lost
    if how == "removed":
        path.unlink()
    else:
        path.write_bytes(b"")
    again = TileWriter(tmp_path, log.entries.__getitem__, log.tree.root)
    log.entries.append(b"more")
    log.tree.append(leaf_hash(b"more"))
    again.write(len(log.entries), log.note())
    assert path.stat().st_size > 0
    assert read_back(tmp_path) == log.entries


def test_tiles_all_there_are_resumed_not_written_again(tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.grow(600)
    full = [tmp_path / tile_path(0, i) for i in range(2)] + [tmp_path / "tile/entries/001"]
    written = {p: p.stat().st_mtime_ns for p in full}
    again = TileWriter(tmp_path, log.entries.__getitem__, log.tree.root)
    log.entries.append(b"more")
    log.tree.append(leaf_hash(b"more"))
    again.write(len(log.entries), log.note())  # resumes: the full files are kept as they are
    assert {p: p.stat().st_mtime_ns for p in full} == written
    assert read_back(tmp_path) == log.entries


@pytest.mark.parametrize("lost", ["checkpoint", "tile/0/001.p/44"])
def test_a_named_pipe_among_the_tiles_read_at_a_restart_is_written_over(
    tmp_path: Path, lost: str
) -> None:
    """Before, a restart opened it to read, waiting for a writer for ever: the ledger never
    started."""
    log = Log(tmp_path)
    log.grow(300)
    path = tmp_path / lost
    path.unlink()
    os.mkfifo(path)
    again = TileWriter(tmp_path, log.entries.__getitem__, log.tree.root)
    again.write(len(log.entries), log.note())
    assert path.is_file()
    assert read_back(tmp_path) == log.entries
