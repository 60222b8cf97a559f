"""A mirror whose tiles cannot be written (a file or directory in their way, a full disk)
still follows and serves the ledger's read API, but says its tiles stopped, as the ledger
does: its health is ``degraded`` with ``tiles: stopped``, and ``ledger mirror --once`` exits
with ``tile_write_failed`` (exit 3) instead of "ok". Mirrors and monitors reading its tiles
are otherwise left behind with nothing saying why."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.mirror import Mirror
from ledger.mirror_app import create_mirror_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid
from tests.ledger.test_mirror_follows import follower, served

# Seconds a tile writer may take to find it cannot write (it writes in its own thread).
PATIENCE = 10


def blocked(tmp_path: Path) -> Path:
    """The mirror's tiles directory, with a directory where their checkpoint goes."""
    tiles = tmp_path / "mirror-tiles"
    (tiles / "checkpoint").mkdir(parents=True)
    return tiles


def test_a_mirror_whose_tiles_stopped_says_so_in_its_health(world: World, tmp_path: Path) -> None:
    world.register()
    blocked(tmp_path)
    with served(world) as ledger:
        mirror: Mirror = follower(world, ledger, tmp_path / "mirror")
        try:
            assert mirror.follow().error is None and mirror.tiles is not None
            deadline = time.monotonic() + PATIENCE
            while mirror.tiles.failed is None and time.monotonic() < deadline:
                time.sleep(0.02)
            with TestClient(create_mirror_app(mirror, interval=None)) as http:
                health = http.get("/health").json()
        finally:
            mirror.close()
    assert (health["status"], health["tiles"]) == ("degraded", "stopped")
    assert health["treeSize"] == world.ledger.size  # it serves the copy all the same


def test_a_mirror_with_tiles_written_is_healthy(world: World, tmp_path: Path) -> None:
    world.register()
    with served(world) as ledger:
        mirror: Mirror = follower(world, ledger, tmp_path / "mirror")
        try:
            assert mirror.follow().error is None and mirror.tiles is not None
            with TestClient(create_mirror_app(mirror, interval=None)) as http:
                health = http.get("/health").json()
        finally:
            mirror.close()
    assert (health["status"], health["tiles"]) == ("ok", "writing")


def test_the_command_following_once_says_its_tiles_stopped(world: World, tmp_path: Path) -> None:
    world.register()
    blocked(tmp_path)
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        args = ["--data-dir", str(tmp_path), "--ledger-key", world.genesis.vkey, "--once"]
        code, out, err = civicid("ledger", "mirror", url, *args)
    assert code == 3, out + err
    assert err.strip().endswith("[tile_write_failed]")
    assert not out.startswith("ok")
    # The copy itself was proven and kept: the next round resumes from it.
    assert (tmp_path / "mirror" / "log.dat").stat().st_size > 0
