"""Attack: the issuer JWT names its own verification key (jwk, jku, x5u, x5c) (pitfall 8)."""

import pytest

from civicid.jose import PrivateKey
from tests.verifier.attacks import fresh, refused, resign
from tests.verifier.world import World
from verifier.service import Verifier


@pytest.mark.parametrize("name", ["jwk", "jku", "x5u", "x5c"])
def test_a_key_in_the_header_is_refused(world: World, verifier: Verifier, name: str) -> None:
    attacker = PrivateKey.generate()
    value = {
        "jwk": attacker.public.to_jwk(),
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": ["MIIB"],
    }[name]
    credential = resign(world.credential(), attacker, header={name: value})
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "sdjwt_header_forbidden", nonce=nonce, step="header")
