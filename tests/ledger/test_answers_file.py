"""The plain answers rendered ahead beside the snapshot (``state.answers``) are the answers
rendered live, byte for byte, for every DID, version and option; a DID changed since the
snapshot is answered as it is now; a damaged, missing, stale or another ledger's file is
passed over (said in the log) and never gives a wrong answer."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from civicid.identity import Identity
from civicid.merkle import MerkleTree
from ledger import answers_file
from ledger import snapshot as snapshots
from ledger.answers import iso
from ledger.answers_file import HEADER, MAGIC, RECORD_HEAD, SLOT
from ledger.log import Ledger
from ledger.resolution import Resolver
from ledger.setup import initialize, open_ledger
from tests.ledger.conftest import World
from tests.ledger.snapshots import populate, reopen, snapshot_file

# Answers rendered ahead are logged at this logger's name.
LOGGER = "civicid.ledger"


def answers_path(world: World) -> Path:
    return world.root / "ledger" / answers_file.FILE


def rotated(world: World, who: Identity, times: int) -> Identity:
    for _ in range(times):
        world.clock.now += 60
        who, update = who.rotate(world.head(who), ledger=world.origin, now=world.clock.now)
        world.ledger.submit(update)
    return who


def deactivated(world: World, who: Identity) -> None:
    world.clock.now += 60
    world.ledger.submit(who.deactivate_tx(world.head(who), ledger=world.origin,
                                          now=world.clock.now))  # fmt: skip


def many(world: World) -> list[str]:
    """DIDs of one to four versions, some deactivated (after a rotation or at once), beside
    an agency with types, lists and accreditations (``populate``); every DID held."""
    populate(world)
    for n in range(8):
        who = rotated(world, world.register("agency" if n % 2 else "service-desk"), n % 4)
        if n % 3 == 2:
            deactivated(world, who)
    return sorted(world.ledger.state.dids)


def asks(world: World, did: str) -> list[dict[str, Any]]:
    """Every kind of ask of ``did``: plain, each version by number and id, times before,
    at and after each version, and with proofs."""
    record = world.ledger.state.dids[did]  # type: ignore[index]
    found: list[dict[str, Any]] = [{}, {"with_proof": True}]
    for version in record.versions:
        found += [
            {"version_id": str(version.number)},
            {"version_id": version.version_id},
            {"version_time": iso(version.time)},
            {"version_time": iso(version.time - 1)},
            {"version_time": iso(version.time + 30)},
        ]
    return found


def live(ledger: Ledger) -> Resolver:
    """A resolver that renders every answer as it is asked."""
    resolver = Resolver(ledger)
    resolver.ahead = None
    return resolver


def served_ahead(resolver: Resolver) -> list[bytes]:
    """The leaf hashes ``resolver`` finds answers for in the file, as it asks."""
    assert resolver.ahead is not None
    found: list[bytes] = []
    get = resolver.ahead.get

    def counted(leaf_hash: bytes) -> bytes | None:
        answer = get(leaf_hash)
        if answer is not None:
            found.append(leaf_hash)
        return answer

    resolver.ahead.get = counted  # type: ignore[method-assign]
    return found


def same_answers(world: World, ahead: Resolver) -> None:
    rendered = live(world.ledger)
    for did in sorted(world.ledger.state.dids):
        for options in asks(world, did):
            a, b = ahead.resolve(did, **options), rendered.resolve(did, **options)
            assert (a.status, a.body) == (b.status, b.body), (did, options)


def records(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of each record the file's slot table names."""
    data = path.read_bytes()
    _, _, slots, _ = HEADER.unpack_from(data, len(MAGIC))
    start = len(MAGIC) + HEADER.size
    found = []
    for i in range(slots):
        _, offset, length = SLOT.unpack_from(data, start + i * SLOT.size)
        if length:
            found.append((offset, length))
    return sorted(found)


def flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture(params=["held", "on disk"])
def kept_where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test taking it runs twice: the file held in memory (read and checked at open, as
    a small ledger's is) and read as asked (as a large one's, past ``MAX_HELD_BYTES``)."""
    if request.param == "on disk":
        monkeypatch.setattr(answers_file, "MAX_HELD_BYTES", 0)
    return str(request.param)


def test_every_answer_rendered_ahead_is_the_one_rendered_live(
    world: World, kept_where: str
) -> None:
    dids = many(world)
    reopen(world)  # the snapshot written at close, the answers beside it
    assert answers_path(world).exists()
    ahead = Resolver(world.ledger)
    assert ahead.ahead is not None and (ahead.ahead.held is not None) == (kept_where == "held")
    hits = served_ahead(ahead)
    same_answers(world, ahead)
    # Each DID's plain answer (and its plain part with proofs) came from the file.
    latest = {world.ledger.state.dids[did].current.leaf_hash for did in dids}  # type: ignore[index]
    assert set(hits) == latest and len(records(answers_path(world))) == len(dids)
    deactivations = [d for d in dids if world.ledger.state.dids[d].current.deactivated]  # type: ignore[index]
    assert len(deactivations) == 3
    for did in deactivations:
        assert ahead.resolve(did).status == 410


def test_a_did_changed_after_the_snapshot_is_answered_as_it_is_now(world: World) -> None:
    many(world)
    reopen(world)
    state = world.ledger.state
    agency = world.register("agency")  # after the snapshot, then changed
    changed = [did for did in sorted(state.dids) if not state.dids[did].current.deactivated]
    ahead = Resolver(world.ledger)
    before = {did: ahead.resolve(did).body for did in changed}
    agency = rotated(world, agency, 2)
    deactivated(world, agency)
    ahead = Resolver(world.ledger)  # a new view: nothing kept from before
    hits = served_ahead(ahead)
    same_answers(world, ahead)
    answer = ahead.resolve(agency.did)
    assert answer.status == 410 and world.head(agency).encode() in answer.body
    assert state.dids[agency.did].current.leaf_hash not in hits  # type: ignore[index]
    assert all(ahead.resolve(did).body == before[did] for did in changed if did != agency.did)


@pytest.mark.parametrize(
    "part",
    ["the answer's last byte", "its digest", "its leaf hash", "its length in the table"],
)
def test_a_damaged_answer_is_rendered_live_and_said_once(
    world: World, part: str, caplog: pytest.LogCaptureFixture, kept_where: str
) -> None:
    many(world)
    reopen(world)
    path = answers_path(world)
    held = records(path)
    assert len(held) >= 2
    for offset, length in held:
        if part == "the answer's last byte":
            flip(path, offset + length - 1)
        elif part == "its digest":
            flip(path, offset)
        elif part == "its leaf hash":
            flip(path, offset + RECORD_HEAD - 1)
    if part == "its length in the table":  # each read one byte longer
        data = bytearray(path.read_bytes())
        _, _, slots, _ = HEADER.unpack_from(data, len(MAGIC))
        for i in range(slots):
            at = len(MAGIC) + HEADER.size + i * SLOT.size
            tag, offset, length = SLOT.unpack_from(data, at)
            if length:
                SLOT.pack_into(data, at, tag, offset, length + 1)
        path.write_bytes(bytes(data))
    ahead = Resolver(world.ledger)
    assert ahead.ahead is not None  # the file is used: each answer is checked
    hits = served_ahead(ahead)
    with caplog.at_level(logging.WARNING, LOGGER):
        same_answers(world, ahead)
    assert hits == []
    damaged = [r for r in caplog.records if "is damaged" in r.getMessage()]
    assert len(damaged) == 1, caplog.text


def other_ledger(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another ledger's answers file, of as many entries as ``world``'s snapshot."""
    root = tmp_path_factory.mktemp("other")
    initialize(root, clock=world.clock)
    other = open_ledger(root, clock=world.clock)
    other.close()
    return root / "ledger" / answers_file.FILE


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("missing", "no answers rendered ahead"),
        ("empty", "not an answers file"),
        ("cut in its header", "not an answers file"),
        ("another magic line", "not an answers file"),
        ("cut in its slot table", "cut short"),
        ("a slot count not a power of two", "header is damaged"),
        ("a directory", "not a regular file"),
        ("stale", "made from the snapshot of"),
        ("another ledger's", "made from another log's snapshot"),
    ],
)
def test_a_file_not_of_this_snapshot_is_passed_over(
    world: World,
    damage: str,
    said: str,
    caplog: pytest.LogCaptureFixture,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = answers_path(world)
    if damage == "another ledger's":  # a ledger of its genesis alone, as this one
        foreign = other_ledger(world, tmp_path_factory)
        reopen(world)
        assert world.ledger.snapshot_size == 1
        shutil.copy(foreign, path)
    else:
        many(world)
        if damage == "stale":
            reopen(world)
            old = path.read_bytes()
            world.register()
        reopen(world)
    data = path.read_bytes()
    head = len(MAGIC) + HEADER.size
    if damage == "missing":
        path.unlink()
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "cut in its header":
        path.write_bytes(data[: head - 1])
    elif damage == "another magic line":
        path.write_bytes(b"civicid-answers 9\n" + data[len(MAGIC) :])
    elif damage == "cut in its slot table":
        path.write_bytes(data[: head + SLOT.size])
    elif damage == "a slot count not a power of two":
        size, root, slots, probes = HEADER.unpack_from(data, len(MAGIC))
        path.write_bytes(MAGIC + HEADER.pack(size, root, slots - 1, probes) + data[head:])
    elif damage == "a directory":
        path.unlink()
        path.mkdir()
    elif damage == "stale":
        path.write_bytes(old)
    with caplog.at_level(logging.INFO, LOGGER):
        ahead = Resolver(world.ledger)
    assert ahead.ahead is None
    assert [r for r in caplog.records if said in r.getMessage()], caplog.text
    same_answers(world, ahead)


def test_answers_that_cannot_be_written_leave_the_snapshot_written(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    many(world)
    blocked = answers_path(world).with_name(answers_file.FILE + ".tmp")
    blocked.mkdir()  # where the answers are written first
    (blocked / "x").write_bytes(b"")
    size = world.ledger.size
    with caplog.at_level(logging.WARNING, LOGGER):
        reopen(world)
    assert world.ledger.snapshot_size == size and snapshot_file(world).exists()
    assert [r for r in caplog.records if "answers not rendered ahead" in r.getMessage()]
    with caplog.at_level(logging.WARNING, LOGGER):
        ahead = Resolver(world.ledger)
    assert ahead.ahead is None  # the file left is the genesis snapshot's
    assert [r for r in caplog.records if "made from the snapshot of 1 entry," in r.getMessage()]
    same_answers(world, ahead)
    shutil.rmtree(blocked)
    assert not os.path.exists(blocked)


def test_the_answers_name_the_snapshots_size_and_root_not_the_trees(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A snapshot of the first ``size`` leaves of a longer tree: its answers are bound to
    the root at that size, as the ledger that loads it holds them to."""
    many(world)
    ledger, size = world.ledger, world.ledger.size
    longer = MerkleTree.from_leaf_hashes(ledger.tree.leaf_hashes() + bytes(32))
    assert longer.root() != ledger.tree.root(size)
    path = tmp_path_factory.mktemp("elsewhere") / snapshots.FILE
    assert ledger.signer is not None
    snapshots.write(path, ledger.state, size, ledger.checkpoint, ledger.signer, longer)
    ahead = answers_file.open_answers(answers_file.beside(path), size, ledger.tree.root(size))
    assert ahead is not None
    leaf = next(iter(ledger.state.dids.values())).current.leaf_hash
    assert ahead.get(leaf) == live(ledger).resolve(next(iter(ledger.state.dids))).body


def test_a_small_file_is_held_whole_from_its_opening(world: World) -> None:
    """Every answer of a file within ``MAX_HELD_BYTES`` is read and checked at open: the
    file replaced afterwards (by a next snapshot's) changes none of the answers served."""
    dids = many(world)
    reopen(world)
    ahead = Resolver(world.ledger)
    assert ahead.ahead is not None and ahead.ahead.held is not None
    assert len(ahead.ahead.held) == len(dids)
    path = answers_path(world)
    path.write_bytes(bytes(path.stat().st_size))
    rendered = live(world.ledger)
    for did in dids:
        assert ahead.resolve(did).body == rendered.resolve(did).body
    assert not ahead.read.answers  # held already: not kept twice


def test_an_answer_read_from_disk_is_kept_for_the_next_ask(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_HELD_BYTES`` each answer is read as asked, once: asked again, it is the one
    kept (within the resolver's budget), not read and checked again."""
    monkeypatch.setattr(answers_file, "MAX_HELD_BYTES", 0)
    dids = many(world)
    reopen(world)
    ahead = Resolver(world.ledger)
    assert ahead.ahead is not None and ahead.ahead.held is None
    hits = served_ahead(ahead)
    first = [ahead.resolve(did).body for did in dids]
    assert len(hits) == len(dids)
    assert [ahead.resolve(did).body for did in dids] == first
    assert len(hits) == len(dids)  # none read again
    assert len(ahead.read.answers) == len(dids)
    ahead.read.limit = 0  # nothing fits: read as asked each time
    ahead.read.clear()
    assert [ahead.resolve(did).body for did in dids] == first
    assert len(hits) == 2 * len(dids)


def test_the_new_file_is_named_durably(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file's rename is made durable (its directory synced) by the write itself, not left
    to each caller."""
    many(world)
    synced: list[Path] = []
    monkeypatch.setattr(answers_file, "fsync_directory", synced.append)
    path = answers_path(world)
    ledger = world.ledger
    answers_file.write(path, ledger.state, ledger.size, ledger.tree.root(ledger.size))
    assert synced == [path.parent]
