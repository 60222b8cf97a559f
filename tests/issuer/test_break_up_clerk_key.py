"""``civicid up`` keeps its clerk's API key in ``<data-dir>/stack/clerk-key``. That file
damaged or lost is one error naming it and how to get a new key (``up_clerk_key_invalid``),
never a key printed as if it worked, nor ``clerk_exists``, nor a traceback; the file and the
clerk are left as they were."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from civicid.errors import Error
from cli import stack
from issuer.setup import remove_clerk
from tests.issuer.conftest import Env


def flip_one(key: bytes) -> bytes:
    last = key.rstrip()[-1:]
    return key.rstrip()[:-1] + (b"A" if last != b"A" else b"B")


DAMAGE: dict[str, Callable[[Path], object]] = {
    "removed": lambda path: path.unlink(),
    "emptied": lambda path: path.write_bytes(b""),
    "one character changed": lambda path: path.write_bytes(flip_one(path.read_bytes())),
    "not utf-8": lambda path: path.write_bytes(b"\xff" + path.read_bytes()[1:]),
    "huge": lambda path: path.write_bytes(path.read_bytes() + b" " * (1 << 20)),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_clerk_key_file_is_one_error(env: Env, tmp_path: Path, damage: str) -> None:
    root = tmp_path / "up"
    key = stack.ensure_clerk(root, env.settings)
    assert stack.ensure_clerk(root, env.settings) == key  # kept, and checked, between runs
    path = root / stack.STATE_DIR / "clerk-key"
    DAMAGE[damage](path)
    kept = path.read_bytes() if path.exists() else None
    clerks = [c.id for c in env.store.clerks()]
    with pytest.raises(Error) as caught:
        stack.ensure_clerk(root, env.settings)
    assert caught.value.code == "up_clerk_key_invalid"
    assert str(path) in caught.value.message and "remove-clerk" in caught.value.message
    assert (path.read_bytes() if path.exists() else None) == kept
    assert [c.id for c in env.store.clerks()] == clerks


def test_a_key_whose_clerk_was_taken_away_is_replaced(env: Env, tmp_path: Path) -> None:
    root = tmp_path / "up"
    key = stack.ensure_clerk(root, env.settings)
    remove_clerk(env.settings, stack.CLERK)
    again = stack.ensure_clerk(root, env.settings)
    assert again != key
    assert env.issuer.keyring.authenticate(again).name == stack.CLERK


@pytest.mark.parametrize("kind", ["a named pipe", "a directory"])
def test_a_clerk_key_that_is_no_regular_file_is_refused_at_once(
    env: Env, tmp_path: Path, kind: str
) -> None:
    """Before, a named pipe in the key file's place held ``civicid up`` for ever, waiting for
    a writer to open it."""
    root = tmp_path / "up"
    stack.ensure_clerk(root, env.settings)
    path = root / stack.STATE_DIR / "clerk-key"
    path.unlink()
    if kind == "a named pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(Error) as caught:
        stack.ensure_clerk(root, env.settings)
    assert caught.value.code == "up_clerk_key_invalid"
    assert f"{path} is not a regular file ({kind})" in caught.value.message
    assert "remove-clerk" in caught.value.message
