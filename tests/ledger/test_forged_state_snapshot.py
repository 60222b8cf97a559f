"""Attack: editing the state snapshot on disk so the ledger would accept what its log does
not allow (a DID's role or next-key commitment, a grant, type metadata: fields the state map
does not commit to). The snapshot is signed with the checkpoint key, so a body with a valid
digest but any other signature is ignored; a body signed by the key whose state disagrees
with its signed map is ignored too; a hostile pickle is refused without running anything.
Each time the ledger opens by replay, the log untouched, answering as a full replay does."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest

from civicid.checkpoint import NoteSigner, NoteVerifier, open_checkpoint
from civicid.errors import Error
from ledger import snapshot as snapshots
from ledger.setup import Paths, load_signer
from tests.ledger.conftest import World
from tests.ledger.snapshots import body_of, opened_with, populate, reopen, sealed

PROTOCOL = snapshots.PICKLE_PROTOCOL


def written(world: World) -> dict[str, Any]:
    agency = populate(world)
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)  # the agency's history has two versions
    reopen(world)
    return body_of(world)


def entry_of(body: dict[str, Any], role: str) -> tuple[dict[str, Any], list[Any]]:
    """A DID of ``role`` in a snapshot's body: its record's fields, and its versions."""
    return next(entry for entry in body["dids"] if entry[0]["role"] == role)  # type: ignore[no-any-return]


def test_a_valid_digest_under_another_keys_signature(world: World) -> None:
    """An attacker's key with the ledger's own name: the digest is right, the key is not."""
    body = written(world)
    entry_of(body, "service-desk")[0]["role"] = "agency"  # the map commits to no role
    attacker = NoteSigner.generate(world.origin)
    forged = sealed(pickle.dumps(body, protocol=PROTOCOL), attacker, world.origin, body["size"])
    opened_with(world, forged, "not signed by this ledger's checkpoint key")


def test_the_genuine_signature_over_an_edited_body(world: World) -> None:
    """The note of the genuine snapshot kept, the body edited (next-key commitment dropped)."""
    written(world)
    genuine = (world.root / "ledger" / snapshots.FILE).read_bytes()
    body = body_of(world)
    versions = entry_of(body, "agency")[1]
    versions[-1] = (*versions[-1][:3], (), *versions[-1][4:])  # next_key_hashes: none
    data = pickle.dumps(body, protocol=PROTOCOL)
    start = len(snapshots.MAGIC) + snapshots.NOTE_LENGTH.size
    (length,) = snapshots.NOTE_LENGTH.unpack_from(genuine, len(snapshots.MAGIC))
    opened_with(world, genuine[: start + length] + data, "body is not the one signed")


def test_signed_by_the_key_but_not_the_mapped_state(world: World) -> None:
    """Even under the ledger's own signature, a state whose heads are not those the signed
    map holds is not used (a DID's head moved back, or a version twice)."""
    body = written(world)
    signer = load_signer(Paths(world.root))
    for tamper, reason in [
        (lambda versions: versions.pop(), "is not the mapped one"),
        (lambda versions: versions.append(versions[-1]), "out of order"),
    ]:
        edited = copy.deepcopy(body)
        tamper(entry_of(edited, "agency")[1])
        data = pickle.dumps(edited, protocol=PROTOCOL)
        opened_with(world, sealed(data, signer, world.origin, body["size"]), reason)


class _Touch:
    """Pickles as a call to ``Path.touch``: what a hostile snapshot would run on load."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_hostile_pickle_runs_nothing(world: World, tmp_path: Path) -> None:
    """Signed by an attacker: refused before anything is unpickled. Signed by the ledger's
    own key (a stolen key, a bug): refused by the unpickler, which loads no class or
    function. Neither creates the marker file."""
    body = written(world)
    marker = tmp_path / "ran"
    hostile = pickle.dumps({**body, "dids": [_Touch(marker)]}, protocol=PROTOCOL)
    attacker = NoteSigner.generate(world.origin)
    opened_with(world, sealed(hostile, attacker, world.origin, body["size"]), "not signed")
    assert not marker.exists()
    signer = load_signer(Paths(world.root))
    opened_with(world, sealed(hostile, signer, world.origin, body["size"]), "plain data only")
    assert not marker.exists()
    pickle.loads(hostile)  # noqa: S301 - what a plain unpickler would have run
    assert marker.exists()


def test_a_snapshot_note_is_never_a_checkpoint(world: World) -> None:
    """The snapshot's signature is by the checkpoint key, over text no checkpoint parser
    accepts: it cannot be passed to a client as a signed tree head."""
    written(world)
    genuine = (world.root / "ledger" / snapshots.FILE).read_bytes()
    start = len(snapshots.MAGIC) + snapshots.NOTE_LENGTH.size
    (length,) = snapshots.NOTE_LENGTH.unpack_from(genuine, len(snapshots.MAGIC))
    note = genuine[start : start + length].decode()
    verifier = NoteVerifier(world.genesis.vkey)
    assert verifier.verify(note).startswith(snapshots.NOTE_HEADER + "\n")  # genuinely signed
    with pytest.raises(Error) as info:
        open_checkpoint(note, verifier)
    assert info.value.code == "checkpoint_malformed"
