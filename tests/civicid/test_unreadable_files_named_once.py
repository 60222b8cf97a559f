"""A store or key the service may not read (a restore or a ``chmod`` that left it to another
user) is told naming its path once, and why (``Permission denied``): before, the path came
twice, once more inside the operating system's own wording of the error.

Tests run as root, whom no mode bars: the file is made unreadable by refusing, as the kernel
refuses a user without the right, every opening (or status) of it."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from civicid.keystore import KeyStore
from issuer.store import DB_FILE, SqliteStore
from verifier.store import Store


def deny(monkeypatch: pytest.MonkeyPatch, name: str, path: Path) -> None:
    """``os.NAME`` of ``path`` fails with EACCES, as for a user without the right."""
    inside = str(path)
    call: Callable[..., Any] = getattr(os, name)

    def denied(target: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(target) == inside:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), inside)
        return call(target, *args, **kwargs)

    monkeypatch.setattr(os, name, denied)


def said_once(caught: pytest.ExceptionInfo[Error], path: Path, code: str) -> None:
    message = caught.value.message
    assert caught.value.code == code, caught.value
    assert message.count(str(path)) == 1, message
    assert "Permission denied" in message, message


def test_an_unreadable_issuer_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    SqliteStore(tmp_path, create=True).close()
    deny(monkeypatch, "open", tmp_path / DB_FILE)
    with pytest.raises(Error) as caught:
        SqliteStore(tmp_path)
    said_once(caught, tmp_path / DB_FILE, "issuer_store_failed")


def test_an_unreadable_desk_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "verifier.db"
    Store(path).close()
    deny(monkeypatch, "open", path)
    with pytest.raises(Error) as caught, contextlib.closing(Store(path)):
        pass
    said_once(caught, path, "verifier_store_failed")


def test_an_unreadable_key_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.put("agency", {"kty": "OKP"})
    deny(monkeypatch, "stat", keys.directory)
    with pytest.raises(Error) as caught:
        keys.get("agency")
    said_once(caught, keys.directory, "key_unreadable")


def test_an_unreadable_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = KeyStore(tmp_path / "keys")
    path = keys.put("agency", {"kty": "OKP"})
    deny(monkeypatch, "open", path)
    with pytest.raises(Error) as caught:
        keys.get("agency")
    said_once(caught, path, "key_unreadable")
