"""A desk's snapshot file that is not one ``sync`` wrote is one refusal with its code
(``snapshot_invalid``), never a traceback: deep nesting, wrong types, bytes that are not
UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from tests import odd_files
from verifier.snapshot import Snapshot

NOT_A_SNAPSHOT = {
    "nested past the parser's depth": b"[" * 200_000 + b"]" * 200_000,
    "not utf-8": b"\xff\xfe{}",
    "an exchange that is a number": b'{"format": "civicid-verifier-snapshot/1", "exchanges": [1]}',
    "not an object": b"[]",
}


@pytest.mark.parametrize("content", NOT_A_SNAPSHOT)
def test_a_file_sync_did_not_write_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "snapshot.json"
    path.write_bytes(NOT_A_SNAPSHOT[content])
    with pytest.raises(Error) as caught:
        Snapshot.load(path)
    assert caught.value.code == "snapshot_invalid"
    assert path.read_bytes() == NOT_A_SNAPSHOT[content]


@pytest.mark.parametrize("kind", odd_files.KINDS)
def test_a_snapshot_that_is_no_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    """Before, a named pipe held the desk's start (or ``check --offline``) for ever, and
    ``/dev/zero`` (its size 0 to the check made first) was read until the memory ran out."""
    path = tmp_path / "snapshot.json"
    odd_files.put(path, kind)
    with pytest.raises(Error) as caught:
        Snapshot.load(path)
    assert caught.value.code == "snapshot_invalid"
    assert "not a regular file" in caught.value.message
