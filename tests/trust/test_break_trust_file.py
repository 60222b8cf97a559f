"""A client's trust file (the newest checkpoint it accepted, kept to refuse a ledger rolled
back) damaged on disk: one error naming the file, with its code, and the file left as it is
for the person to restore; never a traceback, never a silent fresh start."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Error
from civicid.ledger_client import MAX_TRUST_FILE_BYTES, LedgerClient

ORIGIN = "example.org/ledger"
UNREACHABLE = "http://127.0.0.1:9"  # never asked: the trust file is read when the client is made


def signed(signer: NoteSigner) -> bytes:
    return signer.sign_checkpoint(Checkpoint(ORIGIN, 3, b"\x07" * 32)).encode()


DAMAGE = {
    "empty": lambda note: b"",
    "cut in half": lambda note: note[: len(note) // 2],
    "not utf-8": lambda note: note[:5] + b"\xff" + note[6:],
    "a flipped signature": lambda note: note[:-10] + bytes([note[-10] ^ 1]) + note[-9:],
    "past its bound": lambda note: note + b"\n" * MAX_TRUST_FILE_BYTES,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_trust_file_is_one_error_naming_it(tmp_path: Path, damage: str) -> None:
    signer = NoteSigner.generate(ORIGIN)
    path = tmp_path / "checkpoint"
    LedgerClient(UNREACHABLE, signer.vkey(), trust_file=path).close()  # none yet: fine
    path.write_bytes(DAMAGE[damage](signed(signer)))
    kept = path.read_bytes()
    with pytest.raises(Error) as caught:
        LedgerClient(UNREACHABLE, signer.vkey(), trust_file=path)
    assert caught.value.code == "trust_file_invalid"
    assert str(path) in caught.value.message
    assert path.read_bytes() == kept


def test_an_intact_trust_file_is_read(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    path = tmp_path / "checkpoint"
    path.write_bytes(signed(signer))
    client = LedgerClient(UNREACHABLE, signer.vkey(), trust_file=path)
    assert client.trusted is not None and client.trusted.size == 3
    client.close()


def test_a_trust_file_of_another_ledger_says_the_key_differs(tmp_path: Path) -> None:
    """Not damage: the file is intact and signed, by a key other than the one given (a
    monitor's data directory pointed at another ledger, or a mistyped key)."""
    path = tmp_path / "checkpoint"
    path.write_bytes(signed(NoteSigner.generate(ORIGIN)))
    kept = path.read_bytes()
    with pytest.raises(Error) as caught:
        LedgerClient(UNREACHABLE, NoteSigner.generate(ORIGIN).vkey(), trust_file=path)
    assert caught.value.code == "note_unknown_key"
    assert str(path) in caught.value.message and "another key" in caught.value.message
    assert path.read_bytes() == kept
