"""``civicid ledger repair --from URL`` over a store where a named pipe or a directory stands
in place of a file it reads (``log.dat``, a checkpoint copy, ``meta.json``, the state
snapshot): one line naming the file, at once (reading a named pipe would wait for a writer
for ever), and nothing changed, nothing fetched into place, nothing moved aside."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ledger import snapshot as snapshots
from ledger.errors import STATE_SNAPSHOT_INVALID, STORE_CORRUPT, STORE_META_INVALID
from ledger.recovery import ASIDE_PREFIX
from ledger.store import ACKNOWLEDGED_FILE
from tests.ledger.conftest import World
from tests.ledger.faults import acknowledge, store
from tests.ledger.test_cli import civicid
from tests.ledger.test_log_and_checkpoint_tails_lost_together import cut, replica

# A refusal is told at once; without the non-blocking open the command waits for ever.
HANG_GUARD_SECONDS = 20

CODES = {
    "log.dat": STORE_CORRUPT,
    "checkpoint.dat": STORE_CORRUPT,
    ACKNOWLEDGED_FILE: STORE_CORRUPT,
    "meta.json": STORE_META_INVALID,
    snapshots.FILE: STATE_SNAPSHOT_INVALID,
}


def listing(directory: Path) -> dict[str, bytes | str]:
    """Every entry of the store: a regular file's bytes, else what it is."""
    return {
        p.name: p.read_bytes() if p.is_file() and not p.is_fifo() else "fifo" * p.is_fifo()
        for p in sorted(directory.iterdir())
        if p.name != "LOCK"
    }


@pytest.mark.timeout(HANG_GUARD_SECONDS)
@pytest.mark.parametrize("kind", ["fifo", "directory"])
@pytest.mark.parametrize("name", sorted(CODES))
def test_repair_from_a_mirror_names_the_file_that_is_no_regular_file(
    world: World, tmp_path: Path, name: str, kind: str
) -> None:
    before = acknowledge(world, extra=4)
    world.ledger.close()
    shutil.copytree(world.root, tmp_path / "mirror")
    cut(world, before)
    path = store(world) / name
    if path.exists():
        path.unlink()
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    kept = listing(store(world))
    with replica(world, tmp_path / "mirror") as url:
        for dry_run in ((), ("--dry-run",)):
            repair = ("ledger", "repair", "--data-dir", str(world.root), "--from", url)
            code, out, err = civicid(*repair, *dry_run)
            assert code == CODES[name].exit_code, (out, err)
            line = err.strip()
            assert line.endswith(f"[{CODES[name].name}]") and len(line.splitlines()) == 1, err
            what = "a named pipe" if kind == "fifo" else "a directory"
            assert f"{path} is not a regular file ({what})" in line, line
    assert listing(store(world)) == kept
    assert not [p for p in world.root.iterdir() if p.name.startswith(ASIDE_PREFIX)]
    assert not (world.root / "ledger.repair").exists()
