"""The ledger on PostgreSQL: one sequencer writes (an advisory lock), readers follow its
checkpoints, and every guarantee of the file store holds: nothing acknowledged is lost, a
damaged or rolled-back log is refused, never signed over, and a sequencer killed between the
database commit and its checkpoint is followed by one that signs what was committed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from civicid.checkpoint import Checkpoint, NoteSigner, NoteVerifier, open_checkpoint
from civicid.cosignature import attach_cosignatures
from civicid.db import DATABASE_LOST, DATABASE_SCHEMA_OLDER, DATABASE_UNREACHABLE
from civicid.errors import Error
from civicid.identity import Identity
from civicid.statemap import extension_line
from cli.harness import serving
from ledger.app import create_app
from ledger.errors import (
    CHECKPOINT_MISMATCH,
    LEDGER_EXISTS,
    LEDGER_KEY_MISMATCH,
    LEDGER_NOT_INITIALIZED,
    LEDGER_READER_ONLY,
    LEDGER_SEQUENCER_RUNNING,
    STORE_CORRUPT,
    STORE_FAILED,
    STORE_TRUNCATED,
)
from ledger.log import Ledger, View
from ledger.pg_store import PgLogStore
from ledger.sequencer import SEQUENCER_URL, Reader, refresh_snapshot
from ledger.settings import LedgerSettings
from ledger.setup import Paths, initialize, load_signer, open_ledger
from tests.ledger.conftest import Clock, World
from tests.ledger.pg import SequencerProcess, execute, rows
from tests.ledger.test_cli import civicid
from tests.postgres import Cluster, free_port


@pytest.fixture
def pg_world(tmp_path: Path, database_url: str) -> Iterator[World]:
    # The real time: sequencers in processes of their own judge entries by their own clock.
    clock = Clock(int(time.time()))
    genesis = initialize(tmp_path, clock=clock, database_url=database_url)
    ledger = open_ledger(tmp_path, clock=clock, database_url=database_url)
    world = World(tmp_path, genesis, ledger, clock)
    world.url = database_url  # type: ignore[attr-defined]
    yield world
    world.ledger.close()


def create_tx(world: World) -> str:
    who = Identity.create()
    endorsement = world.governance.endorse(
        who.did, "agency", ledger=world.origin, now=world.clock.now
    )
    return who.create_tx(
        role="agency", endorsement=endorsement, ledger=world.origin, now=world.clock.now
    )


def test_an_acknowledged_entry_is_committed_and_a_reader_serves_it(
    pg_world: World, database_url: str
) -> None:
    agency = pg_world.register("agency")
    assert rows(database_url, "SELECT count(*) FROM ledger.entries") == [(2,)]
    reader = Reader(database_url)
    try:
        assert reader.view.size == 2
        assert reader.checkpoint == pg_world.ledger.checkpoint
        assert reader.state.record(agency.did).current.seq == 1
    finally:
        reader.close()


def test_a_reader_follows_each_new_checkpoint_once_it_checks(
    pg_world: World, database_url: str
) -> None:
    reader = Reader(database_url)
    try:
        assert reader.follow() is False  # nothing new
        agency = pg_world.register("agency")
        assert reader.follow() is True
        assert (reader.size, reader.checkpoint) == (
            pg_world.ledger.size,
            pg_world.ledger.checkpoint,
        )
        assert reader.state.record(agency.did).current.seq == 1
        assert reader.inclusion_proof(1) == pg_world.ledger.inclusion_proof(1)
    finally:
        reader.close()


def test_a_reader_refuses_writes_naming_the_sequencer(pg_world: World, database_url: str) -> None:
    pg_world.ledger.store.put_meta(SEQUENCER_URL, "http://127.0.0.1:8000")
    reader = Reader(database_url)
    try:
        with pytest.raises(Error) as refused:
            reader.submit(create_tx(pg_world))
        assert LEDGER_READER_ONLY.matches(refused.value)
        assert refused.value.details == {"sequencer": "http://127.0.0.1:8000"}
        assert "http://127.0.0.1:8000" in refused.value.message
    finally:
        reader.close()
    assert rows(database_url, "SELECT count(*) FROM ledger.entries") == [(1,)]


def test_a_second_sequencer_is_refused_with_its_code(pg_world: World, database_url: str) -> None:
    with pytest.raises(Error) as refused:
        open_ledger(pg_world.root, database_url=database_url)
    assert LEDGER_SEQUENCER_RUNNING.matches(refused.value)
    assert "127.0.0.1" in refused.value.message


def test_two_sequencers_racing_one_writes(tmp_path: Path, database_url: str) -> None:
    initialize(tmp_path, database_url=database_url)
    outcomes: list[Ledger | Error] = []
    start = threading.Barrier(2)

    def race() -> None:
        start.wait()
        try:
            outcomes.append(open_ledger(tmp_path, database_url=database_url))
        except Error as exc:
            outcomes.append(exc)

    racers = [threading.Thread(target=race) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    opened = [o for o in outcomes if isinstance(o, Ledger)]
    refused = [o for o in outcomes if isinstance(o, Error)]
    for ledger in opened:
        ledger.close()
    assert len(opened) == 1
    assert [LEDGER_SEQUENCER_RUNNING.matches(e) for e in refused] == [True]


def test_a_waiting_sequencer_takes_over_when_the_first_is_killed(
    pg_world: World, database_url: str
) -> None:
    pg_world.ledger.close()
    first = SequencerProcess(pg_world.root, database_url)
    assert first.first == "open 1"
    assert first.submit(create_tx(pg_world)) == "ok 1"
    taken: list[Ledger] = []
    waiting = threading.Thread(
        target=lambda: taken.append(open_ledger(pg_world.root, database_url=database_url, wait=60))
    )
    waiting.start()
    waiting.join(1.0)
    assert not taken  # the first still holds the lock
    first.kill()
    waiting.join(60)
    pg_world.ledger = taken[0]
    assert pg_world.ledger.size == 2
    pg_world.ledger.submit(create_tx(pg_world))
    assert pg_world.ledger.size == 3


def test_kill_9_between_the_commit_and_the_checkpoint_then_the_restart_signs_what_was_committed(
    pg_world: World, database_url: str
) -> None:
    pg_world.register("agency")
    before = pg_world.ledger.checkpoint
    pg_world.ledger.close()
    stopped = SequencerProcess(pg_world.root, database_url, "before-checkpoint")
    assert stopped.first == "open 2"
    assert stopped.submit(create_tx(pg_world)) == "committed, checkpoint not written"
    stopped.kill()
    assert rows(database_url, "SELECT count(*) FROM ledger.entries") == [(3,)]
    assert rows(database_url, "SELECT size FROM ledger.checkpoint") == [(2,)]
    reader = Reader(database_url)  # a reader sees only what a checkpoint covers
    assert reader.size == 2
    pg_world.ledger = open_ledger(pg_world.root, database_url=database_url)
    assert pg_world.ledger.size == 3
    vkey = pg_world.genesis.vkey
    old = open_checkpoint(before, NoteVerifier(vkey), origin=pg_world.origin)
    new = open_checkpoint(pg_world.ledger.checkpoint, NoteVerifier(vkey), origin=pg_world.origin)
    assert new.size == 3
    assert pg_world.ledger.root(old.size) == old.root  # the old checkpoint is a prefix: no fork
    assert rows(database_url, "SELECT size FROM ledger.checkpoint") == [(3,)]
    assert reader.follow() is True and reader.size == 3
    reader.close()


def test_a_log_missing_entries_a_checkpoint_covers_is_refused(
    pg_world: World, database_url: str
) -> None:
    pg_world.register("agency")
    pg_world.register("agency")
    pg_world.ledger.close()
    execute(database_url, "DELETE FROM ledger.entries WHERE seq = 2")
    with pytest.raises(Error) as refused:
        open_ledger(pg_world.root, database_url=database_url)
    assert STORE_TRUNCATED.matches(refused.value)
    with pytest.raises(Error) as refused_reader:
        Reader(database_url)
    assert STORE_TRUNCATED.matches(refused_reader.value)


def test_a_damaged_entry_is_refused_never_served(pg_world: World, database_url: str) -> None:
    agency = pg_world.register("agency")
    pg_world.ledger.close()
    execute(database_url, "UPDATE ledger.entries SET leaf = leaf || 'x'::bytea WHERE seq = 1")
    execute(database_url, "DELETE FROM ledger.snapshot")
    with pytest.raises(Error) as refused:
        open_ledger(pg_world.root, database_url=database_url)
    assert STORE_CORRUPT.matches(refused.value)
    assert refused.value.details == {"seq": 1}
    assert agency.did  # the entry stays as found: nothing was signed over it
    assert rows(database_url, "SELECT size FROM ledger.checkpoint") == [(2,)]


def test_a_reader_never_takes_a_checkpoint_that_does_not_check(
    pg_world: World, database_url: str
) -> None:
    reader = Reader(database_url)
    try:
        pg_world.register("agency")
        served = reader.view
        execute(
            database_url, "UPDATE ledger.checkpoint SET note = replace(note, 'ledger', 'ledgex')"
        )
        with pytest.raises(Error) as refused:
            reader.follow()
        assert CHECKPOINT_MISMATCH.matches(refused.value)
        assert reader.view is served
    finally:
        reader.close()


def test_a_reader_does_not_go_back_to_an_older_checkpoint(
    pg_world: World, database_url: str
) -> None:
    first = pg_world.ledger.checkpoint
    pg_world.register("agency")
    reader = Reader(database_url)
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("UPDATE ledger.checkpoint SET size = 1, note = %s", (first,))
        with pytest.raises(Error) as refused:
            reader.follow()
        assert CHECKPOINT_MISMATCH.matches(refused.value)
        assert reader.size == 2
    finally:
        reader.close()


def test_a_reader_starts_from_the_snapshot_the_sequencer_keeps(
    pg_world: World, database_url: str
) -> None:
    for _ in range(3):
        pg_world.register("agency")
    pg_world.ledger.close()  # closing writes the snapshot
    pg_world.ledger = open_ledger(pg_world.root, database_url=database_url)
    reader = Reader(database_url)
    try:
        assert reader.snapshot_size == 4
        assert reader.state.statemap.root == pg_world.ledger.state.statemap.root
    finally:
        reader.close()


def test_the_database_unreachable_at_start_is_one_line_naming_the_host(tmp_path: Path) -> None:
    url = f"postgresql://postgres:secret@127.0.0.1:{free_port()}/ledger"
    with pytest.raises(Error) as refused:
        Reader(url)
    assert DATABASE_UNREACHABLE.matches(refused.value)
    assert "127.0.0.1" in refused.value.message
    assert "\n" not in refused.value.message and "secret" not in refused.value.message


def test_a_connection_lost_mid_request_is_retryable_and_the_next_write_goes_on(
    pg_world: World, database_url: str
) -> None:
    execute(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'",
    )
    cut = create_tx(pg_world)
    with pytest.raises(Error) as refused:
        pg_world.ledger.submit(cut)
    assert DATABASE_LOST.matches(refused.value)
    assert rows(database_url, "SELECT count(*) FROM ledger.entries") == [(1,)]
    assert rows(database_url, "SELECT size FROM ledger.checkpoint") == [(1,)]
    receipt = pg_world.ledger.submit(cut)  # the retry: the sequencer reopened by itself
    assert (receipt.seq, pg_world.ledger.size) == (1, 2)
    assert rows(database_url, "SELECT size FROM ledger.checkpoint") == [(2,)]


def test_init_refuses_a_database_that_holds_a_ledger(
    pg_world: World, tmp_path: Path, database_url: str
) -> None:
    pg_world.ledger.close()  # no sequencer running: the database itself says no
    with pytest.raises(Error) as refused:
        initialize(tmp_path / "other", database_url=database_url)
    assert LEDGER_EXISTS.matches(refused.value)
    assert not (tmp_path / "other" / "keys").exists()


def test_a_reader_of_a_database_without_a_ledger_says_so(database_url: str) -> None:
    with pytest.raises(Error) as refused:
        Reader(database_url)  # no tables at all: a reader never creates them
    assert DATABASE_SCHEMA_OLDER.matches(refused.value)
    PgLogStore(database_url).close()  # a sequencer's open creates them, but writes nothing
    with pytest.raises(Error) as empty:
        Reader(database_url)
    assert LEDGER_NOT_INITIALIZED.matches(empty.value)


def test_a_database_restart_costs_the_write_it_cuts_not_a_restart_of_the_ledger(
    postgres: Cluster, pg_world: World, database_url: str
) -> None:
    reader = Reader(database_url)
    try:
        postgres.restart()
        text = create_tx(pg_world)
        try:
            pg_world.ledger.submit(text)
        except Error as exc:  # the write the restart cut: retryable, and retried
            assert DATABASE_LOST.matches(exc)
            pg_world.ledger.submit(text)
        assert pg_world.ledger.size == 2
        assert reader.follow() is True
        assert reader.checkpoint == pg_world.ledger.checkpoint
    finally:
        reader.close()


def test_a_reader_that_cannot_take_the_newest_checkpoint_says_so_on_health(
    pg_world: World, database_url: str
) -> None:
    reader = Reader(database_url)
    reader.start_following(every=0.05)
    app = create_app(LedgerSettings(data_dir=pg_world.root / "reader"), ledger=reader)
    try:
        with serving(app, free_port()) as url:
            assert httpx.get(f"{url}/health").json()["status"] == "ok"
            execute(database_url, "UPDATE ledger.checkpoint SET note = note || 'x'")
            deadline = time.monotonic() + 30
            while reader.behind is None and time.monotonic() < deadline:
                time.sleep(0.05)
            health = httpx.get(f"{url}/health").json()
            assert (health["status"], health["treeSize"]) == ("behind", 1)
            assert httpx.get(f"{url}/checkpoint").text == reader.checkpoint  # the last checked
    finally:
        reader.close()


def test_readers_serve_the_checkpoint_witnesses_cosigned_and_refuse_a_forged_one(
    pg_world: World, database_url: str
) -> None:
    sequencer = pg_world.ledger
    reader = Reader(database_url)
    try:
        pg_world.register("agency")
        assert reader.follow() is True
        signed = sequencer.signed
        body, _, _ = signed.checkpoint.partition("\n\n")
        line = NoteSigner.generate("witness.example/w1").sign(body + "\n").split("\n\n")[1]
        cosigned = attach_cosignatures(signed.checkpoint, [line])
        pg_world.register("agency")  # the signed checkpoint moves on; the quorum lags
        sequencer.serve(View(signed.size, cosigned, signed.statemap))
        assert reader.follow() is True
        assert (reader.checkpoint, reader.size, reader.signed.size) == (cosigned, 2, 3)
        assert reader.checkpoint == sequencer.checkpoint  # as the sequencer serves it
        served = reader.view
        execute(database_url, "UPDATE ledger.served SET size = 3, note = note || ''")
        with pytest.raises(Error) as refused:
            reader.follow()
        assert CHECKPOINT_MISMATCH.matches(refused.value)
        assert reader.view is served
    finally:
        reader.close()


def forged(world: World, size: int) -> str:
    """A checkpoint this ledger's own key signs of ``size`` entries over another tree root:
    what a sequencer gone wrong (or a key thief) would write."""
    signer = load_signer(Paths(world.root))
    root = bytes(32)
    extensions = (extension_line(bytes(32)),)
    return signer.sign_checkpoint(
        Checkpoint(origin=world.origin, size=size, root=root, extensions=extensions)
    )


def write_checkpoint(url: str, size: int, note: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE ledger.checkpoint SET size = %s, note = %s", (size, note))


def test_a_reader_refuses_a_checkpoint_of_its_size_over_another_log(
    pg_world: World, database_url: str
) -> None:
    reader = Reader(database_url)
    try:
        served = reader.view
        write_checkpoint(database_url, 1, forged(pg_world, 1))
        with pytest.raises(Error) as refused:
            reader.follow()
        assert CHECKPOINT_MISMATCH.matches(refused.value)
        assert "another log" in refused.value.message
        assert reader.view is served
    finally:
        reader.close()


def test_a_reader_stops_following_when_the_entries_are_not_the_ones_signed(
    pg_world: World, database_url: str
) -> None:
    reader = Reader(database_url)
    try:
        pg_world.register("agency")
        served = reader.view
        write_checkpoint(database_url, 2, forged(pg_world, 2))
        with pytest.raises(Error) as refused:
            reader.follow()
        assert CHECKPOINT_MISMATCH.matches(refused.value)
        assert reader.view is served  # never served
    finally:
        reader.close()


def test_a_checkpoint_row_whose_size_is_not_its_notes_is_refused(
    pg_world: World, database_url: str
) -> None:
    pg_world.register("agency")
    pg_world.ledger.close()
    execute(database_url, "UPDATE ledger.checkpoint SET size = 1")
    with pytest.raises(Error) as refused:
        Reader(database_url)
    assert STORE_CORRUPT.matches(refused.value)


def test_a_sequencer_never_signs_below_a_larger_checkpoint_in_the_database(
    pg_world: World, database_url: str
) -> None:
    execute(database_url, "UPDATE ledger.checkpoint SET size = 100")
    with pytest.raises(Error) as refused:
        pg_world.register("agency")
    assert STORE_FAILED.matches(refused.value)
    assert "another writer" in refused.value.message
    assert rows(database_url, "SELECT size FROM ledger.checkpoint") == [(100,)]


def test_a_snapshot_beside_the_running_sequencer_is_where_readers_start(
    pg_world: World, database_url: str
) -> None:
    for _ in range(3):
        pg_world.register("agency")
    before = Reader(database_url)
    before.close()
    assert before.snapshot_size == 1  # the one init's close wrote
    code, out, _ = civicid(
        "ledger", "snapshot", "--data-dir", str(pg_world.root), "--database-url", database_url,
        "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out) == {"size": 4}
    reader = Reader(database_url)
    try:
        assert reader.snapshot_size == 4
        assert reader.state.statemap.root == pg_world.ledger.state.statemap.root
    finally:
        reader.close()
    with pytest.raises(Error) as refused:  # another ledger's key: no snapshot readers refuse
        refresh_snapshot(database_url, NoteSigner.generate(pg_world.origin))
    assert LEDGER_KEY_MISMATCH.matches(refused.value)
