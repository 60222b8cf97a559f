"""``civicid up --forget-checkpoint``: up's own client keeps ``stack/checkpoint`` and its
record; lost, ``up`` refuses (``trust_file_lost``) and its message names this command, which
forgets the checkpoint and its record (``--json`` says what it did) so that ``up`` runs
again, trusting the ledger's next checkpoint on first use. Never beside a running ``up``
(``up_already_running``, nothing removed), and on a data dir with nothing kept it says so
without making anything there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.ledger_client import TRUST_FILE_LOST, trusted_record_file
from cli import stack
from cli.main import app
from cli.up import only_one
from tests.test_up_trust_file_lost import up_once


def forget(root: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["up", "--forget-checkpoint", "--data-dir", str(root), *extra])
    return result.exit_code, result.stdout, result.stderr


def test_a_lost_trust_file_is_forgotten_by_up_itself(tmp_path: Path) -> None:
    root = tmp_path / "civicid"
    up_once(root)
    own = root / stack.STATE_DIR / "checkpoint"
    record = trusted_record_file(own)
    assert own.exists() and record.exists()
    own.unlink()
    with pytest.raises(Error) as caught:
        up_once(root)
    assert TRUST_FILE_LOST.matches(caught.value), caught.value
    assert "civicid up --forget-checkpoint" in caught.value.message
    with only_one(root):  # an up running here: refused, nothing removed
        code, out, err = forget(root)
    assert code != 0 and err.rstrip().endswith("[up_already_running]"), err
    assert record.exists()
    code, out, err = forget(root, "--json")
    assert code == 0, err
    assert json.loads(out) == {"forgotten": True, "file": str(own)}
    assert not record.exists()
    up_once(root)  # trusted on first use again, and recorded again
    assert own.exists() and record.exists()


def test_nothing_kept_is_nothing_to_forget(tmp_path: Path) -> None:
    root = tmp_path / "never-up"
    code, out, err = forget(root)
    assert code == 0, err
    assert "nothing to forget" in out
    assert not root.exists()
