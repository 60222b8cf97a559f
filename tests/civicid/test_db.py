"""The PostgreSQL base every service store stands on (``civicid.db``): schema versions and
migrations, the codes for a database that cannot be reached, is lost mid-request, or holds a
newer schema, and a pool that recovers by itself after the database restarts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from civicid.db import (
    DATABASE_FAILED,
    DATABASE_LOST,
    DATABASE_SCHEMA_NEWER,
    DATABASE_SCHEMA_OLDER,
    DATABASE_UNREACHABLE,
    DATABASE_URL_INVALID,
    DOWN_WAIT,
    Database,
    Schema,
    parse_url,
)
from civicid.errors import Error
from tests.postgres import Cluster, free_port

V1 = Schema("things", ("CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",))
V2 = Schema("things", (*V1.migrations, "ALTER TABLE thing ADD COLUMN size INTEGER"))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    opened = Database(database_url, V1)
    yield opened
    opened.close()


def test_a_new_database_gets_the_schema_and_its_version(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (1, 'one')")
        versions = conn.execute("SELECT version FROM things.schema_version").fetchall()
    assert versions == [(1,)]


def test_an_older_schema_is_upgraded_and_keeps_its_rows(database_url: str) -> None:
    old = Database(database_url, V1)
    with old.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (1, 'one')")
    old.close()
    new = Database(database_url, V2)
    with new.transaction() as conn:
        rows = conn.execute("SELECT id, name, size FROM thing").fetchall()
        versions = conn.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    new.close()
    assert rows == [(1, "one", None)]
    assert versions == [(1,), (2,)]


def test_a_newer_schema_is_refused_and_left_as_it_is(database_url: str) -> None:
    Database(database_url, V2).close()
    with pytest.raises(Error) as caught:
        Database(database_url, V1)
    assert DATABASE_SCHEMA_NEWER.matches(caught.value)
    assert "version 2" in caught.value.message and "up to 1" in caught.value.message
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT max(version) FROM things.schema_version").fetchone() == (2,)


def test_a_reader_does_not_migrate_and_needs_the_current_schema(database_url: str) -> None:
    with pytest.raises(Error) as caught:
        Database(database_url, V1, migrate=False)
    assert DATABASE_SCHEMA_OLDER.matches(caught.value)
    Database(database_url, V2).close()
    with pytest.raises(Error) as newer:
        Database(database_url, V1, migrate=False)
    assert DATABASE_SCHEMA_NEWER.matches(newer.value)
    Database(database_url, V2, migrate=False).close()


def test_processes_starting_together_migrate_once(database_url: str) -> None:
    opened: list[Database] = []
    failures: list[BaseException] = []

    def start() -> None:
        try:
            opened.append(Database(database_url, V2))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for db in opened:
        db.close()
    assert failures == []
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT version FROM things.schema_version ORDER BY 1").fetchall()
    assert rows == [(1,), (2,)]


def test_unreachable_at_start_is_one_line_with_the_host_never_the_password() -> None:
    url = f"postgresql://civic:s3cret-word@127.0.0.1:{free_port()}/civic"
    with pytest.raises(Error) as caught:
        Database(url, V1, connect_timeout=2)
    assert DATABASE_UNREACHABLE.matches(caught.value)
    message = caught.value.message
    assert "127.0.0.1" in message and "\n" not in message
    assert "s3cret-word" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["mysql://x@127.0.0.1/db", "postgresql://x@127.0.0.1:notaport/db?bogus=1"]
)
def test_a_url_that_is_not_postgresql_is_refused(url: str) -> None:
    with pytest.raises(Error) as caught:
        parse_url(url)
    assert DATABASE_URL_INVALID.matches(caught.value)


def test_a_refused_statement_rolls_back_the_whole_transaction(db: Database) -> None:
    with pytest.raises(Error) as caught, db.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (1, 'one')")
        conn.execute("INSERT INTO thing VALUES (1, 'again')")
    assert DATABASE_FAILED.matches(caught.value)
    with db.transaction() as conn:
        assert conn.execute("SELECT count(*) FROM thing").fetchone() == (0,)


def test_a_connection_lost_mid_request_is_retryable_and_nothing_half_written(
    db: Database,
) -> None:
    with pytest.raises(Error) as caught, db.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (1, 'one')")
        pid = conn.info.backend_pid
        with psycopg.connect(db_url(db), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        conn.execute("INSERT INTO thing VALUES (2, 'two')")
    assert DATABASE_LOST.matches(caught.value)
    assert caught.value.http_status == 503
    with db.transaction() as conn:  # the pool replaced the dead connection
        assert conn.execute("SELECT count(*) FROM thing").fetchone() == (0,)


def test_a_database_restarted_under_load_is_used_again_without_a_restart_of_ours(
    postgres: Cluster, db: Database
) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (1, 'one')")
    postgres.restart()
    with db.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (2, 'two')")
        assert conn.execute("SELECT count(*) FROM thing").fetchone() == (2,)


def test_a_database_down_answers_lost_then_recovers(postgres: Cluster, database_url: str) -> None:
    db = Database(database_url, V1, wait=2)
    postgres.stop()
    try:
        with pytest.raises(Error) as caught, db.transaction() as conn:
            conn.execute("SELECT 1")
        assert DATABASE_LOST.matches(caught.value)
    finally:
        postgres.start()
    # As a client retrying a 503: the pool reconnects by itself within its back-off.
    deadline = time.monotonic() + 30
    while True:
        try:
            with db.transaction() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
            break
        except Error as exc:
            assert DATABASE_LOST.matches(exc), exc
            assert time.monotonic() < deadline, "the pool did not find the database again"
    db.close()


def test_a_database_known_down_is_waited_for_briefly(postgres: Cluster, database_url: str) -> None:
    """The full wait once; then, until a connection is had again, DOWN_WAIT a call: a request
    making several calls answered database_lost after a full wait at each (an issuer's offer
    took ~41 s, past its client's deadline)."""
    db = Database(database_url, V1, wait=4)
    postgres.stop()
    try:
        waited = []
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(Error) as caught, db.read() as conn:
                conn.execute("SELECT 1")
            waited.append(time.monotonic() - started)
            assert DATABASE_LOST.matches(caught.value)
        assert waited[0] >= 4 and waited[1] < 3, waited
        assert f"within {DOWN_WAIT:g} s" in caught.value.message
    finally:
        postgres.start()
    deadline = time.monotonic() + 30
    while True:  # found again, and waited for in full once more
        try:
            with db.read() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
            break
        except Error as exc:
            assert DATABASE_LOST.matches(exc), exc
            assert time.monotonic() < deadline, "the pool did not find the database again"
    assert not db._known_down
    db.close()


def db_url(db: Database) -> str:
    return str(db._url)


def test_a_connection_of_its_own_has_the_pools_session_settings(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (1, 'one')")
    own = db.connect(autocommit=True)
    try:
        found = own.execute("SELECT name FROM thing").fetchall()  # found by the search path
        commit = own.execute("SHOW synchronous_commit").fetchone()
    finally:
        own.close()
    assert found == [("one",)]
    assert commit == ("on",)
