"""Tiles in a directory this user may not enter (a restore or a ``chmod`` that left it to
another user): the ledger appends as ever and its tile writer stops *said*, with
``tile_write_failed`` naming the file (so ``/health`` is ``degraded``, ``tiles: stopped``),
never with an exception that ends its thread while ``/health`` goes on saying ``writing``.

Tests run as root, whom no mode bars: a denied directory is made by refusing, as the kernel
refuses a user without the right, every ``stat`` and ``open`` of a path inside it."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import pytest

from ledger.setup import Paths
from ledger.tiles import TileWriter, follow
from tests.ledger.conftest import World
from tests.ledger.test_tiles_of_a_ledger import grow

# Seconds the writer, in its own thread, may take to find it cannot write.
PATIENCE = 10


def deny(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """Every ``stat`` and ``open`` of a path inside ``directory`` fails with EACCES."""
    inside = str(directory) + os.sep

    def guarded(call: Any) -> Any:
        def denied(path: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, str | os.PathLike) and os.fspath(path).startswith(inside):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            return call(path, *args, **kwargs)

        return denied

    monkeypatch.setattr(os, "stat", guarded(os.stat))
    monkeypatch.setattr(os, "open", guarded(os.open))


def stopped(writer: TileWriter) -> TileWriter:
    deadline = time.monotonic() + PATIENCE
    while writer.failed is None and time.monotonic() < deadline:
        time.sleep(0.02)
    writer.stop()
    return writer


def written(world: World) -> Path:
    """The ledger's tiles, written up to its size by a writer that then stopped."""
    tiles = Paths(world.root).tiles
    writer = follow(world.ledger, tiles)
    grow(world, 2)
    writer.stop()
    assert writer.failed is None and writer.published == world.ledger.size
    return tiles


def test_a_tiles_directory_denied_stops_the_tiles_said(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiles = written(world)
    deny(monkeypatch, tiles)
    writer = follow(world.ledger, tiles)
    grow(world, 1)  # the ledger appends as ever
    writer = stopped(writer)
    assert writer.failed is not None and writer.failed.code == "tile_write_failed"
    assert str(tiles) in writer.failed.message
    assert world.ledger.size == 4


def test_a_bundle_directory_denied_stops_the_tiles_said(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiles resume (their checkpoint and hash tiles are readable), then the first
    entry bundle to write is in the denied directory."""
    tiles = written(world)
    deny(monkeypatch, tiles / "tile" / "entries")
    writer = follow(world.ledger, tiles)
    grow(world, 1)
    writer = stopped(writer)
    assert writer.failed is not None and writer.failed.code == "tile_write_failed"
    assert str(tiles / "tile" / "entries") in writer.failed.message
