"""An issuer that trusted a ledger checkpoint and lost the file that keeps it
(``store/ledger-checkpoint``) does not open (``trust_file_lost``) rather than trust the
ledger's next checkpoint on first use, until the file is restored or ``civicid issuer
forget-checkpoint`` forgets it; a new issuer (``make_env``) opens as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.ledger_client import TRUST_FILE_LOST, trusted_record_file
from cli.main import app
from issuer.agency import TRUST_FILE
from issuer.service import Issuer
from tests.issuer.conftest import Env


def test_an_issuer_that_lost_its_trust_file_does_not_open_until_it_is_forgotten(
    env: Env, tmp_path: Path
) -> None:
    trust_file = env.settings.store_dir / TRUST_FILE
    assert trust_file.exists() and trusted_record_file(trust_file).exists()
    backup = tmp_path / "checkpoint.backup"
    shutil.copy(trust_file, backup)
    env.issuer.close()
    trust_file.unlink()
    with pytest.raises(Error) as caught:
        Issuer.open(env.settings, clock=env.clock)
    error = caught.value
    assert TRUST_FILE_LOST.matches(error), error
    assert str(trust_file) in error.message and "issuer forget-checkpoint" in error.message
    shutil.copy(backup, trust_file)  # restored from a backup: opens
    env.reopen()
    env.issuer.close()
    trust_file.unlink()
    (env.data_dir / "issuer.toml").rename(env.data_dir / "issuer.toml.kept")
    result = CliRunner().invoke(  # forgotten even where the settings file is gone
        app, ["issuer", "forget-checkpoint", "--data-dir", str(env.data_dir), "--json"]
    )
    (env.data_dir / "issuer.toml.kept").rename(env.data_dir / "issuer.toml")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"forgotten": True, "file": str(trust_file)}
    assert not trusted_record_file(trust_file).exists()
    env.reopen()  # and trusts the ledger's next checkpoint on first use, as a new issuer
