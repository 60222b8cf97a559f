"""``ClerkHolds`` on both stores: the ops after it are written only while the clerk's row is
still the one its key was verified against (its id, key hash, name, creation time and scopes);
any of them changed, or the row gone, is ``clerk_changed`` with nothing written. Scopes the
row spells another way (older writers, or a hand) are compared as what they mean."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from civicid.errors import Error
from issuer.records import Clerk, ListRecord
from issuer.store import DB_FILE, ClerkHolds, IssuerStore, PutClerk, PutList, SqliteStore

CLERK = Clerk(
    id="c1", name="alice", scopes=("issue", "status"), key_hash="$argon2id$h", created=1_780_000_000
)
LIST = ListRecord(number=1, uri="https://issuer.example/status/1", size=16, bits=1, created=1)


class Stored:
    """A store holding ``CLERK``, and a way to change its row behind the store's back."""

    def __init__(self, store: IssuerStore, change: object) -> None:
        self.store = store
        self.change = change

    def set(self, sql: str, *params: object) -> None:
        """Run ``sql`` (``?`` marks) on the clerk's row as another process would."""
        if isinstance(self.change, Path):
            db = sqlite3.connect(self.change)
            db.execute(sql, params)
            db.commit()
            db.close()
        else:
            with psycopg.connect(str(self.change)) as conn:
                conn.execute(sql.replace("?", "%s").replace("clerks", "issuer.clerks"), params)

    def lists(self) -> list[int]:
        return [r.number for r in self.store.lists()]


@pytest.fixture(params=["sqlite", "postgres"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stored]:
    if request.param == "sqlite":
        store: IssuerStore = SqliteStore(tmp_path, create=True)
        change: object = tmp_path / DB_FILE
    else:
        from issuer.pg_store import PgStore

        change = request.getfixturevalue("database_url")
        store = PgStore(str(change), create=True)
    store.write([PutClerk(CLERK)])
    yield Stored(store, change)
    store.close()


def test_a_clerk_as_verified_lets_its_write_through(stored: Stored) -> None:
    stored.store.write([ClerkHolds(CLERK), PutList(LIST)])
    assert stored.lists() == [1]


def test_scopes_spelled_another_way_are_the_same_scopes(stored: Stored) -> None:
    stored.set("UPDATE clerks SET scopes = ? WHERE id = ?", '[ "issue","status" ]', CLERK.id)
    stored.store.write([ClerkHolds(CLERK), PutList(LIST)])
    assert stored.lists() == [1]


@pytest.mark.parametrize(
    ("sql", "values"),
    [
        ("UPDATE clerks SET key_hash = ? WHERE id = ?", ("$argon2id$other",)),
        ("UPDATE clerks SET name = ? WHERE id = ?", ("mallory",)),
        ("UPDATE clerks SET created = ? WHERE id = ?", (CLERK.created + 1,)),
        ("UPDATE clerks SET scopes = ? WHERE id = ?", ('["issue"]',)),
        ("UPDATE clerks SET scopes = ? WHERE id = ?", ('["issue", "status", "admin"]',)),
        ("DELETE FROM clerks WHERE id = ?", ()),
    ],
    ids=["key", "name", "created", "fewer-scopes", "more-scopes", "removed"],
)
def test_a_clerk_changed_since_its_key_was_verified_stops_the_write(
    stored: Stored, sql: str, values: tuple[object, ...]
) -> None:
    stored.set(sql, *values, CLERK.id)
    with pytest.raises(Error) as caught:
        stored.store.write([ClerkHolds(CLERK), PutList(LIST)])
    assert caught.value.code == "clerk_changed"
    assert stored.lists() == []  # nothing of the write
