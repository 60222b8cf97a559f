"""The desk's ``verifier.db`` removed or replaced while the desk runs: SQLite would go on
committing decisions, spent nonces and audit records into the file it opened, which no
restart finds (the next start says the store is missing, and a replayed presentation's nonce
is no longer spent). Each commit first asks whether the path still names the file opened: a
write is refused ``verifier_store_failed`` naming the path, and ``/health/ready`` answers 503
``service_not_ready`` with that code."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from civicid.errors import Error
from tests.issuer.test_readiness import assert_not_ready, ready_answer
from tests.verifier.loopback import serve_desk
from tests.verifier.world import Clock, World
from verifier.errors import VERIFIER_STORE_FAILED
from verifier.store import Store

NOW = 1_780_000_000


def _removed(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink(missing_ok=True)


def _replaced(path: Path) -> None:
    copy = path.with_name(path.name + ".restored")
    shutil.copyfile(path, copy)
    os.replace(copy, path)


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "removed": (_removed, "is gone"),
    "replaced": (_replaced, "is another file than the one this process opened"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_nothing_more_is_committed(tmp_path: Path, change: str) -> None:
    path = tmp_path / "verifier.db"
    store = Store(path)
    try:
        store.use_nonce("first", NOW)
        edit, why = CHANGES[change]
        edit(path)
        with pytest.raises(Error) as raised:
            store.use_nonce("second", NOW)
        assert VERIFIER_STORE_FAILED.matches(raised.value), raised.value
        assert f"{path} {why}" in raised.value.message
        assert "removed or replaced while the desk ran" in raised.value.message
        with pytest.raises(Error) as raised:
            store.require_file()
        assert VERIFIER_STORE_FAILED.matches(raised.value), raised.value
    finally:
        store.close()


def test_the_store_as_opened_takes_writes(tmp_path: Path) -> None:
    store = Store(tmp_path / "verifier.db")
    try:
        store.require_file()
        store.use_nonce("first", NOW)
        store.use_nonce("second", NOW)
    finally:
        store.close()


def test_readiness_says_so(world: World, desk_clock: Clock) -> None:
    with serve_desk(world, desk_clock) as desk:
        assert ready_answer(desk.url, 200).json() == {"status": "ready"}
        store = desk.verifier.store
        assert isinstance(store, Store)
        _removed(store.path)
        answer = ready_answer(desk.url, 503)
        assert_not_ready(answer, "is gone")
        assert "[verifier_store_failed]" in answer.text
