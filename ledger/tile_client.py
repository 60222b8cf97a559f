"""Reading a log from its C2SP tlog-tiles (a directory or a URL prefix), trusting nothing
the files say until the tree they make is the one a checkpoint signs.

``TileLog.verify`` rebuilds the tree from the tiles: every full tile must hash to its entry
in the tile above, and the partial tiles must make the checkpoint's root; entries are taken
from a bundle only if each hashes to its leaf in the verified level-0 tile. ``TileTransport``
answers a ``LedgerClient``'s log questions (checkpoint, entries, inclusion and consistency
proofs) from tiles, so ``monitor`` and ``mirror`` read tiles with the client they use for the
API: the proofs it computes are checked by the client, as any server's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final, Protocol

import httpx

from civicid.checkpoint import MAX_NOTE_BYTES, Checkpoint, NoteVerifier, open_checkpoint
from civicid.errors import Error, NotFound, Unavailable, VerificationError, declare
from civicid.files import read_bounded
from civicid.http import HttpClient
from civicid.merkle import HASH_SIZE, MerkleTree, leaf_hash
from civicid.wire import ConsistencyProof, Entry, InclusionProof
from ledger.tiles import (
    CHECKPOINT,
    ENTRIES,
    ENTRIES32,
    FULL_TILE_BYTES,
    TILE_HEIGHT,
    TILE_ROOT_MISMATCH,
    TILE_WIDTH,
    note_checkpoint,
    root_from_partials,
    subtree_root,
    tile_path,
)

TILE_MISSING = declare("tile_missing", Unavailable, "a tile the checkpoint needs is not served")
TILE_MALFORMED = declare("tile_malformed", VerificationError, "a tile is not a run of hashes")
TILE_HASH_MISMATCH = declare(
    "tile_hash_mismatch", VerificationError, "a tile does not hash to its entry in the tile above"
)
TILE_ENTRY_MISMATCH = declare(
    "tile_entry_mismatch", VerificationError, "an entry bundle does not match its hash tile"
)
TILE_ROUTE_UNKNOWN = declare("tile_route_unknown", NotFound, "tiles answer log questions only")
# A tile path: "tile/", a level or "entries", index elements, an optional partial width.
TILE_PATH: Final = re.compile(
    r"checkpoint|tile/(?:[0-9]{1,2}|entries|entries32)(?:/x[0-9]{3})*/[0-9]{3}(?:\.p/[0-9]{1,3})?"
)
# A bundle holds 256 entries of at most 1 MiB each (civicid.transaction.MAX_TX_BYTES).
MAX_BUNDLE_BYTES: Final = TILE_WIDTH * (1024 * 1024 + 4)


def max_bytes(relative: str) -> int:
    """The most the file at ``relative`` may hold: a signed note, a bundle, or 256 hashes.
    Read no further, so a server or directory handing out a huge or endless file for a
    checkpoint or a hash tile costs a reader no more than that file could be."""
    if relative == CHECKPOINT:
        return MAX_NOTE_BYTES
    if relative.startswith(f"tile/{ENTRIES}"):  # entries and entries32
        return MAX_BUNDLE_BYTES
    return FULL_TILE_BYTES


class TileSource(Protocol):
    def get(self, relative: str) -> bytes | None:
        """The file at ``relative``, or None when it is not there."""


class DirectorySource:
    """Tiles in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, relative: str) -> bytes | None:
        if not TILE_PATH.fullmatch(relative):
            raise TILE_ROUTE_UNKNOWN(f"not a tile path: {relative!r}")
        try:
            return read_bounded(self.root / relative, max_bytes(relative),
                                too_large=TILE_MALFORMED, not_regular=TILE_MALFORMED)  # fmt: skip
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TILE_MISSING(f"cannot read {self.root / relative}: {exc}") from exc


