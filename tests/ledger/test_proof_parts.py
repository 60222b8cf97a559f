"""The proof parts rendered ahead beside the snapshot (``state.proofs``): every answer with
proofs made from them is the one rendered live, byte for byte, for every DID, version and
option, at the snapshot's size and after the ledger grew; its proofs are the tree's own and
the client's checks pass; a damaged part, a file of another block height, one too large to
hold, or a view where a version's block is not whole is rendered live."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from civicid import statemap
from civicid.merkle import leaf_hash, verify_inclusion
from civicid.statemap import map_key
from civicid.wire import ResolutionProof
from ledger import answers_file, inclusion, resolution
from ledger.answers_file import HEADER, RECORD_HEAD, SLOT, proof_parts_magic
from ledger.resolution import Resolver
from tests.ledger.conftest import World
from tests.ledger.snapshots import reopen
from tests.ledger.test_answers_file import LOGGER, asks, flip, live, many, rotated

# Blocks of 4 leaves, so that a small ledger has whole ones.
HEIGHT = 2


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inclusion, "BLOCK_HEIGHT", HEIGHT)
    monkeypatch.setattr(resolution, "BLOCK_HEIGHT", HEIGHT)


def parts_path(world: World) -> Path:
    return world.root / "ledger" / answers_file.PROOF_PARTS_FILE


def records(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of each record the file's slot table names."""
    data = path.read_bytes()
    start = len(proof_parts_magic(HEIGHT))
    assert data[:start] == proof_parts_magic(HEIGHT)
    _, _, slots, _ = HEADER.unpack_from(data, start)
    table = data[start + HEADER.size : start + HEADER.size + slots * SLOT.size]
    return sorted((offset, length) for _, offset, length in SLOT.iter_unpack(table) if length)


def served_from_parts(resolver: Resolver) -> list[bytes]:
    """The latest leaf hashes whose answers with proofs ``resolver`` makes from the parts."""
    found: list[bytes] = []
    parts_ahead = resolver.parts_ahead

    def counted(visible: list, size: int) -> list[tuple[bytes, ...]] | None:  # type: ignore[type-arg]
        parts = parts_ahead(visible, size)
        if parts is not None:
            found.append(visible[-1].leaf_hash)
        return parts

    resolver.parts_ahead = counted  # type: ignore[method-assign]
    return found


def same_answers_with_proofs(world: World, ahead: Resolver) -> None:
    rendered = live(world.ledger)
    rendered.proofs_ahead = None
    for did in sorted(world.ledger.state.dids):
        for options in asks(world, did):
            options = {**options, "with_proof": True}
            a, b = ahead.resolve(did, **options), rendered.resolve(did, **options)
            assert (a.status, a.body) == (b.status, b.body), (did, options)


def checked_by_the_client(world: World, did: str, body: bytes) -> None:
    """The answer's proof read with the client's wire model, each version's entry proven
    included in the tree of the answer's size (``verify_inclusion`` raises), the selected
    one's too, and the state map's proof the map's own."""
    proof = json.loads(body)["didResolutionMetadata"]["proof"]
    read = ResolutionProof.from_json(proof)
    size = read.tree_size
    assert size == world.ledger.view.size
    root = world.ledger.tree.root(size)
    assert read.versions
    for item in [*read.versions, read]:
        assert item.transaction is not None
        verify_inclusion(leaf_hash(item.transaction.encode()), item.seq, size, item.inclusion, root)
    view = world.ledger.view
    expected = view.statemap.prove(map_key(statemap.DID, did)).to_json()
    assert expected == proof["stateMap"][f"did:{did}"]


def test_every_answer_with_proofs_from_the_parts_is_the_one_rendered_live(
    world: World,
) -> None:
    dids = many(world)
    reopen(world)  # the snapshot written at close, the parts beside it
    assert parts_path(world).exists()
    ahead = Resolver(world.ledger)
    assert ahead.proofs_ahead is not None and ahead.proofs_ahead.held is not None
    used = served_from_parts(ahead)
    same_answers_with_proofs(world, ahead)
    size = world.ledger.snapshot_size
    whole = [
        did
        for did in dids
        if all(
            ((v.seq >> HEIGHT) + 1) << HEIGHT <= size
            for v in world.ledger.state.dids[did].visible(size)  # type: ignore[index]
        )
    ]
    assert len(whole) >= len(dids) - 2 and len(records(parts_path(world))) == len(whole)
    assert {world.ledger.state.dids[did].current.leaf_hash for did in whole} <= set(used)  # type: ignore[index]
    for did in dids:
        checked_by_the_client(world, did, ahead.resolve(did, with_proof=True).body)


def test_after_the_ledger_grew_the_parts_still_serve_with_the_new_upper_paths(
    world: World,
) -> None:
    dids = many(world)
    reopen(world)
    for _ in range(9):  # past the snapshot: new blocks, every upper path another
        world.register("agency")
    ahead = Resolver(world.ledger)
    used = served_from_parts(ahead)
    same_answers_with_proofs(world, ahead)
    assert used
    for did in dids:
        checked_by_the_client(world, did, ahead.resolve(did, with_proof=True).body)
    assert world.ledger.view.size > world.ledger.snapshot_size


