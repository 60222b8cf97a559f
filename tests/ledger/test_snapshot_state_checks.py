"""The state a snapshot loads, and the checks of it that only its own content can fail (a body
the checkpoint key signed, so its digest, tree and map pass): every record is the one a full
replay builds, field by field (the times and next-key hashes the map does not commit to
included); versions numbered 1, 2, ... at strictly increasing places inside the snapshot's
size; the state naming exactly what the map holds. Each refusal is ``state_snapshot_invalid``
with its reason, the ledger rebuilt by replay."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from ledger import snapshot as snapshots
from ledger.setup import Paths, load_signer, open_ledger
from ledger.state import DidVersion, ListVersion, State, TypeVersion
from tests.ledger.conftest import World
from tests.ledger.snapshots import body_of, opened_with, populate, reopen, sealed

# What a State holds, but its caches and the map (whose root the checkpoint signs).
COMPARED = (
    "origin",
    "governance",
    "checkpoint_vkey",
    "dids",
    "tx_ids",
    "extensions",
    "accreditations",
    "accreditations_of",
    "credential_types",
    "status_lists",
    "status_revoked",
)


def _names(record: type) -> list[str]:
    """A version record's fields in order: a named tuple's, or a dataclass's."""
    named: tuple[str, ...] | None = getattr(record, "_fields", None)
    return list(named) if named is not None else [f.name for f in dataclasses.fields(record)]


def _seq(record: type) -> int:
    return _names(record).index("seq")


def _number(record: type) -> int:
    return _names(record).index("number")


DID_SEQ, TYPE_SEQ, LIST_SEQ = _seq(DidVersion), _seq(TypeVersion), _seq(ListVersion)


def written(world: World) -> dict[str, Any]:
    """A ledger of every kind of record, a DID of two versions among them, closed with a
    snapshot; that snapshot's body."""
    agency = populate(world)
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    reopen(world)
    return body_of(world)


def resealed(world: World, body: dict[str, Any]) -> bytes:
    """``body`` as a snapshot signed by the ledger's own checkpoint key."""
    data = pickle.dumps(body, protocol=snapshots.PICKLE_PROTOCOL)
    return sealed(data, load_signer(Paths(world.root)), world.origin, body["size"])


def fields_of(state: State) -> dict[str, Any]:
    return {name: getattr(state, name) for name in COMPARED}


def replayed_state(world: World) -> dict[str, Any]:
    copy = world.root.parent / f"{world.root.name}-replayed"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(world.root, copy)
    (copy / "ledger" / snapshots.FILE).unlink()
    ledger = open_ledger(copy, readonly=True, clock=world.clock)
    try:
        assert ledger.snapshot_size == 0
        return fields_of(ledger.state)
    finally:
        ledger.close()
        shutil.rmtree(copy, ignore_errors=True)


def test_the_loaded_state_is_the_replayed_state(world: World) -> None:
    body = written(world)
    assert world.ledger.snapshot_size == body["size"] == world.ledger.size
    loaded = fields_of(world.ledger.state)
    assert loaded == replayed_state(world)
    # Each kind is there, with the times the map does not commit to.
    assert len(loaded["dids"]) >= 4 and loaded["accreditations"] and loaded["credential_types"]
    assert loaded["status_lists"] and loaded["status_revoked"]
    assert all(a.time == world.clock.now for a in loaded["accreditations"].values())
    assert any(a.revocation is not None for a in loaded["accreditations"].values())
    for versions in loaded["credential_types"].values():
        assert all(v.time == world.clock.now for v in versions)


def test_a_ledger_of_its_genesis_alone_loads_its_snapshot(world: World) -> None:
    assert world.ledger.size == 1
    reopen(world)
    assert world.ledger.snapshot_size == 1 and world.ledger.snapshot_refused is None
    assert fields_of(world.ledger.state) == replayed_state(world)


def _version(entry: tuple[Any, list[Any]], index: int, where: int, value: Any) -> None:
    versions = entry[1]
    changed = list(versions[index])
    changed[where] = value
    versions[index] = tuple(changed)


def _two_versions(body: dict[str, Any]) -> tuple[Any, list[Any]]:
    return next(entry for entry in body["dids"] if len(entry[1]) == 2)  # type: ignore[no-any-return]


def _one_version(body: dict[str, Any]) -> tuple[Any, list[Any]]:
    return next(entry for entry in body["dids"] if len(entry[1]) == 1)  # type: ignore[no-any-return]


def did_at_its_predecessors_place(body: dict[str, Any]) -> None:
    entry = _two_versions(body)
    _version(entry, 1, DID_SEQ, entry[1][0][DID_SEQ])


