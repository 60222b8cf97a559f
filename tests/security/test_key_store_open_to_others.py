"""Attack: a key store that group or others can read or write (a stolen or planted key).
Like ssh, a key file or key directory open to anyone but its owner is refused with
``key_permissions_open`` and the ``chmod`` that fixes it; nothing is signed or written.
Keys are created private (directory 0700, files 0600), and that is checked."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KeyStore, write_private
from tests.ledger.test_cli import civicid


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    files = [*(root / "keys").iterdir(), root / "ledger" / "log.dat"]
    return {str(p): p.read_bytes() for p in files}


def test_keys_are_created_private(data: Path) -> None:
    code, out, _ = civicid("ledger", "register", "health", "--prerotate", "--data-dir", str(data))
    assert code == 0, out
    keys = data / "keys"
    assert mode(keys) == 0o700
    names = sorted(p.name for p in keys.iterdir())
    assert names == ["governance.json", "health.json", "ledger-checkpoint.json"]
    assert all(mode(p) == 0o600 for p in keys.iterdir())


@pytest.mark.parametrize("bits", [0o640, 0o604, 0o620, 0o602, 0o666])
def test_a_key_file_open_to_others_is_refused(data: Path, bits: int) -> None:
    path = data / "keys" / "governance.json"
    os.chmod(path, bits)
    before = snapshot(data)
    code, _, err = civicid("ledger", "register", "health", "--data-dir", str(data))
    assert code == 1 and err.count("\n") == 1, err
    assert err.rstrip().endswith("[key_permissions_open]"), err
    assert f"chmod 600 {path}" in err and f"{bits:04o}" in err
    assert snapshot(data) == before and mode(path) == bits
    os.chmod(path, 0o600)  # the fix the message names
    code, out, _ = civicid("ledger", "register", "health", "--data-dir", str(data))
    assert code == 0, out


@pytest.mark.parametrize("bits", [0o750, 0o705, 0o755, 0o770, 0o777])
def test_a_key_directory_open_to_others_is_refused(data: Path, bits: int) -> None:
    keys = data / "keys"
    os.chmod(keys, bits)
    before = snapshot(data)
    for args in (("register", "health"), ("identities",), ("resolve", "governance")):
        code, _, err = civicid("ledger", *args, "--data-dir", str(data))
        assert code == 1 and err.rstrip().endswith("[key_permissions_open]"), (args, err)
        assert f"chmod 700 {keys}" in err
    assert snapshot(data) == before and mode(keys) == bits
    os.chmod(keys, 0o700)
    code, out, _ = civicid("ledger", "register", "health", "--data-dir", str(data))
    assert code == 0, out


def test_no_key_is_added_to_an_open_directory(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    os.chmod(keys, 0o755)  # noqa: S103  (the attack: a key directory others can enter)
    store = KeyStore(keys)
    with pytest.raises(Error) as info:
        store.put("health", Identity.create().to_json())
    assert info.value.code == "key_permissions_open"
    assert list(keys.iterdir()) == [] and mode(keys) == 0o755


def test_a_leftover_temporary_file_does_not_keep_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    leftover = tmp_path / ".secret.tmp"
    leftover.write_bytes(b"old")
    os.chmod(leftover, 0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600
