"""``civicid witness never-cosigned``: the way to say that a witness whose key was found
without the records of what it cosigned truly never cosigned (its list of state files says
so, as ``init`` writes it). Refused where any record or list of records says otherwise
(``witness_has_records``), changing nothing; the refusing commands name it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from ledger.witness.errors import (
    WITNESS_HAS_RECORDS,
    WITNESS_NOT_INITIALIZED,
    WITNESS_STATE_UNREADABLE,
)
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import Paths, read_status
from ledger.witness.state import NEVER_COSIGNED
from tests.witness.test_found_witness_dir_lost import cosigned, made


def witness(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["witness", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr.strip()


def listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_key_without_its_list_starts_once_told_it_never_cosigned(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    Paths(root).state_list.unlink()
    code, _, err = witness("status", "--data-dir", str(root))
    assert code == WITNESS_STATE_UNREADABLE.exit_code
    assert "`civicid witness never-cosigned`" in err, err
    code, out, err = witness("never-cosigned", "--data-dir", str(root))
    assert code == 0 and "never cosigned: it starts from nothing" in out, err
    assert Paths(root).state_list.read_bytes() == NEVER_COSIGNED
    assert read_status(WitnessSettings.load(root)).logs[0].tree_size == 0
    code, out, _ = witness("never-cosigned", "--data-dir", str(root), "--json")
    assert code == 0 and json.loads(out) == {"written": False}


def test_a_witness_that_cosigned_is_refused(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    Paths(root).state_list.unlink()  # its records are there: it cosigned
    before = listing(root)
    code, _, err = witness("never-cosigned", "--data-dir", str(root))
    assert code == WITNESS_HAS_RECORDS.exit_code
    assert err.endswith("[witness_has_records]") and len(err.splitlines()) == 1, err
    assert listing(root) == before


def test_a_witness_that_lost_its_records_is_refused(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    shutil.rmtree(root / "witness")  # the list beside its key still names them
    before = listing(root)
    code, _, err = witness("never-cosigned", "--data-dir", str(root))
    assert code == WITNESS_HAS_RECORDS.exit_code and "it has cosigned" in err, err
    assert listing(root) == before
    assert not (root / "witness").exists()


def test_no_witness_here_is_said(tmp_path: Path) -> None:
    code, _, err = witness("never-cosigned", "--data-dir", str(tmp_path))
    assert code == WITNESS_NOT_INITIALIZED.exit_code, err
    assert err.endswith("[witness_not_initialized]")
    assert not (tmp_path / "keys").exists()


def test_the_refusing_commands_name_it_in_their_help() -> None:
    for command in ("serve", "status"):
        result = CliRunner().invoke(
            app, ["witness", command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}
        )
        words = " ".join(result.stdout.split())  # as wrapped for any width
        assert "`civicid witness never-cosigned`" in words, result.stdout


def test_an_emptied_list_is_damage_until_told_it_never_cosigned(tmp_path: Path) -> None:
    """Zero bytes (a write cut short, the disk; or the empty list an older ``init`` wrote) is
    not "never cosigned": with the records lost too, the witness would start over."""
    root = made(tmp_path / "w")
    cosigned(root)
    shutil.rmtree(root / "witness")
    Paths(root).state_list.write_bytes(b"")
    before = listing(root)
    for command in (["status"], ["serve", "--port", "0"]):
        code, _, err = witness(*command, "--data-dir", str(root))
        assert code == WITNESS_STATE_UNREADABLE.exit_code, err
        assert err.endswith("[witness_state_unreadable]") and "is empty" in err, err
        assert "`civicid witness never-cosigned`" in err, err
    assert listing(root) == before
    assert not (root / "witness").exists()
    # The operator says it never cosigned (as a witness made with an empty list migrates).
    code, out, err = witness("never-cosigned", "--data-dir", str(root))
    assert code == 0 and "never cosigned: it starts from nothing" in out, err
    assert Paths(root).state_list.read_bytes() == NEVER_COSIGNED
    assert read_status(WitnessSettings.load(root)).logs[0].tree_size == 0


def test_an_emptied_list_beside_its_records_is_refused_too(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    Paths(root).state_list.write_bytes(b"")
    code, _, err = witness("status", "--data-dir", str(root))
    assert code == WITNESS_STATE_UNREADABLE.exit_code and "is empty" in err, err
