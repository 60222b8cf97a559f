"""The offline desk (``check --offline``) keeps the desk's trust file as its floor too: a desk
that trusted a checkpoint and lost the file that keeps it refuses to open offline
(``trust_file_lost``, naming it and ``forget-checkpoint``) as it does online, nothing
written; forgotten, it opens offline again from its snapshot. ``sync`` records, beside the
desk's trust file, that it trusted one, as the desk's online client does."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.ledger_client import TRUST_FILE_LOST, trusted_record_file
from cli.main import app
from tests.verifier.test_offline import offline_desk, take_snapshot
from tests.verifier.world import World, settings_for
from verifier.service import Verifier, checkpoint_key
from verifier.snapshot import sync


def files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(home.iterdir()) if p.is_file()}


def test_an_offline_desk_that_lost_its_trust_file_does_not_open(
    world: World, verifier: Verifier, http: httpx.BaseTransport
) -> None:
    settings = settings_for(world.root)
    trust_file = settings.trust_file
    take_snapshot(world, verifier, http)
    verifier.close()
    offline_desk(world, verifier.clock).close()  # opens offline from its snapshot
    assert trusted_record_file(trust_file).exists()
    trust_file.unlink()
    before = files(settings.home)
    with pytest.raises(Error) as caught:
        offline_desk(world, verifier.clock)
    assert TRUST_FILE_LOST.matches(caught.value), caught.value
    assert str(trust_file) in caught.value.message and "forget-checkpoint" in caught.value.message
    assert files(settings.home) == before
    result = CliRunner().invoke(
        app, ["verifier", "forget-checkpoint", "--data-dir", str(world.root)]
    )
    assert result.exit_code == 0, result.output
    offline_desk(world, verifier.clock).close()


def test_sync_records_the_desk_s_trust(
    world: World, verifier: Verifier, http: httpx.BaseTransport, tmp_path: Path
) -> None:
    trust_file = tmp_path / "checkpoint"  # a desk that trusted nothing before its first sync
    settings = settings_for(world.root)
    sync(
        ledger_url=settings.ledger_url,
        vkey=checkpoint_key(settings),
        trust_file=trust_file,
        desk=verifier.desk.did,
        policies=list(verifier.policies.values()),
        status_lists=[],
        clock=verifier.clock,
        transport=http,
    )
    assert trust_file.exists() and trusted_record_file(trust_file).exists()
