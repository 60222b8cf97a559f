"""Only the roll-back check reads a snapshot's head alone: loading it reads the whole file, a
body far longer than the head included, from a file as from a database row (which has no
head to read apart), and the body comes back byte for byte as it was signed."""

from __future__ import annotations

from pathlib import Path

from ledger import snapshot as snapshots
from tests.ledger.test_snapshot_file_checks import ORIGIN, VKEY, body, filed, good_text

# A body several heads long: a head-sized read of it cuts it short and fails its digest.
PADDING = b"p" * (3 * snapshots.HEAD_BYTES)


class Row:
    """A snapshot kept in a database row: bytes read whole, no file to open."""

    name = "state snapshot row"

    def __init__(self, data: bytes) -> None:
        self.data = data

    def exists(self) -> bool:
        return True

    def read_bytes(self) -> bytes:
        return self.data


def test_a_body_longer_than_the_head_is_read_whole_from_a_file(tmp_path: Path) -> None:
    data = body(padding=PADDING)
    path = tmp_path / snapshots.FILE
    path.write_bytes(filed(data, good_text(data)))
    assert len(data) > snapshots.HEAD_BYTES
    read = snapshots.read(path, vkey=VKEY, origin=ORIGIN)
    assert read == {"format": snapshots.FORMAT, "size": 7, "padding": PADDING}


def test_a_row_is_read_whole_for_its_size_and_its_body() -> None:
    data = body(padding=PADDING)
    row = Row(filed(data, good_text(data)))
    assert snapshots.signed_size(row, vkey=VKEY, origin=ORIGIN) == 7
    assert snapshots.read(row, vkey=VKEY, origin=ORIGIN)["padding"] == PADDING
