"""A full disk under a client's trust file (the checkpoint, the witness policy kept beside it,
the record that one was trusted) is ``trust_file_write_failed`` naming the file, with the
stores' advice to free space: not a bare ``OSError`` (an issuer's 500 ``internal_error``).
The file keeps the older checkpoint; the client still refuses a rollback in memory, and
writes the checkpoint again once there is room."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pytest

from civicid import ledger_client
from civicid.errors import Error
from civicid.ledger_client import (
    LEDGER_ANSWER_STALE,
    TRUST_FILE_WRITE_FAILED,
    trusted_record_file,
)
from tests.civicid.test_ledger_client_trust_file_lost import client, note

ADVICE = "free space on that disk (or raise the quota), then retry"


def full_disk(full: Callable[[Path], bool]) -> Callable[[Path, bytes], None]:
    """``write_private`` as it is, except on the paths ``full`` names: ENOSPC there."""
    write = ledger_client.write_private

    def writing(path: Path, data: bytes) -> None:
        if full(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(path, data)

    return writing


def test_a_full_disk_under_the_trust_file_names_it_and_keeps_the_older(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_file = tmp_path / "checkpoint"
    with client(trust_file) as first:
        first.accept_checkpoint(note(4))
        kept = trust_file.read_text()
        monkeypatch.setattr(ledger_client, "write_private", full_disk(lambda p: p == trust_file))
        with pytest.raises(Error) as refused:
            first.accept_checkpoint(note(6))
        assert TRUST_FILE_WRITE_FAILED.matches(refused.value), refused.value
        assert refused.value.message.startswith(
            f"cannot write {trust_file}: No space left on device: {ADVICE}"
        )
        assert trust_file.read_text() == kept  # the older floor, whole
        # Held in memory: a rollback is refused in this process all the same.
        with pytest.raises(Error) as stale:
            first.accept_checkpoint(note(5))
        assert LEDGER_ANSWER_STALE.matches(stale.value)
        # The same note again is written again (not passed over as kept), once there is room.
        with pytest.raises(Error) as again:
            first.accept_checkpoint(note(6))
        assert TRUST_FILE_WRITE_FAILED.matches(again.value)
        monkeypatch.undo()
        assert first.accept_checkpoint(note(6)).size == 6
    assert trust_file.read_text() == note(6)


def test_a_full_disk_under_the_first_record_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_file = tmp_path / "checkpoint"
    record = trusted_record_file(trust_file)
    monkeypatch.setattr(ledger_client, "write_private", full_disk(lambda p: p == record))
    with client(trust_file) as first, pytest.raises(Error) as refused:
        first.accept_checkpoint(note(4))
    assert TRUST_FILE_WRITE_FAILED.matches(refused.value), refused.value
    assert refused.value.message.startswith(f"cannot write {record}: No space left on device")
    assert ADVICE in refused.value.message
    assert not record.exists()
