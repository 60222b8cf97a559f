"""A desk that trusted a ledger checkpoint and lost the file that keeps it
(``verifier/checkpoint``) refuses to open (``trust_file_lost``) rather than trust the ledger's
next checkpoint on first use, until the file is restored or ``civicid verifier
forget-checkpoint`` forgets it; a new desk opens as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.ledger_client import TRUST_FILE_LOST, trusted_record_file
from cli.main import app
from tests.verifier.world import NOW, Clock, World, open_desk, settings_for


def test_a_desk_that_lost_its_trust_file_does_not_open_until_it_is_forgotten(
    world: World, http: httpx.BaseTransport, tmp_path: Path
) -> None:
    trust_file = settings_for(world.root).trust_file
    assert not trust_file.exists() and not trusted_record_file(trust_file).exists()
    open_desk(world, http, Clock(NOW)).close()  # a new desk: trusts the ledger's checkpoint
    assert trust_file.exists() and trusted_record_file(trust_file).exists()
    backup = tmp_path / "checkpoint.backup"
    shutil.copy(trust_file, backup)
    trust_file.unlink()
    with pytest.raises(Error) as caught:
        open_desk(world, http, Clock(NOW))
    assert TRUST_FILE_LOST.matches(caught.value), caught.value
    assert str(trust_file) in caught.value.message
    assert "civicid wallet|verifier|issuer forget-checkpoint" in caught.value.message
    assert not trust_file.exists()
    shutil.copy(backup, trust_file)  # restored from a backup: opens
    open_desk(world, http, Clock(NOW)).close()
    trust_file.unlink()
    result = CliRunner().invoke(
        app, ["verifier", "forget-checkpoint", "--data-dir", str(world.root), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"forgotten": True, "file": str(trust_file)}
    assert not trusted_record_file(trust_file).exists()
    open_desk(world, http, Clock(NOW)).close()
    assert trust_file.exists()
