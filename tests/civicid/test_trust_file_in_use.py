"""``forget-checkpoint`` is refused while a running client of that trust file is open
(``trust_file_in_use``, saying to stop it first): the running part keeps its checkpoint in
memory and would write it again at its next one, so the forget would only drop the record
that one was trusted. Clients of one trust file share its lock; once they are closed (or
their process ends), the forget goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid import trust_lock
from civicid.errors import Error
from civicid.ledger_client import forget_checkpoint_command, trusted_record_file
from civicid.trust_lock import TRUST_FILE_IN_USE, TRUST_FILE_LOCK_INVALID, lock_file
from cli.main import app
from ledger.writer import client_trust_file
from tests.civicid.test_ledger_client_trust_file_lost import SIGNER, client, note
from wallet.settings import WalletSettings

# A part that runs: it opens its client of the trust file, says so, and waits to be stopped.
RUNNING = """
import sys
from pathlib import Path
from civicid.ledger_client import LedgerClient
vkey, trust_file = sys.argv[1], Path(sys.argv[2])
client = LedgerClient("http://ledger.test", vkey, trust_file=trust_file, remember=True)
print("open", flush=True)
sys.stdin.read()
"""


@contextmanager
def running(trust_file: Path) -> Iterator[None]:
    part = subprocess.Popen(
        [sys.executable, "-c", RUNNING, SIGNER.vkey(), str(trust_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert part.stdout is not None and part.stdout.readline() == "open\n"
        yield
    finally:
        part.communicate("")  # stdin closed: it ends
    assert part.returncode == 0


def trusted(trust_file: Path) -> Path:
    with client(trust_file) as first:
        first.accept_checkpoint(note(4))
    return trust_file


def test_a_forget_is_refused_while_a_client_is_open_and_done_once_it_is_closed(
    tmp_path: Path,
) -> None:
    trust_file = trusted(tmp_path / "checkpoint")
    held = client(trust_file)
    with pytest.raises(Error) as refused:
        forget_checkpoint_command(trust_file)
    assert TRUST_FILE_IN_USE.matches(refused.value), refused.value
    assert "Stop it first" in refused.value.message and str(trust_file) in refused.value.message
    assert trust_file.exists() and trusted_record_file(trust_file).exists()  # untouched
    other = client(trust_file)  # clients of one file share it
    held.close()
    with pytest.raises(Error) as still:
        forget_checkpoint_command(trust_file)
    assert TRUST_FILE_IN_USE.matches(still.value)
    other.close()
    data, _ = forget_checkpoint_command(trust_file)
    assert data["forgotten"] is True and not trust_file.exists()


def test_a_client_that_failed_to_open_holds_nothing(tmp_path: Path) -> None:
    trust_file = trusted(tmp_path / "checkpoint")
    trust_file.unlink()  # lost: the client refuses to open
    with pytest.raises(Error):
        client(trust_file)
    data, _ = forget_checkpoint_command(trust_file)
    assert data["forgotten"] is True


def forget(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr


def test_the_wallets_forget_checkpoint_is_refused_while_it_runs(tmp_path: Path) -> None:
    trust_file = trusted(WalletSettings.load(tmp_path).trust_file)
    with running(trust_file):
        code, err = forget("wallet", "forget-checkpoint", "--data-dir", str(tmp_path))
        assert code == 1 and "[trust_file_in_use]" in err, err
        assert "stop it first" in err.lower()
        assert trust_file.exists() and trusted_record_file(trust_file).exists()
    code, err = forget("wallet", "forget-checkpoint", "--data-dir", str(tmp_path))
    assert code == 0, err
    assert not trust_file.exists() and not trusted_record_file(trust_file).exists()


def test_the_ledger_clients_forget_is_refused_while_one_runs(tmp_path: Path) -> None:
    trust_file = trusted(client_trust_file(tmp_path))
    with running(trust_file):
        code, err = forget("ledger", "forget-client-checkpoint", "--data-dir", str(tmp_path))
        assert code == 1 and "[trust_file_in_use]" in err, err
    code, err = forget("ledger", "forget-client-checkpoint", "--data-dir", str(tmp_path))
    assert code == 0, err


def damaged(lock: Path, damage: str, tmp_path: Path) -> None:
    lock.unlink()
    if damage == "directory":
        lock.mkdir()
    else:
        lock.symlink_to(tmp_path / "gone" / "lock")


@pytest.mark.parametrize("damage", ["directory", "link leading nowhere"])
def test_a_forget_beside_a_lock_none_can_take_is_refused(tmp_path: Path, damage: str) -> None:
    """A lock no client can open (a client started before it was put there holds the one it
    replaced, unseen) does not let a forget through: it would go on under a running part,
    which writes its checkpoint again."""
    trust_file = trusted(tmp_path / "checkpoint")
    lock = lock_file(trust_file)
    with client(trust_file):  # a part running, holding the lock that was there
        damaged(lock, damage, tmp_path)
        with pytest.raises(Error) as refused:
            forget_checkpoint_command(trust_file)
    assert TRUST_FILE_LOCK_INVALID.matches(refused.value), refused.value
    assert str(lock) in refused.value.message and "remove" in refused.value.message
    assert trust_file.exists() and trusted_record_file(trust_file).exists()  # untouched


@pytest.mark.parametrize("damage", ["directory", "link leading nowhere"])
def test_a_client_does_not_start_beside_a_lock_none_can_take(tmp_path: Path, damage: str) -> None:
    """It started holding no lock, so a forget-checkpoint beside it could not tell it runs:
    refused at its start, as a store's lock that is not a file (``lock_file_invalid``), saying
    which file to remove; the trust file is left as it was."""
    trust_file = trusted(tmp_path / "checkpoint")
    before = trust_file.read_bytes()
    lock = lock_file(trust_file)
    damaged(lock, damage, tmp_path)
    with pytest.raises(Error) as refused, client(trust_file):
        pass
    assert TRUST_FILE_LOCK_INVALID.matches(refused.value), refused.value
    assert f"remove {lock}, then start again" in refused.value.message
    # What is wrong with it, said first: the lock's own refusal, or the open's, naming a link.
    assert refused.value.message.startswith(
        {
            "directory": f"{lock} is not a regular file (a directory): ",
            "link leading nowhere": f"cannot open {lock} (a link): No such file or directory: ",
        }[damage]
    )
    assert trust_file.read_bytes() == before and os.path.lexists(lock)


def test_a_lock_this_user_may_not_open_is_named_as_the_os_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A regular lock file the open refuses (another user's, mode 0600: this user is denied,
    which a test run as root cannot be, so the OS's refusal is raised here as it comes)."""
    trust_file = trusted(tmp_path / "checkpoint")
    lock = lock_file(trust_file)
    lock.write_bytes(b"")

    def denied(path: Path, flags: int, code: object) -> int:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(trust_lock, "open_regular", denied)
    with pytest.raises(Error) as refused, client(trust_file):
        pass
    assert TRUST_FILE_LOCK_INVALID.matches(refused.value), refused.value
    assert refused.value.message.startswith(f"cannot open {lock}: Permission denied: ")
