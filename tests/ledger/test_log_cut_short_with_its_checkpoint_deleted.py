"""Rollback: a log cut short *and* both copies of its last checkpoint deleted (``checkpoint.dat``,
``acknowledged.dat``: so nothing on disk remembers how long the log was). Audit replays it
cleanly, but must not say plain "ok": with no signed checkpoint anywhere (checkpoint.dat,
meta.json, ``--checkpoint``) it fails with ``audit_no_checkpoint``; given the checkpoint a
client kept, it fails with ``checkpoint_mismatch``; and it changes nothing (audit is read-only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.audit import audit
from ledger.store import ACKNOWLEDGED_FILE, OFFSET
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid


def cut_last_entry_and_checkpoint(world: World) -> tuple[Path, str]:
    world.register()
    world.register()
    size, kept = world.ledger.size, world.ledger.checkpoint
    world.ledger.close()
    directory = world.root / "ledger"
    with open(directory / "log.idx", "rb") as handle:
        handle.seek((size - 1) * OFFSET.size)
        (last,) = OFFSET.unpack(handle.read(OFFSET.size))
    with open(directory / "log.dat", "r+b") as handle:
        handle.truncate(last)
    for derived in ("checkpoint.dat", ACKNOWLEDGED_FILE, "log.idx", "leaves.dat"):
        (directory / derived).unlink()
    return directory, kept


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_no_checkpoint_anywhere_is_not_ok(world: World) -> None:
    directory, _ = cut_last_entry_and_checkpoint(world)
    before = files(directory)
    with pytest.raises(Error) as info:
        audit(directory)
    assert info.value.code == "audit_no_checkpoint"
    assert info.value.details == {"size": 2}
    assert files(directory) == before


def test_the_checkpoint_a_client_kept_shows_the_cut(world: World, tmp_path: Path) -> None:
    directory, kept = cut_last_entry_and_checkpoint(world)
    before = files(directory)
    with pytest.raises(Error) as info:
        audit(directory, checkpoint=kept)
    assert info.value.code == "checkpoint_mismatch"
    assert files(directory) == before


def test_the_command_says_so_in_one_line(world: World, tmp_path: Path) -> None:
    cut_last_entry_and_checkpoint(world)
    code, out, err = civicid("ledger", "audit", "--data-dir", str(world.root))
    assert code == 1 and out == "", out
    assert err.count("\n") == 1 and err.rstrip().endswith("[audit_no_checkpoint]"), err
    assert "--checkpoint" in err
    code, out, _ = civicid("ledger", "audit", "--data-dir", str(world.root), "--json")
    assert code == 1 and json.loads(out)["error"] == "audit_no_checkpoint"


def test_a_whole_log_with_its_checkpoint_is_still_ok(world: World, tmp_path: Path) -> None:
    # The same log before the cut: the checkpoint kept beside it, or given, says ok.
    world.register()
    note = world.ledger.checkpoint
    world.ledger.close()
    code, out, _ = civicid("ledger", "audit", "--data-dir", str(world.root), "--json")
    assert code == 0 and json.loads(out)["checkpointVerified"] is True
    (world.root / "ledger" / "checkpoint.dat").unlink()
    (world.root / "ledger" / ACKNOWLEDGED_FILE).unlink()
    given = tmp_path / "checkpoint.txt"
    given.write_text(note)
    code, out, _ = civicid(
        "ledger", "audit", "--data-dir", str(world.root), "--checkpoint", str(given)
    )
    assert code == 0 and out.startswith("ok: 2 entries") and "checkpoint verified" in out


def test_an_empty_log_needs_no_checkpoint(tmp_path: Path) -> None:
    from ledger.store import FileLogStore

    FileLogStore(tmp_path / "ledger", create=True).close()
    assert audit(tmp_path / "ledger").size == 0
