"""A ledger store whose files were lost or replaced by a person or a failing disk.

``log.dat`` deleted while the rest of the store is there is a log that lost its entries
(``store_truncated``, with the way back), never "no ledger here, run init" nor, from
``civicid up``, "a ledger is here, choose an empty dir". A named pipe, a directory or a
device in place of a store file, the state snapshot or a key file is one line naming it
(opening a named pipe to read would wait for ever). Nothing is changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.keystore import KEY_FILE_INVALID
from cli import stack
from cli.main import app
from ledger.errors import (
    LEDGER_NOT_INITIALIZED,
    STATE_SNAPSHOT_INVALID,
    STORE_CORRUPT,
    STORE_META_INVALID,
    STORE_TRUNCATED,
)
from ledger.setup import CHECKPOINT_KEY, Paths, initialize, open_ledger
from ledger.snapshot import FILE as SNAPSHOT
from ledger.store import ACKNOWLEDGED_FILE, FILES

# A file a store must refuse at once, for a test that would otherwise wait for ever.
HANG_GUARD_SECONDS = 20


def files(root: Path) -> dict[str, bytes]:
    """Every regular file of the data dir, to show a refusal changed none."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_fifo() and p.name != "LOCK"
    }


def refused(root: Path, *, readonly: bool) -> Error:
    with pytest.raises(Error) as raised:
        open_ledger(root, readonly=readonly).close()
    return raised.value


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr.strip()


@pytest.mark.parametrize("readonly", [True, False])
def test_a_deleted_log_dat_is_a_truncated_store_naming_it(tmp_path: Path, readonly: bool) -> None:
    initialize(tmp_path)
    (Paths(tmp_path).log / "log.dat").unlink()
    before = files(tmp_path)
    error = refused(tmp_path, readonly=readonly)
    assert STORE_TRUNCATED.matches(error), error
    assert "log.dat is missing but this ledger signed a checkpoint of 1" in error.message
    assert "repair --from URL" in error.message
    assert error.details == {"held": 0, "signed": 1}
    assert files(tmp_path) == before


def test_a_deleted_log_dat_with_no_checkpoint_left_names_what_is_there(tmp_path: Path) -> None:
    initialize(tmp_path)
    log = Paths(tmp_path).log
    (log / "log.dat").unlink()
    for name in ("checkpoint.dat", ACKNOWLEDGED_FILE):
        (log / name).unlink()
    error = refused(tmp_path, readonly=True)
    assert STORE_TRUNCATED.matches(error), error
    assert "log.dat is missing but the rest of its store is here (log.idx" in error.message


def test_an_empty_data_dir_is_still_no_ledger(tmp_path: Path) -> None:
    assert LEDGER_NOT_INITIALIZED.matches(refused(tmp_path, readonly=True))


def test_ledger_info_says_it_in_one_line(tmp_path: Path) -> None:
    initialize(tmp_path)
    (Paths(tmp_path).log / "log.dat").unlink()
    code, err = cli("ledger", "info", "--data-dir", str(tmp_path))
    assert code == STORE_TRUNCATED.exit_code
    assert err.startswith("error: ") and err.endswith("[store_truncated]"), err
    assert "log.dat is missing" in err and len(err.splitlines()) == 1


def test_up_finds_the_ledger_that_lost_its_log_and_never_makes_another(tmp_path: Path) -> None:
    made = initialize(tmp_path)
    (Paths(tmp_path).log / "log.dat").unlink()
    before = files(tmp_path)
    found = stack.ensure_ledger(tmp_path)  # was: a genesis attempted, ledger_exists
    assert found.vkey == made.vkey and not found.created
    assert STORE_TRUNCATED.matches(refused(tmp_path, readonly=False))
    assert files(tmp_path) == before


def replaced(path: Path, kind: str) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()


STORE_CODES = {name: STORE_CORRUPT for name in FILES} | {
    "meta.json": STORE_META_INVALID,
    SNAPSHOT: STATE_SNAPSHOT_INVALID,
}


@pytest.mark.timeout(HANG_GUARD_SECONDS)
@pytest.mark.parametrize("kind", ["fifo", "directory"])
@pytest.mark.parametrize("name", sorted(STORE_CODES))
@pytest.mark.parametrize("readonly", [True, False])
def test_a_store_file_that_is_no_regular_file_is_named(
    tmp_path: Path, name: str, kind: str, readonly: bool
) -> None:
    initialize(tmp_path)
    path = Paths(tmp_path).log / name
    assert path.is_file()
    replaced(path, kind)
    before = files(tmp_path)
    error = refused(tmp_path, readonly=readonly)
    assert STORE_CODES[name].matches(error), error
    assert f"{path} is not a regular file" in error.message
    assert files(tmp_path) == before


@pytest.mark.timeout(HANG_GUARD_SECONDS)
@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_key_file_that_is_no_regular_file_is_named(tmp_path: Path, kind: str) -> None:
    initialize(tmp_path)
    path = Paths(tmp_path).keys.directory / f"{CHECKPOINT_KEY}.json"
    replaced(path, kind)
    error = refused(tmp_path, readonly=True)
    assert KEY_FILE_INVALID.matches(error), error  # a directory: not key_permissions_open
    assert f"{path} is not a regular file" in error.message


@pytest.mark.timeout(HANG_GUARD_SECONDS)
def test_ledger_info_on_a_named_pipe_answers_in_one_line(tmp_path: Path) -> None:
    initialize(tmp_path)
    replaced(Paths(tmp_path).log / "log.dat", "fifo")
    code, err = cli("ledger", "info", "--data-dir", str(tmp_path))
    assert code == STORE_CORRUPT.exit_code
    assert err.endswith("log.dat is not a regular file (a named pipe) [store_corrupt]"), err
    assert len(err.splitlines()) == 1
