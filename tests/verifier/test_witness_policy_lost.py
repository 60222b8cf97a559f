"""A desk that ran under a witness policy and is given none (its ``verifier.toml`` setting
lost) refuses to open, online and offline (``witness_policy_lost``), until the setting is back
or ``civicid verifier forget-witnesses`` forgets the kept policy; a damaged record is refused
with its own code. A desk whose init fails takes the record it made away with the rest."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import CosignerKey
from civicid.errors import Code, Error
from civicid.ledger_client import (
    WITNESS_POLICY_LOST,
    WITNESS_POLICY_RECORD_INVALID,
    kept_policy_file,
)
from civicid.trust_lock import LOCK_SUFFIX
from cli.main import app
from tests.verifier.world import NOW, Clock, World, open_desk, settings_for
from verifier.service import Verifier
from verifier.settings import VerifierSettings
from verifier.setup import undone_on_failure

POLICY = f"witness w1 {CosignerKey.generate('w1.example').vkey()}\nquorum w1\n"


def keep_policy(world: World) -> Path:
    """What the desk's ledger client keeps once it accepted a checkpoint under ``POLICY``."""
    kept = kept_policy_file(settings_for(world.root).trust_file)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(CheckpointPolicy.parse(POLICY).witnesses.to_text())
    return kept


def refused(code: Code, world: World, http: httpx.BaseTransport, **options: bool) -> Error:
    home = settings_for(world.root).home

    def stored() -> list[str]:  # the trust file's lock is no stored data
        return sorted(p.name for p in home.iterdir() if p.suffix != LOCK_SUFFIX)

    before = stored()
    with pytest.raises(Error) as caught:
        if options.get("offline"):
            Verifier.open(settings_for(world.root), clock=Clock(NOW), offline=True)
        else:
            open_desk(world, http, Clock(NOW))
    assert code.matches(caught.value), caught.value
    assert stored() == before
    return caught.value


@pytest.mark.parametrize("offline", [False, True])
def test_a_desk_given_no_witness_policy_where_one_is_kept_does_not_open(
    world: World, http: httpx.BaseTransport, offline: bool
) -> None:
    kept = keep_policy(world)
    error = refused(WITNESS_POLICY_LOST, world, http, offline=offline)
    assert str(kept) in error.message and "forget-witnesses" in error.message


def test_forget_witnesses_lets_the_desk_open_on_the_ledger_alone(
    world: World, http: httpx.BaseTransport
) -> None:
    kept = keep_policy(world)
    refused(WITNESS_POLICY_LOST, world, http)
    result = CliRunner().invoke(
        app, ["verifier", "forget-witnesses", "--data-dir", str(world.root), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"forgotten": true' in result.stdout and not kept.exists()
    open_desk(world, http, Clock(NOW)).close()


def test_a_damaged_record_is_refused_with_its_own_code(
    world: World, http: httpx.BaseTransport
) -> None:
    keep_policy(world).write_bytes(b"\x00")
    refused(WITNESS_POLICY_RECORD_INVALID, world, http)


def test_a_failed_init_takes_the_record_it_made_away(tmp_path: Path) -> None:
    settings = VerifierSettings(data_dir=tmp_path)
    kept = kept_policy_file(settings.trust_file)
    with pytest.raises(RuntimeError), undone_on_failure(settings):
        settings.home.mkdir(parents=True)
        kept.write_text(CheckpointPolicy.parse(POLICY).witnesses.to_text())
        raise RuntimeError("a step of init failed")
    assert not kept.exists() and not settings.home.exists()
