"""Attack: a credential its agency revoked on the ledger's status list."""

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import REVOKED, World
from verifier.service import Verifier


def test_a_revoked_credential(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential(index=REVOKED))
    refused(verifier, presentation, "status_revoked", nonce=nonce, step="status")
