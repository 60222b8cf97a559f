"""A snapshot file cut right after its note's length field, before any byte of the note: it
is a snapshot whose note is truncated (its magic line and length are whole), refused as such
with ``state_snapshot_invalid``, and no size is known from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from ledger import snapshot as snapshots

ORIGIN = "ledger.example/snapshot-cut"
VKEY = NoteSigner.generate(ORIGIN).vkey()


@pytest.mark.parametrize("length", [1, 200, snapshots.MAX_NOTE_BYTES])
def test_cut_after_the_notes_length(tmp_path: Path, length: int) -> None:
    path = tmp_path / snapshots.FILE
    path.write_bytes(snapshots.MAGIC + snapshots.NOTE_LENGTH.pack(length))
    with pytest.raises(Error) as info:
        snapshots.read(path, vkey=VKEY, origin=ORIGIN)
    assert info.value.code == "state_snapshot_invalid"
    assert "signed note is damaged or truncated" in info.value.message
    assert snapshots.signed_size(path, vkey=VKEY, origin=ORIGIN) is None
