"""``civicid up``'s lock (``<data-dir>/stack/up.lock``) found unusable: one line naming what
cannot be written (``up_dir_unwritable``), the file or the folder, and nothing removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicid.errors import Error
from cli import stack
from cli.up import LOCK_FILE, only_one


@pytest.mark.parametrize("kind", ["a directory", "a named pipe"])
def test_no_regular_file_in_the_locks_place_is_named(tmp_path: Path, kind: str) -> None:
    """Before, a directory there was told as the folder ("cannot write …/stack: Is a
    directory"), which is a directory and writable, and a named pipe as "cannot write
    …/stack: None" (its open to append failed a seek)."""
    lock = tmp_path / stack.STATE_DIR / LOCK_FILE
    lock.parent.mkdir()
    if kind == "a directory":
        lock.mkdir()
    else:
        os.mkfifo(lock)
    with pytest.raises(Error) as caught, only_one(tmp_path):
        pass
    assert caught.value.code == "up_dir_unwritable"
    assert f"{lock} is not a regular file ({kind})" in caught.value.message
    assert lock.is_dir() == (kind == "a directory")


def test_a_file_in_the_folders_place_is_named(tmp_path: Path) -> None:
    folder = tmp_path / stack.STATE_DIR
    folder.write_text("not a folder")
    with pytest.raises(Error) as caught, only_one(tmp_path):
        pass
    assert caught.value.code == "up_dir_unwritable"
    assert f"cannot write {folder}:" in caught.value.message
    assert folder.read_text() == "not a folder"


def test_a_second_holder_is_told_who_runs(tmp_path: Path) -> None:
    with only_one(tmp_path) as lock:
        lock.write_text("pid 1, ledger http://127.0.0.1:1\n")
        with pytest.raises(Error) as caught, only_one(tmp_path):
            pass
    assert caught.value.code == "up_already_running"
    assert "pid 1, ledger http://127.0.0.1:1" in caught.value.message
    # And what to do about it: use that one, or stop it first.
    assert "use that one" in caught.value.message and "Ctrl-C" in caught.value.message
