"""The desk's file as it is made and found: made in folders that do not exist yet, private
from its first byte, whole with the version it is given; a store of a newer SQLite is one that
failed (not a damaged one); a folder its owner cannot enter is made the desk's again; one made
half and removed meanwhile by someone else still opens."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from civicid.errors import Error
from verifier import store_file
from verifier.store import SCHEMA, Store


def test_a_store_in_folders_that_do_not_exist_yet_is_made(tmp_path: Path) -> None:
    path = tmp_path / "data" / "desks" / "front" / "verifier.db"
    Store(path).close()
    assert path.is_file()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_store_of_a_newer_sqlite_is_a_store_that_failed_not_a_damaged_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "verifier.db"
    Store(path).close()
    content = bytearray(path.read_bytes())
    content[44:48] = (5).to_bytes(4, "big")  # a schema format this SQLite does not know
    path.write_bytes(bytes(content))
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_failed"
    assert caught.value.message == f"cannot read {path}: unsupported file format"
    assert path.read_bytes() == bytes(content)


def test_a_folder_open_to_its_group_that_its_owner_cannot_enter_is_made_private(
    tmp_path: Path,
) -> None:
    home = tmp_path / "verifier"
    home.mkdir(mode=0o650)
    home.chmod(0o650)
    Store(home / "verifier.db").close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_the_store_being_made_is_private_from_its_first_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "verifier.db"
    link = os.link
    modes: list[int] = []

    def look(src: str, dst: str) -> None:
        modes.append(stat.S_IMODE(os.stat(src).st_mode))
        link(src, dst)

    monkeypatch.setattr(store_file.os, "link", look)
    old = os.umask(0o022)
    try:
        Store(path).close()
    finally:
        os.umask(old)
    assert modes == [0o600]


def test_a_store_is_made_whole_with_the_version_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "verifier.db"
    store_file.create(path, SCHEMA, 7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verifier.db"]  # no journal left
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchall() == [("7",)]


def test_a_store_whose_half_made_file_was_removed_meanwhile_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "verifier.db"
    link = os.link

    def then_removed(src: str, dst: str) -> None:
        link(src, dst)
        os.unlink(src)  # someone cleaning the folder by hand as the desk starts

    monkeypatch.setattr(store_file.os, "link", then_removed)
    Store(path).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verifier.db"]
