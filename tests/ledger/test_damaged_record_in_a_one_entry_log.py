"""On a one-entry log with a damaged record, ``audit`` once said "ok: 0 entries". The
genesis is covered by the checkpoint signed at ``init``: audit fails, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.audit import AuditFailure, audit
from ledger.setup import initialize
from tests.ledger.faults import flip


def test_audit_is_not_ok_on_a_damaged_genesis(tmp_path: Path) -> None:
    initialize(tmp_path)
    flip(tmp_path / "ledger" / "log.dat", 50)
    with pytest.raises(AuditFailure) as info:
        audit(tmp_path / "ledger")
    assert info.value.seq == 0 and info.value.code == "store_corrupt"


def test_audit_works_on_a_read_only_copy(tmp_path: Path) -> None:
    initialize(tmp_path)
    directory = tmp_path / "ledger"
    for path in [*directory.iterdir(), directory]:
        path.chmod(0o500 if path.is_dir() else 0o400)
    try:
        assert audit(directory).checkpoint_verified
    finally:
        for path in [directory, *directory.iterdir()]:
            path.chmod(0o700 if path.is_dir() else 0o600)