def test_a_did_changed_after_the_snapshot_is_rendered_live(world: World) -> None:
    many(world)
    reopen(world)
    agency = world.register("agency")
    reopen(world)  # its first version in the parts
    agency = rotated(world, agency, 1)
    ahead = Resolver(world.ledger)
    used = served_from_parts(ahead)
    same_answers_with_proofs(world, ahead)
    assert world.ledger.state.dids[agency.did].current.leaf_hash not in used  # type: ignore[index]
    checked_by_the_client(world, agency.did, ahead.resolve(agency.did, with_proof=True).body)


def test_a_block_not_whole_at_the_size_asked_is_not_served_from_the_parts(
    world: World,
) -> None:
    dids = many(world)
    reopen(world)
    ahead = Resolver(world.ledger)
    size = world.ledger.snapshot_size
    asked = 0
    for did in dids:
        visible = world.ledger.state.dids[did].visible(size)  # type: ignore[index]
        last = visible[-1].seq
        if ahead.parts_ahead(visible, size) is None or (last + 1) % (1 << HEIGHT) == 0:
            continue
        # A view whose size ends inside the latest version's block: its path is ragged there.
        assert ahead.parts_ahead(visible, last + 1) is None
        asked += 1
    assert asked


@pytest.mark.parametrize("part", ["a version's entry", "its digest", "its leaf hash"])
def test_a_damaged_part_is_rendered_live_and_said_once(
    world: World, part: str, caplog: pytest.LogCaptureFixture
) -> None:
    many(world)
    reopen(world)
    path = parts_path(world)
    for offset, _ in records(path):
        if part == "a version's entry":
            flip(path, offset + RECORD_HEAD + 40)
        elif part == "its digest":
            flip(path, offset)
        else:
            flip(path, offset + RECORD_HEAD - 1)
    ahead = Resolver(world.ledger)
    assert ahead.proofs_ahead is not None
    used = served_from_parts(ahead)
    with caplog.at_level(logging.WARNING, LOGGER):
        same_answers_with_proofs(world, ahead)
    assert used == []
    assert len([r for r in caplog.records if "is damaged" in r.getMessage()]) == 1


def test_a_file_of_another_block_height_is_passed_over(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    many(world)
    reopen(world)
    monkeypatch.setattr(resolution, "BLOCK_HEIGHT", HEIGHT + 1)
    with caplog.at_level(logging.WARNING, LOGGER):
        ahead = Resolver(world.ledger)
    assert ahead.proofs_ahead is None and "not an answers file" in caplog.text
    same_answers_with_proofs(world, ahead)


@pytest.mark.parametrize("found", ["as they are rendered", "by the number of DIDs"])
def test_parts_too_large_to_hold_are_not_written_and_an_older_file_goes(
    world: World, monkeypatch: pytest.MonkeyPatch, found: str
) -> None:
    many(world)
    reopen(world)
    assert parts_path(world).exists()
    dids = len(world.ledger.state.dids) + 1
    if found == "as they are rendered":  # the DIDs would fit at the smallest size each
        monkeypatch.setattr(answers_file, "MAX_PROOF_PARTS_BYTES", 3000)
        monkeypatch.setattr(answers_file, "MIN_PROOF_PARTS_BYTES", 3000 // dids)
    else:  # refused by their number at the smallest size each, before any is rendered
        monkeypatch.setattr(answers_file, "MAX_PROOF_PARTS_BYTES", 600 * dids - 1)
        monkeypatch.setattr(answers_file, "MIN_PROOF_PARTS_BYTES", 600)

        def rendered(seq: int, entry: bytes) -> tuple[bytes, ...]:
            raise AssertionError("rendered")

        monkeypatch.setattr(answers_file, "transaction_json", rendered)
    world.register("agency")
    reopen(world)
    assert not parts_path(world).exists()
    assert Resolver(world.ledger).proofs_ahead is None


def test_a_file_too_large_to_hold_is_passed_over(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    many(world)
    reopen(world)
    monkeypatch.setattr(answers_file, "MAX_PROOF_PARTS_BYTES", 1000)
    with caplog.at_level(logging.WARNING, LOGGER):
        ahead = Resolver(world.ledger)
    assert ahead.proofs_ahead is None and "too large to hold" in caplog.text
    same_answers_with_proofs(world, ahead)


def test_a_resolver_for_the_same_snapshot_takes_the_files_over(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mirror serving a newly signed note over the same copy made a new resolver, which
    read and checked the answers rendered ahead again (~0.1 s at 18k entries each time):
    given the one it replaces, it takes them over; for another ledger it opens its own."""
    many(world)
    reopen(world)
    first = Resolver(world.ledger)
    assert first.ahead is not None and first.proofs_ahead is not None
    opened: list[bool] = []

    def counted(*_: object, **__: object) -> None:
        opened.append(True)

    monkeypatch.setattr(resolution, "answers_beside", counted)
    again = Resolver(world.ledger, before=first)
    assert (again.ahead, again.proofs_ahead) == (first.ahead, first.proofs_ahead)
    assert opened == []
    same_answers_with_proofs(world, again)
    reopen(world)  # another ledger object, opened anew
    opened.clear()
    Resolver(world.ledger, before=first)
    assert opened == [True, True]
