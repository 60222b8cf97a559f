"""A DID version superseded by a later one keeps no next-key hashes (only a head's are ever
checked), whether the state was built by replay, by the writer or from a snapshot, even one
written when superseded versions still held theirs; the head keeps its own, so the next
pre-rotated key is still the only one accepted."""

from __future__ import annotations

import pickle

from ledger import snapshot as snapshots
from ledger.setup import Paths, load_signer, open_ledger
from ledger.state import DidRecord, DidVersion
from tests.ledger.conftest import World
from tests.ledger.snapshots import answers, body_of, full_replay, populate, reopen, sealed


def rotated(world: World) -> DidRecord:
    """The agency rotated twice: three versions."""
    agency = populate(world)
    for _ in range(2):
        agency, update = agency.rotate(world.head(agency), ledger=world.origin,
                                       now=world.clock.now)  # fmt: skip
        world.ledger.submit(update)
    record = world.ledger.state.record(agency.did)
    assert len(record.versions) == 3
    return record


def held(record: DidRecord) -> list[bool]:
    return [bool(version.next_key_hashes) for version in record.versions]


def test_the_writer_and_a_replay_keep_only_the_heads(world: World) -> None:
    record = rotated(world)
    assert held(record) == [False, False, True]
    assert answers(world.ledger) == full_replay(world)


def test_loaded_from_a_snapshot_that_kept_them_all(world: World) -> None:
    record = rotated(world)
    head = record.current.next_key_hashes
    reopen(world)
    body = body_of(world)
    versions = next(entry for entry in body["dids"] if entry[0]["did"] == record.did)[1]
    versions[0] = (*versions[0][:3], head, *versions[0][4:])  # as an older writer kept them
    data = pickle.dumps(body, protocol=snapshots.PICKLE_PROTOCOL)
    signer = load_signer(Paths(world.root))
    world.ledger.close()
    (world.root / "ledger" / snapshots.FILE).write_bytes(
        sealed(data, signer, world.origin, body["size"])
    )
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == body["size"]  # the snapshot was used
    loaded = world.ledger.state.record(record.did)
    assert held(loaded) == [False, False, True]
    assert loaded.current.next_key_hashes == head
    # Only the hashes are let go: every other field of each version is as the writer kept it.
    assert loaded.versions == record.versions
    assert [len(v) for v in loaded.versions] == [len(DidVersion._fields)] * 3
