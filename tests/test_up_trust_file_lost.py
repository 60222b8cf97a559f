"""``civicid up`` on a data dir whose clients trusted the ledger's checkpoints: a trust file
lost (up's own ``stack/checkpoint``, the desk's, the issuer's) is refused (``trust_file_lost``,
naming it) rather than taken for a first run that trusts the ledger's next checkpoint; the
file forgotten on purpose (removed with its record, or the part's ``forget-checkpoint``),
``up`` runs again. A first run records each."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.ledger_client import TRUST_FILE_LOST, trusted_record_file
from cli import stack
from cli.harness import free_port
from cli.main import app

ISSUERS: dict[Path, int] = {}  # the issuer's port of each data dir: its agency's DID names it


def up_once(root: Path) -> None:
    issuer = ISSUERS.setdefault(root, free_port())
    with stack.running(root, stack.Ports(free_port(), issuer, free_port())):
        pass


def lost(root: Path, trust_file: Path) -> None:
    with pytest.raises(Error) as caught:
        up_once(root)
    assert TRUST_FILE_LOST.matches(caught.value), caught.value
    assert str(trust_file) in caught.value.message


def test_a_lost_trust_file_under_up_is_refused_until_it_is_forgotten(tmp_path: Path) -> None:
    root = tmp_path / "civicid"
    up_once(root)
    own, desk = root / stack.STATE_DIR / "checkpoint", root / "verifier" / "checkpoint"
    for trust_file in (own, desk):
        assert trust_file.exists() and trusted_record_file(trust_file).exists(), trust_file
    own.unlink()
    lost(root, own)
    trusted_record_file(own).unlink()  # forgotten on purpose, as the message says
    up_once(root)
    desk.unlink()
    lost(root, desk)
    result = CliRunner().invoke(app, ["verifier", "forget-checkpoint", "--data-dir", str(root)])
    assert result.exit_code == 0, result.output
    up_once(root)
    assert desk.exists() and trusted_record_file(desk).exists()
