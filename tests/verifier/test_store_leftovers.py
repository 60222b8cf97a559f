"""What is found at the desk's path and beside it: another program's SQLite database is no
desk store (refused, untouched: the desk once wrote its tables into it), and a store a desk
was making when it crashed (``verifier.db.<pid>.<random>.new``) is removed on the next open,
once no process holds it and it is older than a store takes to make; a desk still making
one keeps it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from civicid.errors import Error
from verifier import store_file
from verifier.store import Store

NOW = 1_780_000_000
OLD = NOW - int(store_file.LEFTOVER_AGE_SECONDS)  # exactly as old as a leftover must be
# A desk killed (no clean-up, no finally) while it makes its store: just before linking it.
CRASH_WHILE_MADE = (
    "import os, pathlib, sys\n"
    "from verifier import store_file\n"
    "from verifier.store import Store\n"
    "store_file.os.link = lambda src, dst: os._exit(9)\n"
    "Store(pathlib.Path(sys.argv[1]))\n"
)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_file.time, "time", lambda: float(NOW))


def leftover(path: Path, name: str, *, age: int = NOW - OLD) -> Path:
    made = path.with_name(f"{path.name}.{name}.new")
    made.write_bytes(b"SQLite format 3\x00 half made")
    os.utime(made, ns=((NOW - age) * 10**9, (NOW - age) * 10**9))
    return made


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "verifier.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE requests (x)")  # even one of the desk's table names
        db.commit()
    before = path.read_bytes()
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_damaged"
    assert caught.value.message == (
        f"{path} holds no desk store and was left as it is: restore it from a backup, or move"
        " it away to start the desk's records afresh"
    )
    assert path.read_bytes() == before
    assert names(tmp_path) == ["verifier.db"]


def test_a_store_left_half_made_by_a_crash_is_removed_on_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "desk" / "verifier.db"
    path.parent.mkdir()
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_WHILE_MADE, str(path)], capture_output=True, timeout=60
    )
    assert crashed.returncode == 9, crashed.stderr
    [left] = path.parent.glob("verifier.db.*.new")  # nothing at the path, this beside it
    assert names(path.parent) == [left.name]
    Store(path).close()  # a moment later: it may be another desk's, still at work
    assert names(path.parent) == sorted(["verifier.db", left.name])
    os.utime(left, (OLD, OLD))
    Store(path).close()  # a minute later, and nobody holds it: a crash's
    assert names(path.parent) == ["verifier.db"]


def test_only_leftovers_nobody_holds_and_old_enough_are_removed(
    tmp_path: Path, frozen: None
) -> None:
    path = tmp_path / "verifier.db"
    Store(path).close()
    crashed = [leftover(path, f"{pid}.0a1b2c3d") for pid in (11, 12, 13)]
    older = leftover(path, "14.0a1b2c3d", age=NOW)
    recent = [leftover(path, f"{pid}.0a1b2c3d", age=NOW - OLD - 1) for pid in (21, 22)]
    held = [leftover(path, f"{pid}.0a1b2c3d") for pid in (31, 32)]
    kept = [
        leftover(path.with_name("verifier.db-other"), "41.0a1b2c3d"),  # another file's
        leftover(tmp_path / "issuer.db", "42.0a1b2c3d"),
    ]
    not_ours = tmp_path / "verifier.db.7.0a1b2c3d.old"
    not_ours.write_bytes(b"")
    os.utime(not_ours, (OLD, OLD))
    locks = [os.open(p, os.O_RDONLY) for p in held]
    try:
        for fd in locks:
            fcntl.flock(fd, fcntl.LOCK_EX)  # a desk still making its store
        Store(path).close()
    finally:
        for fd in locks:
            os.close(fd)
    for gone in [*crashed, older]:
        assert not gone.exists(), gone.name
    for there in [*recent, *held, *kept, not_ours]:
        assert there.exists(), there.name
    Store(path).close()  # their makers ended: the held ones go now
    assert names(tmp_path) == sorted(
        ["verifier.db", not_ours.name, *(p.name for p in [*recent, *kept])]
    )


def test_a_store_named_with_glob_characters_finds_only_its_own(
    tmp_path: Path, frozen: None
) -> None:
    path = tmp_path / "desk[1]*.db"
    Store(path).close()
    own = leftover(path, "11.0a1b2c3d")
    other = leftover(tmp_path / "desk1x.db", "12.0a1b2c3d")  # what the pattern unescaped matches
    Store(path).close()
    assert not own.exists()
    assert other.exists()


def test_a_damaged_store_leaves_the_leftovers_beside_it_too(tmp_path: Path, frozen: None) -> None:
    path = tmp_path / "verifier.db"
    path.write_bytes(b"")
    left = leftover(path, "11.0a1b2c3d")
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_damaged"
    assert names(tmp_path) == sorted(["verifier.db", left.name])


def test_the_store_being_made_is_held_until_it_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    path = tmp_path / "verifier.db"
    link = os.link
    seen: list[bool] = []

    def while_made(src: str, dst: str) -> None:
        fd = os.open(src, os.O_RDONLY)
        try:
            os.utime(src, (OLD, OLD))  # however long it took: it is still being made
            store_file.remove_leftovers(path)
            seen.append(Path(src).exists())
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        link(src, dst)

    monkeypatch.setattr(store_file.os, "link", while_made)
    Store(path).close()
    assert seen == [True]
    assert names(tmp_path) == ["verifier.db"]


def in_order(monkeypatch: pytest.MonkeyPatch, first: Path) -> None:
    """The folder listed with ``first`` ahead of the rest (a listing's order is the file
    system's): what is skipped must not end the clean-up of what follows."""
    glob = Path.glob

    def listed(self: Path, pattern: str) -> list[Path]:
        found = sorted(glob(self, pattern), key=lambda p: p != first)
        return found if first in found else [first, *found]

    monkeypatch.setattr(Path, "glob", listed)


def test_a_leftover_still_held_does_not_stop_the_clean_up_of_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    path = tmp_path / "verifier.db"
    Store(path).close()
    held = leftover(path, "31.0a1b2c3d")
    crashed = leftover(path, "11.0a1b2c3d")
    in_order(monkeypatch, held)
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        store_file.remove_leftovers(path)
    finally:
        os.close(fd)
    assert held.exists()
    assert not crashed.exists()


def test_a_leftover_gone_before_it_is_opened_does_not_stop_the_clean_up_of_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    path = tmp_path / "verifier.db"
    Store(path).close()
    gone = path.with_name("verifier.db.21.0a1b2c3d.new")  # listed, then removed by its maker
    crashed = leftover(path, "11.0a1b2c3d")
    in_order(monkeypatch, gone)
    store_file.remove_leftovers(path)
    assert not crashed.exists()


def test_two_desks_removing_the_same_leftover_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    path = tmp_path / "verifier.db"
    Store(path).close()
    first = leftover(path, "11.0a1b2c3d")
    second = leftover(path, "12.0a1b2c3d")
    flock = fcntl.flock

    def the_other_desk_first(fd: int, operation: int) -> None:
        for made in (first, second):  # the other desk took and removed it a moment before
            with contextlib.suppress(FileNotFoundError):
                if os.fstat(fd).st_ino == made.stat().st_ino:
                    made.unlink()
        flock(fd, operation)

    monkeypatch.setattr(store_file.fcntl, "flock", the_other_desk_first)
    store_file.remove_leftovers(path)
    assert names(tmp_path) == ["verifier.db"]
