"""A primary and a hot standby (streaming replication, synchronous, both on loopback): a
ledger reader on the standby serves over HTTP, and every answer it gives verifies against
the sequencer's checkpoint; then the primary is stopped, the standby promoted, and a new
sequencer on it continues the same log, nothing acknowledged lost and no fork."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.errors import LEDGER_DATABASE_STANDBY
from ledger.sequencer import SEQUENCER_URL, Reader
from ledger.settings import LedgerSettings
from ledger.setup import initialize, open_ledger
from tests.ledger.conftest import Clock, World
from tests.ledger.pg import Standby, rows
from tests.postgres import Cluster

# Seconds the standby may take to replay what the primary committed (loopback: far less).
CATCH_UP: Final = 60


@pytest.fixture
def primary() -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def standby(primary: Cluster) -> Iterator[Standby]:
    replica = Standby(primary)
    replica.start()
    yield replica
    replica.remove()


def until(check: object, what: str) -> None:
    deadline = time.monotonic() + CATCH_UP
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def create_tx(world: World) -> tuple[Identity, str]:
    who = Identity.create()
    now = world.clock.now
    endorsement = world.governance.endorse(who.did, "agency", ledger=world.origin, now=now)
    return who, who.create_tx(role="agency", endorsement=endorsement, ledger=world.origin, now=now)


def test_a_reader_on_a_standby_then_failover_continues_the_same_log(
    tmp_path: Path, primary: Cluster, standby: Standby
) -> None:
    name = primary.create_database()
    clock = Clock(int(time.time()))
    genesis = initialize(tmp_path, clock=clock, database_url=primary.url(name))
    sequencer = open_ledger(tmp_path, clock=clock, database_url=primary.url(name))
    world = World(tmp_path, genesis, sequencer, clock)
    # Synchronous replication: a commit returns once the standby has it, so nothing the
    # sequencer acknowledged can be missing from the standby when it is promoted.
    with primary.admin() as admin:
        admin.execute("ALTER SYSTEM SET synchronous_standby_names = 'standby'")
        admin.execute("SELECT pg_reload_conf()")
    until(
        lambda: rows(primary.url(), "SELECT sync_state FROM pg_stat_replication") == [("sync",)],
        "the standby to stream synchronously",
    )
    dids = []
    for _ in range(5):
        who, text = create_tx(world)
        sequencer.submit(text)
        dids.append(who.did)
    sequencer.store.put_meta(SEQUENCER_URL, "http://127.0.0.1:1")

    with pytest.raises(Error) as refused:  # a sequencer never writes to a standby
        open_ledger(tmp_path, database_url=standby.url(name))
    assert LEDGER_DATABASE_STANDBY.matches(refused.value)

    reader = Reader(standby.url(name))
    reader.start_following(every=0.05)
    app = create_app(LedgerSettings(data_dir=tmp_path / "reader"), ledger=reader)
    with serving(app, free_port()) as url:
        client = LedgerClient(url, genesis.vkey, trust_file=tmp_path / "trusted")
        try:
            for _ in range(3):  # written on the primary, then read from the standby
                who, text = create_tx(world)
                sequencer.submit(text)
                dids.append(who.did)
            until(lambda: reader.size == sequencer.size, "the reader to follow")
            assert reader.checkpoint == sequencer.checkpoint
            assert client.checkpoint().size == sequencer.size
            assert httpx.get(f"{url}/checkpoint").text == sequencer.checkpoint
            for did in dids:
                # Verified by the client: inclusion, signatures, the state map (latest).
                assert client.resolve(did).seq == sequencer.state.record(did).current.seq
            answer = httpx.post(f"{url}/transactions", json={"transaction": create_tx(world)[1]})
            assert answer.status_code == 403
            assert answer.json()["error"] == "ledger_reader_only"
            assert answer.json()["details"] == {"sequencer": "http://127.0.0.1:1"}
        finally:
            client.close()
    acknowledged = sequencer.checkpoint
    # The primary goes (as a crash would take it), the standby is promoted.
    sequencer.close()
    primary.kill()
    standby.promote()
    until(
        lambda: rows(standby.url(name), "SELECT pg_is_in_recovery()") == [(False,)],
        "the standby to become a primary",
    )
    after = open_ledger(tmp_path, clock=clock, database_url=standby.url(name))
    try:
        old = open_checkpoint(acknowledged, NoteVerifier(genesis.vkey), origin=genesis.origin)
        assert after.size == old.size  # nothing acknowledged lost
        assert after.root(old.size) == old.root  # the same log: no fork
        who, text = create_tx(world)
        world.ledger = after
        after.submit(text)
        new = open_checkpoint(after.checkpoint, NoteVerifier(genesis.vkey), origin=genesis.origin)
        assert new.size == old.size + 1
        assert after.state.record(who.did).current.seq == old.size
        # The reader, now on the promoted standby, follows the new sequencer.
        until(lambda: reader.size == new.size, "the reader to follow the new sequencer")
        assert reader.checkpoint == after.checkpoint
        assert reader.consistency_proof(old.size) == after.consistency_proof(old.size)
    finally:
        after.close()
        reader.close()
