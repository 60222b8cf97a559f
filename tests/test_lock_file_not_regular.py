"""The lock each service holds to be the only one serving its data, found to be no regular file
(a directory, a named pipe, a link to a device): every service says the same thing
(``lock_file_invalid``, the path, what to do) and leaves what is there in place. Before, a
directory was the issuer's traceback, the witness's and the wallet's generic
``file_access_failed`` and the ledger's ``store_unavailable``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.files import hold_alone
from issuer.errors import STORE_LOCKED
from issuer.store import LOCK_FILE, SqliteStore
from ledger.store import hold_lock
from ledger.witness.state import StateStore
from tests import odd_files
from wallet.holder.store import Store

PASSPHRASE = "correct horse battery staple"


def issuer(root: Path) -> Path:
    SqliteStore(root, create=True).close()
    return root / LOCK_FILE


def ledger(root: Path) -> Path:
    os.close(hold_lock(root))
    return root / "LOCK"


def witness(root: Path) -> Path:
    StateStore(root).close()
    return root / "LOCK"


def wallet(root: Path) -> Path:
    Store.create(root / "wallet.db", PASSPHRASE).close()
    return root / "wallet.db.lock"


# Each service's opener, the lock it holds, and what the message calls who holds it.
SERVICES: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "issuer": (issuer, LOCK_FILE, "issuer"),
    "ledger": (ledger, "LOCK", "ledger"),
    "witness": (witness, "LOCK", "witness"),
    "wallet": (wallet, "wallet.db.lock", "wallet program"),
}


@pytest.mark.parametrize("kind", ["a directory", "a named pipe", "/dev/zero"])
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_lock_that_is_no_regular_file_is_told_the_same_way(
    tmp_path: Path, service: str, kind: str
) -> None:
    opener, name, holder = SERVICES[service]
    lock = tmp_path / name
    odd_files.put(lock, kind)
    with pytest.raises(Error) as caught:
        opener(tmp_path)
    assert caught.value.code == "lock_file_invalid"
    told = "a device" if kind == "/dev/zero" else kind
    assert caught.value.message == (
        f"{lock} is not a regular file ({told}): it is the lock that keeps a second {holder}"
        f" off {tmp_path}, and none can be held there. With no {holder} running, move {lock}"
        " aside, then try again"
    )
    assert lock.is_dir() == (kind == "a directory")  # left where it was
    assert lock.is_fifo() == (kind == "a named pipe")


def test_a_lock_held_elsewhere_is_the_holders_own_code(tmp_path: Path) -> None:
    held = hold_alone(tmp_path / "L", holder="issuer", in_use=STORE_LOCKED, message="busy")
    try:
        with pytest.raises(Error) as caught:
            hold_alone(tmp_path / "L", holder="issuer", in_use=STORE_LOCKED, message="busy")
        assert caught.value.code == "issuer_store_locked"
        assert caught.value.message == "busy"
    finally:
        os.close(held)
    os.close(hold_alone(tmp_path / "L", holder="issuer", in_use=STORE_LOCKED, message="busy"))
