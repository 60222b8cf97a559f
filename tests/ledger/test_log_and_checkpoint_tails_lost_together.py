"""Rollback: the tails of ``log.dat`` and ``checkpoint.dat`` lost together (a disk that lied
about fsync, a restore of two files). The ledger had acknowledged every entry; opened as it
was, it would serve a shorter log and sign a fork of what it told its clients. What it
signed survives elsewhere: ``acknowledged.dat`` (a second copy of the last checkpoint, in a
file of its own) and the signed state snapshot. Either one refuses the open
(``store_truncated``), changes nothing, and the way back is ``civicid ledger repair --from``
a mirror, which restores every acknowledged entry from answers it verifies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving
from ledger import snapshot as snapshots
from ledger.app import create_app
from ledger.recovery import restore_from_mirror
from ledger.settings import LedgerSettings
from ledger.setup import initialize, open_ledger
from ledger.store import ACKNOWLEDGED_FILE, SLOT_HEADER
from tests.ledger.conftest import World
from tests.ledger.faults import Acknowledged, acknowledge, nothing_lost, offset_of, store
from tests.ledger.mirror import Mirror
from tests.ledger.test_cli import civicid

LOST = 3  # acknowledged entries whose records the cut takes away
WITNESSES = {
    "acknowledged.dat and the snapshot": (),
    "acknowledged.dat alone": (snapshots.FILE,),
    "the snapshot alone": (ACKNOWLEDGED_FILE,),
}


# Files holding what the ledger wrote or signed (log.idx and leaves.dat are re-derived from
# log.dat at every open: rebuilding them changes nothing). An empty file holds nothing: a
# writer creates acknowledged.dat empty where it is missing.
KEPT = ("log.dat", "checkpoint.dat", ACKNOWLEDGED_FILE, snapshots.FILE, "meta.json")


def files(directory: Path) -> dict[str, bytes]:
    found = {p.name: p.read_bytes() for p in directory.iterdir() if p.name in KEPT}
    return {name: data for name, data in found.items() if data}


def lose_tails(world: World, *, also: tuple[str, ...] = ()) -> Acknowledged:
    """Acknowledge a few entries, stop, then cut the last ``LOST`` records from log.dat and
    both slots from checkpoint.dat (and delete ``also``): the store as a crash left it."""
    before = acknowledge(world, extra=6)
    world.ledger.close()
    directory = store(world)
    with open(directory / "log.dat", "r+b") as handle:
        handle.truncate(offset_of(world, len(before.entries) - LOST))
    with open(directory / "checkpoint.dat", "r+b") as handle:
        handle.truncate(SLOT_HEADER.size + 10)  # the first slot's note cut: neither reads
    for name in also:
        (directory / name).unlink()
    return before


@pytest.mark.parametrize("lost", list(WITNESSES.values()), ids=list(WITNESSES))
def test_refused_while_anything_it_signed_remembers(world: World, lost: tuple[str, ...]) -> None:
    before = lose_tails(world, also=lost)
    kept = files(store(world))
    with pytest.raises(Error) as info:
        open_ledger(world.root, clock=world.clock).close()
    error = info.value
    assert error.code == "store_truncated", error
    size = len(before.entries)
    assert f"{size - LOST:,}" in error.message and f"{size:,}" in error.message, error.message
    assert "civicid ledger repair --from" in error.message
    assert "\n" not in error.message
    assert files(store(world)) == kept  # nothing cut, nothing signed, no snapshot dropped
    # Read-only opens say the same: no reader is shown the shorter log as the ledger's.
    with pytest.raises(Error) as info:
        open_ledger(world.root, readonly=True, clock=world.clock).close()
    assert info.value.code == "store_truncated"


@pytest.mark.parametrize("command", ["serve", "info"])
def test_the_command_says_so_in_one_line(world: World, command: str) -> None:
    lose_tails(world)
    options = ["--port", str(free_port())] if command == "serve" else []
    code, out, err = civicid("ledger", command, "--data-dir", str(world.root), *options)
    assert code == 3 and out == "", out
    last = err.splitlines()[-1]
    assert last.startswith("error: ") and last.endswith("[store_truncated]"), err
    assert "civicid ledger repair --from" in last


def test_plain_repair_keeps_the_snapshot_that_shows_the_loss(world: World) -> None:
    """``repair`` alone drops a state snapshot; one that proves the log was longer is the
    last witness of the loss, so it is kept and the command points at ``--from``."""
    lose_tails(world, also=(ACKNOWLEDGED_FILE,))
    kept = files(store(world))
    code, _, err = civicid("ledger", "repair", "--data-dir", str(world.root))
    assert code == 3 and err.count("\n") == 1, err
    assert err.rstrip().endswith("[store_truncated]") and "--from" in err
    assert files(store(world)) == kept


# -- repair from a mirror ---------------------------------------------------------------------


@contextmanager
def replica(world: World, root: Path) -> Iterator[str]:
    """A copy of the ledger taken before the loss, served on loopback: a mirror serving
    the same read API, its checkpoints signed by the ledger's key."""
    ledger = open_ledger(root, clock=world.clock)
    try:
        app = create_app(LedgerSettings(data_dir=root), ledger=ledger)
        with serving(app, free_port()) as url:
            yield url
    finally:
        ledger.close()


