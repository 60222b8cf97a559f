"""``civicid ledger answers`` renders the answers file (``state.answers``) for the snapshot
the ledger has, read-only on the log, and a resolver then serves from it; with no snapshot
it refuses (``state_snapshot_missing``), and on PostgreSQL (no file is kept) too.
A snapshot replaced while its answers are rendered (a ledger closing beside) keeps the
newer answers (``state_snapshot_changed``). ``civicid ledger repair`` drops the file with
the snapshot it was made from."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import EXIT_REFUSED, EXIT_UNAVAILABLE
from ledger import answers_file
from ledger import snapshot as snapshots
from ledger.resolution import Resolver
from ledger.setup import open_ledger
from tests.ledger.conftest import World
from tests.ledger.snapshots import snapshot_file
from tests.ledger.test_answers_file import live, served_ahead
from tests.ledger.test_cli import civicid
from tests.ledger.test_forged_inner_hashes import _tree_level_1, forged


def ledger_with_dids(tmp_path: Path) -> Path:
    """A ledger closed cleanly after two DIDs were written: its snapshot and answers kept."""
    data = str(tmp_path)
    assert civicid("ledger", "init", "--data-dir", data)[0] == 0
    for name in ("town-hall", "harbour"):
        code, out, err = civicid("ledger", "register", name, "--data-dir", data)
        assert code == 0, (out, err)
    return tmp_path


def test_the_command_renders_the_answers_a_resolver_then_serves(tmp_path: Path) -> None:
    data = ledger_with_dids(tmp_path)
    path = data / "ledger" / answers_file.FILE
    path.unlink()
    code, out, err = civicid("ledger", "answers", "--data-dir", str(data), "--json")
    assert code == 0, err
    report = json.loads(out)
    ledger = open_ledger(data, readonly=True)
    try:
        dids = sorted(ledger.state.dids)
        assert report["path"] == str(path) and report["snapshotSize"] == ledger.snapshot_size
        assert report["answers"] == len(dids) == 3  # governance and the two registered
        assert report["bytes"] == path.stat().st_size > 0 and report["seconds"] >= 0
        assert not os.path.lexists(str(path) + ".render.tmp")
        resolver = Resolver(ledger)
        served = served_ahead(resolver)  # the file is this snapshot's: used
        rendered = live(ledger)
        for did in dids:
            # Each answer is read from the file, and is the one rendered live.
            assert resolver.resolve(did).body == rendered.resolve(did).body
        assert served == [ledger.state.dids[did].versions[-1].leaf_hash for did in dids]
    finally:
        ledger.close()
    code, out, err = civicid("ledger", "answers", "--data-dir", str(data))
    assert code == 0, err
    assert out.startswith(f"{path}: 3 answers rendered for the snapshot at ")
    assert f"{path.stat().st_size:,} bytes" in out


def test_with_no_snapshot_the_command_refuses_and_writes_nothing(tmp_path: Path) -> None:
    data = ledger_with_dids(tmp_path)
    path = data / "ledger" / answers_file.FILE
    path.unlink()
    (data / "ledger" / snapshots.FILE).unlink()
    code, out, err = civicid("ledger", "answers", "--data-dir", str(data), "--json")
    assert code == EXIT_REFUSED and json.loads(out)["error"] == "state_snapshot_missing"
    assert err.strip().endswith("[state_snapshot_missing]") and len(err.splitlines()) == 1
    assert "does not exist" in err
    assert not os.path.lexists(path)


def test_a_ledger_on_postgresql_has_no_answers_file_to_render(tmp_path: Path) -> None:
    data = ledger_with_dids(tmp_path)
    (data / "ledger" / answers_file.FILE).unlink()
    (data / "ledger.toml").write_text('database_url = "postgresql://127.0.0.1:1/ledger"\n')
    code, _, err = civicid("ledger", "answers", "--data-dir", str(data))
    assert code == EXIT_REFUSED and err.strip().endswith("[settings_invalid]"), err
    assert "PostgreSQL" in err and not os.path.lexists(data / "ledger" / answers_file.FILE)


def test_repair_drops_the_answers_with_the_snapshot(tmp_path: Path) -> None:
    data = ledger_with_dids(tmp_path)
    store = data / "ledger"
    code, out, err = civicid("ledger", "repair", "--dry-run", "--data-dir", str(data), "--json")
    assert code == 0, err
    assert json.loads(out)["answersDropped"] is True
    assert (store / answers_file.FILE).exists() and (store / snapshots.FILE).exists()
    code, out, err = civicid("ledger", "repair", "--data-dir", str(data))
    assert code == 0, err
    assert "dropped the state snapshot" in out
    assert f"dropped the answers rendered ahead ({answers_file.FILE})" in out
    assert not os.path.lexists(store / answers_file.FILE)
    assert not os.path.lexists(store / snapshots.FILE)
    # Answers left without their snapshot are dropped alone.
    (store / answers_file.FILE).write_bytes(b"left over")
    code, out, err = civicid("ledger", "repair", "--data-dir", str(data), "--json")
    report = json.loads(out)
    assert code == 0 and report["answersDropped"] and not report["snapshotDropped"], err
    assert not os.path.lexists(store / answers_file.FILE)
    code, out, _ = civicid("ledger", "repair", "--data-dir", str(data))
    assert code == 0 and "nothing to repair" in out


def test_a_snapshot_not_used_is_refused_naming_why(tmp_path: Path) -> None:
    data = ledger_with_dids(tmp_path)
    (data / "ledger" / answers_file.FILE).unlink()
    snapshot = data / "ledger" / snapshots.FILE
    snapshot.write_bytes(snapshot.read_bytes()[:-1])  # cut short: its digest fails
    code, _, err = civicid("ledger", "answers", "--data-dir", str(data))
    assert code == EXIT_REFUSED and err.strip().endswith("[state_snapshot_missing]"), err
    assert f"{snapshot} is not used (" in err
    assert not os.path.lexists(data / "ledger" / answers_file.FILE)


def test_a_snapshot_whose_kept_hashes_are_not_the_logs_renders_nothing(world: World) -> None:
    content = forged(world, _tree_level_1)  # re-signed over a tree node not the log's
    world.ledger.close()
    snapshot_file(world).write_bytes(content)
    path = world.root / "ledger" / answers_file.FILE
    path.unlink()
    code, _, err = civicid("ledger", "answers", "--data-dir", str(world.root))
    assert code == EXIT_UNAVAILABLE and err.strip().endswith("[snapshot_hashes_mismatch]"), err
    assert not os.path.lexists(path)


def test_a_snapshot_replaced_while_rendering_keeps_the_newer_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ledger_with_dids(tmp_path)
    store = data / "ledger"
    older = (store / snapshots.FILE).read_bytes()
    assert civicid("ledger", "register", "quay", "--data-dir", str(data))[0] == 0
    newer = (store / snapshots.FILE).read_bytes()  # with its answers, written at the close
    newer_answers = (store / answers_file.FILE).read_bytes()
    (store / snapshots.FILE).write_bytes(older)  # the one the command opens from
    render = answers_file.plain_json

    def closing_meanwhile(*args: Any) -> bytes:
        # A ledger closing writes its newer snapshot, then its answers, as these are rendered.
        (store / snapshots.FILE).write_bytes(newer)
        (store / answers_file.FILE).write_bytes(newer_answers)
        return render(*args)

    monkeypatch.setattr(answers_file, "plain_json", closing_meanwhile)
    code, _, err = civicid("ledger", "answers", "--data-dir", str(data))
    assert code == EXIT_REFUSED and err.strip().endswith("[state_snapshot_changed]"), err
    assert (store / answers_file.FILE).read_bytes() == newer_answers
    assert not os.path.lexists(str(store / answers_file.FILE) + ".render.tmp")
