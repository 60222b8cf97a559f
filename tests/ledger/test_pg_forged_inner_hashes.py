"""Attack: the snapshot a sequencer on PostgreSQL keeps, re-signed with the checkpoint key over
inner hashes that are not the log's. The re-hash after start-up finds them; from then on the
sequencer refuses every write with ``snapshot_hashes_mismatch`` without reopening (a reopen
would load the same snapshot, take writes while it re-hashed and fail the same check again).
Only another snapshot in the database (or none) is judged again, at the next write, which
waits for that verdict: a snapshot whose re-hash passes lets writes go on, another forged one
is refused with its own count and remembered in turn. A snapshot refreshed beside the
sequencer is never written over hashes its reader loaded and could not show to be the
log's."""

from __future__ import annotations

import asyncio
import copy
import pickle
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from civicid.errors import Error
from ledger import integrity, sequencer
from ledger import snapshot as snapshots
from ledger.errors import SNAPSHOT_HASHES_MISMATCH
from ledger.pg_store import PgLogStore
from ledger.sequencer import refresh_snapshot
from ledger.setup import Paths, initialize, load_signer, open_ledger
from tests.ledger.conftest import Clock, World
from tests.ledger.pg import rows
from tests.ledger.snapshots import sealed
from tests.ledger.test_forged_inner_hashes import FORGERIES
from tests.ledger.test_pg_sequencer import create_tx


class Held:
    """Snapshot bytes as a slot, to read them as the ledger does."""

    name = "held"

    def __init__(self, data: bytes) -> None:
        self.data = data

    def exists(self) -> bool:
        return True

    def read_bytes(self) -> bytes:
        return self.data


@pytest.fixture
def pg_world(tmp_path: Any, database_url: str) -> Iterator[World]:
    clock = Clock(int(time.time()))
    genesis = initialize(tmp_path, clock=clock, database_url=database_url)
    ledger = open_ledger(tmp_path, clock=clock, database_url=database_url)
    world = World(tmp_path, genesis, ledger, clock)
    for _ in range(4):  # a tree of several levels, a map with inner nodes
        world.register()
    world.ledger.close()  # closing keeps the snapshot, in the database
    yield world
    world.ledger.close()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[PgLogStore]:
    """Each store the sequencer opens from now on (a reopen opens one)."""
    stores: list[PgLogStore] = []

    class Counted(PgLogStore):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(sequencer, "PgLogStore", Counted)
    return stores


def genuine(world: World, url: str) -> bytes:
    found = rows(url, "SELECT data FROM ledger.snapshot")
    assert len(found) == 1
    return bytes(found[0][0])  # type: ignore[arg-type]


