"""The snapshot file's own checks, each taken alone: the magic line and the note's length
field, the signed note's lines (how many, the first, the origin, the size and the digest),
and the body under it (plain data, a dict of the size signed, of the format its magic line
names). Each refusal is ``state_snapshot_invalid`` with its reason; nothing here opens a
ledger."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import pytest

from civicid.checkpoint import NoteSigner
from civicid.encoding import b64_encode
from civicid.errors import Error
from ledger import snapshot as snapshots

ORIGIN = "ledger.example/snapshot-checks"
SIGNER = NoteSigner.generate(ORIGIN)
VKEY = SIGNER.vkey()
OLDER_MAGIC = next(magic for magic, found in snapshots.FORMATS.items() if found == 3)
NOTE_START = len(snapshots.MAGIC) + snapshots.NOTE_LENGTH.size


def body(size: int = 7, **more: Any) -> bytes:
    return pickle.dumps({"format": snapshots.FORMAT, "size": size, **more}, protocol=5)


def filed(data: bytes, text: str, magic: bytes = snapshots.MAGIC) -> bytes:
    """``data`` under a note signed by the ledger's key over ``text``."""
    note = SIGNER.sign(text).encode()
    return magic + snapshots.NOTE_LENGTH.pack(len(note)) + note + data


def good_text(data: bytes, size: int = 7) -> str:
    return snapshots.note_text(ORIGIN, size, hashlib.sha256(data).digest())


def refused(tmp_path: Path, content: bytes, *, note_signed: bool = False) -> str:
    """Why ``content`` is no snapshot to load; ``note_signed``: its note alone is good (a
    size is then known from it, as ``signed_size`` reads it)."""
    path = tmp_path / snapshots.FILE
    path.write_bytes(content)
    with pytest.raises(Error) as exc:
        snapshots.read(path, vkey=VKEY, origin=ORIGIN)
    assert exc.value.code == "state_snapshot_invalid"
    known = snapshots.signed_size(path, vkey=VKEY, origin=ORIGIN)
    assert known == (7 if note_signed else None)
    return str(exc.value.message)


def test_a_good_file_is_read_and_its_size_known(tmp_path: Path) -> None:
    data = body()
    path = tmp_path / snapshots.FILE
    path.write_bytes(filed(data, good_text(data)))
    assert snapshots.read(path, vkey=VKEY, origin=ORIGIN) == {"format": 4, "size": 7}
    assert snapshots.signed_size(path, vkey=VKEY, origin=ORIGIN) == 7
    assert snapshots.signed_size(tmp_path / "none", vkey=VKEY, origin=ORIGIN) is None
    other = NoteSigner.generate(ORIGIN).vkey()
    assert snapshots.signed_size(path, vkey=other, origin=ORIGIN) is None
    assert snapshots.signed_size(path, vkey=VKEY, origin=ORIGIN + "x") is None


