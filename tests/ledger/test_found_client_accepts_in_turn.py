"""A client shared by threads accepts checkpoints one at a time: a newer checkpoint accepted
while another thread still checks an older one is not replaced by it, so the client never
trusts less of the log than it has seen (an older view, without a later revocation)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from civicid.checkpoint import Checkpoint
from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from tests.ledger.conftest import World
from tests.ledger.test_http import live, register_over_http

__all__ = ["live"]  # the fixture, served for this file too

# Long enough for the other thread to accept its checkpoint meanwhile.
OVERLAP_SECONDS = 2.0


@pytest.fixture
def writer(world: World, live: str) -> Iterator[LedgerClient]:
    c = LedgerClient(live, world.genesis.vkey)
    yield c
    c.close()


def test_an_older_checkpoint_checked_meanwhile_does_not_replace_a_newer_one(
    world: World, live: str, writer: LedgerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = LedgerClient(live, world.genesis.vkey)
    notes = []
    for _ in range(3):
        register_over_http(world, writer)
        notes.append(httpx.get(live + "/checkpoint").text)
    client.accept_checkpoint(notes[0])
    newer_taken = threading.Event()
    checked = LedgerClient._verify_extends

    def slow_for_the_older(self: LedgerClient, old: Checkpoint, new: Checkpoint) -> None:
        checked(self, old, new)
        if new.size < world.ledger.size:  # the older one: the newer is accepted meanwhile
            newer_taken.wait(OVERLAP_SECONDS)

    monkeypatch.setattr(LedgerClient, "_verify_extends", slow_for_the_older)
    older = threading.Thread(target=client.accept_checkpoint, args=(notes[1],))
    older.start()
    try:
        client.accept_checkpoint(notes[2])
    finally:
        newer_taken.set()
        older.join()
    assert client.trusted is not None and client.trusted.size == world.ledger.size
    with pytest.raises(Error) as stale:
        client.accept_checkpoint(notes[1])
    assert stale.value.code == "ledger_answer_stale"
    client.close()
