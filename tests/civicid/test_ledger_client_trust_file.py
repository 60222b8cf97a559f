"""The client's trust file at the edges: a file of exactly ``MAX_TRUST_FILE_BYTES`` is read
(and judged for what it holds), one byte more is refused unread; damage names why (the
reason a checkpoint was refused is kept as a detail); a checkpoint trusted is written back,
and the same note asked again only has its age checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Error
from civicid.ledger_client import MAX_TRUST_FILE_BYTES, LedgerClient

ORIGIN = "example.org/ledger"
UNREACHABLE = "http://127.0.0.1:9"  # never asked: the trust file is read when the client is made


def signed(signer: NoteSigner, origin: str = ORIGIN) -> bytes:
    return signer.sign_checkpoint(Checkpoint(origin, 3, b"\x07" * 32)).encode()


def refused(path: Path, vkey: str) -> Error:
    kept = path.read_bytes()
    with pytest.raises(Error) as caught:
        LedgerClient(UNREACHABLE, vkey, trust_file=path)
    assert path.read_bytes() == kept
    assert str(path) in caught.value.message
    return caught.value


@pytest.mark.parametrize("extra", [0, 1])
def test_a_file_at_its_bound_is_read_past_it_is_not(tmp_path: Path, extra: int) -> None:
    signer = NoteSigner.generate(ORIGIN)
    note = signed(signer)
    path = tmp_path / "checkpoint"
    path.write_bytes(note + b"\n" * (MAX_TRUST_FILE_BYTES + extra - len(note)))
    assert path.stat().st_size == MAX_TRUST_FILE_BYTES + extra
    error = refused(path, signer.vkey())
    assert error.code == "trust_file_invalid"
    if extra:
        assert f"exceeds {MAX_TRUST_FILE_BYTES} bytes" in error.message
        assert "restore it from a backup" in error.message  # what to do, as for damage
        assert error.details == {}
    else:  # read whole, and refused for what it holds
        assert "is damaged" in error.message and "exceeds" not in error.message
        assert error.details == {"reason": "note_malformed"}


def test_damage_keeps_why_the_checkpoint_was_refused(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    path = tmp_path / "checkpoint"
    path.write_bytes(signed(signer, "example.org/another-ledger"))
    error = refused(path, signer.vkey())
    assert error.code == "trust_file_invalid"
    assert error.details == {"reason": "checkpoint_origin_mismatch"}
    assert "restore it from a backup" in error.message


def test_a_file_of_another_key_is_not_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint"
    path.write_bytes(signed(NoteSigner.generate(ORIGIN)))
    error = refused(path, NoteSigner.generate(ORIGIN).vkey())
    assert error.code == "note_unknown_key"
    assert "damaged" not in error.message and "another ledger" in error.message


def test_no_file_yet_is_nothing_trusted(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    client = LedgerClient(UNREACHABLE, signer.vkey(), trust_file=tmp_path / "none")
    assert client.trusted is None and client.trusted_note is None
    assert not (tmp_path / "none").exists()
    client.close()
    client = LedgerClient(UNREACHABLE, signer.vkey())
    assert client.trusted is None
    client.close()


def test_an_intact_file_is_trusted_as_written(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    path = tmp_path / "checkpoint"
    path.write_bytes(signed(signer))
    client = LedgerClient(UNREACHABLE, signer.vkey(), trust_file=path)
    assert client.trusted == Checkpoint(ORIGIN, 3, b"\x07" * 32)
    # Loaded, not yet verified in this run: nothing is remembered as witnessed.
    assert client.witnessed is None and client.trusted_note is None
    client.close()


@pytest.mark.parametrize("kind", ["named pipe", "directory"])
def test_a_trust_file_that_is_no_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    # A named pipe would block the read for ever; a directory is damage, not a retry.
    path = tmp_path / "checkpoint"
    if kind == "named pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(Error) as caught:
        LedgerClient(UNREACHABLE, NoteSigner.generate(ORIGIN).vkey(), trust_file=path)
    assert caught.value.code == "trust_file_invalid"
    assert f"{path} is not a regular file (a {kind})" in caught.value.message
