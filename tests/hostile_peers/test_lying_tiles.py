"""A tile host on 127.0.0.1 (a proxy in front of the ledger's own ``/tiles/``) that changes
one hash of a tile, or one entry of a bundle: a monitor reading it refuses with the tile
code before it believes the checkpoint, and keeps nothing of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.monitor import TRUST_FILE, client_for, monitor
from ledger.setup import Paths
from ledger.tile_client import TILE_ENTRY_MISMATCH, TILE_ROOT_MISMATCH
from ledger.tiles import follow
from tests.hostile_peers.peers import Answer, Lie, files, lying, served
from tests.ledger.conftest import World

SIZE = 4  # the genesis and three DIDs: one partial tile of each kind


@pytest.fixture
def tiles(world: World) -> Iterator[str]:
    """The ledger's URL once its tiles of ``SIZE`` entries are written."""
    for _ in range(SIZE - 1):
        world.register()
    writer = follow(world.ledger, Paths(world.root).tiles)
    writer.stop()
    with served(world.ledger) as url:
        yield url


def changed(path: str, at: int) -> Lie:
    """The tile at ``path`` told with its byte ``at`` flipped."""

    def lie(asked: str, _: dict[str, str], answer: Answer) -> Answer | None:
        if asked != path:
            return None
        body = bytearray(answer.body)
        body[at] ^= 0x01
        return Answer(answer.status, bytes(body), answer.content_type)

    return lie


def read_through(url: str, world: World, copy: Path) -> Error:
    client = client_for(None, f"{url}/tiles", world.genesis.vkey, copy / TRUST_FILE)
    try:
        with pytest.raises(Error) as refused:
            monitor(client, copy)
    finally:
        client.close()
    return refused.value


def test_a_hash_changed_in_a_tile_is_refused(tiles: str, world: World, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    # The second leaf hash of the partial level-0 tile.
    with lying(tiles, changed(f"/tiles/tile/0/000.p/{SIZE}", 32 + 5)) as (url, liar):
        error = read_through(url, world, copy)
    assert TILE_ROOT_MISMATCH.matches(error), error
    assert liar.lied
    # Nothing believed: no checkpoint trusted, no entry kept (the trust file's lock only).
    assert set(files(copy)) <= {f"{TRUST_FILE}.lock"}, sorted(files(copy))


def test_an_entry_changed_in_a_bundle_is_refused(tiles: str, world: World, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    # Inside the first entry's text (after its two length bytes).
    with lying(tiles, changed(f"/tiles/tile/entries/000.p/{SIZE}", 40)) as (url, liar):
        error = read_through(url, world, copy)
    assert TILE_ENTRY_MISMATCH.matches(error), error
    assert liar.lied
    # The checkpoint was genuine and is trusted; no entry of the changed bundle was kept.
    held = files(copy)
    assert (held["log.dat"], held["leaves.dat"]) == (b"", b"")


def test_the_same_tiles_told_honestly_are_read(tiles: str, world: World, tmp_path: Path) -> None:
    """The two lies above are the only reason those reads fail."""
    copy = tmp_path / "copy"
    client = client_for(None, f"{tiles}/tiles", world.genesis.vkey, copy / TRUST_FILE)
    try:
        report = monitor(client, copy)
    finally:
        client.close()
    assert report.audit.checkpoint_verified and report.audit.size == SIZE
