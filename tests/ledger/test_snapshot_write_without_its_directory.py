"""A snapshot written where its directory is gone fails before its temporary file exists: the
failure is ``state_snapshot_invalid`` (the clean-up of a temporary that was never made does
not fail in its place), and nothing is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from ledger import snapshot as snapshots
from tests.ledger.conftest import World
from tests.ledger.test_snapshot_writes import parts


def test_a_snapshot_whose_directory_is_gone(world: World, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    path = gone / snapshots.FILE
    with pytest.raises(Error) as exc:
        snapshots.write(path, *parts(world))
    assert exc.value.code == "state_snapshot_invalid"
    assert "cannot write the snapshot" in exc.value.message
    assert not gone.exists()
