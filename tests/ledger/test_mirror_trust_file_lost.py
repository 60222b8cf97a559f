"""A mirror's (and a monitor's) trust file, ``mirror/trusted-checkpoint``, gets the record the
parts' own clients keep beside theirs (``.trusted``): lost, both commands refuse to start
(``trust_file_lost``, naming the file and ``civicid ledger forget-mirror-checkpoint``) rather
than trust the ledger's next checkpoint as a first run would. That command forgets the
checkpoint and its record (``--json`` says what it did, the copy's store untouched) and the
mirror follows again, recording afresh."""

from __future__ import annotations

import json
from pathlib import Path

from civicid.ledger_client import TRUST_FILE_LOST, trusted_record_file
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.mirror_cli import MIRROR_DIR
from ledger.monitor import TRUST_FILE
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid
from tests.ledger.test_mirror_that_lost_its_log import files


def store_files(copy: Path) -> dict[str, bytes]:
    """The copy's store, without its trust file and the record beside it."""
    record = trusted_record_file(copy / TRUST_FILE).name
    return {name: data for name, data in files(copy).items() if name != record}


def test_a_mirror_that_lost_its_trust_file_is_refused_until_forgotten(
    world: World, tmp_path: Path
) -> None:
    world.register()
    key = ["--data-dir", str(tmp_path), "--ledger-key", world.genesis.vkey]
    copy = tmp_path / MIRROR_DIR
    trust_file = copy / TRUST_FILE
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        code, _, err = civicid("ledger", "mirror", url, *key, "--once")
        assert code == 0, err
        record = trusted_record_file(trust_file)
        assert record.read_text() == f"{world.ledger.size}\n"
        trust_file.unlink()
        store = store_files(copy)
        for command in ("mirror", "monitor"):
            extra = ["--once"] if command == "mirror" else []
            code, _, err = civicid("ledger", command, url, *key, *extra)
            line = err.strip()
            assert code == TRUST_FILE_LOST.exit_code, (command, err)
            assert line.endswith("[trust_file_lost]") and len(line.splitlines()) == 1, err
            assert str(trust_file) in line and "civicid ledger forget-mirror-checkpoint" in line
        assert store_files(copy) == store and record.exists() and not trust_file.exists()
        code, out, err = civicid(
            "ledger", "forget-mirror-checkpoint", "--data-dir", str(tmp_path), "--json"
        )
        assert code == 0, err
        assert json.loads(out) == {"forgotten": True, "file": str(trust_file)}
        assert not record.exists() and store_files(copy) == store
        world.register()
        code, _, err = civicid("ledger", "monitor", url, *key)
        assert code == 0, err
    assert trust_file.exists() and record.read_text() == f"{world.ledger.size}\n"


def test_forgetting_nothing_says_so(tmp_path: Path) -> None:
    code, out, err = civicid("ledger", "forget-mirror-checkpoint", "--data-dir", str(tmp_path))
    assert code == 0, err
    assert "nothing to forget" in out