def did_before_its_predecessor(body: dict[str, Any]) -> None:
    entry = _two_versions(body)
    _version(entry, 1, DID_SEQ, entry[1][0][DID_SEQ] - 1)


def did_at_the_size(body: dict[str, Any]) -> None:
    _version(_two_versions(body), 1, DID_SEQ, body["size"])


def did_before_the_log(body: dict[str, Any]) -> None:
    _version(_one_version(body), 0, DID_SEQ, -1)


def did_numbered_from_two(body: dict[str, Any]) -> None:
    _version(_one_version(body), 0, _number(DidVersion), 2)


def did_numbered_twice_one(body: dict[str, Any]) -> None:
    _version(_two_versions(body), 1, _number(DidVersion), 1)


def did_without_versions(body: dict[str, Any]) -> None:
    entry = _one_version(body)
    entry[1].clear()


def type_at_the_size(body: dict[str, Any]) -> None:
    _version(body["types"][0], -1, TYPE_SEQ, body["size"])


def type_numbered_from_two(body: dict[str, Any]) -> None:
    _version(body["types"][0], 0, _number(TypeVersion), 2)


def type_without_versions(body: dict[str, Any]) -> None:
    body["types"][0][1].clear()


def list_at_the_size(body: dict[str, Any]) -> None:
    _version(body["lists"][0], -1, LIST_SEQ, body["size"])


def list_before_the_log(body: dict[str, Any]) -> None:
    _version(body["lists"][0], 0, LIST_SEQ, -1)


def list_without_versions(body: dict[str, Any]) -> None:
    body["lists"][0][1].clear()


OUT_OF_ORDER: dict[str, Callable[[dict[str, Any]], None]] = {
    f.__name__: f
    for f in (
        did_at_its_predecessors_place,
        did_before_its_predecessor,
        did_at_the_size,
        did_before_the_log,
        did_numbered_from_two,
        did_numbered_twice_one,
        did_without_versions,
        type_at_the_size,
        type_numbered_from_two,
        type_without_versions,
        list_at_the_size,
        list_before_the_log,
        list_without_versions,
    )
}


@pytest.mark.parametrize("edit", OUT_OF_ORDER.values(), ids=OUT_OF_ORDER.keys())
def test_versions_out_of_order_under_the_ledgers_own_signature(
    world: World, edit: Callable[[dict[str, Any]], None]
) -> None:
    body = written(world)
    edit(body)
    opened_with(world, resealed(world, body), "are out of order")


def test_the_body_resealed_unchanged_loads(world: World) -> None:
    # The edits above are refused for what they change, not for being resealed.
    body = written(world)
    world.ledger.close()
    (world.root / "ledger" / snapshots.FILE).write_bytes(resealed(world, body))
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == body["size"] and world.ledger.snapshot_refused is None


def test_a_state_naming_less_than_the_map(world: World) -> None:
    """A DID left out of the state, the map (which holds it) kept: each name the state has is
    the mapped one, but the state does not name everything the map holds."""
    body = written(world)
    body["dids"] = [entry for entry in body["dids"] if entry[0]["role"] != "service-desk"]
    opened_with(world, resealed(world, body), "state and map name different things")


def test_a_state_naming_another_entry_than_the_map(world: World) -> None:
    body = written(world)
    _version(body["types"][0], -1, TYPE_SEQ, body["types"][0][1][-1][TYPE_SEQ] - 1)
    opened_with(world, resealed(world, body), "is not the mapped one")


@pytest.mark.parametrize("change", [-1, 1], ids=["a field short", "a field more"])
def test_a_did_version_of_another_arity(world: World, change: int) -> None:
    body = written(world)
    entry = _two_versions(body)
    version = entry[1][0]
    entry[1][0] = version[:change] if change < 0 else (*version, False)
    opened_with(world, resealed(world, body), "a DID version has")


def test_the_transaction_ids_written_as_a_set_and_read_as_one(world: World) -> None:
    body = written(world)
    assert type(body["txIds"]) is set and body["txIds"] == world.ledger.state.tx_ids


def test_the_transaction_ids_as_earlier_writers_kept_them(world: World) -> None:
    """A list, as snapshots held them before: read into the same set."""
    body = written(world)
    body["txIds"] = sorted(body["txIds"])
    world.ledger.close()
    (world.root / "ledger" / snapshots.FILE).write_bytes(resealed(world, body))
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == body["size"] and world.ledger.snapshot_refused is None
    assert type(world.ledger.state.tx_ids) is set
    assert fields_of(world.ledger.state) == replayed_state(world)
