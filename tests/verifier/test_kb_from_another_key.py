"""Attack: a stolen credential presented with a key-binding JWT signed by the thief's key,
not the credential's cnf key (pitfall 8)."""

from civicid.jose import PrivateKey
from tests.verifier.attacks import bind, refused, selected
from tests.verifier.world import World
from verifier.service import Verifier


def test_key_binding_by_another_key(world: World, verifier: Verifier) -> None:
    sd_jwt = "~".join(selected(world, world.credential()))
    presentation, nonce = bind(world, verifier, sd_jwt, key=PrivateKey.generate())
    refused(verifier, presentation, "kb_signature_invalid", nonce=nonce, step="key_binding")
