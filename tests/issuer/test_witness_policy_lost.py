"""An issuer that ran under a witness policy and is given none (configured by the
environment, its ``witness_policy`` lost) gets no ledger client (``witness_policy_lost``)
until the setting is back or ``civicid issuer forget-witnesses`` forgets the kept policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.checkpoint import NoteSigner
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import CosignerKey
from civicid.errors import Error
from civicid.ledger_client import WITNESS_POLICY_LOST, kept_policy_file
from cli.main import app
from issuer.agency import TRUST_FILE, ledger_client
from issuer.settings import IssuerSettings

VKEY = NoteSigner.generate("ledger.example/issuer").vkey()
POLICY = f"witness w1 {CosignerKey.generate('w1.example').vkey()}\nquorum w1\n"


def test_an_issuer_given_no_witness_policy_where_one_is_kept_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "witnesses.policy").write_text(POLICY)
    (tmp_path / "issuer.toml").write_text(f'checkpoint_key = "{VKEY}"\n')  # the setting lost
    settings = IssuerSettings.load(tmp_path)
    kept = kept_policy_file(settings.store_dir / TRUST_FILE)
    kept.parent.mkdir(parents=True)
    kept.write_text(CheckpointPolicy.parse(POLICY).witnesses.to_text())
    with pytest.raises(Error) as caught:
        ledger_client(settings)
    assert WITNESS_POLICY_LOST.matches(caught.value) and str(kept) in caught.value.message
    # The setting back (here from the environment): the client is made.
    monkeypatch.setenv("CIVICID_ISSUER_WITNESS_POLICY", "witnesses.policy")
    ledger_client(IssuerSettings.load(tmp_path)).close()
    monkeypatch.delenv("CIVICID_ISSUER_WITNESS_POLICY")
    (tmp_path / "issuer.toml").unlink()  # forgotten even where the settings file is gone
    result = CliRunner().invoke(app, ["issuer", "forget-witnesses", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"forgot {kept}" in result.stdout and "signature alone" in result.stdout
    assert not kept.exists()
    ledger_client(settings).close()