def test_the_signed_size_is_read_from_the_head_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The roll-back check reads the magic line, the note's length and the note, never the
    body (163 MB at 1M entries, read once by the load itself)."""
    data = body(padding=b"x" * snapshots.HEAD_BYTES)
    path = tmp_path / snapshots.FILE
    path.write_bytes(filed(data, good_text(data)))
    assert snapshots._bytes(path, head=True) == path.read_bytes()[: snapshots.HEAD_BYTES]

    def whole(self: Path) -> bytes:
        raise AssertionError(f"{self.name} read whole")

    monkeypatch.setattr(Path, "read_bytes", whole)
    assert snapshots.signed_size(path, vkey=VKEY, origin=ORIGIN) == 7


def test_an_older_format_names_itself_by_its_magic_line(tmp_path: Path) -> None:
    # Format 3 did not write its format in the body: the magic line says it.
    data = pickle.dumps({"size": 7}, protocol=5)
    path = tmp_path / snapshots.FILE
    path.write_bytes(filed(data, good_text(data), OLDER_MAGIC))
    assert snapshots.read(path, vkey=VKEY, origin=ORIGIN) == {"format": 3, "size": 7}
    # The newer magic line over a body that does not say it is of that format.
    path.write_bytes(filed(data, good_text(data)))
    with pytest.raises(Error) as exc:
        snapshots.read(path, vkey=VKEY, origin=ORIGIN)
    assert "not of the format it is filed as" in exc.value.message


@pytest.mark.parametrize(
    "content",
    [
        b"",
        snapshots.MAGIC,
        snapshots.MAGIC + b"\x00\x00\x00",
        b"x" * len(snapshots.MAGIC) + b"1234",
    ],
    ids=["empty", "magic-only", "length-cut", "no-magic"],
)
def test_not_a_snapshot_or_cut_before_its_note(tmp_path: Path, content: bytes) -> None:
    assert "not a state snapshot" in refused(tmp_path, content)


def test_a_note_length_past_the_bound_is_refused_unread(tmp_path: Path) -> None:
    data = body()
    over = snapshots.MAX_NOTE_BYTES + 1
    content = snapshots.MAGIC + snapshots.NOTE_LENGTH.pack(over) + b"x" * over + data
    assert "damaged or truncated" in refused(tmp_path, content)
    # At the bound exactly, the note is read (and is no signed note).
    at = snapshots.MAX_NOTE_BYTES
    content = snapshots.MAGIC + snapshots.NOTE_LENGTH.pack(at) + b"x" * at + data
    assert "not signed by this ledger's checkpoint key" in refused(tmp_path, content)


def test_a_note_cut_short_and_one_with_no_body_after_it(tmp_path: Path) -> None:
    good = filed(b"", good_text(b""))
    assert "damaged or truncated" in refused(tmp_path, good[:-1])
    # The note whole and nothing after it: read, and the (empty) body is not plain data.
    assert "cannot be read" in refused(tmp_path, filed(b"", good_text(b"")), note_signed=True)


@pytest.mark.parametrize(
    "text",
    [
        "civicid-state-snapshot\nsize 7\norigin {origin}\nsha256 {digest}\nmore\n",  # 6 lines
        "civicid-state-snapshot\nsize 7\norigin {origin}\n",  # 4 lines
        "civicid-state-snapshoT\nsize 7\norigin {origin}\nsha256 {digest}\n",  # first line
        "civicid-state-snapshot\nsize 7\norigin {origin}x\nsha256 {digest}\n",  # origin
        "civicid-state-snapshot\nsize 7\nsha256 {digest}\norigin {origin}\n",  # order
        "{origin}\n7\n{digest}\nabc\n",  # a checkpoint's shape
    ],
)
def test_a_note_the_key_signed_that_is_not_this_ledgers_snapshot(tmp_path: Path, text: str) -> None:
    data = body()
    digest = b64_encode(hashlib.sha256(data).digest())
    content = filed(data, text.format(origin=ORIGIN, digest=digest))
    assert "not a snapshot of this ledger" in refused(tmp_path, content)


@pytest.mark.parametrize("size", ["-7", "7a", "", " 7", "0x7", "7.0"])
def test_a_signed_size_not_a_number_is_malformed(tmp_path: Path, size: str) -> None:
    data = body()
    text = good_text(data).replace("size 7\n", f"size {size}\n")
    assert "signed size is malformed" in refused(tmp_path, filed(data, text))


@pytest.mark.parametrize("digest", ["not base64!", "a", "===="])
def test_a_signed_digest_not_base64url_is_malformed(tmp_path: Path, digest: str) -> None:
    data = body()
    good = b64_encode(hashlib.sha256(data).digest())
    text = good_text(data).replace(good, digest)
    assert "signed digest is malformed" in refused(tmp_path, filed(data, text))


def test_a_body_other_than_signed(tmp_path: Path) -> None:
    data = body()
    content = filed(body(8), good_text(data))
    assert "body is not the one signed" in refused(tmp_path, content, note_signed=True)


@pytest.mark.parametrize(
    "value",
    [[7], (("size", 7),), 7, "size 7", None, {"size": 8}, {"size": 6}, {}, {"format": 4}],
    ids=repr,
)
def test_a_body_that_is_not_the_dict_of_the_size_signed(tmp_path: Path, value: object) -> None:
    data = pickle.dumps(value, protocol=5)
    content = filed(data, good_text(data))
    assert "not the one its note describes" in refused(tmp_path, content, note_signed=True)


def test_the_size_signed_is_read_as_written(tmp_path: Path) -> None:
    data = body(123_456)
    path = tmp_path / snapshots.FILE
    path.write_bytes(filed(data, good_text(data, 123_456)))
    assert snapshots.signed_size(path, vkey=VKEY, origin=ORIGIN) == 123_456
    assert snapshots.read(path, vkey=VKEY, origin=ORIGIN)["size"] == 123_456
