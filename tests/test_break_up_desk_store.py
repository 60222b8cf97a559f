"""``civicid up`` on a data dir whose desk store (``verifier/verifier.db``) was lost: refused
(``up_desk_store_missing``), not a new empty store made in its place without a word (the
desk's decisions and receipts gone); a desk that never ran (no trust file yet) makes its
store as before. Starting afresh is ``--new-desk-store``, which keeps the checkpoint the desk
accepted: the advice once was to remove it, and the desk then trusted the ledger's next
checkpoint on first use."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from civicid.ledger_client import trusted_record_file
from cli import stack
from cli.harness import free_port
from verifier.settings import VerifierSettings


def test_a_lost_desk_store_is_refused(tmp_path: Path) -> None:
    store, trust_file = tmp_path / "verifier.db", tmp_path / "checkpoint"
    trust_file.write_text("a checkpoint the desk accepted\n")
    with pytest.raises(Error) as caught:
        stack.check_desk_store(tmp_path, store, trust_file)
    assert caught.value.code == "up_desk_store_missing"
    said = caught.value.message
    assert f"{store} is missing" in said and "restore the store from a backup" in said
    # Starting afresh keeps the checkpoint: the exact command, and not to remove the file.
    assert f"`civicid up --data-dir {tmp_path} --new-desk-store`" in said
    assert f"keeps {trust_file} (do not remove it" in said and "on first use" in said
    assert not store.exists()


def test_a_kept_store_is_opened(tmp_path: Path) -> None:
    store, trust_file = tmp_path / "verifier.db", tmp_path / "checkpoint"
    trust_file.write_text("a checkpoint the desk accepted\n")
    store.write_bytes(b"")
    stack.check_desk_store(tmp_path, store, trust_file)


class Opened:
    """``Verifier.open`` as far as ``ensure_verifier`` needs it (no ledger asked)."""

    @classmethod
    def open(cls, settings: object) -> Opened:
        return cls()

    def close(self) -> None:
        pass


def set_up_desk(root: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    import verifier.service

    monkeypatch.setattr(verifier.service, "Verifier", Opened)
    ledger = SimpleNamespace(vkey=NoteSigner.generate("example.org/ledger").vkey())
    stack.ensure_verifier(root, ledger, "http://127.0.0.1:9", 8702)  # type: ignore[arg-type]
    return ledger


def test_a_desk_whose_settings_file_was_lost_keeps_its_own_policies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lost verifier.toml was a first run: the example policies were copied over the desk's
    # own, which it then served as if they were its own.
    ledger = set_up_desk(tmp_path, monkeypatch)
    settings = VerifierSettings.load(tmp_path)
    edited = settings.policies_path / "age-check.toml"
    edited.write_text(edited.read_text().replace("Age check (18+)", "Over-18 check, as edited"))
    kept = {p.name: p.read_bytes() for p in settings.policies_path.iterdir()}
    (tmp_path / "verifier.toml").unlink()
    stack.ensure_verifier(tmp_path, ledger, "http://127.0.0.1:9", 8702)  # type: ignore[arg-type]
    assert {p.name: p.read_bytes() for p in settings.policies_path.iterdir()} == kept
    assert (tmp_path / "verifier.toml").exists()  # written again


def test_a_lost_desk_store_is_refused_with_its_settings_file_lost_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = set_up_desk(tmp_path, monkeypatch)
    settings = VerifierSettings.load(tmp_path)
    settings.trust_file.write_text("a checkpoint the desk accepted\n")
    (tmp_path / "verifier.toml").unlink()
    assert not settings.store_path.exists()  # never made here (Verifier.open is stubbed)
    with pytest.raises(Error) as caught:
        stack.ensure_verifier(tmp_path, ledger, "http://127.0.0.1:9", 8702)  # type: ignore[arg-type]
    assert caught.value.code == "up_desk_store_missing"
    assert not (tmp_path / "verifier.toml").exists()  # nothing written


def test_a_new_desk_store_keeps_the_checkpoint_the_desk_accepted(tmp_path: Path) -> None:
    """Through up as a person runs it: refused, then ``--new-desk-store`` makes an empty store
    where the lost one was, and the desk's record that it trusted a checkpoint is the very
    file it was (forgotten, it would be gone, and made again at the next first use)."""
    root = tmp_path / "civicid"
    ports = stack.Ports(free_port(), free_port(), free_port())
    with stack.running(root, ports):
        pass
    settings = VerifierSettings.load(root)
    record = trusted_record_file(settings.trust_file)
    before = record.stat()
    settings.store_path.unlink()
    with pytest.raises(Error) as caught, stack.running(root, ports):
        pass  # pragma: no cover
    assert caught.value.code == "up_desk_store_missing"
    assert not settings.store_path.exists()  # nothing made by the refusal
    with stack.running(root, ports, new_desk_store=True):
        assert settings.store_path.exists()
        assert settings.trust_file.exists()
        after = record.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
