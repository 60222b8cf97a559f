"""The sealed store: passphrases, damage, locking, and nothing readable on disk."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from civicid.encoding import b64url_encode
from civicid.errors import Error
from tests.wallet.conftest import NOW, OTHER_PASSPHRASE, PASSPHRASE, Ticker, made_up
from wallet.holder import vault
from wallet.holder.history import Presentation
from wallet.holder.vault import strength_hint
from wallet.holder.wallet import Wallet
from wallet.settings import WalletSettings


def fingerprint(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` with the hash of its bytes."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def refused(settings: WalletSettings, code: str, action: object) -> Error:
    """Run ``action``; it must raise ``code`` and leave every file as it was."""
    before = fingerprint(settings.data_dir)
    with pytest.raises(Error) as info:
        action()  # type: ignore[operator]
    assert info.value.code == code, info.value
    assert fingerprint(settings.data_dir) == before
    return info.value


def test_records_survive_close_and_reopen(wallet: Wallet, settings: WalletSettings) -> None:
    held = made_up()
    wallet.add(held)
    wallet.close()
    with Wallet.open(settings, PASSPHRASE) as again:
        assert again.credential(held.id) == held
        assert again.credential(held.id[:4]) == held  # a unique prefix is enough


def test_wrong_passphrase_is_refused_and_nothing_touched(
    wallet: Wallet, settings: WalletSettings
) -> None:
    wallet.add(made_up())
    wallet.close()
    refused(
        settings, "wallet_passphrase_wrong", lambda: Wallet.open(settings, "not the passphrase")
    )
    Wallet.open(settings, PASSPHRASE).close()


def test_missing_wallet_names_init(settings: WalletSettings) -> None:
    with pytest.raises(Error) as info:
        Wallet.open(settings, PASSPHRASE)
    assert info.value.code == "wallet_not_found"
    assert "civicid wallet init" in info.value.message


def test_weak_passphrase_creates_nothing(settings: WalletSettings) -> None:
    with pytest.raises(Error) as info:
        Wallet.create(settings, "short")
    assert info.value.code == "wallet_passphrase_weak"
    assert not settings.store_path.exists()
    assert strength_hint("short").startswith("too short")
    assert strength_hint("four random common words") == "strong"


def test_init_twice_is_refused(wallet: Wallet, settings: WalletSettings) -> None:
    wallet.add(made_up())
    wallet.close()
    refused(settings, "wallet_exists", lambda: Wallet.create(settings, PASSPHRASE))


def test_one_program_at_a_time(wallet: Wallet, settings: WalletSettings) -> None:
    refused(settings, "wallet_in_use", lambda: Wallet.open(settings, PASSPHRASE))


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    header_end = data.index(b"\n")
    if how == "flip ciphertext":
        middle = (header_end + len(data)) // 2
        data = data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
    elif how == "truncate ciphertext":
        data = data[: len(data) - 7]
    elif how == "truncate header":
        data = data[: header_end // 2]
    elif how == "header only":
        data = data[: header_end + 1]
    elif how == "empty":
        data = b""
    elif how == "nonce altered":
        header = json.loads(data[:header_end])
        header["nonce"] = b64url_encode(bytes(12))
        data = json.dumps(header, separators=(",", ":")).encode() + data[header_end:]
    elif how == "kdf weakened":
        header = json.loads(data[:header_end])
        header["kdf"]["memory_kib"] = 1024
        data = json.dumps(header, separators=(",", ":")).encode() + data[header_end:]
    elif how == "garbage":
        data = b"\x00\xff" * 500
    path.write_bytes(data)


@pytest.mark.parametrize(
    "how",
    [
        "flip ciphertext",
        "truncate ciphertext",
        "truncate header",
        "header only",
        "empty",
        "nonce altered",
        "kdf weakened",
        "garbage",
    ],
)
def test_damaged_store_names_restore_and_is_not_overwritten(
    wallet: Wallet, settings: WalletSettings, how: str
) -> None:
    wallet.add(made_up())
    wallet.close()
    damage(settings.store_path, how)
    error = refused(settings, "wallet_store_corrupt", lambda: Wallet.open(settings, PASSPHRASE))
    assert "civicid wallet restore" in error.message
    assert str(settings.store_path) in error.message


def test_newer_format_version_is_refused(wallet: Wallet, settings: WalletSettings) -> None:
    wallet.close()
    data = settings.store_path.read_bytes()
    settings.store_path.write_bytes(data.replace(b'"version":1', b'"version":9', 1))
    refused(settings, "wallet_store_unsupported", lambda: Wallet.open(settings, PASSPHRASE))


def test_change_passphrase(wallet: Wallet, settings: WalletSettings) -> None:
    held = made_up()
    wallet.add(held)
    refused(
        settings,
        "wallet_passphrase_wrong",
        lambda: wallet.change_passphrase("not the passphrase", OTHER_PASSPHRASE),
    )
    refused(settings, "wallet_passphrase_weak", lambda: wallet.change_passphrase(PASSPHRASE, "x"))
    salt_before = json.loads(settings.store_path.read_bytes().split(b"\n")[0])["kdf"]["salt"]
    wallet.change_passphrase(PASSPHRASE, OTHER_PASSPHRASE)
    wallet.add(made_up())  # still writable under the new key
    wallet.close()
    salt_after = json.loads(settings.store_path.read_bytes().split(b"\n")[0])["kdf"]["salt"]
    assert salt_after != salt_before
    refused(settings, "wallet_passphrase_wrong", lambda: Wallet.open(settings, PASSPHRASE))
    with Wallet.open(settings, OTHER_PASSPHRASE) as again:
        assert again.credential(held.id) == held
        assert len(again.credentials()) == 2


def test_idle_wallet_locks_itself(wallet: Wallet, ticker: Ticker) -> None:
    held = made_up()
    wallet.add(held)
    ticker.now += wallet.settings.idle_timeout - 1
    assert wallet.credential(held.id) == held  # use resets the timer
    ticker.now += wallet.settings.idle_timeout - 1
    assert not wallet.check_idle()
    ticker.now += 2
    with pytest.raises(Error) as info:
        wallet.credentials()
    assert info.value.code == "wallet_locked"
    assert wallet.locked and wallet._store is None  # the key and the records are dropped
    with pytest.raises(Error) as info:
        wallet.unlock("not the passphrase")
    assert info.value.code == "wallet_passphrase_wrong"
    wallet.unlock(PASSPHRASE)
    assert wallet.credential(held.id) == held


def test_a_failed_write_leaves_the_wallet_as_on_disk(
    wallet: Wallet, settings: WalletSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = made_up()
    wallet.add(kept)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vault, "write_private", disk_full)
    before = fingerprint(settings.data_dir)
    with pytest.raises(Error) as info:
        wallet.add(made_up())
    assert info.value.code == "wallet_store_write_failed"
    assert fingerprint(settings.data_dir) == before
    assert [c.id for c in wallet.credentials()] == [kept.id]  # not the one that failed
    monkeypatch.undo()
    wallet.add(made_up())
    assert len(wallet.credentials()) == 2


def test_nothing_readable_on_disk(wallet: Wallet, settings: WalletSettings) -> None:
    """Known claims, private keys and history entries appear in no file, in clear or in the
    encodings a credential carries them in."""
    claims = {"given_name": "Zephyrine", "family_name": "Quaxworthy", "birthdate": "1971-02-03"}
    held = made_up(claims)
    wallet.add(held)
    entry = Presentation(
        id="h1",
        at=NOW,
        verifier="did:civicid:desk7desk7desk7desk7desk7desk7de",
        client_id="decentralized_identifier:did:civicid:desk7desk7desk7desk7desk7desk7de",
        verifier_name="Town Hall Housing Desk",
        purpose="Housing benefit eligibility check",
        credential_id=held.id,
        copy_id=held.copies[0].id,
        vct=held.vct,
        disclosed=("given_name",),
    )
    wallet.record(entry)
    backup = settings.data_dir / "backup.civicid"
    wallet.backup(backup, OTHER_PASSPHRASE)
    wallet.close()
    secrets_ = [
        *claims.values(),
        *(copy.key["jwk"]["d"] for copy in held.copies),
        entry.verifier,
        "Town Hall Housing Desk",
        "Housing benefit",
        held.copies[0].sd_jwt.split("~")[1],
    ]
    needles = {s.encode() for s in secrets_} | {
        b64url_encode(s.encode())[:12].encode() for s in secrets_
    }
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert backup in files and settings.store_path in files
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, (path, needle)


def test_a_store_that_is_a_named_pipe_is_refused_at_once(
    wallet: Wallet, settings: WalletSettings
) -> None:
    # Read as a file, a named pipe would hang every wallet command waiting for a writer.
    wallet.close()
    settings.store_path.unlink()
    os.mkfifo(settings.store_path)
    with pytest.raises(Error) as caught:
        Wallet.open(settings, PASSPHRASE)
    assert caught.value.code == "wallet_store_corrupt"
    assert f"{settings.store_path} is not a regular file (a named pipe)" in caught.value.message
    assert "civicid wallet restore" in caught.value.message
    assert settings.store_path.is_fifo()