def cut(world: World, before: Acknowledged, *, checkpoint: bool = True) -> None:
    """The loss again, on a store already closed: log.dat's tail, and checkpoint.dat."""
    directory = store(world)
    with open(directory / "log.dat", "r+b") as handle:
        handle.truncate(offset_of(world, len(before.entries) - LOST))
    if checkpoint:
        (directory / "checkpoint.dat").unlink()


def test_repair_from_a_mirror_restores_every_acknowledged_entry(
    world: World, tmp_path: Path
) -> None:
    before = acknowledge(world, extra=6)
    world.ledger.close()
    shutil.copytree(world.root, tmp_path / "mirror")
    cut(world, before)
    kept = files(store(world))
    with replica(world, tmp_path / "mirror") as url:
        repair = ("ledger", "repair", "--data-dir", str(world.root), "--from", url)
        code, out, err = civicid(*repair, "--dry-run")
        assert code == 0 and f"would restore {LOST} entries" in out, err
        assert files(store(world)) == kept
        code, out, err = civicid(*repair)
    assert code == 0, err
    size = len(before.entries)
    assert f"restored {LOST} entries" in out and f"{size:,}" in out, out
    world.ledger = open_ledger(world.root, clock=world.clock)
    nothing_lost(world, before, world.ledger)
    assert world.ledger.size == size
    # What was found is kept aside, not deleted.
    aside = [p for p in world.root.iterdir() if p.name.startswith("ledger.before-repair")]
    assert len(aside) == 1 and (aside[0] / "log.dat").exists()


def test_a_mirror_behind_what_was_acknowledged_is_refused(world: World, tmp_path: Path) -> None:
    acknowledge(world, extra=2)
    world.ledger.close()
    shutil.copytree(world.root, tmp_path / "mirror")
    world.ledger = open_ledger(world.root, clock=world.clock)
    lose_tails(world)  # six more acknowledged after the copy
    kept = files(store(world))
    with replica(world, tmp_path / "mirror") as url:
        code, _, err = civicid("ledger", "repair", "--data-dir", str(world.root), "--from", url)
    assert code == 1 and err.rstrip().endswith("[repair_mirror_behind]"), err
    assert err.count("\n") == 1
    assert files(store(world)) == kept


# -- a mirror whose answers do not check: refused, the store unchanged -------------------------


def served_mirror(world: World, tmp_path: Path) -> Path:
    before = acknowledge(world, extra=6)
    world.ledger.close()
    shutil.copytree(world.root, tmp_path / "mirror")
    cut(world, before)
    return tmp_path / "mirror"


FORGED = 6  # the last entry of served_mirror's log (the genesis and six DIDs)


def forged_entry(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
    """Entry ``FORGED`` with one character of its signature changed."""
    if request.url.path == f"/transactions/{FORGED}":
        text = body["transaction"]
        body["transaction"] = text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]
    return body


def test_a_mirror_serving_a_forged_entry_is_refused(world: World, tmp_path: Path) -> None:
    mirror_root = served_mirror(world, tmp_path)
    kept = files(store(world))
    with replica(world, mirror_root) as url:
        mirror = Mirror(url)
        mirror.rewrites["/transactions/"] = forged_entry
        client = mirror.client(world)
        with pytest.raises(Error) as info:
            restore_from_mirror(world.root, client)
        client.close()
        mirror.upstream.close()
    assert info.value.code == "checkpoint_mismatch"
    assert files(store(world)) == kept


def test_a_mirror_of_another_ledger_is_refused(world: World, tmp_path: Path) -> None:
    served_mirror(world, tmp_path)  # the loss; the mirror served is another ledger
    kept = files(store(world))
    other = tmp_path / "other"
    initialize(other, clock=world.clock)
    with replica(world, other) as url:
        client = LedgerClient(url, world.genesis.vkey)
        with pytest.raises(Error) as info:
            restore_from_mirror(world.root, client)
        client.close()
    assert info.value.code == "note_unknown_key", info.value
    assert files(store(world)) == kept


def test_a_mirror_of_a_fork_is_refused(world: World, tmp_path: Path) -> None:
    """The mirror's log, signed by this ledger's key, parts from the one this ledger
    acknowledged (two logs signed by one key): restoring from it would serve the fork."""
    acknowledge(world, extra=1)
    world.ledger.close()
    fork_root = tmp_path / "fork"
    shutil.copytree(world.root, fork_root)
    fork = World(fork_root, world.genesis, open_ledger(fork_root, clock=world.clock), world.clock)
    for _ in range(8):
        fork.register()
    fork.ledger.close()
    world.ledger = open_ledger(world.root, clock=world.clock)
    lose_tails(world)
    kept = files(store(world))
    with replica(world, fork_root) as url:
        client = LedgerClient(url, world.genesis.vkey)
        with pytest.raises(Error) as info:
            restore_from_mirror(world.root, client)
        client.close()
    assert info.value.code == "checkpoint_mismatch", info.value
    assert "fork" in info.value.message
    assert files(store(world)) == kept
