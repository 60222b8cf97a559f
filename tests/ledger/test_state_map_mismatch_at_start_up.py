"""Start-up check: after the snapshot is loaded and the rest replayed, before anything is
signed, the rebuilt state map must be the one the last signed checkpoint commits to. A log
whose map disagrees (a checkpoint signed over a false map root, at the log's size or below
it), or a snapshot that lies under the ledger's own signature, refuses to open with
``state_map_mismatch`` and one line naming ``civicid ledger repair``; nothing is signed and
the log is untouched."""

from __future__ import annotations

import copy
import hashlib
import pickle

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.checkpoint import Checkpoint
from civicid.errors import Error
from civicid.statemap import extension_line, root_in
from ledger import snapshot as snapshots
from ledger.setup import Paths, load_signer, open_ledger
from ledger.store import FileLogStore
from tests.ledger.conftest import World
from tests.ledger.faults import verified
from tests.ledger.snapshots import (
    answers,
    body_of,
    full_replay,
    log_digest,
    populate,
    reopen,
    sealed,
    snapshot_file,
)
from tests.ledger.test_cli import civicid
from tests.ledger.trust import NATIONAL_ID


def signed_over(world: World, size: int, map_root: bytes) -> str:
    """A checkpoint the ledger's key signs over the true tree at ``size`` and ``map_root``."""
    signer = load_signer(Paths(world.root))
    root = world.ledger.tree.root(size)
    return signer.sign_checkpoint(Checkpoint(world.origin, size, root, (extension_line(map_root),)))


def put_last_checkpoint(world: World, note: str) -> None:
    store = FileLogStore(world.root / "ledger")
    store.put_checkpoint(note)
    store.close()


def refused_to_open(world: World) -> Error:
    log, checkpoints = log_digest(world), (world.root / "ledger" / "checkpoint.dat").read_bytes()
    with pytest.raises(Error) as info:
        open_ledger(world.root, clock=world.clock).close()
    assert info.value.code == "state_map_mismatch", info.value
    assert "civicid ledger repair" in info.value.message and "\n" not in info.value.message
    assert log_digest(world) == log
    assert (world.root / "ledger" / "checkpoint.dat").read_bytes() == checkpoints
    return info.value


def revoked_after(world: World) -> bytes:
    """Accredit an agency, note the map root, revoke: returns the root before the revoke."""
    agency = world.register("agency")
    grant = world.accredit(agency, vcts=[NATIONAL_ID])
    before = world.ledger.view.statemap.root
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(grant, "gone"))
    return before


@pytest.mark.parametrize("with_snapshot", [False, True])
def test_a_checkpoint_over_a_false_map_at_the_logs_size(world: World, with_snapshot: bool) -> None:
    populate(world)
    hidden = revoked_after(world)  # the map as it was before the revocation
    size = world.ledger.size
    world.ledger.close()  # writes a (true) snapshot at this size
    if not with_snapshot:
        snapshot_file(world).unlink()
    put_last_checkpoint(world, signed_over(world, size, hidden))
    refused_to_open(world)


def test_a_checkpoint_over_a_false_map_below_the_logs_size(world: World) -> None:
    """Entries past the last checkpoint (written, never acknowledged): the map is compared
    as it stood at the checkpoint's size."""
    populate(world)
    hidden = revoked_after(world)
    size = world.ledger.size
    world.register("agency")  # past the checkpoint put back below
    world.ledger.close()
    snapshot_file(world).unlink()
    put_last_checkpoint(world, signed_over(world, size, hidden))
    refused_to_open(world)


def test_a_true_checkpoint_below_the_logs_size_opens(world: World) -> None:
    """The honest case of the one above: the checkpoint the ledger signed at that size."""
    populate(world)
    revoked_after(world)
    genuine = world.ledger.checkpoint
    world.register("agency")
    world.ledger.close()
    snapshot_file(world).unlink()
    put_last_checkpoint(world, genuine)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.size == verified(world, genuine).size + 1


def test_a_checkpoint_without_a_state_map(world: World) -> None:
    populate(world)
    world.ledger.close()
    signer = load_signer(Paths(world.root))
    size = world.ledger.tree.size
    put_last_checkpoint(
        world,
        signer.sign_checkpoint(Checkpoint(world.origin, size, world.ledger.tree.root(size))),
    )
    refused_to_open(world)


def test_a_snapshot_that_lies_under_the_ledgers_own_signature(world: World) -> None:
    """The state before a revocation, presented (signed with the checkpoint key, with a
    checkpoint that key signed over the same false map) as the state after it: it checks
    against its own checkpoint, but not against the one the ledger last signed. Repair drops
    it; the next start replays the whole log and answers as a full replay does."""
    populate(world)
    agency = world.register("agency")
    grant = world.accredit(agency, vcts=[NATIONAL_ID])
    reopen(world)
    stale = body_of(world)  # the state before the revocation
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(grant, "gone"))
    size, tree = world.ledger.size, world.ledger.tree
    world.ledger.close()
    lie = copy.deepcopy(stale)
    lie["size"] = size
    # The tree of the log as it now is (the key holder can make it): only the map lies.
    lie["tree"] = (hashlib.sha256(tree.leaf_hashes()).digest(), tree.upper_levels(size))
    lie["checkpoint"] = signed_over(
        world, size, root_in(verified(world, stale["checkpoint"]).extensions)
    )
    data = pickle.dumps(lie, protocol=snapshots.PICKLE_PROTOCOL)
    snapshot_file(world).write_bytes(
        sealed(data, load_signer(Paths(world.root)), world.origin, size)
    )
    refused_to_open(world)
    code, _, err = civicid("ledger", "serve", "--data-dir", str(world.root), "--port", "0")
    last = err.strip().splitlines()[-1]
    assert code != 0 and last.startswith("error: ") and last.endswith("[state_map_mismatch]"), err
    assert "civicid ledger repair" in last and "Traceback" not in err
    code, out, err = civicid("ledger", "repair", "--data-dir", str(world.root))
    assert code == 0 and "dropped the state snapshot" in out, err
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_size == 0
    assert answers(world.ledger) == full_replay(world)
