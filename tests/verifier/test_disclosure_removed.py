"""Attack: a disclosure is taken out of a key-bound presentation in transit: the KB-JWT's
sd_hash no longer covers what arrives (pitfall 3)."""

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import World
from verifier.service import Verifier


def test_a_removed_disclosure_breaks_sd_hash(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential())
    parts = presentation.split("~")
    assert len(parts) == 4  # issuer JWT, two disclosures, KB-JWT
    cut = "~".join([parts[0], parts[2], parts[3]])
    refused(verifier, cut, "kb_sd_hash_mismatch", nonce=nonce, step="key_binding")


def test_a_presentation_missing_a_required_claim(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential(), disclose=[("resident",)])
    refused(verifier, presentation, "claim_missing", nonce=nonce, step="claims")
