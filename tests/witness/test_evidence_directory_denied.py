"""A witness's evidence directory it may not read (a restore or a ``chmod`` that left it to
another user), or a file in its place: refused, naming it (``witness_state_unreadable``, as a
damaged piece of evidence is), by ``serve`` and by ``status`` alike.
Before, ``Path.glob`` passed the error over and listed nothing: the witness started saying
it kept no evidence (``/status``, ``/evidence``, ``witness status``), the signed notes of a
log that contradicted itself hidden with nothing saying why.

Tests run as root, whom no mode bars: the directory is made unreadable by refusing, as the
kernel refuses a user without the right, every listing of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.witness.errors import WITNESS_STATE_UNREADABLE
from ledger.witness.evidence import EvidenceStore
from ledger.witness.setup import Paths
from tests import odd_files
from tests.witness.logs import Log, open_test_witness
from tests.witness.test_found_cli import one_line, run, witness
from tests.witness.test_witness import cosigns, refused


@pytest.mark.parametrize("readonly", [False, True], ids=["serve", "status"])
def test_an_evidence_directory_that_cannot_be_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readonly: bool
) -> None:
    log = Log().grow(8)
    witness = open_test_witness(tmp_path)
    cosigns(witness, log, 0)
    refused(witness, log.fork(5).grow(3).body(8), "witness_checkpoint_conflict")
    witness.close()
    directory = Paths(tmp_path).evidence
    assert len(EvidenceStore(directory, readonly=True)) == 1
    odd_files.deny_listing(monkeypatch, directory)
    with pytest.raises(Error) as caught:
        EvidenceStore(directory, readonly=readonly)
    assert caught.value.code == WITNESS_STATE_UNREADABLE.name
    assert f"cannot read the evidence directory {directory}: " in caught.value.message


def test_no_evidence_directory_read_only_is_no_evidence(tmp_path: Path) -> None:
    """``witness status`` of a witness that never kept any: none, not an error."""
    assert len(EvidenceStore(tmp_path / "evidence", readonly=True)) == 0
    assert not (tmp_path / "evidence").exists()


def test_only_json_files_are_pieces_and_leftovers_are_removed(tmp_path: Path) -> None:
    directory = tmp_path / "evidence"
    directory.mkdir()
    (directory / ".0123.json.tmp").write_text("a write cut short")
    (directory / "README").write_text("not evidence")
    assert len(EvidenceStore(directory)) == 0
    assert sorted(p.name for p in directory.iterdir()) == ["README"]


@pytest.mark.parametrize("command", [["status"], ["serve", "--port", "0"]])
def test_a_file_where_the_evidence_directory_goes_is_refused(
    tmp_path: Path, command: list[str]
) -> None:
    root = witness(tmp_path)
    (root / "witness").mkdir()
    (root / "witness" / "evidence").write_text("x")
    code, err = run("witness", *command, "--data-dir", str(root))
    assert code == WITNESS_STATE_UNREADABLE.exit_code
    one_line(err, WITNESS_STATE_UNREADABLE.name)
    assert "the evidence directory" in err and "Not a directory" in err
    assert (root / "witness" / "evidence").read_text() == "x"
