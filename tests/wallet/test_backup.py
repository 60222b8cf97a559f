"""Backups: one sealed file, its own passphrase allowed, restored only into an empty wallet."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from civicid.errors import Error
from tests.wallet.conftest import OTHER_PASSPHRASE, PASSPHRASE, fast_settings, made_up
from tests.wallet.test_store import fingerprint, refused
from wallet.holder.history import Presentation
from wallet.holder.wallet import Wallet
from wallet.settings import WalletSettings

BACKUP_PASSPHRASE = "the backup has its own passphrase"


@pytest.fixture
def backup(wallet: Wallet, tmp_path: Path) -> Path:
    held = made_up()
    wallet.add(held)
    wallet.add(made_up({"resident": True}))
    wallet.record(
        Presentation(
            id="h1",
            at=1,
            verifier="did:civicid:x",
            client_id="decentralized_identifier:did:civicid:x",
            credential_id=held.id,
            copy_id=held.copies[0].id,
            vct=held.vct,
            disclosed=("given_name",),
        )
    )
    path = tmp_path / "elsewhere" / "wallet.backup"
    path.parent.mkdir()
    assert wallet.backup(path, BACKUP_PASSPHRASE) > 0
    return path


def test_backup_restores_on_another_machine(wallet: Wallet, backup: Path, tmp_path: Path) -> None:
    other = fast_settings(tmp_path / "other-machine")
    with Wallet.restore(other, backup, BACKUP_PASSPHRASE, OTHER_PASSPHRASE) as restored:
        assert restored.credentials() == wallet.credentials()
        assert restored.history() == wallet.history()
        assert restored.shown() == wallet.shown()
    with Wallet.open(other, OTHER_PASSPHRASE) as again:  # its own passphrase, not the backup's
        assert len(again.credentials()) == 2


def test_restore_into_an_existing_empty_wallet(backup: Path, tmp_path: Path) -> None:
    other = fast_settings(tmp_path / "other")
    Wallet.create(other, OTHER_PASSPHRASE).close()
    with Wallet.restore(other, backup, BACKUP_PASSPHRASE, OTHER_PASSPHRASE) as restored:
        assert len(restored.credentials()) == 2


def test_restore_refuses_a_wallet_with_credentials(
    wallet: Wallet, backup: Path, settings: WalletSettings
) -> None:
    wallet.close()
    refused(
        settings,
        "wallet_restore_not_empty",
        lambda: Wallet.restore(settings, backup, BACKUP_PASSPHRASE, PASSPHRASE),
    )


def test_backup_with_the_wrong_passphrase(backup: Path, tmp_path: Path) -> None:
    other = fast_settings(tmp_path / "other")
    with pytest.raises(Error) as info:
        Wallet.restore(other, backup, PASSPHRASE, OTHER_PASSPHRASE)
    assert info.value.code == "wallet_backup_passphrase_wrong"
    assert not other.store_path.exists()


@pytest.mark.parametrize("offset", [-1, -20, 0.5, 10])
def test_altered_backup_is_refused(backup: Path, tmp_path: Path, offset: float) -> None:
    data = bytearray(backup.read_bytes())
    header_end = data.index(b"\n")
    at = int(len(data) * offset) if isinstance(offset, float) else offset
    if at >= 0 and at < header_end:  # inside the header: flip a letter of the salt's neighbour
        at = data.index(b'"nonce":"') + 10
    data[at] ^= 0x01
    backup.write_bytes(bytes(data))
    other = fast_settings(tmp_path / "other")
    with pytest.raises(Error) as info:
        Wallet.restore(other, backup, BACKUP_PASSPHRASE, OTHER_PASSPHRASE)
    assert info.value.code == "wallet_backup_invalid"
    assert not other.store_path.exists()


def test_truncated_backup_and_a_wallet_file_are_not_backups(
    backup: Path, settings: WalletSettings, tmp_path: Path
) -> None:
    other = fast_settings(tmp_path / "other")
    truncated = tmp_path / "truncated"
    truncated.write_bytes(backup.read_bytes()[:-100])
    for path, passphrase in ((truncated, BACKUP_PASSPHRASE), (settings.store_path, PASSPHRASE)):
        with pytest.raises(Error) as info:
            Wallet.restore(other, path, passphrase, OTHER_PASSPHRASE)
        assert info.value.code == "wallet_backup_invalid", path
    assert not other.store_path.exists()
    assert fingerprint(backup.parent)  # the backup itself is untouched by reading it


def test_backup_replaces_an_older_backup_and_nothing_else(
    wallet: Wallet, backup: Path, tmp_path: Path
) -> None:
    """The backup is renamed over its path: an older backup is replaced; the wallet's own
    store, a key, any other file, a link, a named pipe or a directory is refused and left
    as it was."""
    older = backup.read_bytes()
    assert wallet.backup(backup, BACKUP_PASSPHRASE) > 0
    assert backup.read_bytes() != older
    key = tmp_path / "keys" / "agency.json"
    key.parent.mkdir()
    key.write_text('{"kty": "OKP"}')
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    link = tmp_path / "link"
    link.symlink_to(backup)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    regular = (wallet.settings.store_path, key, notes, empty)
    kept = [path.read_bytes() for path in regular]
    for target in (*regular, link, pipe, tmp_path):
        with pytest.raises(Error) as info:
            wallet.backup(target, BACKUP_PASSPHRASE)
        assert info.value.code == "wallet_backup_target_taken", target
        assert "choose another file name" in info.value.message
    assert [path.read_bytes() for path in regular] == kept
    assert link.is_symlink() and stat.S_ISFIFO(pipe.lstat().st_mode)
    assert wallet.backup(tmp_path / "new.backup", BACKUP_PASSPHRASE) > 0
