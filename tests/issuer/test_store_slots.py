"""``slots(number)`` on both stores: exactly list ``number``'s indexes, each with its
credential's status, whatever other lists a credential's copies are on and however their
numbers and indexes share digits (list 1 beside lists 11 and 21, index 1 beside list 1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.errors import Error
from issuer.records import Issued
from issuer.store import IssuerStore, PutIssued, SqliteStore


def issued(n: int, status: int, *slots: tuple[int, int]) -> Issued:
    return Issued(
        id=f"i{n}",
        offer=f"o{n}",
        record="r",
        configuration="c",
        vct="v",
        iat=1,
        exp=2,
        status=status,
        slots=tuple(sorted(slots)),
        clerk="k",
        changed=1,
    )


CREDENTIALS = [
    issued(1, 0, (1, 11)),
    issued(2, 1, (11, 1)),
    issued(3, 2, (2, 1), (21, 3)),
    issued(4, 1, (1, 5), (1, 21), (11, 7)),
    issued(5, 0, (111, 1)),
    issued(6, 0),  # no copies on a list
]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IssuerStore]:
    if request.param == "sqlite":
        made: IssuerStore = SqliteStore(tmp_path, create=True)
    else:
        from issuer.pg_store import PgStore

        made = PgStore(str(request.getfixturevalue("database_url")), create=True)
    made.write([PutIssued(i) for i in CREDENTIALS])
    yield made
    made.close()


def test_a_list_read_alone_holds_its_own_slots_only(store: IssuerStore) -> None:
    everything = store.slots_by_list()
    assert sorted(store.slots(1)) == [(5, 1), (11, 0), (21, 1)]
    assert sorted(store.slots(11)) == [(1, 1), (7, 1)]
    assert sorted(store.slots(21)) == [(3, 2)]
    assert sorted(store.slots(111)) == [(1, 0)]
    assert list(store.slots(3)) == []
    for number in (1, 2, 11, 21, 111):
        assert sorted(store.slots(number)) == sorted(everything[number])


def test_an_index_another_process_holds_is_never_handed_out_twice(database_url: str) -> None:
    """On PostgreSQL the slots table's key claims each index once: a second credential on a
    slot another process wrote first is a conflict, nothing of it written; the same issuance
    written again (its slots already its own) is not."""
    from issuer.pg_store import PgStore

    first, second = PgStore(database_url, create=True), PgStore(database_url)
    try:
        first.write([PutIssued(issued(1, 0, (1, 5), (1, 9)))])
        with pytest.raises(Error) as caught:
            second.write([PutIssued(issued(2, 0, (1, 7), (1, 9)))])
        assert caught.value.code == "issuer_store_conflict"
        assert second.issued("i2") is None
        assert sorted(second.slots(1)) == [(5, 0), (9, 0)]
        second.write([PutIssued(issued(1, 0, (1, 5), (1, 9)))])  # written again: still its own
        assert second.counts()["slots"] == 2
    finally:
        first.close()
        second.close()
