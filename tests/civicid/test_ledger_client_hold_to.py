"""``LedgerClient.hold_to``: a checkpoint its owner proved and kept (a mirror's store) is the
floor of a client that trusts none, so an older one shown later is refused as stale; it is
verified as any note, replaces no checkpoint already trusted, and writes no trust file."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Error
from civicid.ledger_client import LedgerClient

ORIGIN = "example.org/ledger"
UNREACHABLE = "http://127.0.0.1:9"  # never asked: nothing here goes to the ledger


def signed(signer: NoteSigner, size: int, origin: str = ORIGIN) -> str:
    return signer.sign_checkpoint(Checkpoint(origin, size, bytes([size]) * 32))


def test_the_held_checkpoint_is_the_floor(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    trust_file = tmp_path / "checkpoint"
    with LedgerClient(UNREACHABLE, signer.vkey(), trust_file=trust_file) as client:
        client.hold_to(signed(signer, 5))
        assert client.trusted is not None and client.trusted.size == 5
        assert client.trusted_note is None and not trust_file.exists()
        with pytest.raises(Error) as info:
            client.accept_checkpoint(signed(signer, 3))
        assert info.value.code == "ledger_answer_stale"
        assert client.trusted.size == 5 and not trust_file.exists()


def test_a_note_under_another_key_is_refused_and_nothing_held() -> None:
    signer = NoteSigner.generate(ORIGIN)
    with LedgerClient(UNREACHABLE, signer.vkey()) as client:
        with pytest.raises(Error) as info:
            client.hold_to(signed(NoteSigner.generate(ORIGIN), 5))
        assert info.value.code == "note_unknown_key"
        assert client.trusted is None


def test_a_note_of_another_origin_is_refused_and_nothing_held() -> None:
    signer = NoteSigner.generate(ORIGIN)
    with LedgerClient(UNREACHABLE, signer.vkey()) as client:
        with pytest.raises(Error) as info:
            client.hold_to(signed(signer, 5, "example.org/another-ledger"))
        assert info.value.code == "checkpoint_origin_mismatch"
        assert client.trusted is None


def test_a_checkpoint_already_trusted_is_kept(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    trust_file = tmp_path / "checkpoint"
    trust_file.write_text(signed(signer, 8))
    with LedgerClient(UNREACHABLE, signer.vkey(), trust_file=trust_file) as client:
        client.hold_to(signed(signer, 5))
        assert client.trusted is not None and client.trusted.size == 8
    assert trust_file.read_text() == signed(signer, 8)
