"""Attack of a failing disk or a mistaken script: ``log.dat`` cut short, removed or replaced
while the ledger runs. The ledger must not go on appending, signing and acknowledging entries
that no restart finds (its start-up checks see the damage only then): the next write is
refused ``store_failed`` naming ``store_corrupt``'s reason, no checkpoint is signed over it,
/health says "degraded" with the code, and a read of an entry cut off is ``store_corrupt``,
not an unexpected error."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicid.errors import Error
from ledger.app import create_app
from ledger.errors import STORE_CORRUPT, STORE_FAILED
from ledger.settings import LedgerSettings
from ledger.store import FileLogStore
from tests.ledger.conftest import World


def _cut(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _removed(path: Path) -> None:
    path.unlink()


def _replaced(path: Path) -> None:
    copy = path.with_name("log.dat.copy")
    shutil.copyfile(path, copy)  # the same bytes, another file: writes would go to the old
    os.replace(copy, path)


def _grown(path: Path) -> None:
    with path.open("ab") as out:
        out.write(b"\0" * 16)


CHANGES: dict[str, Callable[[Path], None]] = {
    "cut short": _cut,
    "removed": _removed,
    "replaced by a copy": _replaced,
    "written to by another": _grown,
}
WHY = {
    "cut short": "bytes where this ledger wrote",
    "removed": "is gone",
    "replaced by a copy": "is another file than the one this ledger opened",
    "written to by another": "bytes where this ledger wrote",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FileLogStore]:
    opened = FileLogStore(tmp_path, create=True)
    opened.append([b"entry %d" % i for i in range(4)], [bytes([i]) * 32 for i in range(4)])
    opened.sync()
    yield opened
    opened.close()


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_store_writes_nothing_more(tmp_path: Path, store: FileLogStore, change: str) -> None:
    log = tmp_path / "log.dat"
    CHANGES[change](log)
    on_disk = log.read_bytes() if log.exists() else None
    with pytest.raises(Error) as raised:
        store.append([b"another"], [b"\x09" * 32])
    assert STORE_CORRUPT.matches(raised.value), raised.value
    assert WHY[change] in raised.value.message and str(log) in raised.value.message
    assert "ledger repair --from URL" in raised.value.message
    assert store.size == 4  # nothing taken in
    assert (log.read_bytes() if log.exists() else None) == on_disk  # nothing written into it
    with pytest.raises(Error) as raised:
        store.sync()  # nor made durable and acknowledged after a write that got through
    assert STORE_CORRUPT.matches(raised.value), raised.value


def test_a_change_between_write_and_sync_is_caught(tmp_path: Path, store: FileLogStore) -> None:
    store.append([b"another"], [b"\x09" * 32])
    _cut(tmp_path / "log.dat")
    with pytest.raises(Error) as raised:
        store.sync()
    assert STORE_CORRUPT.matches(raised.value), raised.value


def test_the_store_as_it_left_it_goes_on(tmp_path: Path, store: FileLogStore) -> None:
    store.append([b"another"], [b"\x09" * 32])
    store.sync()
    assert store.size == 5 and store.read(4) == b"another"


def test_an_entry_cut_off_is_store_corrupt(tmp_path: Path, store: FileLogStore) -> None:
    os.truncate(tmp_path / "log.dat", 3)  # inside entry 0's header; entry 3 wholly gone
    for index in (0, 3):
        with pytest.raises(Error) as raised:
            store.read(index)
        assert STORE_CORRUPT.matches(raised.value), raised.value
        assert raised.value.details == {"seq": index}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_ledger_stops_and_says_so(world: World, change: str) -> None:
    world.register()
    before = world.ledger.view
    CHANGES[change](world.root / "ledger" / "log.dat")
    with pytest.raises(Error) as raised:
        world.register()
    assert STORE_FAILED.matches(raised.value), raised.value
    assert WHY[change] in raised.value.message
    assert world.ledger.view.size == before.size  # no checkpoint signed over it
    assert world.ledger.view.checkpoint == before.checkpoint
    failure = world.ledger.failure
    assert failure is not None and STORE_FAILED.matches(failure)
    with pytest.raises(Error) as raised:  # and every later write alike
        world.register()
    assert STORE_FAILED.matches(raised.value), raised.value
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        health = http.get("/health").json()
    assert (health["status"], health["code"]) == ("degraded", "store_failed"), health


def test_a_ledger_left_alone_is_ok(world: World) -> None:
    world.register()
    assert world.ledger.failure is None
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        health = http.get("/health").json()
    assert (health["status"], health["code"]) == ("ok", None), health
