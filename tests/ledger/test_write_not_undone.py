"""A log write refused by the file system, whose undo is refused too (``log.dat`` made
read-only, immutable, or a disk remounted read-only): the write was a 500 "unexpected error"
with a traceback, the undo's failure raised over the write's. Now it is the store's own
``store_write_failed``, saying both, and the ledger answers its first submitter as every
later one, ``store_failed``, with nothing signed."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from ledger import store as store_module
from ledger.errors import STORE_FAILED, STORE_WRITE_FAILED
from ledger.store import FileLogStore
from tests.ledger.conftest import World


def refused(*_: Any) -> int:
    raise OSError(errno.EPERM, os.strerror(errno.EPERM))


def test_the_store_says_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileLogStore(tmp_path, create=True)
    try:
        monkeypatch.setattr(store_module.os, "write", refused)
        monkeypatch.setattr(store_module.os, "ftruncate", refused)
        with pytest.raises(Error) as raised:
            store.append([b"entry"], [b"\0" * 32])
        monkeypatch.undo()
        assert STORE_WRITE_FAILED.matches(raised.value), raised.value
        assert "Operation not permitted (nor undone: Operation not permitted" in (
            raised.value.message
        )
        assert raised.value.message.endswith("; nothing was acknowledged")
        assert store.size == 0
    finally:
        store.close()


def test_the_first_submitter_is_told_store_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.register()
    before = world.ledger.view
    monkeypatch.setattr(store_module.os, "write", refused)
    monkeypatch.setattr(store_module.os, "ftruncate", refused)
    with pytest.raises(Error) as raised:
        world.register()
    monkeypatch.undo()
    assert STORE_FAILED.matches(raised.value), raised.value
    assert "could not write the log" in raised.value.message
    assert world.ledger.view.checkpoint == before.checkpoint