def forged(world: World, data: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """``data``'s body ``edit``ed and signed again with the ledger's own key."""
    body = snapshots.read(Held(data), vkey=world.genesis.vkey, origin=world.origin)
    edited = copy.deepcopy(body)
    edit(edited)
    raw = pickle.dumps(edited, protocol=snapshots.PICKLE_PROTOCOL)
    return sealed(raw, load_signer(Paths(world.root)), world.origin, body["size"])


def keep(url: str, content: bytes | None) -> None:
    """The database's snapshot replaced by ``content`` (None: deleted)."""
    with psycopg.connect(url, autocommit=True) as conn:
        if content is None:
            conn.execute(b"DELETE FROM ledger.snapshot")
        else:
            conn.execute(b"UPDATE ledger.snapshot SET data = %s", (content,))


def refused(world: World, details: dict[str, int]) -> None:
    """A write and an awaited write, each refused with the code and the count found."""
    for write in (
        lambda text: world.ledger.submit(text),
        lambda text: asyncio.run(world.ledger.submit_async(text)),
    ):
        with pytest.raises(Error) as caught:
            write(create_tx(world))
        assert SNAPSHOT_HASHES_MISMATCH.matches(caught.value)
        assert caught.value.details == details


def committed(url: str) -> list[tuple[object, ...]]:
    return rows(url, "SELECT count(*), max(seq) FROM ledger.entries") + rows(
        url, "SELECT size FROM ledger.checkpoint"
    )


def test_a_failed_re_hash_refuses_every_write_without_reopening(
    pg_world: World, database_url: str, opened: list[PgLogStore]
) -> None:
    keep(
        database_url,
        forged(pg_world, genuine(pg_world, database_url), FORGERIES["tree-inner-node"][0]),
    )
    pg_world.ledger = open_ledger(pg_world.root, clock=pg_world.clock, database_url=database_url)
    assert pg_world.ledger.snapshot_size == pg_world.ledger.size == 5  # every load check passed
    check = pg_world.ledger.integrity
    assert check is not None and check.wait() == integrity.FAILED
    before, opened_before = committed(database_url), len(opened)
    for _ in range(3):
        refused(pg_world, {"treeNodes": 1, "mapNodes": 0})
    assert len(opened) == opened_before  # never reopened
    assert pg_world.ledger.integrity is check
    assert committed(database_url) == before
    # A restart judges the snapshot again: the same verdict.
    pg_world.ledger.close()
    pg_world.ledger = open_ledger(pg_world.root, clock=pg_world.clock, database_url=database_url)
    check = pg_world.ledger.integrity
    assert check is not None and check.wait() == integrity.FAILED
    refused(pg_world, {"treeNodes": 1, "mapNodes": 0})
    assert committed(database_url) == before


def test_another_snapshot_is_judged_at_the_next_write(
    pg_world: World, database_url: str, opened: list[PgLogStore]
) -> None:
    data = genuine(pg_world, database_url)
    keep(database_url, forged(pg_world, data, FORGERIES["tree-inner-node"][0]))
    pg_world.ledger = open_ledger(pg_world.root, clock=pg_world.clock, database_url=database_url)
    check = pg_world.ledger.integrity
    assert check is not None and check.wait() == integrity.FAILED
    refused(pg_world, {"treeNodes": 1, "mapNodes": 0})
    before, opened_before = committed(database_url), len(opened)
    # Another forged one: reopened once, refused with its own count, then remembered.
    keep(database_url, forged(pg_world, data, FORGERIES["map-leaf-hash"][0]))
    refused(pg_world, {"treeNodes": 0, "mapNodes": 1})
    assert len(opened) == opened_before + 1
    assert pg_world.ledger.snapshot_size == 5
    check = pg_world.ledger.integrity
    assert check is not None and check.status == integrity.FAILED
    refused(pg_world, {"treeNodes": 0, "mapNodes": 1})
    assert len(opened) == opened_before + 1
    assert committed(database_url) == before
    # The snapshot as the ledger wrote it: reopened, re-hashed before the write, taken.
    keep(database_url, data)
    receipt = pg_world.ledger.submit(create_tx(pg_world))
    assert len(opened) == opened_before + 2
    check = pg_world.ledger.integrity
    assert check is not None and check.status == integrity.VERIFIED
    assert (receipt.seq, pg_world.ledger.size) == (5, 6)
    pg_world.ledger.submit(create_tx(pg_world))  # and the next, as any other
    assert len(opened) == opened_before + 2


def test_no_snapshot_at_all_lets_writes_go_on(
    pg_world: World, database_url: str, opened: list[PgLogStore]
) -> None:
    keep(
        database_url,
        forged(pg_world, genuine(pg_world, database_url), FORGERIES["map-inner-node"][0]),
    )
    pg_world.ledger = open_ledger(pg_world.root, clock=pg_world.clock, database_url=database_url)
    check = pg_world.ledger.integrity
    assert check is not None and check.wait() == integrity.FAILED
    refused(pg_world, {"treeNodes": 0, "mapNodes": 1})
    keep(database_url, None)
    opened_before = len(opened)
    receipt = pg_world.ledger.submit(create_tx(pg_world))  # replayed from the log alone
    assert len(opened) == opened_before + 1
    assert (receipt.seq, pg_world.ledger.snapshot_size, pg_world.ledger.integrity) == (5, 0, None)


def test_no_snapshot_is_refreshed_over_kept_hashes_not_the_logs(
    pg_world: World, database_url: str
) -> None:
    data = genuine(pg_world, database_url)  # of 5 entries
    pg_world.ledger = open_ledger(pg_world.root, clock=pg_world.clock, database_url=database_url)
    pg_world.register()
    pg_world.register()
    pg_world.ledger.close()  # a snapshot of 7 written
    content = forged(pg_world, data, FORGERIES["tree-inner-node"][0])
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(b"UPDATE ledger.snapshot SET data = %s, size = 5", (content,))
    with pytest.raises(Error) as caught:
        refresh_snapshot(database_url, load_signer(Paths(pg_world.root)))
    assert SNAPSHOT_HASHES_MISMATCH.matches(caught.value)
    assert caught.value.details == {"treeNodes": 1, "mapNodes": 0}
    assert rows(database_url, "SELECT size, data FROM ledger.snapshot") == [(5, content)]
    keep(database_url, data)  # the one the ledger wrote: refreshed to the log's 7
    assert refresh_snapshot(database_url, load_signer(Paths(pg_world.root))) == 7
    pg_world.ledger = open_ledger(pg_world.root, clock=pg_world.clock, database_url=database_url)
    assert pg_world.ledger.snapshot_size == 7
