"""Attack: the ledger answers with checkpoints that are not one growing log with the one the
desk trusted before (a fork shown to this desk): every check that needs the ledger fails."""

import httpx
import pytest

from civicid.checkpoint import Checkpoint
from civicid.errors import Error
from ledger.setup import Paths, load_signer
from tests.verifier.attacks import fresh, refused
from tests.verifier.world import Clock, World, open_desk, settings_for


def forge_trusted(world: World, size: int) -> None:
    """Write, as the desk's trusted checkpoint, one the ledger's key signed over another root
    (what a ledger operator showing different logs to different people would have to sign)."""
    signer = load_signer(Paths(world.root))
    note = signer.sign_checkpoint(Checkpoint(world.origin, size, b"\x42" * 32))
    settings_for(world.root).trust_file.write_text(note)


@pytest.mark.parametrize(("shift", "code"), [(0, "ledger_forked"), (-1, "ledger_inconsistent")])
def test_a_fork_is_refused(
    world: World, http: httpx.BaseTransport, clock: Clock, shift: int, code: str
) -> None:
    forge_trusted(world, world.ledger.size + shift)
    desk = open_desk(world, http, Clock(clock.now + 60), check_accreditation=False)
    try:
        presentation, nonce = fresh(world, desk, world.credential())
        refused(desk, presentation, code, nonce=nonce, step="issuer_key")
    finally:
        desk.close()


def test_a_desk_will_not_start_on_a_forked_ledger(
    world: World, http: httpx.BaseTransport, clock: Clock
) -> None:
    forge_trusted(world, world.ledger.size)
    with pytest.raises(Error) as caught:
        open_desk(world, http, Clock(clock.now + 60))
    assert caught.value.code == "ledger_forked"
