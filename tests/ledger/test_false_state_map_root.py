"""A checkpoint signing a false state map: an operator (who holds the checkpoint key) signs
a tree head whose log root is right but whose state map root hides a change (here: one
taken before a revocation). Clients would take its map proofs; ``audit`` replays the log,
rebuilds the map at that size and refuses the checkpoint."""

from __future__ import annotations

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from civicid.errors import Error
from civicid.statemap import extension_line, root_in
from ledger.audit import audit
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID


def test_audit_refuses_a_checkpoint_with_a_false_map_root(world: World) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    before = open_checkpoint(world.ledger.checkpoint, NoteVerifier(world.genesis.vkey))
    world.submit_as(
        world.governance, tx.ACCREDITATION_REVOKE, revocation_body(accreditation, "withdrawn")
    )
    honest = world.ledger.checkpoint
    assert audit(world.root / "ledger", checkpoint=honest).checkpoint_verified
    signed = open_checkpoint(honest, NoteVerifier(world.genesis.vkey))
    assert world.ledger.signer is not None
    forged = world.ledger.signer.sign_checkpoint(
        Checkpoint(
            signed.origin, signed.size, signed.root, (extension_line(root_in(before.extensions)),)
        )
    )
    with pytest.raises(Error) as info:
        audit(world.root / "ledger", checkpoint=forged)
    assert info.value.code == "checkpoint_mismatch"
