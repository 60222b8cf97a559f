"""The desk's SQLite file: only a missing file is a new store. An empty file, one cut short
inside SQLite's header, or another program's file is refused as ``verifier_store_damaged``
and left exactly as it was (no journal beside it, its mode unchanged); a store being made is
never found half-made at its path, and of two desks making it at once each keeps the first."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from cli.main import app
from verifier import store_file
from verifier.settings import VerifierSettings
from verifier.store import PendingRequest, Store

NOW = 1_780_000_000
NOT_A_DATABASE = [
    b"",
    b"SQLite for",  # cut short inside the header
    b'{"requests": []}\n',
    b"SQLite format 2\x00" + bytes(200),
]


def request(n: int = 1) -> PendingRequest:
    return PendingRequest(
        id=f"id-{n}", state=f"state-{n}", transaction_id=f"tx-{n}", nonce=f"nonce-{n}",
        policy="p", request_object="a.b.c", created=NOW, expires=NOW + 300,
    )  # fmt: skip


@pytest.mark.parametrize("content", NOT_A_DATABASE, ids=["empty", "cut", "json", "other"])
def test_a_file_that_is_no_store_is_refused_and_left_as_it_was(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "verifier.db"
    path.write_bytes(content)
    path.chmod(0o644)
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_damaged"
    assert str(path) in caught.value.message
    assert ("empty" in caught.value.message) == (content == b"")
    assert path.read_bytes() == content
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verifier.db"]


def test_a_file_with_sqlites_header_but_no_database_after_it_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "verifier.db"
    content = store_file.SQLITE_HEADER + b"\xff" * 84  # the header, then nonsense
    path.write_bytes(content)
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_damaged"
    assert path.read_bytes() == content


def test_a_missing_file_is_a_new_store_made_whole(tmp_path: Path) -> None:
    path = tmp_path / "desk" / "verifier.db"
    store = Store(path)
    store.add_request(request())
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("1",)
    assert not list(path.parent.glob("*.new"))
    again = Store(path)  # found, not made again
    assert again.by_state("state-1").id == "id-1"
    again.close()


def test_a_store_that_fails_while_it_is_made_leaves_nothing_at_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "verifier.db"

    def crash(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(store_file.os, "link", crash)
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_failed"
    assert list(tmp_path.iterdir()) == []  # no store, and nothing of it beside
    monkeypatch.undo()
    Store(path).close()  # the next start makes it


def test_of_two_desks_making_the_store_at_once_each_keeps_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "verifier.db"
    link: Callable[[str, str], None] = os.link
    first: list[Store] = []

    def another_desk_first(src: str, dst: str) -> None:
        monkeypatch.setattr(store_file.os, "link", link)
        first.append(Store(path))  # the other desk makes its store, and uses it
        first[0].add_request(request())
        link(src, dst)

    monkeypatch.setattr(store_file.os, "link", another_desk_first)
    second = Store(path)
    assert second.by_state("state-1").id == "id-1"  # the first desk's, not a fresh one
    second.add_request(request(2))
    assert first[0].by_state("state-2").id == "id-2"
    first[0].close()
    second.close()


def test_the_command_line_says_so_in_one_line(tmp_path: Path) -> None:
    settings = VerifierSettings(data_dir=tmp_path)
    settings.rewrite()
    settings.store_path.parent.mkdir(parents=True, exist_ok=True)
    settings.store_path.write_bytes(b"")
    result = CliRunner().invoke(app, ["verifier", "audit", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert lines[0].endswith("[verifier_store_damaged]")
    assert settings.store_path.read_bytes() == b""


@pytest.mark.parametrize("kind", ["named pipe", "directory", "dangling link"])
def test_a_store_that_is_no_file_is_damaged_and_told_at_once(tmp_path: Path, kind: str) -> None:
    # A named pipe would hang the desk's start; a lost link is not "worth retrying".
    path = tmp_path / "verifier.db"
    if kind == "named pipe":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "elsewhere.db")
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_damaged"
    assert str(path) in caught.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verifier.db"]


CRASH_AFTER_A_REQUEST = (
    "import os, pathlib, sys\n"
    "from verifier.store import Store, PendingRequest\n"
    "store = Store(pathlib.Path(sys.argv[1]))\n"
    "store.add_request(PendingRequest('id-1', 'state-1', 'tx-1', 'nonce-1', 'p', 'a.b.c', 1,"
    " 2**40))\n"
    "os._exit(0)  # as kill -9: no close, the commit in the write-ahead log only\n"
)


def crashed_after_a_request(tmp_path: Path) -> Path:
    path = tmp_path / "verifier.db"
    subprocess.run([sys.executable, "-c", CRASH_AFTER_A_REQUEST, str(path)], check=True)
    assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
    return path


def test_a_store_whose_write_ahead_log_was_lost_after_a_crash_is_refused(tmp_path: Path) -> None:
    """Before, SQLite opened it without a word, every write committed since its last
    checkpoint gone: requests, decisions, their audit records and the spent nonces that
    refuse a replay."""
    path = crashed_after_a_request(tmp_path)
    Path(f"{path}-wal").unlink()
    found = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_damaged"
    assert f"{path} was not closed (its verifier.db-shm is there)" in caught.value.message
    assert "verifier.db-wal is missing" in caught.value.message
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == found


def test_a_store_found_with_its_log_after_a_crash_keeps_what_was_committed(
    tmp_path: Path,
) -> None:
    path = crashed_after_a_request(tmp_path)
    store = Store(path)
    assert store.by_state("state-1").id == "id-1"
    store.close()
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    Store(path).close()  # closed cleanly: neither file, nothing lost