class HttpSource:
    """Tiles under a URL prefix (any static web server)."""

    def __init__(self, prefix: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.http = HttpClient(prefix.rstrip("/") + "/", max_bytes=MAX_BUNDLE_BYTES,
                               transport=transport)  # fmt: skip

    def get(self, relative: str) -> bytes | None:
        answer = self.http.get(relative, max_bytes=max_bytes(relative))
        if answer.status == 404:
            return None
        answer.raise_for_error()
        return answer.content


def open_source(where: str | Path) -> TileSource:
    """A URL (``http://``, ``https://``) or a directory."""
    text = str(where)
    if text.startswith(("http://", "https://")):
        return HttpSource(text)
    return DirectorySource(Path(text))


def _hashes(data: bytes | None, what: str, width: int) -> list[bytes]:
    if data is None:
        raise TILE_MISSING(f"{what} is not served")
    if len(data) != width * HASH_SIZE or len(data) > FULL_TILE_BYTES:
        raise TILE_MALFORMED(f"{what} is {len(data)} bytes, not {width} hashes")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def parse_bundle(data: bytes, count: int, wide: bool) -> list[bytes]:
    """``count`` entries, each after its big-endian length (uint16; uint32 when ``wide``)."""
    width, at = (4 if wide else 2), 0
    entries: list[bytes] = []
    while at < len(data) and len(entries) < count:
        length = int.from_bytes(data[at : at + width], "big")
        entry = data[at + width : at + width + length]
        if len(entry) != length or at + width > len(data):
            break
        entries.append(entry)
        at += width + length
    if len(entries) != count or at != len(data):
        raise TILE_ENTRY_MISMATCH(f"the bundle does not hold exactly {count} entries")
    return entries


class TileLog:
    """A log read from its tiles; ``verify`` before anything else."""

    def __init__(self, source: TileSource) -> None:
        self.source = source
        self.checkpoint: Checkpoint | None = None
        self.leaves: list[bytes] = []  # verified leaf hashes of ``checkpoint``
        self._tree: MerkleTree | None = None
        self._bundle: tuple[int, list[bytes]] | None = None  # the last bundle read

    def note(self) -> str:
        data = self.source.get(CHECKPOINT)
        if data is None:
            raise TILE_MISSING("the tiles serve no checkpoint")
        return data.decode("utf-8", errors="replace")

    def verify(self, checkpoint: Checkpoint) -> list[bytes]:
        """Rebuild the tree of ``checkpoint.size`` from the tiles and hold it to the root;
        returns its leaf hashes."""
        size, level, above = checkpoint.size, 0, None
        levels: list[list[bytes]] = []
        while size >> (TILE_HEIGHT * level):
            count = size >> (TILE_HEIGHT * level)
            hashes: list[bytes] = []
            for index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
                width = min(TILE_WIDTH, count - index * TILE_WIDTH)
                path = tile_path(level, index, width)
                hashes += _hashes(self.source.get(path), path, width)
            levels.append(hashes)
            level += 1
        for level, hashes in enumerate(levels[:-1]):
            above = levels[level + 1]
            for index in range(len(hashes) // TILE_WIDTH):
                run = hashes[index * TILE_WIDTH : (index + 1) * TILE_WIDTH]
                if subtree_root(run) != above[index]:
                    raise TILE_HASH_MISMATCH(
                        f"tile {tile_path(level, index)} does not hash to its entry above"
                    )
        partials = {
            level: hashes[len(hashes) - len(hashes) % TILE_WIDTH :]
            for level, hashes in enumerate(levels)
            if len(hashes) % TILE_WIDTH
        }
        if root_from_partials(partials, size) != checkpoint.root:
            raise TILE_ROOT_MISMATCH(f"the tiles do not make the root of the tree of {size}")
        self.checkpoint, self.leaves = checkpoint, levels[0] if levels else []
        self._tree, self._bundle = None, None
        return self.leaves

    @property
    def tree(self) -> MerkleTree:
        if self._tree is None:
            self._tree = MerkleTree.from_leaf_hashes(b"".join(self.leaves))
        return self._tree

    def entry(self, seq: int) -> bytes:
        """Entry ``seq`` of the verified tree, from its bundle, checked against its leaf."""
        if not 0 <= seq < len(self.leaves):
            raise TILE_MISSING(f"no entry {seq} in the verified tree of {len(self.leaves)}")
        index = seq // TILE_WIDTH
        if self._bundle is None or self._bundle[0] != index:
            width = min(TILE_WIDTH, len(self.leaves) - index * TILE_WIDTH)
            entries = self._read_bundle(index, width)
            for i, entry in enumerate(entries):
                if leaf_hash(entry) != self.leaves[index * TILE_WIDTH + i]:
                    raise TILE_ENTRY_MISMATCH(f"entry {index * TILE_WIDTH + i} is not its leaf")
            self._bundle = (index, entries)
        return self._bundle[1][seq % TILE_WIDTH]

    def _read_bundle(self, index: int, width: int) -> list[bytes]:
        for kind, wide in ((ENTRIES, False), (ENTRIES32, True)):
            data = self.source.get(tile_path(kind, index, width))
            if data is not None:
                return parse_bundle(data, width, wide)
        raise TILE_MISSING(f"the entries of {tile_path(ENTRIES, index, width)} are not served")


class TileTransport(httpx.BaseTransport):
    """A ledger's log API (``/checkpoint``, ``/transactions/{seq}``, ``/proofs/*``) answered
    from tiles, for a ``LedgerClient`` (which verifies every answer as a server's)."""

    def __init__(self, source: TileSource, *, verifier: NoteVerifier | None = None) -> None:
        self.log = TileLog(source)
        # With the log's key, a checkpoint's signature is checked before any tile is read:
        # the tree size a forged note states would otherwise set how many tiles are fetched.
        self.verifier = verifier

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        try:
            if path == "/checkpoint":
                note = self.log.note()
                stated = (
                    note_checkpoint(note)
                    if self.verifier is None
                    else open_checkpoint(note, self.verifier)
                )
                if self.log.checkpoint != stated:
                    self.log.verify(stated)
                return httpx.Response(200, text=note, headers={"content-type": "text/plain"})
            if self.log.checkpoint is None:
                self.handle_request(httpx.Request("GET", "http://tiles/checkpoint"))
            if path.startswith("/transactions/") and path[len("/transactions/") :].isdigit():
                seq = int(path[len("/transactions/") :])
                leaf = self.log.entry(seq)
                entry = Entry(seq=seq, leaf_hash=leaf_hash(leaf), transaction=leaf.decode("ascii"))
                return _json(entry.to_bytes())
            tree = self.log.tree
            if path == "/proofs/consistency":
                old, new = int(params["from"]), int(params.get("to", tree.size))
                path_ = tree.consistency_proof(old, new)
                return _json(ConsistencyProof(from_size=old, to=new, consistency=path_).to_bytes())
            if path == "/proofs/inclusion":
                seq, size = int(params["seq"]), int(params.get("treeSize", tree.size))
                included = InclusionProof(
                    seq=seq,
                    tree_size=size,
                    leaf_hash=self.log.leaves[seq],
                    inclusion=tree.inclusion_proof(seq, size),
                )
                return _json(included.to_bytes())
        except Error:
            raise
        except (KeyError, ValueError, IndexError, UnicodeDecodeError) as exc:
            raise TILE_ROUTE_UNKNOWN(f"cannot answer {path} from tiles: {exc!r}") from exc
        unknown = {"error": TILE_ROUTE_UNKNOWN.name, "error_description": f"not from tiles: {path}"}
        return httpx.Response(404, content=json.dumps(unknown).encode())


def _json(content: bytes) -> httpx.Response:
    return httpx.Response(200, content=content, headers={"content-type": "application/json"})
