"""Helpers for the state snapshot tests: a ledger with something of every kind in it, the
answers it gives (to compare a snapshot start with a full replay), and the snapshot file."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.checkpoint import NoteSigner
from civicid.identity import Identity
from ledger import registry
from ledger import snapshot as snapshots
from ledger.log import Ledger
from ledger.resolution import Resolver
from ledger.setup import open_ledger
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID


def populate(world: World) -> Identity:
    """A pre-rotating agency accredited for a type it registered, publishing a status list;
    a deactivated desk; an agency whose accreditation was revoked; returns the first."""
    agency = world.register("agency", prerotate=True)
    world.accredit(agency, vcts=[NATIONAL_ID])
    trust.register_type(world, agency)
    trust.publish(world, agency)
    gone = world.register("service-desk")
    world.ledger.submit(gone.deactivate_tx(world.head(gone), ledger=world.origin,
                                           now=world.clock.now))  # fmt: skip
    other = world.register("agency")
    grant = world.accredit(other, vcts=[NATIONAL_ID])
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(grant, "r"))
    return agency


def answers(ledger: Ledger) -> dict[str, Any]:
    """What the ledger answers about everything it holds (resolution with proofs, trust,
    types, status lists), with its tree and map roots and its checkpoint."""
    size, state = ledger.size, ledger.state
    at = int(ledger.clock())
    resolver = Resolver(ledger)
    found: dict[str, Any] = {
        "size": size,
        "root": ledger.tree.root(),
        "map": ledger.view.statemap.root,
        "checkpoint": ledger.checkpoint,
        "txIds": sorted(state.tx_ids),
    }
    for did in sorted(state.dids):
        result = resolver.resolve(did, with_proof=True)
        found[f"resolve {did}"] = (result.status, json.loads(result.body))
        first = resolver.resolve(did, version_id="1")
        found[f"resolve {did} v1"] = (first.status, json.loads(first.body))
        for kind in ("issuer", "verifier"):
            answer = (
                registry.issuer_accredited(state, did, NATIONAL_ID, at, size)
                if kind == "issuer"
                else registry.verifier_allowed(state, did, NATIONAL_ID, ("name",), at, size)
            )
            found[f"{kind} {did}"] = (answer.body, answer.seqs, answer.names)
    found["accreditations"] = registry.list_accreditations(state, at, size).body
    found["types"] = registry.credential_types(state, size).body
    for vct in sorted(state.credential_types):
        found[f"type {vct}"] = registry.credential_type(state, vct, size).body
    for uri in sorted(state.status_lists):
        answer, _ = registry.status_list(state, uri, size)
        found[f"list {uri}"] = (answer.body, answer.seqs)
        found[f"revoked {uri}"] = sorted(state.status_revoked[uri])
    # Every DID's record as a whole (role, bases, each version's place, time, next-key
    # hashes...), most of which the map does not commit to.
    found["dids"] = dict(state.dids)
    found["extensions"] = state.extensions
    return found


def snapshot_file(world: World) -> Path:
    return world.root / "ledger" / snapshots.FILE


def killed(world: World) -> None:
    """Stop the world's ledger as kill -9 does: its store let go, no clean close (so no
    snapshot written at close)."""
    world.ledger.store.close()
    world.ledger._closed = True


def log_digest(world: World) -> str:
    """The log file's bytes, summed up: a snapshot never changes them."""
    return hashlib.sha256((world.root / "ledger" / "log.dat").read_bytes()).hexdigest()


def full_replay(world: World) -> dict[str, Any]:
    """The answers of the ledger opened with no snapshot at all (read-only, on a copy)."""
    copy = world.root.parent / f"{world.root.name}-replayed"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(world.root, copy)
    (copy / "ledger" / snapshots.FILE).unlink(missing_ok=True)
    ledger = open_ledger(copy, readonly=True, clock=world.clock)
    try:
        assert ledger.snapshot_size == 0
        return answers(ledger)
    finally:
        ledger.close()
        shutil.rmtree(copy, ignore_errors=True)


def reopen(world: World) -> Ledger:
    """Close (which writes a snapshot) and open again."""
    world.ledger.close()
    world.ledger = open_ledger(world.root, clock=world.clock)
    return world.ledger


def opened_with(world: World, content: bytes | None, reason: str) -> Ledger:
    """Put ``content`` (None: nothing) where the snapshot goes, then open: the snapshot is
    not used, for ``reason``; the log is untouched and every answer is a full replay's."""
    world.ledger.close()
    path = snapshot_file(world)
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(content)
    expected, log = full_replay(world), log_digest(world)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == 0  # rebuilt from the log instead
    if content is None:
        assert world.ledger.snapshot_refused is None
    else:
        assert world.ledger.snapshot_refused is not None
        assert reason in world.ledger.snapshot_refused, world.ledger.snapshot_refused
        assert world.ledger.snapshot_refused.endswith("[state_snapshot_invalid]")
    assert log_digest(world) == log
    assert answers(world.ledger) == expected
    return world.ledger


def sealed(data: bytes, signer: NoteSigner, origin: str, size: int) -> bytes:
    """A snapshot file holding ``data`` as its body, its note signed by ``signer``."""
    digest = hashlib.sha256(data).digest()
    note = signer.sign(snapshots.note_text(origin, size, digest)).encode()
    return snapshots.MAGIC + snapshots.NOTE_LENGTH.pack(len(note)) + note + data


def body_of(world: World) -> dict[str, Any]:
    """The body of the snapshot on disk (checked as the ledger checks it)."""
    return snapshots.read(snapshot_file(world), vkey=world.genesis.vkey, origin=world.origin)
