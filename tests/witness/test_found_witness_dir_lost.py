"""A witness that lost its whole ``witness/`` directory (its records and the state directory's
own list of them) but kept its key must not start over from size 0: it would cosign a fork
of what it cosigned before. The list of its state files is kept beside its key, written when
the witness is made (saying it never cosigned); a key found without it is not a new witness
either."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from cli.main import app
from ledger.witness.errors import WITNESS_STATE_UNREADABLE
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import (
    COSIGNER_KEY,
    Paths,
    initialize,
    log_setting,
    open_witness,
    read_status,
)
from ledger.witness.state import KNOWN_FILE, NEVER_COSIGNED
from tests.witness.logs import Log


def made(root: Path) -> Path:
    initialize(root, "w1.example", [log_setting(Log().signer.vkey())])
    return root


def cosigned(root: Path, size: int = 7) -> Log:
    log = Log().grow(size)
    witness = open_witness(WitnessSettings.load(root))
    try:
        witness.add_checkpoint(log.body(0))
    finally:
        witness.close()
    return log


def refused(root: Path) -> Error:
    with pytest.raises(Error) as opened:
        open_witness(WitnessSettings.load(root)).close()
    assert WITNESS_STATE_UNREADABLE.matches(opened.value), opened.value
    with pytest.raises(Error) as status:
        read_status(WitnessSettings.load(root))
    assert WITNESS_STATE_UNREADABLE.matches(status.value), status.value
    return opened.value


def key_file(root: Path) -> Path:
    return Paths(root).keys.directory / f"{COSIGNER_KEY}.json"


def test_a_lost_witness_directory_stops_the_witness_and_its_status(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    log = cosigned(root)
    key = key_file(root).read_bytes()
    listed = Paths(root).state_list.read_bytes()
    shutil.rmtree(root / "witness")  # its records and the state directory's list of them
    assert "is missing" in refused(root).message
    # No state started over; the key and the list as they were.
    assert not list((root / "witness").rglob("*.state"))
    assert key_file(root).read_bytes() == key
    assert Paths(root).state_list.read_bytes() == listed
    # What the forger wanted: a smaller tree of another history, from "old 0".
    fork = log.fork(3).grow(3)
    assert fork.checkpoint().size == 6
    refused(root)


def test_a_key_without_its_list_is_not_a_new_witness(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    Paths(root).state_list.unlink()
    message = refused(root).message
    assert "a key with no records is not a new witness" in message
    assert str(Paths(root).state_list) in message
    # Told explicitly that it never cosigned (the list the message's command writes): it starts.
    Paths(root).state_list.write_bytes(NEVER_COSIGNED)
    assert read_status(WitnessSettings.load(root)).logs[0].tree_size == 0


def test_a_new_witness_starts_empty_and_lists_its_first_record(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    assert Paths(root).state_list.read_bytes() == NEVER_COSIGNED
    assert read_status(WitnessSettings.load(root)).logs[0].tree_size == 0
    cosigned(root, 5)
    (record,) = Paths(root).state.glob("*.state")
    assert Paths(root).state_list.read_text() == f"{record.name}\n"
    assert not (root / "witness" / KNOWN_FILE).exists()
    assert read_status(WitnessSettings.load(root)).logs[0].tree_size == 5


def test_a_witness_made_before_the_list_moved_beside_its_key(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    paths = Paths(root)
    paths.state_list.rename(paths.old_state_list)  # where such a witness kept it
    # Read only, status takes the list where it is, and moves nothing.
    assert read_status(WitnessSettings.load(root)).logs[0].tree_size == 7
    assert paths.old_state_list.exists() and not paths.state_list.exists()
    # Opened to serve, the list moves beside the key: losing witness/ is then refused.
    open_witness(WitnessSettings.load(root)).close()
    assert not paths.old_state_list.exists()
    (record,) = paths.state.glob("*.state")
    assert paths.state_list.read_text() == f"{record.name}\n"
    shutil.rmtree(root / "witness")
    refused(root)


def test_records_found_without_any_list_are_listed_beside_the_key(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    Paths(root).state_list.unlink()  # a witness made before any list was kept
    open_witness(WitnessSettings.load(root)).close()
    (record,) = Paths(root).state.glob("*.state")
    assert Paths(root).state_list.read_text() == f"{record.name}\n"


def test_the_cli_says_it_in_one_line(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    shutil.rmtree(root / "witness")
    for command in (["status"], ["serve", "--port", "0"]):
        result = CliRunner().invoke(
            app, ["witness", *command, "--data-dir", str(root)], catch_exceptions=False
        )
        assert result.exit_code == WITNESS_STATE_UNREADABLE.exit_code, command
        err = result.stderr.strip()
        assert err.startswith("error: ") and err.endswith("[witness_state_unreadable]"), err
        assert len(err.splitlines()) == 1, err
    assert not list((root / "witness").rglob("*.state"))


@pytest.mark.timeout(20)  # a named pipe opened to read would wait for a writer for ever
def test_a_named_pipe_for_a_record_or_the_list_is_refused_at_once(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    (record,) = Paths(root).state.glob("*.state")
    record.unlink()
    os.mkfifo(record)
    assert "is not a regular file (a named pipe)" in refused(root).message
    record.unlink()
    Paths(root).state_list.unlink()
    os.mkfifo(Paths(root).state_list)
    assert "is not a regular file (a named pipe)" in refused(root).message
