"""A file found where a SQLite store should be is that store, or the caller's damaged code
(empty, not SQLite's, SQLite's header with nonsense after it, a damaged page, a database
without the store's table), or its failed code when the file cannot be read; in every case
the file is left exactly as it was found and nothing is made beside it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest

from civicid.errors import Error, StorageError, declare
from civicid.sqlite_file import SQLITE_HEADER, refuse_damaged

DAMAGED = declare("test_sqlite_store_damaged", StorageError, "the test store is damaged")
FAILED = declare("test_sqlite_store_failed", StorageError, "the test store cannot be read")
ADVICE = "restore it from a backup"


def database(path: Path, *tables: str) -> bytes:
    with contextlib.closing(sqlite3.connect(path)) as db:
        for table in tables:
            db.execute(f"CREATE TABLE {table} (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE other (x)")
        db.commit()
    return path.read_bytes()


def check(path: Path, table: str = "meta") -> None:
    refuse_damaged(path, table, store="test store", advice=ADVICE, damaged=DAMAGED, failed=FAILED)


def refused(path: Path, table: str = "meta") -> Error:
    before = path.read_bytes()
    with pytest.raises(Error) as caught:
        check(path, table)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no journal beside
    return caught.value


def test_a_database_holding_the_stores_table_is_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    before = database(path, "meta")
    check(path)
    check(path, "other")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["store.db"]


def test_a_database_without_the_stores_table_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    database(path)  # another program's: a table named otherwise
    error = refused(path)
    assert error.code == DAMAGED.name
    assert error.message == f"{path} holds no test store and was left as it is: {ADVICE}"


def test_a_view_or_index_of_the_tables_name_is_not_the_table(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE other (x)")
        db.execute("CREATE VIEW meta AS SELECT x FROM other")
        db.commit()
    assert refused(path).code == DAMAGED.name


def test_an_empty_file_is_damaged_not_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(b"")
    error = refused(path)
    assert error.code == DAMAGED.name
    assert error.message == f"{path} is empty (0 bytes) and was left as it is: {ADVICE}"


@pytest.mark.parametrize(
    "content",
    [b"S", SQLITE_HEADER[:-1], b"SQLite format 2\x00" + bytes(200), b'{"requests": []}\n'],
    ids=["one-byte", "cut-in-the-header", "other-format", "json"],
)
def test_a_file_that_is_not_sqlites_is_damaged(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(content)
    error = refused(path)
    assert error.code == DAMAGED.name
    assert error.message == f"{path} is not a SQLite database and was left as it is: {ADVICE}"


def test_sqlites_header_with_nonsense_after_it_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(SQLITE_HEADER + b"\xff" * 84)
    error = refused(path)
    assert error.code == DAMAGED.name
    assert error.message.startswith(f"{path} is a damaged SQLite database (file is not a database)")


def test_a_damaged_page_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    content = bytearray(database(path, "meta"))
    content[100] = 0xFF  # the first page's b-tree type: none SQLite knows (SQLITE_CORRUPT)
    path.write_bytes(bytes(content))
    error = refused(path)
    assert error.code == DAMAGED.name
    assert "is a damaged SQLite database (database disk image is malformed)" in error.message


def test_a_database_of_a_newer_sqlite_failed_to_read_and_is_not_called_damaged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    content = bytearray(database(path, "meta"))
    content[44:48] = (5).to_bytes(4, "big")  # a schema format this SQLite does not know
    path.write_bytes(bytes(content))
    error = refused(path)
    assert error.code == FAILED.name
    assert error.message == f"cannot read {path}: unsupported file format"


def test_a_path_with_characters_special_in_a_uri_is_read_as_named(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    (tmp_path / "refused").mkdir()
    path = tmp_path / "kept" / "a store?mode=rwc#1%20.db"
    database(path, "meta")
    check(path)
    other = tmp_path / "refused" / "a store?mode=rwc#1%20.db"
    database(other)
    assert refused(other).code == DAMAGED.name


@pytest.mark.parametrize("kind", ["named pipe", "directory"])
def test_a_store_that_is_no_file_is_damaged_and_told_at_once(tmp_path: Path, kind: str) -> None:
    # A named pipe opened to read would wait for a writer for ever.
    path = tmp_path / "store.db"
    if kind == "named pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(Error) as caught:
        check(path)
    assert caught.value.code == DAMAGED.name
    assert caught.value.message == (
        f"{path} is not a regular file (a {kind}) and was left as it is: {ADVICE}"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["store.db"]


def test_a_link_to_a_missing_file_is_damaged_not_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.symlink_to(tmp_path / "gone.db")
    with pytest.raises(Error) as caught:
        check(path)
    assert caught.value.code == DAMAGED.name
    assert caught.value.message == (
        f"{path} is a link to {tmp_path / 'gone.db'}, which is missing and was left as it is:"
        f" {ADVICE}"
    )
    assert path.is_symlink() and not path.exists()


def test_a_store_that_cannot_be_opened_is_its_failed_code(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    path = tmp_path / "file" / "store.db"
    with pytest.raises(Error) as caught:  # under a file: neither there nor a link
        check(path)
    assert caught.value.code == FAILED.name
    assert caught.value.message.startswith(f"cannot read {path}: ")


def pages(path: Path) -> bytes:
    """A database of several pages (rows enough to need them), closed: no log beside it."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.executemany("INSERT INTO meta VALUES (?, ?)", ((str(i), "v" * 500) for i in range(40)))
        db.commit()
    return path.read_bytes()


@pytest.mark.parametrize("cut", [0.5, "one page"])
def test_a_database_cut_short_is_damaged_though_its_first_page_reads(
    tmp_path: Path, cut: float | str
) -> None:
    # Its first page (the schema) is whole: it opens, and its rows past the cut are gone.
    path = tmp_path / "store.db"
    content = pages(path)
    kept = len(content) - 4096 if cut == "one page" else int(len(content) * float(cut))
    path.write_bytes(content[:kept])
    error = refused(path)
    assert error.code == DAMAGED.name
    assert error.message == (
        f"{path} is cut short ({kept} bytes of the {len(content)} its header counts) and was"
        f" left as it is: {ADVICE}"
    )


def test_a_database_cut_short_beside_a_log_holding_its_pages_is_the_store(
    tmp_path: Path,
) -> None:
    # A crash as the log was copied back: the first page (its header counting every page)
    # written, the pages after it not yet; the log still holds them all, and SQLite reads it.
    path = tmp_path / "store.db"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA wal_autocheckpoint = 0")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.executemany("INSERT INTO meta VALUES (?, ?)", ((str(i), "v" * 500) for i in range(20)))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = path.read_bytes()
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)", ((str(i), "w" * 500) for i in range(20, 40))
        )
        log = Path(f"{path}-wal").read_bytes()
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        after = path.read_bytes()
    assert len(after) > len(before)
    path.write_bytes(after[:4096] + before[4096:])
    Path(f"{path}-wal").write_bytes(log)
    check(path)
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        assert db.execute("SELECT count(*) FROM meta").fetchone() == (40,)


def test_a_database_with_more_than_its_pages_is_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    content = pages(path)
    path.write_bytes(content + bytes(4096))  # a page written past its count: SQLite's
    check(path)
