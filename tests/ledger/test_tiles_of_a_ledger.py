"""A ledger writes its tiles as it appends and serves them at /tiles/; a monitor reads the
log from them (a directory or a URL) and audits it as from the API."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.log import View
from ledger.monitor import TRUST_FILE, monitor
from ledger.settings import LedgerSettings
from ledger.setup import Paths
from ledger.tile_client import TILE_HASH_MISMATCH, TileTransport, open_source
from ledger.tiles import follow
from tests import odd_files
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid


def grow(world: World, count: int) -> None:
    for _ in range(count):
        world.register()


def tiles_client(world: World, where: str, into: Path) -> LedgerClient:
    return LedgerClient("http://tiles", world.genesis.vkey, trust_file=into / TRUST_FILE,
                        transport=TileTransport(open_source(where)))  # fmt: skip


def test_the_tiles_follow_the_ledger_and_a_monitor_audits_them(
    world: World, tmp_path: Path
) -> None:
    tiles = Paths(world.root).tiles
    writer = follow(world.ledger, tiles)
    grow(world, 3)
    writer.stop()
    assert writer.published == world.ledger.size and writer.failed is None
    assert (tiles / "checkpoint").read_text() == world.ledger.checkpoint
    report = monitor(tiles_client(world, str(tiles), tmp_path), tmp_path)
    assert report.audit.checkpoint_verified and report.audit.size == world.ledger.size

    writer = follow(world.ledger, tiles)  # a restart resumes, then follows again
    grow(world, 2)
    writer.stop()
    again = monitor(tiles_client(world, str(tiles), tmp_path), tmp_path)
    assert again.fetched == 2 and again.audit.size == world.ledger.size


def test_a_tampered_tile_stops_the_monitor_and_keeps_its_copy(world: World, tmp_path: Path) -> None:
    tiles = Paths(world.root).tiles
    writer = follow(world.ledger, tiles)
    grow(world, 2)
    writer.stop()
    size = world.ledger.size
    level0 = tiles / f"tile/0/000.p/{size}"
    level0.write_bytes(level0.read_bytes()[:-32] + bytes(32))
    with pytest.raises(Error) as caught:
        monitor(tiles_client(world, str(tiles), tmp_path), tmp_path)
    assert caught.value.code == "tile_root_mismatch"
    assert not (tmp_path / "log.dat").exists()
    assert TILE_HASH_MISMATCH.name == "tile_hash_mismatch"


def test_the_service_serves_its_tiles_and_the_command_reads_them(
    world: World, tmp_path: Path
) -> None:
    tiles = Paths(world.root).tiles
    writer = follow(world.ledger, tiles)
    grow(world, 1)
    writer.stop()
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        import httpx

        answer = httpx.get(f"{url}/tiles/checkpoint")
        assert answer.text == world.ledger.checkpoint
        assert answer.headers["content-type"].startswith("text/plain")
        tile = httpx.get(f"{url}/tiles/tile/0/000.p/{world.ledger.size}")
        assert tile.headers["content-type"] == "application/octet-stream"
        assert "immutable" in tile.headers["cache-control"]
        assert httpx.get(f"{url}/tiles/../keys/governance.json").status_code == 404
        assert httpx.get(f"{url}/tiles/tile/0/999").json()["error"] == "tile_not_found"
        watcher = str(tmp_path / "watcher")
        key = ["--ledger-key", world.genesis.vkey, "--json"]
        code, out, err = civicid(
            "ledger", "monitor", "--from-tiles", f"{url}/tiles", "--data-dir", watcher, *key
        )
    assert code == 0, err
    assert json.loads(out)["size"] == world.ledger.size


def test_the_command_needs_a_source(tmp_path: Path) -> None:
    code, _, err = civicid("ledger", "monitor", "--data-dir", str(tmp_path), "--ledger-key", "x")
    assert code != 0 and err.strip().endswith("[monitor_source_missing]")


def test_the_tiles_serve_the_checkpoint_readers_are_served(world: World) -> None:
    """With witnesses, readers get the newest cosigned checkpoint: so do the tiles."""
    tiles = Paths(world.root).tiles
    writer = follow(world.ledger, tiles)
    grow(world, 1)
    view = world.ledger.view
    cosigned = (
        view.checkpoint + "— witness.example/w1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    )
    world.ledger.serve(View(view.size, cosigned, view.statemap))
    writer.stop()
    assert (tiles / "checkpoint").read_text() == cosigned


def test_tiles_that_cannot_be_written_never_stop_the_ledger(world: World, tmp_path: Path) -> None:
    blocked = tmp_path / "tiles"
    blocked.write_text("a file where the directory should be")
    writer = follow(world.ledger, blocked)
    grow(world, 2)  # the ledger appends as ever
    writer.stop()
    assert writer.failed is not None and writer.failed.code == "tile_write_failed"
    assert world.ledger.size == 3 and writer.published == 0


def test_tiles_the_disk_refused_are_written_once_it_takes_them_again(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # They stopped for good: after a full disk was freed the ledger went on, its tiles (and
    # every mirror or monitor reading them) behind until a restart, its health "degraded".
    import time

    from ledger import tiles as tiles_module

    monkeypatch.setattr(tiles_module, "RETRY", 0.05)
    blocked = tmp_path / "tiles"
    blocked.write_text("a file where the directory should be (as a full disk refuses)")
    writer = follow(world.ledger, blocked)
    grow(world, 2)
    deadline = time.monotonic() + 10
    while writer.failed is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer.failed is not None and writer.failed.code == "tile_write_failed"
    blocked.unlink()  # the disk takes writes again
    grow(world, 1)
    deadline = time.monotonic() + 10
    while writer.published != world.ledger.size and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer.published == world.ledger.size and writer.failed is None
    assert (blocked / "checkpoint").read_text() == world.ledger.checkpoint
    writer.stop()
    report = monitor(tiles_client(world, str(blocked), tmp_path / "m"), tmp_path / "m")
    assert report.audit.checkpoint_verified and report.audit.size == world.ledger.size


def test_health_says_when_the_tiles_stopped(world: World) -> None:
    import time

    import httpx

    Paths(world.root).tiles.write_text("a file where the tiles' directory should be")
    settings = LedgerSettings(data_dir=world.root)
    with serving(create_app(settings, ledger=world.ledger, write_tiles=True), free_port()) as url:
        grow(world, 1)
        deadline = time.monotonic() + 10
        health = httpx.get(f"{url}/health").json()
        while health["tiles"] != "stopped" and time.monotonic() < deadline:
            time.sleep(0.05)
            health = httpx.get(f"{url}/health").json()
    assert (health["status"], health["tiles"]) == ("degraded", "stopped")
    assert health["treeSize"] == world.ledger.size  # the log itself goes on


def test_health_says_the_tiles_are_written(world: World) -> None:
    import httpx

    settings = LedgerSettings(data_dir=world.root)
    with serving(create_app(settings, ledger=world.ledger, write_tiles=True), free_port()) as url:
        health = httpx.get(f"{url}/health").json()
    assert (health["status"], health["tiles"]) == ("ok", "writing")
    with serving(create_app(settings, ledger=world.ledger), free_port()) as url:
        assert httpx.get(f"{url}/health").json()["tiles"] is None  # not this server's to write


@pytest.mark.parametrize("kind", odd_files.KINDS)
def test_a_tile_that_is_no_regular_file_is_not_found_and_the_ledger_serves_on(
    world: World, kind: str
) -> None:
    """Before, the route read the file in the event loop: a named pipe in a tile's place
    held every request of the ledger for ever (its opening waits for a writer), and
    /dev/zero was read until the memory ran out."""
    tiles = Paths(world.root).tiles
    writer = follow(world.ledger, tiles)
    grow(world, 1)
    writer.stop()
    odd = tiles / "tile/0/x001/000"  # a full tile's path: the writer has none there
    odd.parent.mkdir(parents=True)
    odd_files.put(odd, kind)
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        answer = httpx.get(f"{url}/tiles/tile/0/x001/000", timeout=10)
        assert answer.status_code == 404
        assert answer.json()["error"] == "tile_not_found"
        assert httpx.get(f"{url}/tiles/checkpoint", timeout=10).text == world.ledger.checkpoint
